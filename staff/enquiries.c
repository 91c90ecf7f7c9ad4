/*
 * enquiries: the staff's tool for reading and keeping the sealed enquiries.
 *
 * Staff are not programmers: every message is a whole sentence that says
 * what happened and what to do, and any failure exits non-zero. Everything
 * that came out of an envelope or the database is untrusted: whatever is
 * printed for a person goes through terminal.h so that no enquiry can drive
 * the terminal, and plaintext is wiped as soon as it has been written out.
 * The work is done in lib/ (enquiry.h opens a row, export.h writes CSV and
 * JSON, passphrase.h, mail.h); this file is the command line and the words.
 * See enquiries.1 for the commands.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "enquiry.h"
#include "envelope.h"
#include "export.h"
#include "fileio.h"
#include "forms.h"
#include "keyring.h"
#include "mail.h"
#include "passphrase.h"
#include "seal.h"
#include "ref.h"
#include "store.h"
#include "terminal.h"

#define DEFAULT_CONFIG "/etc/clinic/site.conf"
#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

#define PASSPHRASE_MIN 8
#define PASSPHRASE_TRIES 3
#define OUTPUT_LIMIT (16u << 20)
#define SENTENCE_MAX (64 * 1024)
#define PREVIEW_COLUMNS 60
#define NAME_COLUMNS 24
#define WRAP_COLUMNS 76
#define PURGE_DAYS_MAX 36500
#define NOTIFIED_KEY "notified_up_to"

/* --- writing out --------------------------------------------------------- */

static void put_safe_str(struct buf *out, const char *s)
{
	terminal_put_safe(out, s, strlen(s), TERMINAL_NEWLINES_REPLACE);
}

/* Writes the buffer to standard output and wipes it: it may hold plaintext. */
static bool emit(struct buf *b)
{
	bool too_big = b->failed;
	int error = too_big ? 0 : write_all(STDOUT_FILENO, b->data ? b->data : "", b->len);
	bool ok = !too_big && error == 0;
	buf_wipe(b);
	buf_init(b, OUTPUT_LIMIT);
	if (!ok) {
		const char *why = too_big ? "an enquiry was too large to print" : strerror(error);
		char line[300];
		int n = snprintf(line, sizeof line, "enquiries: Could not write the output (%s).\n",
		                 why);
		(void)write_all(STDERR_FILENO, line, n > 0 ? (size_t)n : 0);
	}
	return ok;
}

/* A sentence for the person at the keyboard, on standard error. Anything
 * interpolated may come from a file or the database, so it is made safe. */
__attribute__((format(printf, 1, 2))) static void complain(const char *fmt, ...)
{
	struct buf text, line;
	buf_init(&text, SENTENCE_MAX);
	buf_init(&line, 256 * 1024);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	buf_puts(&line, "enquiries: ");
	terminal_put_safe(&line, text.data ? text.data : "", text.len, TERMINAL_NEWLINES_KEEP);
	buf_putc(&line, '\n');
	if (!line.failed)
		(void)write_all(STDERR_FILENO, line.data, line.len);
	buf_wipe(&text);
	buf_wipe(&line);
}

/* A sentence of the tool's own on standard output. */
__attribute__((format(printf, 1, 2))) static bool say(const char *fmt, ...)
{
	struct buf text, line;
	buf_init(&text, SENTENCE_MAX);
	buf_init(&line, OUTPUT_LIMIT);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	terminal_put_safe(&line, text.data ? text.data : "", text.len, TERMINAL_NEWLINES_KEEP);
	buf_putc(&line, '\n');
	buf_wipe(&text);
	return emit(&line);
}

static const char *plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Says a library's sentence when it failed. */
static bool told(bool ok, const char *err)
{
	if (!ok)
		complain("%s", err);
	return ok;
}

/* --- the command line ---------------------------------------------------- */

enum option_id {
	OPT_CONFIG,
	OPT_DB,
	OPT_PASSPHRASE_FILE,
	OPT_NEW_PASSPHRASE_FILE,
	OPT_STATUS,
	OPT_KIND,
	OPT_SINCE,
	OPT_JSON,
	OPT_FORMAT,
	OPT_OLDER_THAN,
	OPT_DRY_RUN,
	OPT_HELP,
	OPT_COUNT
};

#define BIT(id) (1u << (id))
#define GLOBAL_OPTIONS (BIT(OPT_CONFIG) | BIT(OPT_DB) | BIT(OPT_PASSPHRASE_FILE) | BIT(OPT_HELP))
#define FILTER_OPTIONS (BIT(OPT_STATUS) | BIT(OPT_KIND) | BIT(OPT_SINCE))

static const struct {
	const char *name;
	bool takes_value;
} option_rules[OPT_COUNT] = {
    [OPT_CONFIG] = {"config", true},
    [OPT_DB] = {"db", true},
    [OPT_PASSPHRASE_FILE] = {"passphrase-file", true},
    [OPT_NEW_PASSPHRASE_FILE] = {"new-passphrase-file", true},
    [OPT_STATUS] = {"status", true},
    [OPT_KIND] = {"kind", true},
    [OPT_SINCE] = {"since", true},
    [OPT_JSON] = {"json", false},
    [OPT_FORMAT] = {"format", true},
    [OPT_OLDER_THAN] = {"older-than", true},
    [OPT_DRY_RUN] = {"dry-run", false},
    [OPT_HELP] = {"help", false},
};

#define MAX_ARGS 4

struct options {
	const char *value[OPT_COUNT];
	unsigned given;
	const char *command;
	const char *args[MAX_ARGS];
	size_t nargs;
};

static bool has(const struct options *o, enum option_id id)
{
	return (o->given & BIT(id)) != 0;
}

static const char usage_text[] =
    "Usage: enquiries [--config FILE] [--db FILE] [--passphrase-file FILE] COMMAND ...\n"
    "\n"
    "Reading enquiries (these ask for the passphrase):\n"
    "  list [--status new|handled|all] [--kind contact|start] [--since YYYY-MM-DD] [--json]\n"
    "                      one line per enquiry, oldest first\n"
    "  show REF            the whole of one enquiry\n"
    "  export --format csv|json [--status ...] [--kind ...] [--since ...]\n"
    "                      every field of every enquiry, for a spreadsheet or program\n"
    "  verify              check that every enquiry opens and matches its record\n"
    "\n"
    "Keeping them (no passphrase needed):\n"
    "  mark REF handled|new   record that an enquiry has been dealt with (or not)\n"
    "  stats                  how many there are, by form, status and day\n"
    "  purge [--older-than DAYS] [--dry-run]\n"
    "                         delete enquiries older than DAYS (default: retention_days)\n"
    "  backup FILE            copy the database, still sealed, to a new FILE\n"
    "  notify                 email notify_to if new enquiries came in since the last notice\n"
    "\n"
    "Keys:\n"
    "  init                the first time: make the keyring and the public key\n"
    "  passwd [--new-passphrase-file FILE]   change the passphrase\n"
    "  rotate              make a new key for new enquiries (old ones stay readable)\n"
    "\n"
    "Options:\n"
    "  --config FILE           the site configuration (default " DEFAULT_CONFIG ")\n"
    "  --db FILE               work on this database instead of enquiry_db (e.g. a copy)\n"
    "  --passphrase-file FILE  read the passphrase from the first line of FILE\n"
    "                          instead of asking for it\n"
    "  --help                  this text\n"
    "\n"
    "See `man enquiries` for more.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	complain("%s Run `enquiries --help` to see how to use it.", text);
	return EXIT_USAGE;
}

