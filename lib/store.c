#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "forms.h"

/*
 * migrations[i] brings the schema from version i to version i + 1. A
 * migration that has shipped is never edited: a change is a new entry.
 */
static const char *const migrations[] = {
    "CREATE TABLE enquiries ("
    " id INTEGER PRIMARY KEY,"
    " ref TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL CHECK (kind IN ('contact', 'start')),"
    " received_day TEXT NOT NULL,"
    " key_id TEXT NOT NULL,"
    " sealed BLOB NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'handled')));"
    "CREATE INDEX enquiries_received_day ON enquiries (received_day);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
};

#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))
#define BUSY_TIMEOUT_MS 5000
#define BACKUP_RETRIES 50

enum statement {
	ST_INSERT,
	ST_EACH,
	ST_GET,
	ST_SET_STATUS,
	ST_COUNT_BEFORE,
	ST_DELETE_BEFORE,
	ST_META_GET,
	ST_META_SET,
	ST_CHECKPOINT,
	ST_COUNT
};

#define ROW_COLUMNS "id, ref, kind, received_day, key_id, status, sealed"

static const char *const statement_sql[ST_COUNT] = {
    [ST_INSERT] = "INSERT INTO enquiries (ref, kind, received_day, key_id, sealed)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_EACH] = "SELECT " ROW_COLUMNS " FROM enquiries"
                " WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR kind = ?2)"
                " AND (?3 IS NULL OR received_day >= ?3) ORDER BY id",
    [ST_GET] = "SELECT " ROW_COLUMNS " FROM enquiries WHERE ref = ?1",
    [ST_SET_STATUS] = "UPDATE enquiries SET status = ?2 WHERE ref = ?1",
    [ST_COUNT_BEFORE] = "SELECT count(*) FROM enquiries WHERE received_day < ?1",
    [ST_DELETE_BEFORE] = "DELETE FROM enquiries WHERE received_day < ?1",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [ST_CHECKPOINT] = "PRAGMA wal_checkpoint(TRUNCATE)",
};

struct store {
	sqlite3 *db;
	enum store_mode mode;
	int lock_fd;
	char *path;
	sqlite3_stmt *stmt[ST_COUNT];
	/* A statement stepping through rows while a callback runs must not be
	 * reset underneath it by a nested call from that callback. */
	bool stepping[ST_COUNT];
	char error[512];
};

/* Records the message (naming the database when name_database) as the store's error; returns
 * STORE_FAILED. */
static enum store_status vfail(struct store *s, bool name_database, const char *fmt, va_list ap)
{
	char what[384];
	vsnprintf(what, sizeof what, fmt, ap);
	if (name_database)
		snprintf(s->error, sizeof s->error, "%s (%s)", what, s->path ? s->path : "?");
	else
		snprintf(s->error, sizeof s->error, "%s", what);
	return STORE_FAILED;
}

/* Records the message, naming the database, as the store's error; returns
 * STORE_FAILED. */
__attribute__((format(printf, 2, 3))) static enum store_status fail(struct store *s,
                                                                    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(s, true, fmt, ap);
	va_end(ap);
	return STORE_FAILED;
}

/* For the backup, whose messages name the file they are about. */
__attribute__((format(printf, 2, 3))) static enum store_status fail_backup(struct store *s,
                                                                           const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(s, false, fmt, ap);
	va_end(ap);
	return STORE_FAILED;
}

/* SQLite's own words for its last error; they name tables and constraints,
 * never values. */
static enum store_status fail_sqlite(struct store *s, const char *doing)
{
	const char *why = s->db ? sqlite3_errmsg(s->db) : "out of memory";
	return fail(s, "%s: %s", doing, why);
}

const char *store_error(const struct store *s)
{
	if (!s)
		return "out of memory while opening the enquiry database";
	return s->error[0] ? s->error : "no error";
}

static const char *const row_statuses[ROW_STATUS__MAX] = {
    [ROW_NEW] = "new",
    [ROW_HANDLED] = "handled",
};

const char *store_row_status_name(enum store_row_status status)
{
	return row_statuses[status < ROW_STATUS__MAX ? status : ROW_NEW];
}

