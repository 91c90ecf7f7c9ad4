#include "reading.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enquiry.h"
#include "envelope.h"
#include "export.h"
#include "forms.h"
#include "keys.h"
#include "say.h"
#include "terminal.h"
#include "tripwire.h"

#define PREVIEW_COLUMNS 60
#define NAME_COLUMNS 24
#define WRAP_COLUMNS 76

/* Appends untrusted s, made safe for the terminal, on one line. */
static void put_safe_str(struct buf *out, const char *s)
{
	terminal_put_safe(out, s, strlen(s), TERMINAL_NEWLINES_REPLACE);
}

/* The database, the team file to check enquiries against, and the keyring
 * (unless the paper recovery key stands in for it), for the commands that
 * read enquiries. */
static struct store *open_for_reading(struct session *ses)
{
	if (!session_load_team(ses))
		return NULL;
	struct store *s = session_open_store(ses, STORE_READ_ONLY);
	if (s && !ses->recovery && !keys_unlock(ses)) {
		store_close(s);
		return NULL;
	}
	return s;
}

#define PROBLEM_MAX 400

/* A reading command going through the rows. */
struct walk {
	struct session *ses;
	struct buf out;
	long rows;
	long problems;
	long not_for_you;                  /* sealed to others by the team's rules: left out */
	char skipped_problem[PROBLEM_MAX]; /* show: why the one enquiry is not for the reader */
	bool failed;                       /* output could not be written: stop */
	bool to_terminal;
};

/* Opens row into env (see enquiry.h) and checks it against the team
 * (tripwire.h), counting it if it has a problem. *skip says that the row is
 * simply not for this reader (the team's rules, or sent before they joined):
 * it is then counted apart, and left out. */
static enum enquiry_status open_row(struct walk *w, const struct store_row *row,
                                    struct envelope *env, char problem[PROBLEM_MAX], bool *skip)
{
	struct session *ses = w->ses;
	struct enquiry_seal seal;
	*skip = false;
	enum enquiry_status state =
	    enquiry_open(&ses->keyring, row, env, &seal, problem, PROBLEM_MAX);
	bool tripped = (state == ENQUIRY_OK || state == ENQUIRY_NOT_FOR_YOU) &&
	               tripwire_check(ses->team, &ses->keyring, ses->recovery, row, state, &seal,
	                              problem, PROBLEM_MAX);
	/* The clinic's one keyring from before the team should open everything;
	 * a member, or the recovery key, is given only what the team's rules say. */
	bool need_to_know = ses->team || ses->recovery || ses->keyring.kind == KEYRING_MEMBER;
	if (state == ENQUIRY_NOT_FOR_YOU && !tripped && need_to_know) {
		*skip = true;
		w->not_for_you++;
		return state;
	}
	if (state != ENQUIRY_OK || tripped)
		w->problems++;
	return state;
}

/* " N more were not sealed to you." for a summary line, or "". */
static void put_not_for_you(char *out, size_t len, const struct walk *w)
{
	if (w->not_for_you == 0) {
		out[0] = '\0';
		return;
	}
	if (w->ses->recovery)
		snprintf(out, len,
		         " %ld more %s sealed before the team was set up, not to the recovery key.",
		         w->not_for_you, say_plural(w->not_for_you, "was", "were"));
	else
		snprintf(out, len,
		         " %ld more %s not sealed to you (the team's rules, or sent before you "
		         "joined).",
		         w->not_for_you, say_plural(w->not_for_you, "was", "were"));
}