/* Returns EXIT_OK or EXIT_USAGE (after saying what is wrong). */
static int parse_command_line(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	bool options_done = false;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (!options_done && arg[0] == '-' && arg[1] != '\0') {
			if (strcmp(arg, "-h") == 0)
				arg = "--help";
			if (strncmp(arg, "--", 2) != 0)
				return usage_error("There is no option %s.", arg);
			const char *name = arg + 2;
			const char *eq = strchr(name, '=');
			size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
			int id = 0;
			while (id < OPT_COUNT &&
			       (strlen(option_rules[id].name) != name_len ||
			        strncmp(option_rules[id].name, name, name_len) != 0))
				id++;
			if (id == OPT_COUNT)
				return usage_error("There is no option --%.*s.", (int)name_len,
				                   name);
			if (has(o, (enum option_id)id))
				return usage_error("The option --%s was given twice.",
				                   option_rules[id].name);
			const char *value = NULL;
			if (option_rules[id].takes_value) {
				if (eq)
					value = eq + 1;
				else if (i + 1 < argc)
					value = argv[++i];
				else
					return usage_error(
					    "The option --%s needs a value after it.",
					    option_rules[id].name);
			} else if (eq) {
				return usage_error("The option --%s takes no value.",
				                   option_rules[id].name);
			}
			o->given |= BIT(id);
			o->value[id] = value;
			continue;
		}
		if (!o->command)
			o->command = arg;
		else if (o->nargs < MAX_ARGS)
			o->args[o->nargs++] = arg;
		else
			return usage_error("There are too many words after the command %s.",
			                   o->command);
	}
	return EXIT_OK;
}

/* --- the run's shared state --------------------------------------------- */

struct context {
	const struct options *opt;
	struct config cfg;
	bool cfg_loaded;
	const char *db_path;
	struct keyring keyring;
	char *passphrase; /* sodium_malloc'd while the keyring is loaded */
	bool interactive; /* the passphrase comes from the terminal */
};

/* --- passphrases ---------------------------------------------------------- */

static char *ask_terminal(const char *prompt)
{
	char err[SENTENCE_MAX];
	char *secret = passphrase_ask(prompt, err, sizeof err);
	told(secret != NULL, err);
	return secret;
}

static char *read_secret_file(const char *path)
{
	char err[SENTENCE_MAX];
	char *secret = passphrase_from_file(path, err, sizeof err);
	told(secret != NULL, err);
	return secret;
}

static char *current_passphrase(struct context *ctx)
{
	const char *file = ctx->opt->value[OPT_PASSPHRASE_FILE];
	ctx->interactive = file == NULL;
	return file ? read_secret_file(file) : ask_terminal("Passphrase: ");
}

static bool long_enough(const char *secret)
{
	if (strlen(secret) >= PASSPHRASE_MIN)
		return true;
	complain("A new passphrase must be at least %d characters long; a few words are better "
	         "still.",
	         PASSPHRASE_MIN);
	return false;
}

/* A new passphrase from file, or asked twice on the terminal. */
static char *new_passphrase(const char *file)
{
	if (file) {
		char *secret = read_secret_file(file);
		if (secret && !long_enough(secret)) {
			passphrase_free(secret);
			return NULL;
		}
		return secret;
	}
	for (int attempt = 1; attempt <= PASSPHRASE_TRIES; attempt++) {
		char *first = ask_terminal("New passphrase: ");
		if (!first)
			return NULL;
		if (!long_enough(first)) {
			passphrase_free(first);
			continue;
		}
		char *again = ask_terminal("The same passphrase again: ");
		if (!again) {
			passphrase_free(first);
			return NULL;
		}
		bool same = strlen(first) == strlen(again) &&
		            sodium_memcmp(first, again, strlen(first)) == 0;
		passphrase_free(again);
		if (same)
			return first;
		passphrase_free(first);
		complain("The two passphrases were not the same. Please type them again.");
	}
	complain("No new passphrase was set. Nothing was changed.");
	return NULL;
}

/* --- configuration and keys ---------------------------------------------- */

/* what completes "The configuration does not say ...". */
static bool configured(const struct context *ctx, const char *value, const char *key,
                       const char *what)
{
	if (value && value[0])
		return true;
	complain("The configuration %s does not say %s: add a line `%s = ...` to it.",
	         ctx->opt->value[OPT_CONFIG] ? ctx->opt->value[OPT_CONFIG] : DEFAULT_CONFIG, what,
	         key);
	return false;
}

/* Says what went wrong with the keyring at path; detail is the failed
 * call's err. */
static void report_keyring(enum keyring_status status, const char *path, bool from_file,
                           const char *detail)
{
	char sentence[SENTENCE_MAX];
	keyring_report(status, path, from_file, detail, sentence, sizeof sentence);
	complain("%s", sentence);
}

/* Loads the keyring, asking again (up to three times) for a mistyped
 * passphrase on a terminal. Keeps the passphrase for rotate. */
static bool load_keyring(struct context *ctx)
{
	const char *path = ctx->cfg.secret_key;
	if (!configured(ctx, path, "secret_key", "where the keyring is"))
		return false;
	for (int attempt = 1; attempt <= PASSPHRASE_TRIES; attempt++) {
		char *secret = current_passphrase(ctx);
		if (!secret)
			return false;
		char why[SENTENCE_MAX];
		enum keyring_status status =
		    keyring_load(path, secret, &ctx->keyring, why, sizeof why);
		if (status == KEYRING_OK) {
			ctx->passphrase = secret;
			return true;
		}
		passphrase_free(secret);
		if (status == KEYRING_BAD_PASSPHRASE && ctx->interactive &&
		    attempt < PASSPHRASE_TRIES) {
			complain("That passphrase does not open the keyring. Please try again.");
			continue;
		}
		report_keyring(status, path, !ctx->interactive, why);
		return false;
	}
	return false;
}

static bool write_public_key(struct context *ctx, const struct keyring_entry *entry)
{
	struct public_key key;
	memcpy(key.pk, entry->pk, sizeof key.pk);
	seal_key_id(key.pk, key.key_id);
	char err[512];
	if (keyring_write_public_key(ctx->cfg.public_key, &key, err, sizeof err))
		return true;
	complain("%s.", err);
	return false;
}

/* --- opening the enquiries ------------------------------------------------ */

static struct store *open_store(struct context *ctx, enum store_mode mode)
{
	if (!configured(ctx, ctx->db_path, "enquiry_db", "where the enquiry database is"))
		return NULL;
	/* Only the contact form program makes the database: a mistyped path
	 * must not leave an empty one behind. */
	struct stat st;
	if (stat(ctx->db_path, &st) != 0) {
		complain("There is no enquiry database at %s (%s). Check enquiry_db in the "
		         "configuration, or --db.",
		         ctx->db_path, strerror(errno));
		return NULL;
	}
	struct store *s = NULL;
	if (store_open(ctx->db_path, mode, &s) != STORE_OK) {
		complain("Could not open the enquiries: %s.", store_error(s));
		store_close(s);
		return NULL;
	}
	return s;
}

/* The database and the keyring, for the commands that read enquiries. */
static struct store *open_for_reading(struct context *ctx)
{
	struct store *s = open_store(ctx, STORE_READ_ONLY);
	if (s && !load_keyring(ctx)) {
		store_close(s);
		return NULL;
	}
	return s;
}

/* A reading command going through the rows. */
struct walk {
	struct context *ctx;
	struct buf out;
	long rows;
	long problems;
	bool failed; /* output could not be written: stop */
	bool to_terminal;
};