bool store_row_status_find(const char *name, enum store_row_status *out)
{
	for (size_t i = 0; name && i < ROW_STATUS__MAX; i++)
		if (strcmp(row_statuses[i], name) == 0) {
			*out = (enum store_row_status)i;
			return true;
		}
	return false;
}

void store_day(time_t t, char out[STORE_DAY_SIZE])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(out, STORE_DAY_SIZE, "%Y-%m-%d", &tm) == 0)
		out[0] = '\0';
}

static bool is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The days in month (1 to 12) of year, in the Gregorian calendar. */
static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

bool store_day_valid(const char *day)
{
	if (!day || strlen(day) != STORE_DAY_SIZE - 1 || day[4] != '-' || day[7] != '-')
		return false;
	if (!is_digits(day, 4) || !is_digits(day + 5, 2) || !is_digits(day + 8, 2))
		return false;
	int year = atoi(day);
	int month = (day[5] - '0') * 10 + (day[6] - '0');
	int mday = (day[8] - '0') * 10 + (day[9] - '0');
	return month >= 1 && month <= 12 && mday >= 1 && mday <= days_in_month(year, month);
}

/* Fails with "<what> must be" and the n words it may be. */
static enum store_status fail_not_one_of(struct store *s, const char *what,
                                         const char *const *words, size_t n)
{
	struct buf list;
	buf_init(&list, 256);
	buf_put_alternatives(&list, words, n, "\"");
	fail(s, "%s must be %s", what, list.failed ? "one of a few words" : list.data);
	buf_free(&list);
	return STORE_FAILED;
}

/* Fails with "<what> must be" and the kinds the forms have. */
static enum store_status fail_kind(struct store *s, const char *what)
{
	const char *kinds[FORM__MAX];
	for (size_t i = 0; i < FORM__MAX; i++)
		kinds[i] = form_spec((enum form_kind)i)->kind;
	return fail_not_one_of(s, what, kinds, FORM__MAX);
}

/* Fails with "<what> must be" and the statuses a row may have. */
static enum store_status fail_status(struct store *s, const char *what)
{
	return fail_not_one_of(s, what, row_statuses, ROW_STATUS__MAX);
}

/* Whether kind is a form's kind. */
static bool valid_kind(const char *kind)
{
	return kind && form_spec_find(kind) != NULL;
}

/* Whether status is the text of a row status. */
static bool valid_status(const char *status)
{
	enum store_row_status found;
	return store_row_status_find(status, &found);
}

/* Short identifiers (references, key ids) of letters, digits, '-' and '_'. */
static bool valid_token(const char *s, size_t max_len)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n == 0 || n > max_len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '-' || c == '_';
		if (!ok)
			return false;
	}
	return true;
}

/* Runs sql; on failure records doing and SQLite's reason. */
static enum store_status exec(struct store *s, const char *sql, const char *doing)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail_sqlite(s, doing);
	return STORE_OK;
}

/* The prepared statement id, prepared on first use; NULL (recorded) if it cannot be, or if it
 * is stepping through rows already. */
static sqlite3_stmt *statement(struct store *s, enum statement id)
{
	if (s->stepping[id]) {
		fail(s, "the enquiry database was used again from inside its own row callback");
		return NULL;
	}
	if (!s->stmt[id] &&
	    sqlite3_prepare_v3(s->db, statement_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
	                       &s->stmt[id], NULL) != SQLITE_OK) {
		fail_sqlite(s, "could not prepare a database query");
		s->stmt[id] = NULL;
		return NULL;
	}
	return s->stmt[id];
}

/* The error of a failed step stays with the statement until reset; callers
 * have already recorded it, so the reset's own return is of no further use. */
static void finish(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Binds text (NULL binds SQL NULL) to parameter index; false when out of memory. */
static bool bind_text(sqlite3_stmt *st, int index, const char *text)
{
	return sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC) == SQLITE_OK;
}

/* Writers in every process queue on this lock rather than in SQLite's busy
 * handler, so a burst of form posts never turns into "database is locked". */
static enum store_status lock_writes(struct store *s)
{
	while (flock(s->lock_fd, LOCK_EX) != 0) {
		if (errno != EINTR)
			return fail(s, "could not lock the enquiry database for writing: %s",
			            strerror(errno));
	}
	return STORE_OK;
}

