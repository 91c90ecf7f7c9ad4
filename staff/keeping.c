#include "keeping.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forms.h"
#include "mail.h"
#include "say.h"
#include "terminal.h"

#define PURGE_DAYS_MAX 36500
#define NOTIFIED_KEY "notified_up_to"

/* --- mark ------------------------------------------------------------------ */

/* store_get's callback: copies the row's status into arg. */
static bool remember_status(void *arg, const struct store_row *row)
{
	snprintf(arg, 8, "%s", row->status);
	return false;
}

int keeping_mark(struct session *ses)
{
	const char *wanted = ses->opt->args[1];
	enum store_row_status status_wanted;
	if (!store_row_status_find(wanted, &status_wanted)) {
		char marks[64];
		options_marks(marks, sizeof marks, true);
		return options_usage_error("An enquiry can be marked %s, not \"%s\".", marks,
		                           wanted);
	}
	char ref[64];
	options_ref(ses->opt->args[0], ref, sizeof ref);
	struct store *s = session_open_store(ses, STORE_READ_WRITE);
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
			session_no_enquiry(ref);
			code = EXIT_FAILED;
		} else if (status != STORE_OK) {
			say_error("Could not mark the enquiry: %s.", store_error(s));
			code = EXIT_FAILED;
		} else {
			code = say("Marked %s as %s.", ref, wanted) ? EXIT_OK : EXIT_FAILED;
		}
	}
	store_close(s);
	return code;
}

/* --- purge ----------------------------------------------------------------- */

int keeping_purge(struct session *ses)
{
	long days = ses->cfg.retention_days;
	const char *given = ses->opt->value[OPT_OLDER_THAN];
	if (given) {
		char *end;
		errno = 0;
		days = strtol(given, &end, 10);
		if (errno || end == given || *end || days < 1 || days > PURGE_DAYS_MAX)
			return options_usage_error(
			    "--older-than must be a number of days from 1 to %d, not "
			    "\"%s\".",
			    PURGE_DAYS_MAX, given);
	}
	bool dry_run = options_has(ses->opt, OPT_DRY_RUN);
	char day[STORE_DAY_SIZE];
	store_day(time(NULL) - (time_t)days * 86400, day);
	if (!store_day_valid(day)) {
		say_error("Could not work out the date %ld days ago.", days);
		return EXIT_FAILED;
	}
	struct store *s = session_open_store(ses, dry_run ? STORE_READ_ONLY : STORE_READ_WRITE);
	if (!s)
		return EXIT_FAILED;
	long deleted = 0;
	enum store_status status = store_purge(s, day, dry_run, &deleted);
	int code = EXIT_OK;
	if (status != STORE_OK) {
		if (deleted > 0)
			say_error("Deleted %ld %s older than %ld %s, but: %s.", deleted,
			          say_plural(deleted, "enquiry", "enquiries"), days,
			          say_plural(days, "day", "days"), store_error(s));
		else
			say_error("Could not delete the old enquiries: %s.", store_error(s));
		code = EXIT_FAILED;
	} else {
		bool ok = say("%s %ld %s older than %ld %s (received before %s).",
		              dry_run ? "Would delete" : "Deleted", deleted,
		              say_plural(deleted, "enquiry", "enquiries"), days,
		              say_plural(days, "day", "days"), day);
		code = ok ? EXIT_OK : EXIT_FAILED;
	}
	store_close(s);
	return code;
}

/* --- stats ----------------------------------------------------------------- */

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

/* store_each's callback: counts the row by kind, status, age and day. */
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

/* qsort's order of day counts: oldest day first. */
static int compare_days(const void *a, const void *b)
{
	return strcmp(((const struct day_count *)a)->day, ((const struct day_count *)b)->day);
}

int keeping_stats(struct session *ses)
{
	struct store *s = session_open_store(ses, STORE_READ_ONLY);
	if (!s)
		return EXIT_FAILED;
	struct tally t = {0};
	store_day(time(NULL) - (time_t)ses->cfg.retention_days * 86400, t.cutoff);
	enum store_status status = store_each(s, NULL, tally_row, &t);
	int code = EXIT_OK;
	if (status != STORE_OK || t.out_of_memory) {
		say_error("Could not count the enquiries: %s.",
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
			           ses->cfg.retention_days, t.old);
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
		code = say_output(&out) ? EXIT_OK : EXIT_FAILED;
		buf_free(&out);
	}
	free(t.days);
	store_close(s);
	return code;
}

/* --- backup ---------------------------------------------------------------- */

int keeping_backup(struct session *ses)
{
	const char *dest = ses->opt->args[0];
	struct store *s = session_open_store(ses, STORE_READ_ONLY);
	if (!s)
		return EXIT_FAILED;
	int code = EXIT_OK;
	if (store_backup(s, dest) != STORE_OK) {
		say_error("Could not make the backup: %s.", store_error(s));
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

/* --- notify ---------------------------------------------------------------- */

struct news {
	int64_t after;       /* the newest row id the last notice covered */
	char after_ref[16];  /* and its reference ("" if not recorded) */
	bool after_replaced; /* a row has that id now, with another reference */
	int64_t newest;      /* the newest row id there is now */
	char newest_ref[16]; /* and its reference */
	long new_after;      /* new enquiries above after */
	long new_total;      /* new enquiries at all */
};

/* store_each's callback: notes the newest row and counts the new ones (see struct news). */
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

int keeping_notify(struct session *ses)
{
	const char *to = ses->cfg.notify_to;
	if (!session_configured(ses, to, "notify_to", "where to send the notice"))
		return EXIT_FAILED;
	if (!mail_address_plain(to)) {
		say_error(
		    "notify_to in the configuration should be one plain email address such as "
		    "staff@clinic.example.");
		return EXIT_FAILED;
	}
	if (!session_configured(ses, ses->cfg.sendmail, "sendmail",
	                        "which sendmail program to use"))
		return EXIT_FAILED;
	struct store *s = session_open_store(ses, STORE_READ_WRITE);
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
			say_error(
			    "The record of the last notice is damaged; every new enquiry counts "
			    "as unannounced this time.");
			after = 0;
			news.after_ref[0] = '\0';
		}
		news.after = (int64_t)after;
	} else if (status != STORE_NOT_FOUND) {
		say_error("Could not read when the last notice was sent: %s.", store_error(s));
		store_close(s);
		return EXIT_FAILED;
	}
	if (store_each(s, NULL, count_news, &news) != STORE_OK) {
		say_error("Could not count the new enquiries: %s.", store_error(s));
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
			say_error("Could not update the record of the last notice: %s.",
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
	           to, count, say_plural(count, "enquiry", "enquiries"));
	char err[SENTENCE_MAX];
	bool sent =
	    !mail.failed &&
	    say_failure(mail_send(ses->cfg.sendmail, mail.data, mail.len, err, sizeof err), err);
	buf_free(&mail);
	int code = EXIT_OK;
	if (!sent) {
		say_error("The notice was not sent; nothing was recorded, so the next run will try "
		          "again.");
		code = EXIT_FAILED;
	} else {
		if (store_meta_set(s, NOTIFIED_KEY, newest) != STORE_OK) {
			say_error(
			    "The notice was sent, but it could not be recorded (%s), so the next "
			    "run may send it again.",
			    store_error(s));
			code = EXIT_FAILED;
		} else if (!say("Sent a notice of %ld new %s to %s.", count,
		                say_plural(count, "enquiry", "enquiries"), to)) {
			code = EXIT_FAILED;
		}
	}
	store_close(s);
	return code;
}