#define PROBLEM_MAX 300

/* Opens row into env (see enquiry.h), counting it if it has a problem. */
static enum enquiry_status open_row(struct walk *w, const struct store_row *row,
                                    struct envelope *env, char problem[PROBLEM_MAX])
{
	enum enquiry_status state = enquiry_open(&w->ctx->keyring, row, env, problem, PROBLEM_MAX);
	if (state != ENQUIRY_OK)
		w->problems++;
	return state;
}

/* Wipes the row's plaintext and writes out what was made of it. */
static bool row_done(struct walk *w, bool opened, struct envelope *env)
{
	if (opened)
		envelope_wipe(env);
	w->rows++;
	if (!emit(&w->out)) {
		w->failed = true;
		return false;
	}
	return true;
}

/* Begins the JSON object of a row, in the array the walk writes, with what
 * its record says. */
static void put_json_record(struct walk *w, const struct store_row *row)
{
	buf_puts(&w->out, w->rows ? ",\n  {" : "\n  {");
	const char *keys[] = {"ref", "kind", "day", "status"};
	const char *values[] = {row->ref, row->kind, row->day, row->status};
	for (size_t i = 0; i < 4; i++) {
		buf_printf(&w->out, "%s\"%s\": ", i ? ", " : "", keys[i]);
		export_json_string(&w->out, values[i], strlen(values[i]));
	}
}

static void put_json_member(struct buf *out, const char *key, const char *value, size_t len)
{
	buf_printf(out, ", \"%s\": ", key);
	export_json_string(out, value, len);
}

static const char *field_value(const struct envelope *env, const char *name, size_t *len)
{
	const struct envelope_field *f = envelope_get(env, name);
	*len = f ? f->value_len : 0;
	return f ? f->value : "";
}

/* The received time in local time for a person; the raw text if it is odd. */
static void format_received(const char *received, bool long_form, char *out, size_t len)
{
	time_t t;
	struct tm local;
	if (!envelope_received_time(received, &t) || !localtime_r(&t, &local)) {
		snprintf(out, len, "%s", received);
		return;
	}
	if (!long_form) {
		strftime(out, len, "%Y-%m-%d %H:%M", &local);
		return;
	}
	char weekday[32], rest[64];
	strftime(weekday, sizeof weekday, "%A", &local);
	strftime(rest, sizeof rest, "%B %Y, %H:%M:%S %Z", &local);
	/* A cut is harmless: out is sized for the longest month and zone. */
	if (snprintf(out, len, "%s %d %s", weekday, local.tm_mday, rest) < 0)
		out[0] = '\0';
}

/* --- list ------------------------------------------------------------------ */

enum { REF_COLUMNS = 10, KIND_COLUMNS = 8, WHEN_COLUMNS = 16, STATUS_COLUMNS = 7 };

static void put_list_heading(struct buf *out)
{
	terminal_put_fitted(out, "REFERENCE", 9, REF_COLUMNS, true);
	buf_putc(out, ' ');
	terminal_put_fitted(out, "FORM", 4, KIND_COLUMNS, true);
	buf_putc(out, ' ');
	terminal_put_fitted(out, "RECEIVED", 8, WHEN_COLUMNS, true);
	buf_putc(out, ' ');
	terminal_put_fitted(out, "STATUS", 6, STATUS_COLUMNS, true);
	buf_putc(out, ' ');
	terminal_put_fitted(out, "NAME", 4, NAME_COLUMNS, true);
	buf_puts(out, " PREVIEW\n");
}

static bool list_row(void *arg, const struct store_row *row)
{
	struct walk *w = arg;
	struct envelope env;
	char problem[PROBLEM_MAX] = "";
	bool opened = open_row(w, row, &env, problem) != ENQUIRY_UNOPENED;

	const char *received = opened ? env.received : row->day;
	size_t name_len = 0, preview_len = 0;
	const char *name =
	    opened ? field_value(&env, form_field(FORM_FIELD_NAME)->rule.name, &name_len) : "";
	const char *preview = "";
	for (size_t i = 0; opened && preview_len == 0 && form_preview_field(i) != FORM_FIELD__MAX;
	     i++)
		preview =
		    field_value(&env, form_field(form_preview_field(i))->rule.name, &preview_len);

	if (w->ctx->opt->given & BIT(OPT_JSON)) {
		put_json_record(w, row);
		if (opened) {
			put_json_member(&w->out, "received", env.received, strlen(env.received));
			put_json_member(&w->out, form_field(FORM_FIELD_NAME)->rule.name, name,
			                name_len);
			struct buf short_preview;
			buf_init(&short_preview, OUTPUT_LIMIT);
			terminal_put_column(&short_preview, preview, preview_len, PREVIEW_COLUMNS,
			                    false);
			put_json_member(&w->out, "preview",
			                short_preview.data ? short_preview.data : "",
			                short_preview.len);
			buf_wipe(&short_preview);
		}
		if (problem[0])
			put_json_member(&w->out, "problem", problem, strlen(problem));
		buf_putc(&w->out, '}');
	} else {
		char when[64];
		format_received(received, false, when, sizeof when);
		terminal_put_column(&w->out, row->ref, strlen(row->ref), REF_COLUMNS, true);
		buf_putc(&w->out, ' ');
		terminal_put_column(&w->out, row->kind, strlen(row->kind), KIND_COLUMNS, true);
		buf_putc(&w->out, ' ');
		terminal_put_column(&w->out, when, strlen(when), WHEN_COLUMNS, true);
		buf_putc(&w->out, ' ');
		terminal_put_column(&w->out, row->status, strlen(row->status), STATUS_COLUMNS,
		                    true);
		buf_putc(&w->out, ' ');
		if (opened && !problem[0]) {
			terminal_put_column(&w->out, name, name_len, NAME_COLUMNS, true);
			buf_putc(&w->out, ' ');
			terminal_put_column(&w->out, preview, preview_len, PREVIEW_COLUMNS, false);
		} else {
			buf_puts(&w->out, "! This enquiry ");
			put_safe_str(&w->out, problem);
			buf_puts(&w->out, ".");
		}
		/* Trailing spaces from padding would only be noise in a pipe. */
		while (w->out.len > 0 && w->out.data[w->out.len - 1] == ' ')
			w->out.data[--w->out.len] = '\0';
		buf_putc(&w->out, '\n');
	}
	return row_done(w, opened, &env);
}

/* What --status takes besides the statuses themselves. */
#define ALL_STATUSES "all"

/* The kinds of enquiry as a sentence offers them: "contact or start". */
static void kind_names(char *out, size_t len)
{
	const char *kinds[FORM__MAX];
	for (size_t i = 0; i < FORM__MAX; i++)
		kinds[i] = form_spec((enum form_kind)i)->kind;
	struct buf list;
	buf_init(&list, len);
	buf_put_alternatives(&list, kinds, FORM__MAX, "");
	snprintf(out, len, "%s", list.data ? list.data : "");
	buf_free(&list);
}

/* The statuses as a sentence offers them: "new or handled", or with all
 * "new, handled or all". */
static void status_names(char *out, size_t len, bool with_all)
{
	const char *statuses[ROW_STATUS__MAX + 1];
	for (size_t i = 0; i < ROW_STATUS__MAX; i++)
		statuses[i] = store_row_status_name((enum store_row_status)i);
	statuses[ROW_STATUS__MAX] = ALL_STATUSES;
	struct buf list;
	buf_init(&list, len);
	buf_put_alternatives(&list, statuses, ROW_STATUS__MAX + with_all, "");
	snprintf(out, len, "%s", list.data ? list.data : "");
	buf_free(&list);
}