/* Lets the next writer in. */
static void unlock_writes(struct store *s)
{
	/* Cannot fail on a valid descriptor; closing it would release the lock
	 * in any case. */
	(void)flock(s->lock_fd, LOCK_UN);
}

/* Takes the write lock and begins an immediate transaction; on failure holds nothing. */
static enum store_status begin_write(struct store *s)
{
	if (s->mode != STORE_READ_WRITE)
		return fail(s, "the enquiry database was opened read-only and cannot be changed");
	if (lock_writes(s) != STORE_OK)
		return STORE_FAILED;
	if (exec(s, "BEGIN IMMEDIATE", "could not start a change to the enquiry database") !=
	    STORE_OK) {
		unlock_writes(s);
		return STORE_FAILED;
	}
	return STORE_OK;
}

/* Undoes a failed change; the error that caused it is already recorded. */
static void rollback_write(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	unlock_writes(s);
}

/* Commits and lets the lock go (unless keep_lock); on failure rolls back and lets it go. */
static enum store_status commit_write(struct store *s, const char *doing, bool keep_lock)
{
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail_sqlite(s, doing);
		rollback_write(s);
		return STORE_FAILED;
	}
	if (!keep_lock)
		unlock_writes(s);
	return STORE_OK;
}

/* Reads the integer a PRAGMA returns. */
static enum store_status pragma_int(struct store *s, const char *sql, int *value)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail_sqlite(s, "could not read the enquiry database");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = sqlite3_column_int(st, 0);
	else
		fail_sqlite(s, "could not read the enquiry database");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : STORE_FAILED;
}

/* Whether this program can work on a database of schema version, in this mode. */
static enum store_status check_version(struct store *s, int version)
{
	if (version > SCHEMA_VERSION)
		return fail(s,
		            "the enquiry database was made by a newer version of this software "
		            "(layout %d, this program knows up to %d); install the newer version",
		            version, SCHEMA_VERSION);
	if (version < SCHEMA_VERSION && s->mode == STORE_READ_ONLY) {
		if (version == 0)
			return fail(s, "the enquiry database has not been set up yet; it is set up "
			               "when the contact form program first starts");
		return fail(s,
		            "the enquiry database has an older layout (%d, this program needs %d); "
		            "it is upgraded when the contact form program next starts",
		            version, SCHEMA_VERSION);
	}
	return STORE_OK;
}

/* Brings the schema up to SCHEMA_VERSION in one write transaction. */
static enum store_status migrate(struct store *s)
{
	if (begin_write(s) != STORE_OK)
		return STORE_FAILED;
	/* Read inside the write transaction: another process may have just
	 * migrated the same file. */
	int version;
	if (pragma_int(s, "PRAGMA user_version", &version) != STORE_OK ||
	    check_version(s, version) != STORE_OK)
		goto fail;
	if (version == SCHEMA_VERSION) {
		rollback_write(s); /* nothing to change */
		return STORE_OK;
	}
	for (int v = version; v < SCHEMA_VERSION; v++)
		if (exec(s, migrations[v], "could not upgrade the enquiry database") != STORE_OK)
			goto fail;
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (exec(s, sql, "could not upgrade the enquiry database") != STORE_OK)
		goto fail;
	return commit_write(s, "could not upgrade the enquiry database", false);
fail:
	rollback_write(s);
	return STORE_FAILED;
}

/* Switches the database to write-ahead logging; fails on a file system that cannot. */
static enum store_status use_wal(struct store *s)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
		return fail_sqlite(s, "could not set up the enquiry database");
	int rc = sqlite3_step(st);
	bool wal = rc == SQLITE_ROW &&
	           sqlite3_strnicmp((const char *)sqlite3_column_text(st, 0), "wal", 4) == 0;
	if (rc != SQLITE_ROW)
		fail_sqlite(s, "could not set up the enquiry database");
	else if (!wal)
		fail(s, "could not switch the enquiry database to write-ahead logging (is it on a "
		        "network file system?)");
	sqlite3_finalize(st);
	return wal ? STORE_OK : STORE_FAILED;
}