/* Wipes the row's plaintext and writes out what was made of it. */
static bool row_done(struct walk *w, bool opened, struct envelope *env)
{
	if (opened)
		envelope_wipe(env);
	w->rows++;
	if (!say_output(&w->out)) {
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

/* Appends ", \"key\": " and value as a JSON string. */
static void put_json_member(struct buf *out, const char *key, const char *value, size_t len)
{
	buf_printf(out, ", \"%s\": ", key);
	export_json_string(out, value, len);
}

/* The value of env's field called name and its length; "" when it has none. */
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

/* Appends list's column headings. */
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

/* store_each's callback for list: one line (or JSON object) per enquiry. */
static bool list_row(void *arg, const struct store_row *row)
{
	struct walk *w = arg;
	struct envelope env;
	char problem[PROBLEM_MAX] = "";
	bool skip;
	bool opened = enquiry_opened(open_row(w, row, &env, problem, &skip));
	if (skip)
		return true;

	const char *received = opened ? env.received : row->day;
	size_t name_len = 0, preview_len = 0;
	const char *name =
	    opened ? field_value(&env, form_field(FORM_FIELD_NAME)->rule.name, &name_len) : "";
	const char *preview = "";
	for (size_t i = 0; opened && preview_len == 0 && form_preview_field(i) != FORM_FIELD__MAX;
	     i++)
		preview =
		    field_value(&env, form_field(form_preview_field(i))->rule.name, &preview_len);

	if (options_has(w->ses->opt, OPT_JSON)) {
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

/* Fills filter from --status, --kind and --since; false after a usage error. */
static bool read_filter(const struct options *o, struct store_filter *filter)
{
	memset(filter, 0, sizeof *filter);
	const char *status = o->value[OPT_STATUS];
	enum store_row_status found;
	if (status && strcmp(status, OPTIONS_ALL_STATUSES) != 0) {
		if (!store_row_status_find(status, &found)) {
			char statuses[128];
			options_statuses(statuses, sizeof statuses, true);
			options_usage_error("--status must be %s, not \"%s\".", statuses, status);
			return false;
		}
		filter->status = status;
	}
	const char *kind = o->value[OPT_KIND];
	if (kind) {
		if (!form_spec_find(kind)) {
			char kinds[128];
			options_kinds(kinds, sizeof kinds);
			options_usage_error("--kind must be %s, not \"%s\".", kinds, kind);
			return false;
		}
		filter->kind = kind;
	}
	const char *since = o->value[OPT_SINCE];
	if (since) {
		if (!store_day_valid(since)) {
			options_usage_error(
			    "--since must be a date written like 2026-11-26, not \"%s\".", since);
			return false;
		}
		filter->since = since;
	}
	return true;
}

/* Ends a walk through the rows: says what went wrong, wipes the output; the exit status. */
static int finish_walk(struct walk *w, struct store *s, enum store_status status)
{
	int code = EXIT_OK;
	if (status != STORE_OK) {
		say_error("Could not read the enquiries: %s.", store_error(s));
		code = EXIT_FAILED;
	} else if (w->failed) {
		code = EXIT_FAILED;
	}
	if (code == EXIT_OK && w->problems > 0) {
		say_error(
		    "%ld %s could not be read properly (see above). Run `enquiries verify` for "
		    "a report, and keep the database and keyring as they are until it is "
		    "understood.",
		    w->problems, say_plural(w->problems, "enquiry", "enquiries"));
		code = EXIT_FAILED;
	}
	buf_wipe(&w->out);
	return code;
}

int reading_list(struct session *ses)
{
	struct store_filter filter;
	if (!read_filter(ses->opt, &filter))
		return EXIT_USAGE;
	struct store *s = open_for_reading(ses);
	if (!s)
		return EXIT_FAILED;
	bool json = options_has(ses->opt, OPT_JSON);
	struct walk w = {.ses = ses};
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
			w.failed = !say_output(&w.out);
		} else if (w.rows == 0) {
			buf_reset(&w.out);
			char others[200];
			put_not_for_you(others, sizeof others, &w);
			w.failed = !say("No enquiries match.%s", others);
		} else {
			char others[200];
			put_not_for_you(others, sizeof others, &w);
			w.failed = !say("%ld %s.%s", w.rows,
			                say_plural(w.rows, "enquiry", "enquiries"), others);
		}
	}
	int code = finish_walk(&w, s, status);
	store_close(s);
	return code;
}

/* --- show ------------------------------------------------------------------ */

#define LABEL_COLUMNS 19

/* The known field called name that an enquiry keeps, or NULL. */
static const struct form_field_def *kept_field(const char *name)
{
	const struct form_field_def *f = form_field_find(name);
	return f && f->heading ? f : NULL;
}

/* Whether f is free text, shown as wrapped paragraphs. */
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

/* Appends a label padded to the labels' column. */
static void put_label(struct buf *out, const char *label)
{
	terminal_put_fitted(out, label, strlen(label), LABEL_COLUMNS, true);
}

/* Appends one "Label   value" line; a choice by what it reads as, an empty value as "(not
 * given)". */
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

/* store_get's callback for show: the whole enquiry, labelled. */
static bool show_row(void *arg, const struct store_row *row)
{
	struct walk *w = arg;
	struct buf *out = &w->out;
	struct envelope env;
	char problem[PROBLEM_MAX] = "";
	bool skip;
	enum enquiry_status state = open_row(w, row, &env, problem, &skip);
	bool opened = enquiry_opened(state);
	if (skip) {
		/* Said on standard error by the caller: nothing of it is shown. */
		snprintf(w->skipped_problem, sizeof w->skipped_problem, "%s", problem);
		return true;
	}

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
	if (problem[0]) {
		buf_puts(out, "\nWarning: this enquiry ");
		put_safe_str(out, problem);
		buf_puts(out, state == ENQUIRY_CONTRADICTS
		                  ? ". It may have been moved or altered; run `enquiries verify`.\n"
		                  : ".\n");
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

int reading_show(struct session *ses)
{
	char ref[64];
	/* The last word: "show REF", or "recover show REF". */
	options_ref(ses->opt->args[ses->opt->nargs - 1], ref, sizeof ref);
	struct store *s = open_for_reading(ses);
	if (!s)
		return EXIT_FAILED;
	struct walk w = {.ses = ses};
	buf_init(&w.out, OUTPUT_LIMIT);
	enum store_status status = store_get(s, ref, show_row, &w);
	int code = EXIT_OK;
	if (status == STORE_NOT_FOUND) {
		session_no_enquiry(ref);
		code = EXIT_FAILED;
	} else if (status != STORE_OK) {
		say_error("Could not read the enquiry: %s.", store_error(s));
		code = EXIT_FAILED;
	} else if (w.not_for_you > 0) {
		say_error(
		    "The enquiry %s %s: the team's rules give it to others, or it came before "
		    "your key was in the team. Ask the practice lead if you need to read it.",
		    ref, w.skipped_problem);
		code = EXIT_FAILED;
	} else if (!say_output(&w.out)) {
		code = EXIT_FAILED;
	} else if (w.problems > 0) {
		say_error(
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

/* --- export ---------------------------------------------------------------- */

/* Appends the CSV header line: the record's columns, the fields in export order, then
 * other_fields and problem. */
static void put_csv_header(struct buf *out)
{
	buf_puts(out, "ref,kind,received,day,status");
	for (size_t i = 0; i < FORM_EXPORT_COLUMNS; i++) {
		buf_putc(out, ',');
		buf_puts(out, form_export_column(i)->rule.name);
	}
	buf_puts(out, ",other_fields,problem\r\n");
}

/* Appends row as one CSV line; env NULL when it did not open. */
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

/* Appends row as one JSON object; env NULL when it did not open. */
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

/* store_each's callback for export. */
static bool export_row(void *arg, const struct store_row *row)
{
	struct walk *w = arg;
	struct envelope env;
	char problem[PROBLEM_MAX] = "";
	bool skip;
	bool opened = enquiry_opened(open_row(w, row, &env, problem, &skip));
	if (skip)
		return true;
	if (problem[0]) {
		/* Also on the terminal, since a file is rarely read line by line. */
		say_error("Enquiry %s %s.", row->ref, problem);
	}
	if (strcmp(w->ses->opt->value[OPT_FORMAT], "csv") == 0)
		export_csv_row(w, row, opened ? &env : NULL, problem);
	else
		export_json_row(w, row, opened ? &env : NULL, problem);
	return row_done(w, opened, &env);
}

int reading_export(struct session *ses)
{
	const char *format = ses->opt->value[OPT_FORMAT];
	if (!format)
		return options_usage_error("export needs --format csv or --format json.");
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return options_usage_error("--format must be csv or json, not \"%s\".", format);
	struct store_filter filter;
	if (!read_filter(ses->opt, &filter))
		return EXIT_USAGE;
	struct store *s = open_for_reading(ses);
	if (!s)
		return EXIT_FAILED;
	bool csv = strcmp(format, "csv") == 0;
	struct walk w = {.ses = ses, .to_terminal = isatty(STDOUT_FILENO) == 1};
	buf_init(&w.out, OUTPUT_LIMIT);
	if (csv)
		put_csv_header(&w.out);
	else
		buf_putc(&w.out, '[');
	w.failed = !say_output(&w.out);
	enum store_status status = w.failed ? STORE_OK : store_each(s, &filter, export_row, &w);
	if (status == STORE_OK && !w.failed && !csv) {
		buf_puts(&w.out, w.rows ? "\n]\n" : "]\n");
		w.failed = !say_output(&w.out);
	}
	int code = finish_walk(&w, s, status);
	store_close(s);
	return code;
}

/* --- verify ---------------------------------------------------------------- */

/* store_each's callback for verify: says what is wrong with the row, if anything. */
static bool verify_row(void *arg, const struct store_row *row)
{
	struct walk *w = arg;
	struct envelope env;
	char problem[PROBLEM_MAX] = "";
	bool skip;
	enum enquiry_status state = open_row(w, row, &env, problem, &skip);
	if (skip)
		return true;
	if (enquiry_opened(state)) {
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

int reading_verify(struct session *ses)
{
	struct store *s = open_for_reading(ses);
	if (!s)
		return EXIT_FAILED;
	struct walk w = {.ses = ses};
	buf_init(&w.out, OUTPUT_LIMIT);
	enum store_status status = store_each(s, NULL, verify_row, &w);
	int code = EXIT_OK;
	if (status != STORE_OK) {
		say_error("Could not read the enquiries: %s.", store_error(s));
		code = EXIT_FAILED;
	} else if (w.failed) {
		code = EXIT_FAILED;
	} else if (w.problems == 0) {
		char others[200];
		put_not_for_you(others, sizeof others, &w);
		code = say("Checked %ld %s: every one opens and matches its record.%s", w.rows,
		           say_plural(w.rows, "enquiry", "enquiries"), others)
		           ? EXIT_OK
		           : EXIT_FAILED;
	} else {
		/* A failure is told on standard error, like every other one, so
		 * that it is seen even when the report goes to a file. */
		say_error("Checked %ld %s: %ld %s a problem (listed above). Keep the database and "
		          "the keyring as they are, and restore from a backup if enquiries were "
		          "altered.",
		          w.rows, say_plural(w.rows, "enquiry", "enquiries"), w.problems,
		          say_plural(w.problems, "has", "have"));
		code = EXIT_FAILED;
	}
	buf_wipe(&w.out);
	store_close(s);
	return code;
}