/* Fills filter from --status, --kind and --since; false after a usage error. */
static bool read_filter(const struct options *o, struct store_filter *filter)
{
	memset(filter, 0, sizeof *filter);
	const char *status = o->value[OPT_STATUS];
	enum store_row_status found;
	if (status && strcmp(status, ALL_STATUSES) != 0) {
		if (!store_row_status_find(status, &found)) {
			char statuses[128];
			status_names(statuses, sizeof statuses, true);
			usage_error("--status must be %s, not \"%s\".", statuses, status);
			return false;
		}
		filter->status = status;
	}
	const char *kind = o->value[OPT_KIND];
	if (kind) {
		if (!form_spec_find(kind)) {
			char kinds[128];
			kind_names(kinds, sizeof kinds);
			usage_error("--kind must be %s, not \"%s\".", kinds, kind);
			return false;
		}
		filter->kind = kind;
	}
	const char *since = o->value[OPT_SINCE];
	if (since) {
		if (!store_day_valid(since)) {
			usage_error("--since must be a date written like 2026-11-26, not \"%s\".",
			            since);
			return false;
		}
		filter->since = since;
	}
	return true;
}

static int finish_walk(struct walk *w, struct store *s, enum store_status status)
{
	int code = EXIT_OK;
	if (status != STORE_OK) {
		complain("Could not read the enquiries: %s.", store_error(s));
		code = EXIT_FAILED;
	} else if (w->failed) {
		code = EXIT_FAILED;
	}
	if (code == EXIT_OK && w->problems > 0) {
		complain(
		    "%ld %s could not be read properly (see above). Run `enquiries verify` for "
		    "a report, and keep the database and keyring as they are until it is "
		    "understood.",
		    w->problems, plural(w->problems, "enquiry", "enquiries"));
		code = EXIT_FAILED;
	}
	buf_wipe(&w->out);
	return code;
}

static int cmd_list(struct context *ctx)
{
	struct store_filter filter;
	if (!read_filter(ctx->opt, &filter))
		return EXIT_USAGE;
	struct store *s = open_for_reading(ctx);
	if (!s)
		return EXIT_FAILED;
	bool json = has(ctx->opt, OPT_JSON);
	struct walk w = {.ctx = ctx};
	buf_init(&w.out, OUTPUT_LIMIT);
	if (json) {
		buf_putc(&w.out, '[');
	} else {
		put_list_heading(&w.out);
	}
	/* The heading goes out with the first row, so an empty list is a sentence. */
	enum store_status status = store_each(s, &filter, list_row, &w);
	if (status == STORE_OK && !w.failed) {
		if (json) {
			buf_puts(&w.out, w.rows ? "\n]\n" : "]\n");
			w.failed = !emit(&w.out);
		} else if (w.rows == 0) {
			buf_reset(&w.out);
			w.failed = !say("No enquiries match.");
		} else {
			w.failed = !say("%ld %s.", w.rows, plural(w.rows, "enquiry", "enquiries"));
		}
	}
	int code = finish_walk(&w, s, status);
	store_close(s);
	return code;
}

/* --- show -------------------------------------------------------------------- */

#define LABEL_COLUMNS 19

/* The known field called name that an enquiry keeps, or NULL. */
static const struct form_field_def *kept_field(const char *name)
{
	const struct form_field_def *f = form_field_find(name);
	return f && f->heading ? f : NULL;
}

static bool is_free_text(const struct form_field_def *f)
{
	return f->rule.type == FIELD_MULTILINE;
}

/* What a person reads for a stored choice ("dit"), or NULL for the value. */
static const char *value_label(const char *field, const char *value)
{
	const struct form_field_def *f = kept_field(field);
	return f ? form_value_brief(&f->rule, value) : NULL;
}

static void put_label(struct buf *out, const char *label)
{
	terminal_put_fitted(out, label, strlen(label), LABEL_COLUMNS, true);
}

static void put_field_line(struct buf *out, const char *label, const char *field, const char *value,
                           size_t len)
{
	put_label(out, label);
	const char *nice = len ? value_label(field, value) : NULL;
	if (nice)
		buf_puts(out, nice);
	else if (len == 0)
		buf_puts(out, "(not given)");
	else
		terminal_put_safe(out, value, len, TERMINAL_NEWLINES_REPLACE);
	buf_putc(out, '\n');
}

static bool show_row(void *arg, const struct store_row *row)
{
	struct walk *w = arg;
	struct buf *out = &w->out;
	struct envelope env;
	char problem[PROBLEM_MAX] = "";
	enum enquiry_status state = open_row(w, row, &env, problem);
	bool opened = state != ENQUIRY_UNOPENED;

	/* The fields are laid out by the form the envelope says it came from. */
	const struct form_spec *spec = form_spec_find(opened ? env.kind : row->kind);
	char when[96];
	format_received(opened ? env.received : row->day, true, when, sizeof when);

	put_label(out, "Reference");
	put_safe_str(out, row->ref);
	buf_putc(out, '\n');
	put_label(out, "Form");
	const struct form_spec *row_spec = form_spec_find(row->kind);
	put_safe_str(out, row_spec ? row_spec->title : row->kind);
	buf_putc(out, '\n');
	put_label(out, "Received");
	put_safe_str(out, when);
	buf_putc(out, '\n');
	put_label(out, "Status");
	put_safe_str(out, row->status);
	buf_putc(out, '\n');
	if (!opened) {
		buf_puts(out, "\nThis enquiry ");
		put_safe_str(out, problem);
		buf_puts(out, ".\n");
		return true;
	}
	if (state == ENQUIRY_CONTRADICTS) {
		buf_puts(out, "\nWarning: this enquiry ");
		put_safe_str(out, problem);
		buf_puts(out, ". It may have been moved or altered; run `enquiries verify`.\n");
	}
	buf_putc(out, '\n');

	size_t len;
	for (size_t i = 0; i < FORM_FIELD__MAX; i++) {
		const struct form_field_def *kept = form_field((enum form_field)i);
		if (!kept->heading || is_free_text(kept))
			continue;
		const char *value = field_value(&env, kept->rule.name, &len);
		/* Show what the form asks, even when left empty; skip what the
		 * other form has. */
		bool asked = spec && form_spec_rule(spec, kept->rule.name);
		if (asked || envelope_get(&env, kept->rule.name))
			put_field_line(out, kept->heading, kept->rule.name, value, len);
	}
	/* Fields this version does not know, by their own names. */
	for (size_t i = 0; i < env.count; i++) {
		const struct envelope_field *f = &env.fields[i];
		if (!kept_field(f->name) && !strchr(f->value, '\n'))
			put_field_line(out, f->name, f->name, f->value, f->value_len);
	}
	for (size_t i = 0; i < FORM_FIELD__MAX; i++) {
		const struct form_field_def *kept = form_field((enum form_field)i);
		if (!kept->heading || !is_free_text(kept))
			continue;
		const struct envelope_field *f = envelope_get(&env, kept->rule.name);
		if (!f && !(spec && form_spec_rule(spec, kept->rule.name)))
			continue;
		buf_putc(out, '\n');
		buf_puts(out, kept->heading);
		buf_puts(out, ":\n");
		if (f && f->value_len)
			terminal_put_wrapped(out, f->value, f->value_len, "    ", WRAP_COLUMNS - 4);
		else
			buf_puts(out, "    (not given)\n");
	}
	for (size_t i = 0; i < env.count; i++) {
		const struct envelope_field *f = &env.fields[i];
		if (!kept_field(f->name) && strchr(f->value, '\n')) {
			buf_putc(out, '\n');
			put_safe_str(out, f->name);
			buf_puts(out, ":\n");
			terminal_put_wrapped(out, f->value, f->value_len, "    ", WRAP_COLUMNS - 4);
		}
	}
	envelope_wipe(&env);
	return true;
}