/* Opens (making it if need be) "<db>.lock", on which writers queue. */
static enum store_status open_lock_file(struct store *s)
{
	size_t n = strlen(s->path) + sizeof ".lock";
	char *lock_path = malloc(n);
	if (!lock_path)
		return fail(s, "out of memory");
	snprintf(lock_path, n, "%s.lock", s->path);
	/* flock needs no write access: read-only lets every writer that may
	 * read the file share it, whoever created it. */
	s->lock_fd = open(lock_path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	enum store_status status = STORE_OK;
	if (s->lock_fd < 0)
		status = fail(s, "could not open the lock file %s: %s", lock_path, strerror(errno));
	free(lock_path);
	return status;
}

/* Opens the database at s->path in s->mode and brings its schema up to date. */
static enum store_status setup(struct store *s)
{
	if (!s->path[0])
		return fail(s, "no enquiry database is configured (set enquiry_db in the config)");
	if (s->mode == STORE_READ_ONLY) {
		struct stat st;
		if (stat(s->path, &st) != 0)
			return fail(s, "could not find the enquiry database: %s",
			            errno == ENOENT ? "there is no such file" : strerror(errno));
	} else if (open_lock_file(s) != STORE_OK) {
		return STORE_FAILED;
	}

	int flags = s->mode == STORE_READ_ONLY ? SQLITE_OPEN_READONLY
	                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK)
		return fail_sqlite(s, "could not open the enquiry database");
	sqlite3_extended_result_codes(s->db, 1);
	/* A copied or altered file must not be able to run code through
	 * triggers or views, nor have its schema corrupted through us. */
	if (sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS) != SQLITE_OK)
		return fail_sqlite(s, "could not set up the enquiry database");
	if (exec(s,
	         "PRAGMA trusted_schema = OFF; PRAGMA foreign_keys = ON;"
	         " PRAGMA secure_delete = ON; PRAGMA synchronous = FULL",
	         "could not read the enquiry database") != STORE_OK)
		return STORE_FAILED;

	if (s->mode == STORE_READ_ONLY) {
		int version;
		if (pragma_int(s, "PRAGMA user_version", &version) != STORE_OK)
			return STORE_FAILED;
		return check_version(s, version);
	}
	if (sqlite3_db_readonly(s->db, "main") == 1)
		return fail(s, "the enquiry database can be read but not written; check the owner "
		               "and permissions of the file and its directory");
	if (lock_writes(s) != STORE_OK)
		return STORE_FAILED;
	enum store_status status = use_wal(s);
	unlock_writes(s);
	if (status != STORE_OK)
		return status;
	return migrate(s);
}

enum store_status store_open(const char *path, enum store_mode mode, struct store **out)
{
	*out = NULL;
	struct store *s = calloc(1, sizeof *s);
	if (!s)
		return STORE_FAILED;
	s->mode = mode;
	s->lock_fd = -1;
	s->path = strdup(path ? path : "");
	*out = s;
	if (!s->path) {
		snprintf(s->error, sizeof s->error,
		         "out of memory while opening the enquiry database");
		return STORE_FAILED;
	}
	return setup(s);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	/* close_v2 never leaves the handle half-open, even if something is
	 * still pending. */
	sqlite3_close_v2(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->path);
	free(s);
}

/* Whether row may be stored: each of its values in the form the schema allows. */
static enum store_status check_new_row(struct store *s, const struct store_new_row *row)
{
	if (!valid_token(row->ref, sizeof((struct store_row *)0)->ref - 1))
		return fail(s, "an enquiry reference must be 1 to 15 letters, digits or dashes");
	if (!valid_kind(row->kind))
		return fail_kind(s, "an enquiry's kind");
	if (!store_day_valid(row->day))
		return fail(s, "an enquiry's day must be written YYYY-MM-DD");
	if (!valid_token(row->key_id, sizeof((struct store_row *)0)->key_id - 1))
		return fail(s, "a key id must be 1 to 31 letters or digits");
	if (!row->sealed || row->sealed_len == 0 || row->sealed_len > INT_MAX)
		return fail(s, "an enquiry's sealed bytes are missing or too large");
	return STORE_OK;
}

/* Whether the row holding ref is this very enquiry: sealed bytes are never
 * the same twice, so equal bytes mean an earlier commit already stored it. */
