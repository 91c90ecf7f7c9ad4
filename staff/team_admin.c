#include "team_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fileio.h"
#include "forms.h"
#include "identity.h"
#include "keys.h"
#include "paperkey.h"
#include "passphrase.h"
#include "roster.h"
#include "say.h"
#include "terminal.h"

#define NAME_COLUMNS 14
#define ROLE_COLUMNS 7
#define RECEIVES_COLUMNS 26

/* Now, as a team file dates itself: "2026-11-27T10:00:00Z". */
static void now_utc(char out[TEAM_DATE_LEN + 1])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, TEAM_DATE_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether the configuration names the roster (and with team_key, the team
 * key); if not, says so. */
static bool team_configured(const struct session *ses, bool with_key)
{
	return session_configured(ses, ses->cfg.team_roster, "team_roster",
	                          "where the team's roster is kept") &&
	       (!with_key || session_configured(ses, ses->cfg.team_key, "team_key",
	                                        "where the team key is kept"));
}

/* Reads the roster into t; false once the reason is said. */
static bool load_roster(const struct session *ses, struct team *t)
{
	const char *path = ses->cfg.team_roster;
	struct stat st;
	if (stat(path, &st) != 0) {
		say_error(
		    "There is no roster at %s. Make the team with `enquiries team init` on the "
		    "practice lead's computer, or check team_roster in the configuration.",
		    path);
		return false;
	}
	char err[512];
	char *text = NULL;
	size_t len = 0;
	if (!file_read_all(path, TEAM_FILE_MAX, &text, &len, err, sizeof err)) {
		say_error("Could not read the roster: %s.", err);
		return false;
	}
	bool ok = team_parse(text, len, t, err, sizeof err);
	free(text);
	if (!ok || t->is_signed) {
		say_error("The roster %s is damaged (%s). Put back the copy from your backup, or "
		          "the published team file without its signature line.",
		          path, ok ? "it is signed, as only a published file is" : err);
		return false;
	}
	return true;
}

/* The roster, read into new memory (free it); NULL once the reason is said. */
static struct team *read_roster(const struct session *ses)
{
	struct team *t = malloc(sizeof *t);
	if (!t)
		say_error("Could not read the roster: out of memory.");
	else if (!load_roster(ses, t)) {
		free(t);
		t = NULL;
	}
	return t;
}

/* Writes t as the roster; false once the reason is said. */
static bool save_roster(const struct session *ses, const struct team *t)
{
	struct buf text;
	buf_init(&text, TEAM_FILE_MAX);
	char why[512] = "out of memory";
	bool ok = team_encode(t, &text) && file_replace(ses->cfg.team_roster, text.data, text.len,
	                                                0644, true, why, sizeof why) == FILE_OK;
	buf_free(&text);
	if (!ok)
		say_error("Could not write the roster %s (%s), so it is as it was.",
		          ses->cfg.team_roster, why);
	return ok;
}

/* What m receives, as team list and team add say it. */
static void put_receives(struct buf *out, const struct team_member *m)
{
	if (m->lead || m->nrules == 0) {
		buf_puts(out, "everything");
		return;
	}
	for (size_t i = 0; i < m->nrules; i++)
		buf_printf(out, "%s%s%s%s", i ? "," : "", m->rules[i].form,
		           m->rules[i].choice[0] ? ":" : "", m->rules[i].choice);
}

/* --- init ------------------------------------------------------------------ */

/* Makes the recovery key pair, prints its secret half as the paper key, and
 * wipes it; pk receives the public half. False once the reason is said. */
static bool make_recovery_key(unsigned char pk[crypto_box_PUBLICKEYBYTES], struct buf *out)
{
	unsigned char *sk = sodium_malloc(crypto_box_SECRETKEYBYTES);
	char *paper = sodium_malloc(PAPERKEY_TEXT_MAX);
	bool ok = sk && paper && crypto_box_keypair(pk, sk) == 0;
	if (ok) {
		paperkey_encode(sk, paper);
		/* Three lines of groups, to copy in the order they come. */
		buf_puts(out, "    ");
		for (size_t g = 0; g < PAPERKEY_GROUPS; g++) {
			buf_append(out, paper + g * (PAPERKEY_GROUP_CHARS + 1),
			           PAPERKEY_GROUP_CHARS);
			buf_puts(out, g + 1 == PAPERKEY_GROUPS ? "\n"
			              : g == 4 || g == 8       ? "-\n    "
			                                       : "-");
		}
	}
	if (sk) {
		sodium_memzero(sk, crypto_box_SECRETKEYBYTES);
		sodium_free(sk);
	}
	if (paper) {
		sodium_memzero(paper, PAPERKEY_TEXT_MAX);
		sodium_free(paper);
	}
	if (!ok)
		say_error("No recovery key could be made (out of memory). Nothing was written.");
	return ok;
}