/* What a person typed as a reference: any case, with or without the dash;
 * anything else is looked up as typed (and then not found). */
static void normalise_ref(const char *typed, char *out, size_t len)
{
	char ref[16];
	snprintf(out, len, "%s", ref_parse(typed, ref) ? ref : typed);
}

static int cmd_show(struct context *ctx)
{
	char ref[64];
	normalise_ref(ctx->opt->args[0], ref, sizeof ref);
	struct store *s = open_for_reading(ctx);
	if (!s)
		return EXIT_FAILED;
	struct walk w = {.ctx = ctx};
	buf_init(&w.out, OUTPUT_LIMIT);
	enum store_status status = store_get(s, ref, show_row, &w);
	int code = EXIT_OK;
	if (status == STORE_NOT_FOUND) {
		complain("There is no enquiry with the reference %s. `enquiries list` shows them "
		         "all.",
		         ref);
		code = EXIT_FAILED;
	} else if (status != STORE_OK) {
		complain("Could not read the enquiry: %s.", store_error(s));
		code = EXIT_FAILED;
	} else if (!emit(&w.out)) {
		code = EXIT_FAILED;
	} else if (w.problems > 0) {
		complain(
		    "The enquiry %s could not be read properly (see above). Run `enquiries "
		    "verify` for a report, and keep the database and keyring as they are until "
		    "it is understood.",
		    ref);
		code = EXIT_FAILED;
	}
	buf_wipe(&w.out);
	store_close(s);
	return code;
}

/* --- export -------------------------------------------------------------------- */

static void put_csv_header(struct buf *out)
{
	buf_puts(out, "ref,kind,received,day,status");
	for (size_t i = 0; i < FORM_EXPORT_COLUMNS; i++) {
		buf_putc(out, ',');
		buf_puts(out, form_export_column(i)->rule.name);
	}
	buf_puts(out, ",other_fields,problem\r\n");
}

static void export_csv_row(struct walk *w, const struct store_row *row, const struct envelope *env,
                           const char *problem)
{
	struct buf *out = &w->out;
	const char *meta[] = {row->ref, row->kind, env ? env->received : "", row->day, row->status};
	for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
		if (i)
			buf_putc(out, ',');
		export_csv_cell(out, meta[i], strlen(meta[i]), w->to_terminal);
	}
	for (size_t i = 0; i < FORM_EXPORT_COLUMNS; i++) {
		size_t len = 0;
		const char *value =
		    env ? field_value(env, form_export_column(i)->rule.name, &len) : "";
		buf_putc(out, ',');
		export_csv_cell(out, value, len, w->to_terminal);
	}
	struct buf other;
	buf_init(&other, OUTPUT_LIMIT);
	for (size_t i = 0; env && i < env->count; i++) {
		if (kept_field(env->fields[i].name))
			continue;
		if (other.len)
			buf_putc(&other, '\n');
		buf_printf(&other, "%s: ", env->fields[i].name);
		buf_append(&other, env->fields[i].value, env->fields[i].value_len);
	}
	buf_putc(out, ',');
	export_csv_cell(out, other.data ? other.data : "", other.len, w->to_terminal);
	buf_wipe(&other);
	buf_putc(out, ',');
	export_csv_cell(out, problem, strlen(problem), w->to_terminal);
	buf_puts(out, "\r\n");
}

static void export_json_row(struct walk *w, const struct store_row *row, const struct envelope *env,
                            const char *problem)
{
	struct buf *out = &w->out;
	put_json_record(w, row);
	if (env)
		put_json_member(out, "received", env->received, strlen(env->received));
	else
		buf_puts(out, ", \"received\": null");
	buf_puts(out, ", \"fields\": ");
	if (env) {
		buf_putc(out, '{');
		for (size_t i = 0; i < env->count; i++) {
			if (i)
				buf_puts(out, ", ");
			export_json_string(out, env->fields[i].name, strlen(env->fields[i].name));
			buf_puts(out, ": ");
			export_json_string(out, env->fields[i].value, env->fields[i].value_len);
		}
		buf_putc(out, '}');
	} else {
		buf_puts(out, "null");
	}
	if (problem[0])
		put_json_member(out, "problem", problem, strlen(problem));
	buf_putc(out, '}');
}

static bool export_row(void *arg, const struct store_row *row)
{
	struct walk *w = arg;
	struct envelope env;
	char problem[PROBLEM_MAX] = "";
	bool opened = open_row(w, row, &env, problem) != ENQUIRY_UNOPENED;
	if (problem[0]) {
		/* Also on the terminal, since a file is rarely read line by line. */
		complain("Enquiry %s %s.", row->ref, problem);
	}
	if (strcmp(w->ctx->opt->value[OPT_FORMAT], "csv") == 0)
		export_csv_row(w, row, opened ? &env : NULL, problem);
	else
		export_json_row(w, row, opened ? &env : NULL, problem);
	return row_done(w, opened, &env);
}

static int cmd_export(struct context *ctx)
{
	const char *format = ctx->opt->value[OPT_FORMAT];
	if (!format)
		return usage_error("export needs --format csv or --format json.");
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return usage_error("--format must be csv or json, not \"%s\".", format);
	struct store_filter filter;
	if (!read_filter(ctx->opt, &filter))
		return EXIT_USAGE;
	struct store *s = open_for_reading(ctx);
	if (!s)
		return EXIT_FAILED;
	bool csv = strcmp(format, "csv") == 0;
	struct walk w = {.ctx = ctx, .to_terminal = isatty(STDOUT_FILENO) == 1};
	buf_init(&w.out, OUTPUT_LIMIT);
	if (csv)
		put_csv_header(&w.out);
	else
		buf_putc(&w.out, '[');
	w.failed = !emit(&w.out);
	enum store_status status = w.failed ? STORE_OK : store_each(s, &filter, export_row, &w);
	if (status == STORE_OK && !w.failed && !csv) {
		buf_puts(&w.out, w.rows ? "\n]\n" : "]\n");
		w.failed = !emit(&w.out);
	}
	int code = finish_walk(&w, s, status);
	store_close(s);
	return code;
}

/* --- verify ------------------------------------------------------------------ */

static bool verify_row(void *arg, const struct store_row *row)
{
	struct walk *w = arg;
	struct envelope env;
	char problem[PROBLEM_MAX] = "";
	enum enquiry_status state = open_row(w, row, &env, problem);
	if (state != ENQUIRY_UNOPENED) {
		time_t t;
		if (state == ENQUIRY_OK && !envelope_received_time(env.received, &t)) {
			snprintf(problem, sizeof problem, "has an unreadable time of receipt (%s)",
			         env.received);
			w->problems++;
		}
		envelope_wipe(&env);
	}
	w->rows++;
	if (problem[0]) {
		if (!say("%s: this enquiry %s.", row->ref, problem)) {
			w->failed = true;
			return false;
		}
	}
	return true;
}