static bool already_stored(struct store *s, const struct store_new_row *row)
{
	sqlite3_stmt *st = statement(s, ST_GET);
	if (!st || !bind_text(st, 1, row->ref))
		return false;
	bool same = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const void *stored = sqlite3_column_blob(st, 6);
		size_t len = (size_t)sqlite3_column_bytes(st, 6);
		same = stored && len == row->sealed_len && memcmp(stored, row->sealed, len) == 0;
	}
	finish(st);
	return same;
}

/* Inserts row with st inside the open transaction: STORE_DUPLICATE for a taken reference,
 * STORE_OK for a row stored before. */
static enum store_status insert_one(struct store *s, sqlite3_stmt *st,
                                    const struct store_new_row *row)
{
	if (!bind_text(st, 1, row->ref) || !bind_text(st, 2, row->kind) ||
	    !bind_text(st, 3, row->day) || !bind_text(st, 4, row->key_id) ||
	    sqlite3_bind_blob64(st, 5, row->sealed, row->sealed_len, SQLITE_STATIC) != SQLITE_OK) {
		fail_sqlite(s, "could not save the enquiry");
		finish(st);
		return STORE_FAILED;
	}
	int rc = sqlite3_step(st);
	finish(st);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		/* Only this statement was undone; the transaction goes on. */
		if (already_stored(s, row))
			return STORE_OK;
		fail(s, "the enquiry reference is already taken");
		return STORE_DUPLICATE;
	}
	return fail_sqlite(s, "could not save the enquiry");
}

/* The transaction failed: so did every row in it (the error is recorded). */
static enum store_status fail_rows(struct store_new_row *rows, size_t count)
{
	for (size_t i = 0; i < count; i++)
		rows[i].status = STORE_FAILED;
	return STORE_FAILED;
}

enum store_status store_insert_many(struct store *s, struct store_new_row *rows, size_t count)
{
	/* A row that breaks the rules fails alone; the others go ahead. */
	size_t valid = 0;
	for (size_t i = 0; i < count; i++) {
		rows[i].status = check_new_row(s, &rows[i]);
		valid += rows[i].status == STORE_OK;
	}
	if (valid == 0)
		return count ? STORE_FAILED : STORE_OK;
	if (begin_write(s) != STORE_OK)
		return fail_rows(rows, count);
	sqlite3_stmt *st = statement(s, ST_INSERT);
	if (!st)
		goto fail;
	for (size_t i = 0; i < count; i++) {
		if (rows[i].status != STORE_OK)
			continue; /* broke the rules: never inserted */
		rows[i].status = insert_one(s, st, &rows[i]);
		if (rows[i].status == STORE_FAILED)
			goto fail;
	}
	if (commit_write(s, "could not save the enquiry", false) != STORE_OK)
		return fail_rows(rows, count); /* commit_write has rolled back */
	return STORE_OK;
fail:
	rollback_write(s);
	return fail_rows(rows, count);
}

enum store_status store_insert(struct store *s, const char *ref, const char *kind, const char *day,
                               const char *key_id, const void *sealed, size_t sealed_len)
{
	struct store_new_row row = {ref, kind, day, key_id, sealed, sealed_len, STORE_FAILED};
	store_insert_many(s, &row, 1);
	return row.status;
}

/* Copies a text column into a fixed field; an altered row can hold anything,
 * so an overlong value is cut and a NUL inside ends it. */
static void copy_column(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	size_t n = text ? (size_t)sqlite3_column_bytes(st, col) : 0;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, text, n);
	dst[n] = '\0';
}

/* Fills row from the statement's current result; the sealed bytes are SQLite's until the next
 * step. */
static void read_row(sqlite3_stmt *st, struct store_row *row)
{
	static unsigned char no_bytes[1];
	memset(row, 0, sizeof *row);
	row->id = sqlite3_column_int64(st, 0);
	copy_column(row->ref, sizeof row->ref, st, 1);
	copy_column(row->kind, sizeof row->kind, st, 2);
	copy_column(row->day, sizeof row->day, st, 3);
	copy_column(row->key_id, sizeof row->key_id, st, 4);
	copy_column(row->status, sizeof row->status, st, 5);
	const void *blob = sqlite3_column_blob(st, 6);
	int n = sqlite3_column_bytes(st, 6);
	row->sealed = blob && n > 0 ? (unsigned char *)blob : no_bytes;
	row->sealed_len = blob && n > 0 ? (size_t)n : 0;
}