/* team init: the team key, the roster and the paper recovery key. */
static int team_init(struct session *ses)
{
	if (!team_configured(ses, true))
		return EXIT_FAILED;
	struct stat st;
	const char *taken = lstat(ses->cfg.team_key, &st) == 0      ? ses->cfg.team_key
	                    : lstat(ses->cfg.team_roster, &st) == 0 ? ses->cfg.team_roster
	                                                            : NULL;
	if (taken) {
		say_error("%s already exists, so nothing was changed: this team has been made. To "
		          "change who is in it use `enquiries team add` and `team remove`.",
		          taken);
		return EXIT_FAILED;
	}
	const char *file = ses->opt->value[OPT_PASSPHRASE_FILE];
	char *secret = keys_new_passphrase(file);
	if (!secret)
		return EXIT_FAILED;
	struct keyring team_key;
	char why[SENTENCE_MAX];
	enum keyring_status status =
	    keyring_create_team(ses->cfg.team_key, secret, &team_key, why, sizeof why);
	passphrase_free(secret);
	if (status != KEYRING_OK) {
		keys_report(status, ses->cfg.team_key, file != NULL, why);
		return EXIT_FAILED;
	}
	unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES];
	memcpy(admin_pk, team_key.signer->pk, sizeof admin_pk);
	keyring_free(&team_key);

	struct buf out;
	buf_init(&out, OUTPUT_LIMIT);
	unsigned char recovery_pk[crypto_box_PUBLICKEYBYTES];
	struct team *roster = malloc(sizeof *roster);
	char date[TEAM_DATE_LEN + 1];
	now_utc(date);
	char admin_hex[TEAM_ADMIN_KEY_HEX + 1];
	sodium_bin2hex(admin_hex, sizeof admin_hex, admin_pk, sizeof admin_pk);
	buf_printf(&out,
	           "Made the team key %s (under the passphrase just given) and the team's roster "
	           "%s.\n\n"
	           "Put this line in the web server's site.conf, with a line team_file = naming "
	           "where the published team file will be:\n\n"
	           "team_admin_key = %s\n\n"
	           "This is the recovery key. With it every enquiry sealed from now on can be "
	           "opened, even if every member's keyring is lost. Write it on paper now, check "
	           "what you wrote, and keep the paper somewhere safe away from the computers (a "
	           "safe, or sealed with the practice's papers): it is shown this once and kept "
	           "nowhere else.\n\n",
	           ses->cfg.team_key, ses->cfg.team_roster, admin_hex);
	bool ok = roster && make_recovery_key(recovery_pk, &out) &&
	          roster_init(roster, admin_pk, recovery_pk, date) && save_roster(ses, roster);
	if (ok)
		buf_puts(&out,
		         "\nNext: make your own keyring with `enquiries init --name NAME`, add "
		         "it with `enquiries team add NAME NAME.identity --lead`, then `enquiries "
		         "team publish FILE`.\n");
	else
		say_error("The team key %s was made, but the roster was not: delete the team key "
		          "and run `enquiries team init` again.",
		          ses->cfg.team_key);
	bool said = ok && say_output(&out);
	buf_wipe(&out);
	free(roster);
	return said ? EXIT_OK : EXIT_FAILED;
}

/* --- add, remove, list ------------------------------------------------------- */

/* Whether rule names a form and, if any, a choice of its interest field. */
static bool rule_known(const struct team_rule *rule)
{
	const struct form_spec *spec = form_spec_find(rule->form);
	if (!spec)
		return false;
	if (!rule->choice[0])
		return true;
	const struct field_rule *interest =
	    form_spec_rule(spec, form_field(FORM_FIELD_INTEREST)->rule.name);
	return interest && form_choice_label(interest, rule->choice) != NULL;
}