static int cmd_verify(struct context *ctx)
{
	struct store *s = open_for_reading(ctx);
	if (!s)
		return EXIT_FAILED;
	struct walk w = {.ctx = ctx};
	buf_init(&w.out, OUTPUT_LIMIT);
	enum store_status status = store_each(s, NULL, verify_row, &w);
	int code = EXIT_OK;
	if (status != STORE_OK) {
		complain("Could not read the enquiries: %s.", store_error(s));
		code = EXIT_FAILED;
	} else if (w.failed) {
		code = EXIT_FAILED;
	} else if (w.problems == 0) {
		code = say("Checked %ld %s: every one opens and matches its record.", w.rows,
		           plural(w.rows, "enquiry", "enquiries"))
		           ? EXIT_OK
		           : EXIT_FAILED;
	} else {
		/* A failure is told on standard error, like every other one, so
		 * that it is seen even when the report goes to a file. */
		complain("Checked %ld %s: %ld %s a problem (listed above). Keep the database and "
		         "the keyring as they are, and restore from a backup if enquiries were "
		         "altered.",
		         w.rows, plural(w.rows, "enquiry", "enquiries"), w.problems,
		         plural(w.problems, "has", "have"));
		code = EXIT_FAILED;
	}
	buf_wipe(&w.out);
	store_close(s);
	return code;
}

/* --- mark ---------------------------------------------------------------------- */

static bool remember_status(void *arg, const struct store_row *row)
{
	snprintf(arg, 8, "%s", row->status);
	return false;
}

static int cmd_mark(struct context *ctx)
{
	const char *wanted = ctx->opt->args[1];
	enum store_row_status status_wanted;
	if (!store_row_status_find(wanted, &status_wanted)) {
		/* Handled first: that is what marking is mostly for. */
		const char *words[] = {store_row_status_name(ROW_HANDLED),
		                       store_row_status_name(ROW_NEW)};
		struct buf list;
		buf_init(&list, 128);
		buf_put_alternatives(&list, words, 2, "");
		int code = usage_error("An enquiry can be marked %s, not \"%s\".",
		                       list.data ? list.data : "", wanted);
		buf_free(&list);
		return code;
	}
	char ref[64];
	normalise_ref(ctx->opt->args[0], ref, sizeof ref);
	struct store *s = open_store(ctx, STORE_READ_WRITE);
	if (!s)
		return EXIT_FAILED;
	char current[8] = "";
	enum store_status status = store_get(s, ref, remember_status, current);
	int code = EXIT_OK;
	if (status == STORE_OK && strcmp(current, wanted) == 0) {
		code = say("%s is already marked %s.", ref, wanted) ? EXIT_OK : EXIT_FAILED;
	} else {
		if (status == STORE_OK)
			status = store_set_status(s, ref, wanted);
		if (status == STORE_NOT_FOUND) {
			complain(
			    "There is no enquiry with the reference %s. `enquiries list` shows "
			    "them all.",
			    ref);
			code = EXIT_FAILED;
		} else if (status != STORE_OK) {
			complain("Could not mark the enquiry: %s.", store_error(s));
			code = EXIT_FAILED;
		} else {
			code = say("Marked %s as %s.", ref, wanted) ? EXIT_OK : EXIT_FAILED;
		}
	}
	store_close(s);
	return code;
}

/* --- purge ------------------------------------------------------------------------ */

static int cmd_purge(struct context *ctx)
{
	long days = ctx->cfg.retention_days;
	const char *given = ctx->opt->value[OPT_OLDER_THAN];
	if (given) {
		char *end;
		errno = 0;
		days = strtol(given, &end, 10);
		if (errno || end == given || *end || days < 1 || days > PURGE_DAYS_MAX)
			return usage_error(
			    "--older-than must be a number of days from 1 to %d, not "
			    "\"%s\".",
			    PURGE_DAYS_MAX, given);
	}
	bool dry_run = has(ctx->opt, OPT_DRY_RUN);
	char day[STORE_DAY_SIZE];
	store_day(time(NULL) - (time_t)days * 86400, day);
	if (!store_day_valid(day)) {
		complain("Could not work out the date %ld days ago.", days);
		return EXIT_FAILED;
	}
	struct store *s = open_store(ctx, dry_run ? STORE_READ_ONLY : STORE_READ_WRITE);
	if (!s)
		return EXIT_FAILED;
	long deleted = 0;
	enum store_status status = store_purge(s, day, dry_run, &deleted);
	int code = EXIT_OK;
	if (status != STORE_OK) {
		if (deleted > 0)
			complain("Deleted %ld %s older than %ld %s, but: %s.", deleted,
			         plural(deleted, "enquiry", "enquiries"), days,
			         plural(days, "day", "days"), store_error(s));
		else
			complain("Could not delete the old enquiries: %s.", store_error(s));
		code = EXIT_FAILED;
	} else {
		bool ok = say("%s %ld %s older than %ld %s (received before %s).",
		              dry_run ? "Would delete" : "Deleted", deleted,
		              plural(deleted, "enquiry", "enquiries"), days,
		              plural(days, "day", "days"), day);
		code = ok ? EXIT_OK : EXIT_FAILED;
	}
	store_close(s);
	return code;
}

/* --- stats ---------------------------------------------------------------------------- */

struct day_count {
	char day[11];
	long count;
};

struct tally {
	long total, old;
	long by_kind[FORM__MAX], other_kind;
	long by_status[ROW_STATUS__MAX];
	char cutoff[STORE_DAY_SIZE];
	struct day_count *days;
	size_t ndays, cap;
	bool out_of_memory;
};

static bool tally_row(void *arg, const struct store_row *row)
{
	struct tally *t = arg;
	t->total++;
	enum form_kind kind;
	if (form_kind_find(row->kind, &kind))
		t->by_kind[kind]++;
	else
		t->other_kind++;
	/* An unknown status (only an altered row has one) counts as new: it
	 * wants looking at. */
	enum store_row_status status;
	if (!store_row_status_find(row->status, &status))
		status = ROW_NEW;
	t->by_status[status]++;
	if (strcmp(row->day, t->cutoff) < 0)
		t->old++;
	for (size_t i = 0; i < t->ndays; i++) {
		if (strcmp(t->days[i].day, row->day) == 0) {
			t->days[i].count++;
			return true;
		}
	}
	if (t->ndays == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct day_count *grown = realloc(t->days, cap * sizeof *grown);
		if (!grown) {
			t->out_of_memory = true;
			return false;
		}
		t->days = grown;
		t->cap = cap;
	}
	snprintf(t->days[t->ndays].day, sizeof t->days[t->ndays].day, "%s", row->day);
	t->days[t->ndays++].count = 1;
	return true;
}

static int compare_days(const void *a, const void *b)
{
	return strcmp(((const struct day_count *)a)->day, ((const struct day_count *)b)->day);
}