/* Steps a bound statement, handing each row to fn. */
static enum store_status step_rows(struct store *s, enum statement id,
                                   bool (*fn)(void *arg, const struct store_row *row), void *arg,
                                   long *rows)
{
	sqlite3_stmt *st = s->stmt[id];
	*rows = 0;
	s->stepping[id] = true;
	enum store_status status = STORE_OK;
	for (;;) {
		int rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			status = fail_sqlite(s, "could not read the enquiries");
			break;
		}
		struct store_row row;
		read_row(st, &row);
		(*rows)++;
		if (!fn(arg, &row))
			break;
	}
	s->stepping[id] = false;
	finish(st);
	return status;
}

enum store_status store_each(struct store *s, const struct store_filter *filter,
                             bool (*fn)(void *arg, const struct store_row *row), void *arg)
{
	const char *status = filter ? filter->status : NULL;
	const char *kind = filter ? filter->kind : NULL;
	const char *since = filter ? filter->since : NULL;
	if (status && !valid_status(status))
		return fail_status(s, "the status to list");
	if (kind && !valid_kind(kind))
		return fail_kind(s, "the kind to list");
	if (since && !store_day_valid(since))
		return fail(s, "the first day to list must be written YYYY-MM-DD");
	sqlite3_stmt *st = statement(s, ST_EACH);
	if (!st)
		return STORE_FAILED;
	if (!bind_text(st, 1, status) || !bind_text(st, 2, kind) || !bind_text(st, 3, since)) {
		fail_sqlite(s, "could not read the enquiries");
		finish(st);
		return STORE_FAILED;
	}
	long rows;
	return step_rows(s, ST_EACH, fn, arg, &rows);
}

enum store_status store_get(struct store *s, const char *ref,
                            bool (*fn)(void *arg, const struct store_row *row), void *arg)
{
	if (!ref)
		return STORE_NOT_FOUND;
	sqlite3_stmt *st = statement(s, ST_GET);
	if (!st)
		return STORE_FAILED;
	if (!bind_text(st, 1, ref)) {
		fail_sqlite(s, "could not read the enquiry");
		finish(st);
		return STORE_FAILED;
	}
	long rows;
	enum store_status status = step_rows(s, ST_GET, fn, arg, &rows);
	if (status == STORE_OK && rows == 0)
		return STORE_NOT_FOUND;
	return status;
}

enum store_status store_set_status(struct store *s, const char *ref, const char *status)
{
	if (!valid_status(status))
		return fail_status(s, "an enquiry's status");
	if (!ref)
		return STORE_NOT_FOUND;
	if (begin_write(s) != STORE_OK)
		return STORE_FAILED;
	enum store_status result = STORE_FAILED;
	sqlite3_stmt *st = statement(s, ST_SET_STATUS);
	if (!st)
		goto fail;
	if (!bind_text(st, 1, ref) || !bind_text(st, 2, status) || sqlite3_step(st) != SQLITE_DONE)
		result = fail_sqlite(s, "could not change the enquiry's status");
	else
		result = sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : STORE_OK;
	finish(st);
	if (result != STORE_OK)
		goto fail;
	return commit_write(s, "could not change the enquiry's status", false);
fail:
	rollback_write(s);
	return result;
}

/* How many rows arrived before day. */
static enum store_status count_before(struct store *s, const char *day, long *count)
{
	sqlite3_stmt *st = statement(s, ST_COUNT_BEFORE);
	if (!st)
		return STORE_FAILED;
	enum store_status status = STORE_OK;
	if (!bind_text(st, 1, day) || sqlite3_step(st) != SQLITE_ROW)
		status = fail_sqlite(s, "could not count the old enquiries");
	else
		*count = (long)sqlite3_column_int64(st, 0);
	finish(st);
	return status;
}

/* Copies the WAL into the database and empties it; fails if a reader kept part of it. */
static enum store_status checkpoint(struct store *s)
{
	sqlite3_stmt *st = statement(s, ST_CHECKPOINT);
	if (!st)
		return STORE_FAILED;
	enum store_status status = STORE_OK;
	if (sqlite3_step(st) != SQLITE_ROW)
		status = fail_sqlite(s, "could not clear the database's write-ahead log");
	else if (sqlite3_column_int(st, 0) != 0)
		status =
		    fail(s, "the enquiries were deleted, but another program was reading the "
		            "database so their bytes may remain in its write-ahead log; run the "
		            "purge again when nobody else is using it");
	finish(st);
	return status;
}