/* Appends every rule --only could name, for a usage error. */
static void put_known_rules(struct buf *out)
{
	for (size_t k = 0; k < FORM__MAX; k++) {
		const struct form_spec *spec = form_spec((enum form_kind)k);
		buf_printf(out, "%s%s", k ? ", " : "", spec->kind);
		const struct field_rule *interest =
		    form_spec_rule(spec, form_field(FORM_FIELD_INTEREST)->rule.name);
		for (const struct field_choice *c = interest ? interest->choices : NULL;
		     c && c->value; c++)
			buf_printf(out, ", %s:%s", spec->kind, c->value);
	}
}

/* Compares rules as their spellings sort, for qsort. */
static int rule_order(const void *a, const void *b)
{
	const struct team_rule *x = a, *y = b;
	int by_form = strcmp(x->form, y->form);
	if (by_form)
		return by_form;
	return strcmp(x->choice, y->choice);
}

/* Reads --only as typed (any order, repeats) into rules, in the file's
 * spelling; false after a usage error. */
static bool read_only(const char *typed, struct team_rule rules[TEAM_MAX_RULES], size_t *n)
{
	*n = 0;
	char sorted[256] = "";
	struct team_rule parts[TEAM_MAX_RULES];
	size_t count = 0;
	bool ok = strlen(typed) < sizeof sorted;
	for (const char *p = typed; ok && *p;) {
		size_t len = strcspn(p, ",");
		char one[64];
		struct team_rule parsed[TEAM_MAX_RULES];
		size_t given = 0;
		ok = len > 0 && len < sizeof one && count < TEAM_MAX_RULES;
		if (ok) {
			snprintf(one, sizeof one, "%.*s", (int)len, p);
			ok = team_parse_only(one, len, parsed, &given) && given == 1 &&
			     rule_known(&parsed[0]);
			parts[count++] = parsed[0];
		}
		p += len + (p[len] == ',');
	}
	ok = ok && count > 0;
	if (ok) {
		qsort(parts, count, sizeof *parts, rule_order);
		for (size_t i = 0; i < count; i++) {
			bool repeat = i > 0 && rule_order(&parts[i - 1], &parts[i]) == 0;
			if (!repeat) {
				size_t used = strlen(sorted);
				snprintf(sorted + used, sizeof sorted - used, "%s%s%s%s",
				         used ? "," : "", parts[i].form,
				         parts[i].choice[0] ? ":" : "", parts[i].choice);
			}
		}
		ok = team_parse_only(sorted, strlen(sorted), rules, n);
	}
	if (!ok) {
		struct buf known;
		buf_init(&known, 4096);
		put_known_rules(&known);
		options_usage_error(
		    "--only takes, separated by commas, forms or a form and a choice "
		    "of what it asks people to pick (%s), a form named either alone "
		    "or with choices: not \"%s\".",
		    known.data ? known.data : "", typed);
		buf_free(&known);
	}
	return ok;
}