static int cmd_stats(struct context *ctx)
{
	struct store *s = open_store(ctx, STORE_READ_ONLY);
	if (!s)
		return EXIT_FAILED;
	struct tally t = {0};
	store_day(time(NULL) - (time_t)ctx->cfg.retention_days * 86400, t.cutoff);
	enum store_status status = store_each(s, NULL, tally_row, &t);
	int code = EXIT_OK;
	if (status != STORE_OK || t.out_of_memory) {
		complain("Could not count the enquiries: %s.",
		         t.out_of_memory ? "out of memory" : store_error(s));
		code = EXIT_FAILED;
	} else {
		struct buf out;
		buf_init(&out, OUTPUT_LIMIT);
		buf_printf(&out, "Enquiries:  %ld (", t.total);
		for (size_t i = 0; i < ROW_STATUS__MAX; i++)
			buf_printf(&out, "%s%ld %s", i ? ", " : "", t.by_status[i],
			           store_row_status_name((enum store_row_status)i));
		buf_puts(&out, ")\nBy form:    ");
		for (size_t i = 0; i < FORM__MAX; i++)
			buf_printf(&out, "%s%s %ld", i ? ", " : "",
			           form_spec((enum form_kind)i)->kind, t.by_kind[i]);
		if (t.other_kind)
			buf_printf(&out, ", other %ld", t.other_kind);
		buf_putc(&out, '\n');
		if (t.old)
			buf_printf(&out,
			           "Older than the retention period (%ld days): %ld; `enquiries "
			           "purge` deletes them.\n",
			           ctx->cfg.retention_days, t.old);
		if (t.ndays) {
			qsort(t.days, t.ndays, sizeof *t.days, compare_days);
			buf_puts(&out, "By day:\n");
			for (size_t i = 0; i < t.ndays; i++) {
				buf_puts(&out, "  ");
				terminal_put_column(&out, t.days[i].day, strlen(t.days[i].day), 10,
				                    true);
				buf_printf(&out, "  %ld\n", t.days[i].count);
			}
		}
		code = emit(&out) ? EXIT_OK : EXIT_FAILED;
		buf_free(&out);
	}
	free(t.days);
	store_close(s);
	return code;
}

/* --- backup ---------------------------------------------------------------------- */

static int cmd_backup(struct context *ctx)
{
	const char *dest = ctx->opt->args[0];
	struct store *s = open_store(ctx, STORE_READ_ONLY);
	if (!s)
		return EXIT_FAILED;
	int code = EXIT_OK;
	if (store_backup(s, dest) != STORE_OK) {
		complain("Could not make the backup: %s.", store_error(s));
		code = EXIT_FAILED;
	} else {
		code = say("Copied the enquiries to %s. They are still sealed in the copy: keep a "
		           "copy of the keyring and its passphrase too, or the backup cannot be "
		           "read.",
		           dest)
		           ? EXIT_OK
		           : EXIT_FAILED;
	}
	store_close(s);
	return code;
}

/* --- notify ------------------------------------------------------------------------ */

struct news {
	int64_t after;       /* the newest row id the last notice covered */
	char after_ref[16];  /* and its reference ("" if not recorded) */
	bool after_replaced; /* a row has that id now, with another reference */
	int64_t newest;      /* the newest row id there is now */
	char newest_ref[16]; /* and its reference */
	long new_after;      /* new enquiries above after */
	long new_total;      /* new enquiries at all */
};

static bool count_news(void *arg, const struct store_row *row)
{
	struct news *n = arg;
	if (row->id > n->newest) {
		n->newest = row->id;
		snprintf(n->newest_ref, sizeof n->newest_ref, "%s", row->ref);
	}
	if (row->id == n->after && n->after_ref[0] && strcmp(row->ref, n->after_ref) != 0)
		n->after_replaced = true;
	enum store_row_status status;
	if (store_row_status_find(row->status, &status) && status == ROW_NEW) {
		n->new_total++;
		if (row->id > n->after)
			n->new_after++;
	}
	return true;
}

static int cmd_notify(struct context *ctx)
{
	const char *to = ctx->cfg.notify_to;
	if (!configured(ctx, to, "notify_to", "where to send the notice"))
		return EXIT_FAILED;
	if (!mail_address_plain(to)) {
		complain("notify_to in the configuration should be one plain email address such as "
		         "staff@clinic.example.");
		return EXIT_FAILED;
	}
	if (!configured(ctx, ctx->cfg.sendmail, "sendmail", "which sendmail program to use"))
		return EXIT_FAILED;
	struct store *s = open_store(ctx, STORE_READ_WRITE);
	if (!s)
		return EXIT_FAILED;

	struct news news = {0};
	char value[64];
	enum store_status status = store_meta_get(s, NOTIFIED_KEY, value, sizeof value);
	if (status == STORE_OK) {
		/* "<row id> <reference>"; older versions wrote the id alone. */
		char *end;
		errno = 0;
		long long after = strtoll(value, &end, 10);
		bool damaged = errno || end == value || after < 0;
		if (!damaged && *end == ' ') {
			size_t ref_len = strlen(end + 1);
			damaged = ref_len == 0 || ref_len >= sizeof news.after_ref;
			if (!damaged)
				memcpy(news.after_ref, end + 1, ref_len + 1);
		} else if (*end) {
			damaged = true;
		}
		if (damaged) {
			complain(
			    "The record of the last notice is damaged; every new enquiry counts "
			    "as unannounced this time.");
			after = 0;
			news.after_ref[0] = '\0';
		}
		news.after = (int64_t)after;
	} else if (status != STORE_NOT_FOUND) {
		complain("Could not read when the last notice was sent: %s.", store_error(s));
		store_close(s);
		return EXIT_FAILED;
	}
	if (store_each(s, NULL, count_news, &news) != STORE_OK) {
		complain("Could not count the new enquiries: %s.", store_error(s));
		store_close(s);
		return EXIT_FAILED;
	}
	/* SQLite hands out ids from the largest one present, so once a purge
	 * has emptied everything above the last notice, new rows get ids it
	 * already covered: then every new enquiry counts. The reference tells
	 * a reused id apart even when as many rows have come in again. */
	bool ids_reused = news.newest < news.after || news.after_replaced;
	long count = ids_reused ? news.new_total : news.new_after;
	char newest[64];
	if (news.newest > 0)
		snprintf(newest, sizeof newest, "%lld %s", (long long)news.newest, news.newest_ref);
	else
		snprintf(newest, sizeof newest, "0");
	if (count == 0) {
		bool ok = !ids_reused || store_meta_set(s, NOTIFIED_KEY, newest) == STORE_OK;
		if (!ok)
			complain("Could not update the record of the last notice: %s.",
			         store_error(s));
		store_close(s);
		return ok && say("No new enquiries since the last notice, so no email was sent.")
		           ? EXIT_OK
		           : EXIT_FAILED;
	}

	struct buf mail;
	buf_init(&mail, 8192);
	buf_printf(&mail,
	           "To: %s\n"
	           "Subject: %ld new %s\n"
	           "Auto-Submitted: auto-generated\n"
	           "MIME-Version: 1.0\n"
	           "Content-Type: text/plain; charset=us-ascii\n"
	           "\n"
	           "New enquiries have arrived. To read them, open the staff tool:\n"
	           "\n"
	           "    enquiries list --status new\n",
	           to, count, plural(count, "enquiry", "enquiries"));
	char err[SENTENCE_MAX];
	bool sent = !mail.failed &&
	            told(mail_send(ctx->cfg.sendmail, mail.data, mail.len, err, sizeof err), err);
	buf_free(&mail);
	int code = EXIT_OK;
	if (!sent) {
		complain("The notice was not sent; nothing was recorded, so the next run will try "
		         "again.");
		code = EXIT_FAILED;
	} else {
		if (store_meta_set(s, NOTIFIED_KEY, newest) != STORE_OK) {
			complain(
			    "The notice was sent, but it could not be recorded (%s), so the next "
			    "run may send it again.",
			    store_error(s));
			code = EXIT_FAILED;
		} else if (!say("Sent a notice of %ld new %s to %s.", count,
		                plural(count, "enquiry", "enquiries"), to)) {
			code = EXIT_FAILED;
		}
	}
	store_close(s);
	return code;
}

/* --- keys ---------------------------------------------------------------------------- */