/* Takes deleted bytes out of the file and the WAL: with secure_delete the
 * freed cells are zeroed, the checkpoint copies that into the file and
 * empties the WAL, VACUUM rebuilds the file from live rows only, and the
 * last checkpoint empties the WAL that VACUUM wrote through. */
static enum store_status reclaim(struct store *s)
{
	if (checkpoint(s) != STORE_OK)
		return STORE_FAILED;
	if (exec(s, "VACUUM", "could not compact the enquiry database") != STORE_OK)
		return STORE_FAILED;
	return checkpoint(s);
}

enum store_status store_purge(struct store *s, const char *before_day, bool dry_run, long *deleted)
{
	*deleted = 0;
	if (!store_day_valid(before_day))
		return fail(s, "the day to purge before must be written YYYY-MM-DD");
	if (dry_run)
		return count_before(s, before_day, deleted);

	if (begin_write(s) != STORE_OK)
		return STORE_FAILED;
	sqlite3_stmt *st = statement(s, ST_DELETE_BEFORE);
	if (!st)
		goto fail;
	bool deleting = bind_text(st, 1, before_day) && sqlite3_step(st) == SQLITE_DONE;
	if (!deleting)
		fail_sqlite(s, "could not delete the old enquiries");
	long count = sqlite3_changes(s->db);
	finish(st);
	if (!deleting)
		goto fail;
	/* Keep the lock: no new row may land in the WAL while it is emptied. */
	if (commit_write(s, "could not delete the old enquiries", true) != STORE_OK)
		return STORE_FAILED;
	*deleted = count;
	enum store_status status = reclaim(s);
	unlock_writes(s);
	return status;
fail:
	rollback_write(s);
	return STORE_FAILED;
}

enum store_status store_meta_get(struct store *s, const char *key, char *value, size_t len)
{
	if (!key || !value || len == 0)
		return fail(s, "no place was given for a bookkeeping value");
	sqlite3_stmt *st = statement(s, ST_META_GET);
	if (!st)
		return STORE_FAILED;
	enum store_status status = STORE_OK;
	int rc = bind_text(st, 1, key) ? sqlite3_step(st) : SQLITE_ERROR;
	if (rc == SQLITE_DONE) {
		status = STORE_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		status = fail_sqlite(s, "could not read the tool's bookkeeping");
	} else {
		const unsigned char *text = sqlite3_column_text(st, 0);
		size_t n = text ? (size_t)sqlite3_column_bytes(st, 0) : 0;
		if (n >= len) {
			status =
			    fail(s, "a bookkeeping value in the database is longer than expected");
		} else {
			if (n)
				memcpy(value, text, n);
			value[n] = '\0';
		}
	}
	finish(st);
	return status;
}

enum store_status store_meta_set(struct store *s, const char *key, const char *value)
{
	if (!key || !value)
		return fail(s, "a bookkeeping key and value are both needed");
	if (begin_write(s) != STORE_OK)
		return STORE_FAILED;
	sqlite3_stmt *st = statement(s, ST_META_SET);
	if (!st)
		goto fail;
	bool saved =
	    bind_text(st, 1, key) && bind_text(st, 2, value) && sqlite3_step(st) == SQLITE_DONE;
	if (!saved)
		fail_sqlite(s, "could not save the tool's bookkeeping");
	finish(st);
	if (!saved)
		goto fail;
	return commit_write(s, "could not save the tool's bookkeeping", false);
fail:
	rollback_write(s);
	return STORE_FAILED;
}

#define TEAM_VERSION_KEY "team_version"
#define TEAM_DIGEST_HEX 64

/* Reads "<version> <digest>" as kept under TEAM_VERSION_KEY; false if it is
 * not exactly that (a damaged record counts as none). */
static bool parse_team_version(const char *value, uint32_t *version, char digest[65])
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	if (errno || end == value || value[0] == '0' || v == 0 || v > UINT32_MAX || *end != ' ' ||
	    strlen(end + 1) != TEAM_DIGEST_HEX)
		return false;
	*version = (uint32_t)v;
	memcpy(digest, end + 1, TEAM_DIGEST_HEX + 1);
	return true;
}