/* team add NAME FILE: puts the identity in FILE in the roster under NAME. */
static int team_add(struct session *ses)
{
	const char *name = ses->opt->args[1], *file = ses->opt->args[2];
	bool lead = options_has(ses->opt, OPT_LEAD);
	struct team_rule rules[TEAM_MAX_RULES];
	size_t nrules = 0;
	if (lead && options_has(ses->opt, OPT_ONLY))
		return options_usage_error(
		    "A lead receives every enquiry: --lead and --only do not "
		    "go together.");
	if (options_has(ses->opt, OPT_ONLY) &&
	    !read_only(ses->opt->value[OPT_ONLY], rules, &nrules))
		return EXIT_USAGE;
	if (!team_configured(ses, false))
		return EXIT_FAILED;
	char err[512];
	char *text = NULL;
	size_t len = 0;
	struct identity id;
	if (!file_read_all(file, IDENTITY_FILE_MAX, &text, &len, err, sizeof err)) {
		say_error("Could not read the identity file: %s.", err);
		return EXIT_FAILED;
	}
	bool parsed = identity_parse(text, len, &id, err, sizeof err);
	free(text);
	if (!parsed) {
		say_error("%s is not an identity file as `enquiries init --name` writes it: %s.",
		          file, err);
		return EXIT_FAILED;
	}
	if (strcmp(id.name, name) != 0) {
		say_error("The identity file %s is %s's, not %s's. Nothing was changed.", file,
		          id.name, name);
		return EXIT_FAILED;
	}
	struct team *roster = read_roster(ses);
	if (!roster)
		return EXIT_FAILED;
	enum roster_change change = roster_put(roster, &id, lead, rules, nrules, err, sizeof err);
	int code = EXIT_FAILED;
	if (change == ROSTER_REFUSED) {
		say_error("%s was not added to the team: %s.", name, err);
	} else if (change == ROSTER_UNCHANGED || save_roster(ses, roster)) {
		char fingerprint[IDENTITY_FINGERPRINT_LEN + 1];
		identity_fingerprint(id.box_pk, id.sign_pk, fingerprint);
		struct buf receives;
		buf_init(&receives, 1024);
		put_receives(&receives, team_find(roster, name));
		static const char *const done[] = {
		    [ROSTER_ADDED] = "Added %s to the team",
		    [ROSTER_REPLACED] = "Put new keys for %s in the team",
		    [ROSTER_UPDATED] = "Changed %s's place in the team",
		    [ROSTER_UNCHANGED] = "%s is in the team as asked already",
		};
		char first[128];
		snprintf(first, sizeof first, done[change], name);
		code = say("%s%s, receiving %s.\n"
		           "Fingerprint: %s\n"
		           "Check that it is the fingerprint %s reads out to you. Then publish the "
		           "team with `enquiries team publish FILE` and put the file on the web "
		           "server "
		           "(team_file): until then nothing changes there.",
		           first, lead ? " as a lead" : "", receives.data ? receives.data : "",
		           fingerprint, name)
		           ? EXIT_OK
		           : EXIT_FAILED;
		buf_free(&receives);
	}
	free(roster);
	return code;
}

/* team remove NAME. */
static int team_remove(struct session *ses)
{
	const char *name = ses->opt->args[1];
	if (!team_configured(ses, false))
		return EXIT_FAILED;
	struct team *roster = read_roster(ses);
	if (!roster)
		return EXIT_FAILED;
	int code = EXIT_FAILED;
	if (!roster_remove(roster, name))
		say_error("There is nobody called %s in the team. `enquiries team list` shows who "
		          "is.",
		          name);
	else if (save_roster(ses, roster))
		code = say("Took %s out of the team. Publish the team with `enquiries team publish "
		           "FILE` and put the file on the web server: from the next enquiry on, "
		           "nothing is sealed to %s. What was sealed to them before stays readable "
		           "with their keyring: removal cannot take that back.",
		           name, name)
		           ? EXIT_OK
		           : EXIT_FAILED;
	free(roster);
	return code;
}

/* team list: the roster, one line per member. */
static int team_list(struct session *ses)
{
	if (!team_configured(ses, false))
		return EXIT_FAILED;
	struct team *roster = read_roster(ses);
	if (!roster)
		return EXIT_FAILED;
	struct buf out;
	buf_init(&out, OUTPUT_LIMIT);
	terminal_put_fitted(&out, "NAME", 4, NAME_COLUMNS, true);
	buf_putc(&out, ' ');
	terminal_put_fitted(&out, "ROLE", 4, ROLE_COLUMNS, true);
	buf_putc(&out, ' ');
	terminal_put_fitted(&out, "RECEIVES", 8, RECEIVES_COLUMNS, true);
	buf_puts(&out, " FINGERPRINT          SINCE\n");
	for (size_t i = 0; i < roster->count; i++) {
		const struct team_member *m = &roster->members[i];
		struct buf receives;
		buf_init(&receives, 1024);
		put_receives(&receives, m);
		char fingerprint[IDENTITY_FINGERPRINT_LEN + 1];
		identity_fingerprint(m->box_pk, m->sign_pk, fingerprint);
		terminal_put_fitted(&out, m->name, strlen(m->name), NAME_COLUMNS, true);
		buf_putc(&out, ' ');
		terminal_put_fitted(&out, m->lead ? "lead" : "member", m->lead ? 4 : 6,
		                    ROLE_COLUMNS, true);
		buf_putc(&out, ' ');
		terminal_put_fitted(&out, receives.data ? receives.data : "", receives.len,
		                    RECEIVES_COLUMNS, true);
		buf_printf(&out, " %s  version %lu\n", fingerprint, (unsigned long)m->since);
		buf_free(&receives);
	}
	buf_printf(&out,
	           "%zu %s, and the recovery key; every enquiry carries %u key slots. The next "
	           "published team will be version %lu.\n",
	           roster->count, roster->count == 1 ? "member" : "members", roster->slots,
	           (unsigned long)roster->version);
	if (!team_has_lead(roster))
		buf_puts(&out, "Nobody is a lead yet: add one with `enquiries team add NAME FILE "
		               "--lead` before publishing.\n");
	int code = say_output(&out) ? EXIT_OK : EXIT_FAILED;
	buf_free(&out);
	free(roster);
	return code;
}