static int cmd_init(struct context *ctx)
{
	const char *path = ctx->cfg.secret_key;
	if (!configured(ctx, path, "secret_key", "where the keyring is") ||
	    !configured(ctx, ctx->cfg.public_key, "public_key", "where the public key goes"))
		return EXIT_FAILED;
	struct stat st;
	/* Refuse before asking for a passphrase; keyring_create refuses again
	 * atomically. */
	if (lstat(path, &st) == 0) {
		report_keyring(KEYRING_EXISTS, path, false, "");
		return EXIT_FAILED;
	}
	const char *file = ctx->opt->value[OPT_PASSPHRASE_FILE];
	char *secret = new_passphrase(file);
	if (!secret)
		return EXIT_FAILED;
	char why[SENTENCE_MAX];
	enum keyring_status status = keyring_create(path, secret, &ctx->keyring, why, sizeof why);
	passphrase_free(secret);
	if (status != KEYRING_OK) {
		report_keyring(status, path, file != NULL, why);
		return EXIT_FAILED;
	}
	const struct keyring_entry *newest = keyring_newest(&ctx->keyring);
	if (!newest || !write_public_key(ctx, newest)) {
		complain("The keyring %s was made, but the public key could not be written. Fix "
		         "the problem above, then run `enquiries rotate` to write it.",
		         path);
		return EXIT_FAILED;
	}
	return say("Made the keyring %s with the key %s, and wrote its public key to %s.\n"
	           "Keep the passphrase safe and keep a backup of the keyring: without both, no "
	           "enquiry can be read.",
	           path, newest->key_id, ctx->cfg.public_key)
	           ? EXIT_OK
	           : EXIT_FAILED;
}

static int cmd_passwd(struct context *ctx)
{
	if (!load_keyring(ctx))
		return EXIT_FAILED;
	char *secret = new_passphrase(ctx->opt->value[OPT_NEW_PASSPHRASE_FILE]);
	if (!secret)
		return EXIT_FAILED;
	char why[SENTENCE_MAX];
	enum keyring_status status =
	    keyring_save(ctx->cfg.secret_key, secret, &ctx->keyring, why, sizeof why);
	passphrase_free(secret);
	if (status != KEYRING_OK) {
		report_keyring(status, ctx->cfg.secret_key, false, why);
		return EXIT_FAILED;
	}
	return say("Changed the passphrase of %s. The keys in it are the same, so every enquiry "
	           "can still be read.",
	           ctx->cfg.secret_key)
	           ? EXIT_OK
	           : EXIT_FAILED;
}

static int cmd_rotate(struct context *ctx)
{
	if (!configured(ctx, ctx->cfg.public_key, "public_key", "where the public key goes"))
		return EXIT_FAILED;
	if (!load_keyring(ctx))
		return EXIT_FAILED;
	char why[SENTENCE_MAX];
	enum keyring_status status =
	    keyring_rotate(ctx->cfg.secret_key, ctx->passphrase, &ctx->keyring, why, sizeof why);
	if (status != KEYRING_OK) {
		report_keyring(status, ctx->cfg.secret_key, false, why);
		return EXIT_FAILED;
	}
	const struct keyring_entry *newest = keyring_newest(&ctx->keyring);
	if (!newest || !write_public_key(ctx, newest)) {
		complain(
		    "A new key was added to the keyring, but the public key file could not be "
		    "written, so new enquiries are still sealed to the old key. Fix the problem "
		    "above and run `enquiries rotate` again.");
		return EXIT_FAILED;
	}
	return say("Made the new key %s and wrote it to %s. New enquiries are sealed to it once "
	           "the contact form program has been restarted; the keyring holds %zu keys and "
	           "older enquiries stay readable.",
	           newest->key_id, ctx->cfg.public_key, ctx->keyring.count)
	           ? EXIT_OK
	           : EXIT_FAILED;
}

static int cmd_help(struct context *ctx)
{
	(void)ctx;
	return write_all(STDOUT_FILENO, usage_text, sizeof usage_text - 1) == 0 ? EXIT_OK
	                                                                        : EXIT_FAILED;
}

/* --- main ---------------------------------------------------------------------------- */

struct command {
	const char *name;
	int (*run)(struct context *ctx);
	unsigned options; /* allowed beyond the global ones */
	size_t nargs;
	const char *args_usage;
	bool needs_config;
};

static const struct command commands[] = {
    {"list", cmd_list, FILTER_OPTIONS | BIT(OPT_JSON), 0, "", true},
    {"show", cmd_show, 0, 1, " REF", true},
    {"export", cmd_export, FILTER_OPTIONS | BIT(OPT_FORMAT), 0, "", true},
    {"mark", cmd_mark, 0, 2, " REF handled|new", true},
    {"purge", cmd_purge, BIT(OPT_OLDER_THAN) | BIT(OPT_DRY_RUN), 0, "", true},
    {"stats", cmd_stats, 0, 0, "", true},
    {"verify", cmd_verify, 0, 0, "", true},
    {"backup", cmd_backup, 0, 1, " FILE", true},
    {"notify", cmd_notify, 0, 0, "", true},
    {"init", cmd_init, 0, 0, "", true},
    {"passwd", cmd_passwd, BIT(OPT_NEW_PASSPHRASE_FILE), 0, "", true},
    {"rotate", cmd_rotate, 0, 0, "", true},
    {"help", cmd_help, 0, 0, "", false},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int run(int argc, char **argv, struct context *ctx, struct options *opt)
{
	int code = parse_command_line(argc, argv, opt);
	if (code != EXIT_OK)
		return code;
	if (has(opt, OPT_HELP) || !opt->command) {
		if (!opt->command && !has(opt, OPT_HELP)) {
			(void)write_all(STDERR_FILENO, usage_text, sizeof usage_text - 1);
			return EXIT_USAGE;
		}
		return cmd_help(ctx);
	}
	const struct command *cmd = find_command(opt->command);
	if (!cmd)
		return usage_error("There is no command \"%s\".", opt->command);
	for (int id = 0; id < OPT_COUNT; id++)
		if (has(opt, (enum option_id)id) && !(BIT(id) & (GLOBAL_OPTIONS | cmd->options)))
			return usage_error("The command %s does not take --%s.", cmd->name,
			                   option_rules[id].name);
	if (opt->nargs != cmd->nargs)
		return usage_error("Use it like this: enquiries %s%s.", cmd->name, cmd->args_usage);
	if (cmd->needs_config) {
		const char *path = opt->value[OPT_CONFIG] ? opt->value[OPT_CONFIG] : DEFAULT_CONFIG;
		char err[600];
		if (!config_load(path, &ctx->cfg, err, sizeof err)) {
			config_free(&ctx->cfg);
			complain("%s.%s", err,
			         opt->value[OPT_CONFIG]
			             ? ""
			             : " Name the site configuration with --config FILE.");
			return EXIT_FAILED;
		}
		ctx->cfg_loaded = true;
		ctx->db_path = opt->value[OPT_DB] ? opt->value[OPT_DB] : ctx->cfg.enquiry_db;
	}
	return cmd->run(ctx);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		complain("The cryptography library could not start, so nothing was done.");
		return EXIT_FAILED;
	}
	terminal_measure_widths();
	struct options opt;
	struct context ctx = {.opt = &opt};
	int code = run(argc, argv, &ctx, &opt);
	keyring_free(&ctx.keyring);
	passphrase_free(ctx.passphrase);
	if (ctx.cfg_loaded)
		config_free(&ctx.cfg);
	return code;
}
