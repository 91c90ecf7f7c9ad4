#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hours.h"

enum value_kind { PATH, TEXT, NUMBER, HOURS /* text that hours_parse accepts */ };

struct key_rule {
	const char *key;
	enum value_kind kind;
	size_t offset;
	long min, max;
};

#define STR(field, kind)                                                                           \
	{                                                                                          \
#field, kind, offsetof(struct config, field), 0, 0                                 \
	}
#define NUM(field, lo, hi)                                                                         \
	{                                                                                          \
#field, NUMBER, offsetof(struct config, field), lo, hi                             \
	}

static const struct key_rule rules[] = {
    STR(content_db, PATH),
    STR(enquiry_db, PATH),
    STR(public_key, PATH),
    STR(secret_key, PATH),
    STR(token_key, PATH),
    STR(team_file, PATH),
    STR(team_admin_key, TEXT),
    STR(team_key, PATH),
    STR(team_roster, PATH),
    STR(pages_listen, TEXT),
    STR(contact_listen, TEXT),
    STR(log_file, PATH),
    NUM(workers, 1, 64),
    NUM(contact_workers, 1, 64),
    NUM(max_body, 1024, 1048576),
    NUM(max_query, 64, 65536),
    NUM(token_min_age, 0, 3600),
    NUM(token_max_age, 60, 7 * 86400),
    NUM(rate_limit_posts, 1, 1000000000),
    NUM(rate_limit_window, 1, 86400),
    STR(site_origin, TEXT),
    STR(clinic_name, TEXT),
    STR(clinic_phone, TEXT),
    STR(clinic_email, TEXT),
    NUM(retention_days, 1, 3650),
    STR(site_language, TEXT),
    STR(clinic_street_address, TEXT),
    STR(clinic_locality, TEXT),
    STR(clinic_postcode, TEXT),
    STR(clinic_country, TEXT),
    STR(opening_hours, HOURS),
    STR(data_controller, TEXT),
    STR(privacy_contact, TEXT),
    STR(ico_registration, TEXT),
    STR(security_contact, TEXT),
    STR(notify_to, TEXT),
    STR(sendmail, PATH),
};

#define NRULES (sizeof rules / sizeof rules[0])

/* The text setting r describes, in cfg. */
static char **string_field(struct config *cfg, const struct key_rule *r)
{
	return (char **)((char *)cfg + r->offset);
}

/* The number setting r describes, in cfg. */
static long *number_field(struct config *cfg, const struct key_rule *r)
{
	return (long *)((char *)cfg + r->offset);
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NRULES; i++)
		if (rules[i].kind != NUMBER)
			*string_field(cfg, &rules[i]) = strdup("");
	cfg->workers = 2;
	cfg->contact_workers = 12;
	cfg->max_body = 32768;
	cfg->max_query = 1024;
	cfg->token_min_age = 3;
	cfg->token_max_age = 4 * 3600;
	cfg->rate_limit_posts = 5;
	cfg->rate_limit_window = 3600;
	cfg->retention_days = 90;
	free(cfg->clinic_name);
	cfg->clinic_name = strdup("The Clinic");
	free(cfg->sendmail);
	cfg->sendmail = strdup("/usr/sbin/sendmail");
	free(cfg->site_language);
	cfg->site_language = strdup("en-GB");
	free(cfg->clinic_country);
	cfg->clinic_country = strdup("GB");
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < NRULES; i++)
		if (rules[i].kind != NUMBER) {
			free(*string_field(cfg, &rules[i]));
			*string_field(cfg, &rules[i]) = NULL;
		}
}

/* Cuts spaces and tabs off both ends of s (and CR LF off its end), in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* value as a path: relative ones taken from dir, the config file's folder; NULL when out of
 * memory. */
static char *resolve_path(const char *dir, const char *value)
{
	if (value[0] == '\0' || value[0] == '/' || !dir[0])
		return strdup(value);
	size_t n = strlen(dir) + strlen(value) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, value);
	return p;
}

bool config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	config_defaults(cfg);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
		config_free(cfg);
		return false;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';

	bool seen[NRULES] = {false};
	struct hours hours;
	char why[160];
	char line[4096];
	int lineno = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line is too long", path, lineno);
			ok = false;
			break;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected `key = value`", path, lineno);
			ok = false;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		size_t i = 0;
		while (i < NRULES && strcmp(rules[i].key, key) != 0)
			i++;
		if (i == NRULES) {
			snprintf(err, errlen, "%s:%d: unknown setting '%s'", path, lineno, key);
			ok = false;
		} else if (seen[i]) {
			snprintf(err, errlen, "%s:%d: '%s' is set twice", path, lineno, key);
			ok = false;
		} else if (rules[i].kind == NUMBER) {
			char *end;
			errno = 0;
			long v = strtol(value, &end, 10);
			if (errno || end == value || *end || v < rules[i].min || v > rules[i].max) {
				snprintf(err, errlen,
				         "%s:%d: '%s' must be a whole number from %ld to %ld", path,
				         lineno, key, rules[i].min, rules[i].max);
				ok = false;
			} else {
				*number_field(cfg, &rules[i]) = v;
			}
		} else if (rules[i].kind == HOURS && !hours_parse(value, &hours, why, sizeof why)) {
			snprintf(err, errlen, "%s:%d: '%s' %s", path, lineno, key, why);
			ok = false;
		} else {
			char **field = string_field(cfg, &rules[i]);
			free(*field);
			*field = rules[i].kind == PATH ? resolve_path(dir, value) : strdup(value);
			if (!*field) {
				snprintf(err, errlen, "out of memory reading %s", path);
				ok = false;
			}
		}
		if (i < NRULES)
			seen[i] = true;
	}
	fclose(f);
	if (!ok)
		config_free(cfg);
	return ok;
}