/* --- publish ------------------------------------------------------------------ */

/* team publish FILE: the roster signed as its version, written to FILE. */
static int team_publish(struct session *ses)
{
	const char *file = ses->opt->args[1];
	if (!team_configured(ses, true))
		return EXIT_FAILED;
	struct team *roster = read_roster(ses);
	struct team *published = malloc(sizeof *published);
	struct keyring team_key = {0};
	struct buf text;
	buf_init(&text, TEAM_FILE_MAX);
	int code = EXIT_FAILED;
	char err[512] = "";
	if (!roster || !published ||
	    !keys_unlock_file(ses, ses->cfg.team_key, "team_key", &team_key))
		goto done;
	if (team_key.kind != KEYRING_TEAM ||
	    sodium_memcmp(team_key.signer->pk, roster->admin_pk, sizeof roster->admin_pk) != 0) {
		say_error(
		    "%s is not the key of the team in the roster %s, so nothing was published. "
		    "Check team_key and team_roster in the configuration.",
		    ses->cfg.team_key, ses->cfg.team_roster);
		goto done;
	}
	char date[TEAM_DATE_LEN + 1];
	now_utc(date);
	if (!roster_publish(roster, date, team_key.signer->sk, published, err, sizeof err)) {
		say_error("Nothing was published: %s.", err);
		goto done;
	}
	if (!team_encode(published, &text)) {
		say_error("Nothing was published: the team could not be written out.");
		goto done;
	}
	/* The roster goes first: a version is never signed twice, even if
	 * writing the file then fails. */
	if (!save_roster(ses, roster))
		goto done;
	if (file_replace(file, text.data, text.len, 0644, true, err, sizeof err) != FILE_OK) {
		say_error(
		    "Could not write the team file %s (%s). Run `enquiries team publish` again "
		    "once that is fixed.",
		    file, err);
		goto done;
	}
	code = say("Wrote version %lu of the team (%zu %s, %u key slots) to %s, signed with the "
	           "team key. Put it on the web server where team_file says: contact.fcgi seals "
	           "to it from the next enquiry.",
	           (unsigned long)published->version, published->count,
	           published->count == 1 ? "member" : "members", published->slots, file)
	           ? EXIT_OK
	           : EXIT_FAILED;
done:
	keyring_free(&team_key);
	buf_free(&text);
	free(published);
	free(roster);
	return code;
}

/* --- the words ----------------------------------------------------------------- */

/* What each team command takes: its name, its words after "team", and whether
 * it takes --lead and --only. */
static const struct {
	const char *name;
	int (*run)(struct session *ses);
	size_t words;
	const char *usage;
	bool takes_add_options;
} team_commands[] = {
    {"init", team_init, 1, "team init", false},
    {"add", team_add, 3, "team add NAME FILE [--lead] [--only FORM[:CHOICE],...]", true},
    {"remove", team_remove, 2, "team remove NAME", false},
    {"list", team_list, 1, "team list", false},
    {"publish", team_publish, 2, "team publish FILE", false},
};

int team_admin_run(struct session *ses)
{
	const struct options *o = ses->opt;
	for (size_t i = 0; i < sizeof team_commands / sizeof team_commands[0]; i++) {
		if (o->nargs == 0 || strcmp(o->args[0], team_commands[i].name) != 0)
			continue;
		if (o->nargs != team_commands[i].words)
			return options_usage_error("Use it like this: enquiries %s.",
			                           team_commands[i].usage);
		if (!team_commands[i].takes_add_options &&
		    (options_has(o, OPT_LEAD) || options_has(o, OPT_ONLY)))
			return options_usage_error(
			    "Only `enquiries team add` takes --lead and --only.");
		return team_commands[i].run(ses);
	}
	return options_usage_error("Use it like this: enquiries team init|add|remove|list|publish "
	                           "(see `man enquiries`).");
}
