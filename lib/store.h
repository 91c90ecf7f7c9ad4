/*
 * store: the enquiry database (SQLite).
 *
 * Rows hold only what is needed to keep and find an enquiry without opening
 * it: the reference, the form kind, the day it arrived (the exact time is
 * sealed inside), the key id and the sealed bytes, and the staff's status.
 * The database runs in WAL mode with synchronous=FULL and secure_delete on,
 * and a busy timeout; writers in several processes take an exclusive flock on
 * "<db>.lock" around each write so they queue instead of spinning in SQLite's
 * busy handler. The schema is versioned (PRAGMA user_version) and migrated
 * forward on open for writing.
 */
#ifndef CLINIC_STORE_H
#define CLINIC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;

/* What the staff have made of an enquiry, kept in its row as text. */
enum store_row_status { ROW_NEW, ROW_HANDLED, ROW_STATUS__MAX };

/* "new", "handled": the text the row keeps for status. */
const char *store_row_status_name(enum store_row_status status);

/* The status whose text is name; false when there is none. */
bool store_row_status_find(const char *name, enum store_row_status *out);

/* The day an enquiry arrived, as its row keeps it: "YYYY-MM-DD" in UTC. */
#define STORE_DAY_SIZE 11

/* The UTC day of t, as rows keep it. */
void store_day(time_t t, char out[STORE_DAY_SIZE]);

/* Whether day is a real calendar day written as rows keep it (2026-02-29
 * and 2026-04-31 are not). */
bool store_day_valid(const char *day);

enum store_mode {
	STORE_READ_ONLY,
	STORE_READ_WRITE, /* creates the file and schema if missing */
};

enum store_status {
	STORE_OK = 0,
	STORE_NOT_FOUND,
	STORE_DUPLICATE, /* the reference is taken: make another */
	STORE_FAILED,    /* see store_error() */
};

struct store_row {
	int64_t id;
	char ref[16];
	char kind[16]; /* a form's kind (forms.h) */
	char day[STORE_DAY_SIZE];
	char key_id[32];
	char status[8]; /* see enum store_row_status */
	unsigned char *sealed;
	size_t sealed_len;
};

struct store_filter {
	const char *status; /* a status's text, or NULL for all */
	const char *kind;   /* a form's kind, or NULL for all */
	const char *since;  /* a day, or NULL */
};

/* On failure *out may still hold a handle so that store_error() can say why:
 * the caller closes it. store_error(NULL) and store_close(NULL) are safe. */
enum store_status store_open(const char *path, enum store_mode mode, struct store **out);
/* The last SQLite or system error, in words, for the edge to report. */
const char *store_error(const struct store *s);
void store_close(struct store *s);

/* Commits one enquiry; returns only after the commit (fsync) returned.
 * Storing the very same sealed bytes under the same reference again is not
 * a duplicate: it succeeds and leaves the one row (a retried commit). */
enum store_status store_insert(struct store *s, const char *ref, const char *kind, const char *day,
                               const char *key_id, const void *sealed, size_t sealed_len);

struct store_new_row {
	const char *ref, *kind, *day, *key_id;
	const void *sealed;
	size_t sealed_len;
	enum store_status status; /* set by store_insert_many */
};

/* Commits several enquiries in one transaction (one fsync). Each row's
 * status says what became of it: STORE_OK; STORE_DUPLICATE (that row alone
 * was left out: make another reference); STORE_FAILED for a row that breaks
 * the rules (an empty reference, an unknown kind...), left out alone. When
 * the transaction fails every row is STORE_FAILED, and so is the return
 * value; it is also STORE_FAILED when no row could be tried at all. */
enum store_status store_insert_many(struct store *s, struct store_new_row *rows, size_t count);

/* Calls fn for each row matching filter, oldest first. fn returns false to stop.
 * The row (and its sealed bytes) is valid only during the call. */
enum store_status store_each(struct store *s, const struct store_filter *filter,
                             bool (*fn)(void *arg, const struct store_row *row), void *arg);
/* Calls fn for the row holding ref: STORE_NOT_FOUND when there is none. */
enum store_status store_get(struct store *s, const char *ref,
                            bool (*fn)(void *arg, const struct store_row *row), void *arg);
/* Sets the status (its text) of the row holding ref: STORE_NOT_FOUND when
 * there is none. */
enum store_status store_set_status(struct store *s, const char *ref, const char *status);

/* Deletes rows received before day, checkpoints the WAL and
 * VACUUMs so the bytes leave the file; *deleted receives the count. With
 * dry_run nothing changes and *deleted is what would go. */
enum store_status store_purge(struct store *s, const char *before_day, bool dry_run, long *deleted);

/* A small key/value table for the tool's own bookkeeping (last notice sent). */
enum store_status store_meta_get(struct store *s, const char *key, char *value, size_t len);
enum store_status store_meta_set(struct store *s, const char *key, const char *value);

/* What store_team_version found. */
enum store_team_verdict {
	STORE_TEAM_KEPT = 0, /* the highest version yet (now kept), or the very file kept */
	STORE_TEAM_OLDER,    /* a higher version is kept */
	STORE_TEAM_OTHER,    /* another file is kept under this same version */
};

/* The team file contact.fcgi may seal under never goes back: in one write
 * transaction, compares version and its file's digest (64 hex digits) with
 * the highest kept (meta "team_version", "<version> <digest>"), and keeps
 * them when the version is higher. *kept is the version kept before (0 if
 * none). */
enum store_status store_team_version(struct store *s, uint32_t version, const char *digest_hex,
                                     enum store_team_verdict *verdict, uint32_t *kept);

/* A consistent copy of the live database (SQLite online backup API). */
enum store_status store_backup(struct store *s, const char *dest_path);

#endif
