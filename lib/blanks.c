#include "blanks.h"

#include <stdio.h>
#include <string.h>

#include "html.h"

enum blank_form {
	FORM_TEXT,  /* escaped text */
	FORM_EMAIL, /* a mailto: link showing the address */
};

struct blank_rule {
	const char *name;
	enum blank_form form;
};

static const struct blank_rule rules[BLANK__MAX] = {
    [BLANK_CLINIC_NAME] = {"clinic_name", FORM_TEXT},
    [BLANK_CLINIC_PHONE] = {"clinic_phone", FORM_TEXT},
    [BLANK_CLINIC_EMAIL] = {"clinic_email", FORM_EMAIL},
    [BLANK_DATA_CONTROLLER] = {"data_controller", FORM_TEXT},
    [BLANK_PRIVACY_CONTACT] = {"privacy_contact", FORM_EMAIL},
    [BLANK_ICO_REGISTRATION] = {"ico_registration", FORM_TEXT},
    [BLANK_RETENTION_DAYS] = {"retention_days", FORM_TEXT},
    [BLANK_RATE_LIMIT_WINDOW] = {"rate_limit_window", FORM_TEXT},
    [BLANK_RATE_LIMIT_POSTS] = {"rate_limit_posts", FORM_TEXT},
};

enum blank blank_find(const char *name, size_t len)
{
	for (int i = 0; i < BLANK__MAX; i++)
		if (strlen(rules[i].name) == len && memcmp(rules[i].name, name, len) == 0)
			return (enum blank)i;
	return BLANK__MAX;
}

/* A number of seconds in the words a notice uses: "1 hour", "90 minutes". */
static const char *duration_text(long seconds, char *out, size_t len)
{
	if (seconds % 86400 == 0)
		snprintf(out, len, "%ld %s", seconds / 86400, seconds == 86400 ? "day" : "days");
	else if (seconds % 3600 == 0)
		snprintf(out, len, "%ld %s", seconds / 3600, seconds == 3600 ? "hour" : "hours");
	else if (seconds % 60 == 0)
		snprintf(out, len, "%ld %s", seconds / 60, seconds == 60 ? "minute" : "minutes");
	else
		snprintf(out, len, "%ld %s", seconds, seconds == 1 ? "second" : "seconds");
	return out;
}

const char *blank_text(const struct config *cfg, enum blank b, char *scratch, size_t scratch_len)
{
	switch (b) {
	case BLANK_CLINIC_NAME:
		return cfg->clinic_name;
	case BLANK_CLINIC_PHONE:
		return cfg->clinic_phone;
	case BLANK_CLINIC_EMAIL:
		return cfg->clinic_email;
	case BLANK_DATA_CONTROLLER:
		return cfg->data_controller[0] ? cfg->data_controller : cfg->clinic_name;
	case BLANK_PRIVACY_CONTACT:
		return cfg->privacy_contact[0] ? cfg->privacy_contact : cfg->clinic_email;
	case BLANK_ICO_REGISTRATION:
		return cfg->ico_registration;
	case BLANK_RETENTION_DAYS:
		snprintf(scratch, scratch_len, "%ld", cfg->retention_days);
		return scratch;
	case BLANK_RATE_LIMIT_WINDOW:
		return duration_text(cfg->rate_limit_window, scratch, scratch_len);
	case BLANK_RATE_LIMIT_POSTS:
		snprintf(scratch, scratch_len, "%ld", cfg->rate_limit_posts);
		return scratch;
	case BLANK__MAX:
		break;
	}
	return "";
}

/* The name inside the {{...}} that starts at p (end excluded): false when
 * there is no closing }} before the end of the line. */
static bool blank_name(const char *p, const char *end, const char **name, size_t *len)
{
	const char *start = p + 2;
	const char *q = start;
	while (q + 1 < end && *q != '\n' && !(q[0] == '}' && q[1] == '}'))
		q++;
	if (q + 1 >= end || *q == '\n')
		return false;
	*name = start;
	*len = (size_t)(q - start);
	return true;
}

bool blanks_check(const char *text, size_t len, int *line, char *err, size_t errlen)
{
	const char *end = text + len;
	int n = 1;
	for (const char *p = text; p + 1 < end; p++) {
		if (*p == '\n')
			n++;
		if (p[0] != '{' || p[1] != '{')
			continue;
		const char *name;
		size_t name_len;
		if (!blank_name(p, end, &name, &name_len)) {
			*line = n;
			snprintf(err, errlen, "'{{' without '}}' on the same line");
			return false;
		}
		if (blank_find(name, name_len) == BLANK__MAX) {
			*line = n;
			struct buf known;
			buf_init(&known, 512);
			for (int i = 0; i < BLANK__MAX; i++)
				buf_printf(&known, "%s%s", i ? ", " : "", rules[i].name);
			snprintf(err, errlen, "unknown blank '{{%.*s}}' (known: %s)",
			         (int)(name_len > 40 ? 40 : name_len), name,
			         known.data ? known.data : "");
			buf_free(&known);
			return false;
		}
		p += name_len + 3;
	}
	return true;
}

bool blanks_fill(const struct config *cfg, const char *html, struct buf *out)
{
	const char *end = html + strlen(html);
	const char *run = html;
	for (const char *p = html; p + 1 < end; p++) {
		const char *name;
		size_t name_len;
		if (p[0] != '{' || p[1] != '{' || !blank_name(p, end, &name, &name_len))
			continue;
		enum blank b = blank_find(name, name_len);
		if (b == BLANK__MAX)
			continue;
		buf_append(out, run, (size_t)(p - run));
		char scratch[64];
		const char *text = blank_text(cfg, b, scratch, sizeof scratch);
		if (!text[0]) {
			buf_puts(out, "(not yet stated)");
		} else if (rules[b].form == FORM_EMAIL) {
			buf_puts(out, "<a href=\"mailto:");
			html_escape(out, text, strlen(text));
			buf_puts(out, "\">");
			html_escape(out, text, strlen(text));
			buf_puts(out, "</a>");
		} else {
			html_escape(out, text, strlen(text));
		}
		p += name_len + 3;
		run = p + 1;
	}
	buf_append(out, run, (size_t)(end - run));
	return !out->failed;
}