enum store_status store_team_version(struct store *s, uint32_t version, const char *digest_hex,
                                     enum store_team_verdict *verdict, uint32_t *kept)
{
	*verdict = STORE_TEAM_KEPT;
	*kept = 0;
	if (version == 0 || !digest_hex || strlen(digest_hex) != TEAM_DIGEST_HEX)
		return fail(s, "a team version is a number from 1 with a 64-digit digest");
	if (begin_write(s) != STORE_OK)
		return STORE_FAILED;
	char value[96];
	char digest[TEAM_DIGEST_HEX + 1] = "";
	enum store_status status = store_meta_get(s, TEAM_VERSION_KEY, value, sizeof value);
	if (status == STORE_FAILED)
		goto fail;
	if (status == STORE_OK && !parse_team_version(value, kept, digest))
		*kept = 0;
	if (*kept > version) {
		*verdict = STORE_TEAM_OLDER;
	} else if (*kept == version) {
		*verdict = strcmp(digest, digest_hex) == 0 ? STORE_TEAM_KEPT : STORE_TEAM_OTHER;
	} else {
		snprintf(value, sizeof value, "%lu %s", (unsigned long)version, digest_hex);
		sqlite3_stmt *st = statement(s, ST_META_SET);
		if (!st)
			goto fail;
		bool saved = bind_text(st, 1, TEAM_VERSION_KEY) && bind_text(st, 2, value) &&
		             sqlite3_step(st) == SQLITE_DONE;
		if (!saved)
			fail_sqlite(s, "could not keep the team file's version");
		finish(st);
		if (!saved)
			goto fail;
		return commit_write(s, "could not keep the team file's version", false);
	}
	rollback_write(s);
	return STORE_OK;
fail:
	rollback_write(s);
	return STORE_FAILED;
}

/* Copies the live database into the open database dest, as one file without a WAL. */
static enum store_status copy_into(struct store *s, sqlite3 *dest, const char *dest_path)
{
	if (sqlite3_exec(dest, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
		return fail_backup(s, "could not write the backup %s: %s", dest_path,
		                   sqlite3_errmsg(dest));
	sqlite3_backup *backup = sqlite3_backup_init(dest, "main", s->db, "main");
	if (!backup)
		return fail_backup(s, "could not start the backup to %s: %s", dest_path,
		                   sqlite3_errmsg(dest));
	/* One step copies a single snapshot; WAL lets writers go on meanwhile,
	 * so BUSY can only come from a passing checkpoint or VACUUM. */
	int rc;
	int tries = 0;
	do {
		rc = sqlite3_backup_step(backup, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(100);
	} while ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++tries < BACKUP_RETRIES);
	int finish_rc = sqlite3_backup_finish(backup);
	if (rc != SQLITE_DONE || finish_rc != SQLITE_OK)
		return fail_backup(s, "could not copy the enquiry database to %s: %s", dest_path,
		                   rc == SQLITE_DONE ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
	/* The copy inherits WAL mode; a backup should be one self-contained file. */
	if (sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
		return fail_backup(s, "could not finish the backup %s: %s", dest_path,
		                   sqlite3_errmsg(dest));
	return STORE_OK;
}

enum store_status store_backup(struct store *s, const char *dest_path)
{
	if (!dest_path || !dest_path[0])
		return fail_backup(s, "no file was named for the backup");
	/* Never write over anything, least of all the live database. */
	int fd = open(dest_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail_backup(s, "could not create the backup file %s: %s", dest_path,
		                   errno == EEXIST ? "a file of that name already exists"
		                                   : strerror(errno));
	close(fd);

	sqlite3 *dest = NULL;
	enum store_status status;
	if (sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		status = fail_backup(s, "could not open the backup file %s: %s", dest_path,
		                     dest ? sqlite3_errmsg(dest) : "out of memory");
	else
		status = copy_into(s, dest, dest_path);
	if (sqlite3_close(dest) != SQLITE_OK && status == STORE_OK)
		status = fail_backup(s, "could not finish the backup %s: %s", dest_path,
		                     sqlite3_errmsg(dest));
	if (status != STORE_OK)
		unlink(dest_path);
	return status;
}
