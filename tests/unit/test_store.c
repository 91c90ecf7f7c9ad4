#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forms.h"
#include "ref.h"
#include "store.h"
#include "tempdir.h"

struct fixture {
	char dir[64];
	char db[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	if (!tempdir_make(f->dir, sizeof f->dir, "test_store")) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof f->db, "%s/enquiries.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	tempdir_remove(f->dir);
	free(f);
	return 0;
}

static struct store *open_rw(const char *path)
{
	struct store *s = NULL;
	enum store_status st = store_open(path, STORE_READ_WRITE, &s);
	if (st != STORE_OK)
		fail_msg("store_open(%s): %s", path, store_error(s));
	return s;
}

static void insert(struct store *s, const char *ref, const char *kind, const char *day,
                   const char *sealed)
{
	enum store_status st =
	    store_insert(s, ref, kind, day, "0123456789abcdef", sealed, strlen(sealed));
	if (st != STORE_OK)
		fail_msg("store_insert(%s): %s", ref, store_error(s));
}

/* Collects what store_each / store_get hand out. */
struct seen {
	int count;
	int stop_after; /* 0: never stop */
	char refs[16][16];
	char sealed[16][64];
	char status[16][8];
	char day[16][11];
	size_t sealed_len[16];
};

static bool collect(void *arg, const struct store_row *row)
{
	struct seen *seen = arg;
	if (seen->count < 16) {
		snprintf(seen->refs[seen->count], 16, "%s", row->ref);
		snprintf(seen->status[seen->count], 8, "%s", row->status);
		snprintf(seen->day[seen->count], 11, "%s", row->day);
		size_t n = row->sealed_len < 63 ? row->sealed_len : 63;
		memcpy(seen->sealed[seen->count], row->sealed, n);
		seen->sealed[seen->count][n] = '\0';
		seen->sealed_len[seen->count] = row->sealed_len;
	}
	seen->count++;
	return seen->stop_after == 0 || seen->count < seen->stop_after;
}

static int raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int value = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return value;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

static void test_open_creates_schema(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM sqlite_master WHERE name IN "
	                                "('enquiries', 'meta', 'enquiries_received_day')"),
	                 3);
	/* WAL is a property of the file, so a fresh connection sees it. */
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);

	char lock[160];
	snprintf(lock, sizeof lock, "%s.lock", f->db);
	assert_int_equal(access(lock, F_OK), 0);
	store_close(s);
}

static void test_reopen_is_idempotent(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	insert(s, "AAAA-AAAA", "contact", "2026-01-02", "sealed-one");
	store_close(s);
	for (int i = 0; i < 3; i++) {
		s = open_rw(f->db);
		store_close(s);
	}
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 1);

	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_OK);
	struct seen seen = {0};
	assert_int_equal(store_get(s, "AAAA-AAAA", collect, &seen), STORE_OK);
	assert_string_equal(seen.sealed[0], "sealed-one");
	store_close(s);
}

static void test_migrates_an_empty_file(void **state)
{
	struct fixture *f = *state;
	FILE *fp = fopen(f->db, "w");
	assert_non_null(fp);
	fclose(fp);
	/* Read-only must not set it up... */
	struct store *s;
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_FAILED);
	assert_non_null(strstr(store_error(s), "not been set up"));
	store_close(s);
	/* ...a writer does. */
	s = open_rw(f->db);
	insert(s, "BBBB-BBBB", "start", "2026-01-03", "x");
	store_close(s);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);
}

static void test_read_only_refuses_an_older_layout(void **state)
{
	struct fixture *f = *state;
	raw_exec(f->db, "CREATE TABLE something (x); PRAGMA user_version = 0;");
	struct store *s;
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_FAILED);
	assert_non_null(strstr(store_error(s), f->db));
	store_close(s);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 0);
}

static void test_newer_layout_is_refused(void **state)
{
	struct fixture *f = *state;
	store_close(open_rw(f->db));
	raw_exec(f->db, "PRAGMA user_version = 99");
	struct store *s;
	assert_int_equal(store_open(f->db, STORE_READ_WRITE, &s), STORE_FAILED);
	assert_non_null(strstr(store_error(s), "newer version"));
	store_close(s);
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_FAILED);
	assert_non_null(strstr(store_error(s), "newer version"));
	store_close(s);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 99);
}

static void test_insert_get_each_with_filters(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	insert(s, "CCCC-0001", "contact", "2026-03-01", "one");
	insert(s, "CCCC-0002", "start", "2026-03-05", "two");
	insert(s, "CCCC-0003", "contact", "2026-03-10", "three");
	/* Arrival order, not day order, decides "oldest first". */
	insert(s, "CCCC-0004", "start", "2026-02-28", "four");
	assert_int_equal(store_set_status(s, "CCCC-0003", "handled"), STORE_OK);

	struct seen seen = {0};
	assert_int_equal(store_each(s, NULL, collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 4);
	assert_string_equal(seen.refs[0], "CCCC-0001");
	assert_string_equal(seen.refs[3], "CCCC-0004");
	assert_string_equal(seen.sealed[1], "two");
	assert_int_equal(seen.sealed_len[1], 3);
	assert_string_equal(seen.status[0], "new");
	assert_string_equal(seen.day[2], "2026-03-10");

	struct store_filter by_kind = {.kind = "contact"};
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_each(s, &by_kind, collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 2);
	assert_string_equal(seen.refs[1], "CCCC-0003");

	struct store_filter by_status = {.status = "new", .kind = "contact"};
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_each(s, &by_status, collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.refs[0], "CCCC-0001");

	struct store_filter since = {.since = "2026-03-05"};
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_each(s, &since, collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 2);
	assert_string_equal(seen.refs[0], "CCCC-0002");
	assert_string_equal(seen.refs[1], "CCCC-0003");

	struct store_filter nothing = {.since = "2027-01-01"};
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_each(s, &nothing, collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 0);

	/* The callback can stop the walk. */
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 2;
	assert_int_equal(store_each(s, NULL, collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 2);

	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_get(s, "CCCC-0004", collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.sealed[0], "four");
	assert_int_equal(store_get(s, "CCCC-9999", collect, &seen), STORE_NOT_FOUND);
	assert_int_equal(seen.count, 1);
	store_close(s);
}

static void test_bad_filters_are_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	struct seen seen = {0};
	struct store_filter bad_status = {.status = "all"};
	struct store_filter bad_kind = {.kind = "contact' OR 1=1 --"};
	struct store_filter bad_since = {.since = "2026-13-01"};
	assert_int_equal(store_each(s, &bad_status, collect, &seen), STORE_FAILED);
	assert_int_equal(store_each(s, &bad_kind, collect, &seen), STORE_FAILED);
	assert_int_equal(store_each(s, &bad_since, collect, &seen), STORE_FAILED);
	assert_int_equal(seen.count, 0);
	store_close(s);
}

static void test_sealed_bytes_round_trip_exactly(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	unsigned char bytes[300];
	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (unsigned char)(i * 7);
	bytes[10] = 0;
	assert_int_equal(store_insert(s, "DDDD-DDDD", "start", "2026-04-01", "feedbeef00000000",
	                              bytes, sizeof bytes),
	                 STORE_OK);
	struct seen seen = {0};
	assert_int_equal(store_get(s, "DDDD-DDDD", collect, &seen), STORE_OK);
	assert_int_equal(seen.sealed_len[0], sizeof bytes);
	store_close(s);

	/* Compare all bytes through a raw read, NUL included. */
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT sealed, key_id, kind FROM enquiries", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), sizeof bytes);
	assert_memory_equal(sqlite3_column_blob(st, 0), bytes, sizeof bytes);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "feedbeef00000000");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "start");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_duplicate_ref(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	insert(s, "EEEE-EEEE", "contact", "2026-05-01", "first");
	assert_int_equal(
	    store_insert(s, "EEEE-EEEE", "start", "2026-05-02", "0123456789abcdef", "second", 6),
	    STORE_DUPLICATE);
	/* The reason never repeats the reference or other data. */
	assert_null(strstr(store_error(s), "EEEE"));
	struct seen seen = {0};
	assert_int_equal(store_get(s, "EEEE-EEEE", collect, &seen), STORE_OK);
	assert_string_equal(seen.sealed[0], "first");
	/* The failed insert left no transaction or lock behind. */
	insert(s, "EEEE-FFFF", "start", "2026-05-02", "third");
	store_close(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 2);
}

static void test_insert_many_leaves_out_a_taken_ref(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	insert(s, "MANY-0002", "contact", "2026-05-01", "already-here");
	const char *k = "0123456789abcdef";
	struct store_new_row rows[3] = {
	    {"MANY-0001", "contact", "2026-05-02", k, "one", 3, STORE_FAILED},
	    {"MANY-0002", "start", "2026-05-02", k, "two", 3, STORE_FAILED},
	    {"MANY-0003", "start", "2026-05-03", k, "three", 5, STORE_FAILED},
	};
	assert_int_equal(store_insert_many(s, rows, 3), STORE_OK);
	assert_int_equal(rows[0].status, STORE_OK);
	assert_int_equal(rows[1].status, STORE_DUPLICATE);
	assert_int_equal(rows[2].status, STORE_OK);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 3);
	struct seen seen = {0};
	assert_int_equal(store_each(s, NULL, collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 3);
	assert_string_equal(seen.refs[0], "MANY-0002");
	assert_string_equal(seen.sealed[0], "already-here");
	assert_string_equal(seen.refs[1], "MANY-0001");
	assert_string_equal(seen.sealed[1], "one");
	assert_string_equal(seen.refs[2], "MANY-0003");
	assert_string_equal(seen.sealed[2], "three");

	/* Within one batch too: the second of two rows under one reference is
	 * left out, unless it is the very same row again. */
	struct store_new_row twice[3] = {
	    {"MANY-0004", "contact", "2026-05-04", k, "four", 4, STORE_FAILED},
	    {"MANY-0004", "contact", "2026-05-04", k, "FOUR", 4, STORE_FAILED},
	    {"MANY-0004", "contact", "2026-05-04", k, "four", 4, STORE_FAILED},
	};
	assert_int_equal(store_insert_many(s, twice, 3), STORE_OK);
	assert_int_equal(twice[0].status, STORE_OK);
	assert_int_equal(twice[1].status, STORE_DUPLICATE);
	assert_int_equal(twice[2].status, STORE_OK);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_get(s, "MANY-0004", collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.sealed[0], "four");
	store_close(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 4);
}

static void test_same_bytes_again_is_not_a_duplicate(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	insert(s, "SAME-0001", "contact", "2026-05-01", "sealed-once");
	/* A retried commit of the very same row succeeds and adds nothing. */
	assert_int_equal(store_insert(s, "SAME-0001", "contact", "2026-05-01", "0123456789abcdef",
	                              "sealed-once", 11),
	                 STORE_OK);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 1);
	/* Equal only in part is still a duplicate: a prefix, a longer row. */
	assert_int_equal(store_insert(s, "SAME-0001", "contact", "2026-05-01", "0123456789abcdef",
	                              "sealed-on", 9),
	                 STORE_DUPLICATE);
	assert_int_equal(store_insert(s, "SAME-0001", "contact", "2026-05-01", "0123456789abcdef",
	                              "sealed-once!", 12),
	                 STORE_DUPLICATE);
	struct seen seen = {0};
	assert_int_equal(store_get(s, "SAME-0001", collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.sealed[0], "sealed-once");
	store_close(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 1);
}

static void test_insert_many_of_nothing(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	assert_int_equal(store_insert_many(s, NULL, 0), STORE_OK);
	struct store_new_row unused = {"NONE-0001", "contact", "2026-05-01",   "k",
	                               "x",         1,         STORE_DUPLICATE};
	assert_int_equal(store_insert_many(s, &unused, 0), STORE_OK);
	/* A later write still works: no transaction or lock was left behind. */
	insert(s, "NONE-0002", "contact", "2026-05-01", "y");
	store_close(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 1);
}

/* A row that breaks the rules fails alone: the rows beside it, which may be
 * other visitors' enquiries committed together, are still stored. */
static void test_insert_many_leaves_out_a_bad_row(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	const char *k = "0123456789abcdef";
	struct store_new_row rows[4] = {
	    {"GOOD-0001", "contact", "2026-05-02", k, "one", 3, STORE_OK},
	    {"BAD!-0002", "contact", "2026-05-02", k, "two", 3, STORE_OK},
	    {"GOOD-0003", "other", "2026-05-02", k, "three", 5, STORE_OK},
	    {"GOOD-0004", "start", "2026-05-03", k, "four", 4, STORE_OK},
	};
	assert_int_equal(store_insert_many(s, rows, 4), STORE_OK);
	assert_int_equal(rows[0].status, STORE_OK);
	assert_int_equal(rows[1].status, STORE_FAILED);
	assert_int_equal(rows[2].status, STORE_FAILED);
	assert_int_equal(rows[3].status, STORE_OK);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 2);
	/* Nothing to try at all is a failure, and leaves no lock behind. */
	struct store_new_row bad = {"NO", "nobody", "2026-05-02", k, "x", 1, STORE_OK};
	assert_int_equal(store_insert_many(s, &bad, 1), STORE_FAILED);
	assert_int_equal(bad.status, STORE_FAILED);
	insert(s, "GOOD-0005", "contact", "2026-05-04", "five");
	store_close(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 3);
}

static void test_insert_rejects_bad_values(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	const char *k = "0123456789abcdef";
	assert_int_equal(store_insert(s, "FFFF-0001", "other", "2026-01-01", k, "x", 1),
	                 STORE_FAILED);
	assert_non_null(strstr(store_error(s), "kind"));
	assert_int_equal(store_insert(s, "FFFF-0002", "contact", "2026-1-01", k, "x", 1),
	                 STORE_FAILED);
	assert_int_equal(store_insert(s, "FFFF-0003", "contact", "2026-01-32", k, "x", 1),
	                 STORE_FAILED);
	assert_int_equal(store_insert(s, "FFFF-0004", "contact", "2026-01-01", k, "x", 0),
	                 STORE_FAILED);
	assert_int_equal(store_insert(s, "FFFF-0005", "contact", "2026-01-01", k, NULL, 4),
	                 STORE_FAILED);
	assert_int_equal(store_insert(s, "0123456789ABCDEF", "contact", "2026-01-01", k, "x", 1),
	                 STORE_FAILED);
	assert_int_equal(store_insert(s, "", "contact", "2026-01-01", k, "x", 1), STORE_FAILED);
	assert_int_equal(store_insert(s, "FFFF 0006", "contact", "2026-01-01", k, "x", 1),
	                 STORE_FAILED);
	assert_int_equal(store_insert(s, "FFFF-0007", "contact", "2026-01-01", "", "x", 1),
	                 STORE_FAILED);
	store_close(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 0);
}

static void test_set_status(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	insert(s, "GGGG-GGGG", "contact", "2026-06-01", "x");
	assert_int_equal(store_set_status(s, "GGGG-GGGG", "handled"), STORE_OK);
	struct seen seen = {0};
	assert_int_equal(store_get(s, "GGGG-GGGG", collect, &seen), STORE_OK);
	assert_string_equal(seen.status[0], "handled");
	/* Setting the same status again is not an error. */
	assert_int_equal(store_set_status(s, "GGGG-GGGG", "handled"), STORE_OK);
	assert_int_equal(store_set_status(s, "GGGG-GGGG", "new"), STORE_OK);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries WHERE status = 'new'"), 1);
	assert_int_equal(store_set_status(s, "HHHH-HHHH", "handled"), STORE_NOT_FOUND);
	assert_int_equal(store_set_status(s, "GGGG-GGGG", "deleted"), STORE_FAILED);
	assert_int_equal(store_set_status(s, "GGGG-GGGG", NULL), STORE_FAILED);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries WHERE status = 'new'"), 1);
	store_close(s);
}

static char *read_file(const char *path, size_t *len)
{
	*len = 0;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return calloc(1, 1); /* a missing -wal file holds nothing */
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return data;
}

static bool found_in_files(const char *db, const void *marker, size_t marker_len)
{
	const char *suffixes[] = {"", "-wal", "-journal"};
	bool found = false;
	for (size_t i = 0; i < 3; i++) {
		char path[200];
		snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
		size_t len;
		char *data = read_file(path, &len);
		if (memmem(data, len, marker, marker_len))
			found = true;
		free(data);
	}
	return found;
}

static void test_purge(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	/* Big enough to spill into overflow pages, and a marker that occurs
	 * nowhere else. */
	const char marker[] = "PURGE-ME-7f3a9c1e-UNIQUE-MARKER";
	size_t big_len = 9000;
	char *big = malloc(big_len);
	assert_non_null(big);
	for (size_t i = 0; i + sizeof marker - 1 <= big_len; i += sizeof marker - 1)
		memcpy(big + i, marker, sizeof marker - 1);
	memset(big + big_len - (big_len % (sizeof marker - 1)), '#', big_len % (sizeof marker - 1));
	assert_int_equal(
	    store_insert(s, "OLD1-AAAA", "contact", "2026-01-01", "0123456789abcdef", big, big_len),
	    STORE_OK);
	insert(s, "OLD2-AAAA", "start", "2026-01-31", "small old one PURGE-SMALL-MARKER-x");
	insert(s, "KEEP-AAAA", "contact", "2026-02-01", "keep me");
	insert(s, "KEEP-BBBB", "start", "2026-03-01", "keep me too");
	assert_true(found_in_files(f->db, marker, sizeof marker - 1));
	assert_true(found_in_files(f->db, "PURGE-SMALL-MARKER", 18));

	long deleted = -1;
	assert_int_equal(store_purge(s, "2026-02-01", true, &deleted), STORE_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 4);

	assert_int_equal(store_purge(s, "2026-02-01", false, &deleted), STORE_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 2);
	/* Checked while the store is still open: its WAL must hold nothing. */
	assert_false(found_in_files(f->db, marker, sizeof marker - 1));
	assert_false(found_in_files(f->db, "PURGE-SMALL-MARKER", 18));

	struct seen seen = {0};
	assert_int_equal(store_get(s, "KEEP-AAAA", collect, &seen), STORE_OK);
	assert_string_equal(seen.sealed[0], "keep me");

	/* Nothing left to purge; the store still works afterwards. */
	assert_int_equal(store_purge(s, "2026-02-01", false, &deleted), STORE_OK);
	assert_int_equal(deleted, 0);
	insert(s, "NEW1-AAAA", "contact", "2026-04-01", "after the purge");
	assert_int_equal(store_purge(s, "20260201", false, &deleted), STORE_FAILED);
	store_close(s);
	assert_false(found_in_files(f->db, marker, sizeof marker - 1));
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 3);
	free(big);
}

static void test_meta(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	char value[32] = "untouched";
	assert_int_equal(store_meta_get(s, "notified_up_to", value, sizeof value), STORE_NOT_FOUND);
	assert_int_equal(store_meta_set(s, "notified_up_to", "12"), STORE_OK);
	assert_int_equal(store_meta_get(s, "notified_up_to", value, sizeof value), STORE_OK);
	assert_string_equal(value, "12");
	assert_int_equal(store_meta_set(s, "notified_up_to", "345"), STORE_OK);
	assert_int_equal(store_meta_get(s, "notified_up_to", value, sizeof value), STORE_OK);
	assert_string_equal(value, "345");
	/* A value that does not fit is an error, never a cut. */
	char tiny[3];
	assert_int_equal(store_meta_get(s, "notified_up_to", tiny, sizeof tiny), STORE_FAILED);
	store_close(s);

	/* Kept across opens, and readable read-only. */
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_OK);
	assert_int_equal(store_meta_get(s, "notified_up_to", value, sizeof value), STORE_OK);
	assert_string_equal(value, "345");
	assert_int_equal(store_meta_set(s, "notified_up_to", "1"), STORE_FAILED);
	store_close(s);
}

static void test_team_version(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	char a[65], b[65];
	memset(a, 'a', 64);
	memset(b, 'b', 64);
	a[64] = b[64] = '\0';
	enum store_team_verdict verdict;
	uint32_t kept = 99;
	assert_int_equal(store_team_version(s, 3, a, &verdict, &kept), STORE_OK);
	assert_int_equal(verdict, STORE_TEAM_KEPT);
	assert_int_equal(kept, 0);
	/* The same file again: still in order, nothing written. */
	assert_int_equal(store_team_version(s, 3, a, &verdict, &kept), STORE_OK);
	assert_int_equal(verdict, STORE_TEAM_KEPT);
	assert_int_equal(kept, 3);
	/* Another file under the same version, or an older one: refused. */
	assert_int_equal(store_team_version(s, 3, b, &verdict, &kept), STORE_OK);
	assert_int_equal(verdict, STORE_TEAM_OTHER);
	assert_int_equal(store_team_version(s, 2, b, &verdict, &kept), STORE_OK);
	assert_int_equal(verdict, STORE_TEAM_OLDER);
	assert_int_equal(kept, 3);
	assert_int_equal(store_team_version(s, 5, b, &verdict, &kept), STORE_OK);
	assert_int_equal(verdict, STORE_TEAM_KEPT);
	assert_int_equal(kept, 3);
	assert_int_equal(store_team_version(s, 0, b, &verdict, &kept), STORE_FAILED);
	assert_int_equal(store_team_version(s, 6, "short", &verdict, &kept), STORE_FAILED);
	store_close(s);
	/* Kept across opens: a restarted program does not go back either. */
	s = open_rw(f->db);
	assert_int_equal(store_team_version(s, 4, a, &verdict, &kept), STORE_OK);
	assert_int_equal(verdict, STORE_TEAM_OLDER);
	assert_int_equal(kept, 5);
	char value[96];
	assert_int_equal(store_meta_get(s, "team_version", value, sizeof value), STORE_OK);
	assert_int_equal(strncmp(value, "5 bbbb", 6), 0);
	store_close(s);
}

static void test_backup_while_another_connection_writes(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	insert(s, "BKUP-0001", "contact", "2026-07-01", "committed");

	/* Another connection holds an open write transaction. */
	sqlite3 *writer;
	assert_int_equal(sqlite3_open(f->db, &writer), SQLITE_OK);
	assert_int_equal(sqlite3_exec(writer,
	                              "BEGIN IMMEDIATE; INSERT INTO enquiries (ref, kind, "
	                              "received_day, key_id, sealed) VALUES ('BKUP-0002', "
	                              "'start', '2026-07-02', 'k', x'00');",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);

	char dest[160];
	snprintf(dest, sizeof dest, "%s/backup.db", f->dir);
	if (store_backup(s, dest) != STORE_OK)
		fail_msg("store_backup: %s", store_error(s));
	assert_int_equal(sqlite3_exec(writer, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(writer);

	/* The copy is one self-contained file holding the committed rows only. */
	char wal[180];
	snprintf(wal, sizeof wal, "%s-wal", dest);
	assert_int_not_equal(access(wal, F_OK), 0);
	struct stat st;
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	struct store *copy;
	assert_int_equal(store_open(dest, STORE_READ_ONLY, &copy), STORE_OK);
	struct seen seen = {0};
	assert_int_equal(store_each(copy, NULL, collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.sealed[0], "committed");
	store_close(copy);

	/* It never writes over an existing file, least of all the live one. */
	assert_int_equal(store_backup(s, dest), STORE_FAILED);
	assert_non_null(strstr(store_error(s), "already exists"));
	assert_int_equal(store_backup(s, f->db), STORE_FAILED);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 2);
	char missing_dir[200];
	snprintf(missing_dir, sizeof missing_dir, "%s/no/such/dir/b.db", f->dir);
	assert_int_equal(store_backup(s, missing_dir), STORE_FAILED);
	store_close(s);

	/* A read-only store can be backed up too. */
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_OK);
	snprintf(dest, sizeof dest, "%s/backup2.db", f->dir);
	assert_int_equal(store_backup(s, dest), STORE_OK);
	store_close(s);
	assert_int_equal(raw_int(dest, "SELECT count(*) FROM enquiries"), 2);
}

static void test_read_only_open_of_missing_file(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_FAILED);
	assert_non_null(s);
	assert_non_null(strstr(store_error(s), "no such file"));
	assert_non_null(strstr(store_error(s), f->db));
	store_close(s);
	/* It did not create anything. */
	assert_int_not_equal(access(f->db, F_OK), 0);

	assert_int_equal(store_open("", STORE_READ_ONLY, &s), STORE_FAILED);
	assert_non_null(strstr(store_error(s), "enquiry_db"));
	store_close(s);
	store_close(NULL);
	assert_non_null(store_error(NULL));
}

static void test_read_only_store_refuses_writes(void **state)
{
	struct fixture *f = *state;
	store_close(open_rw(f->db));
	struct store *s;
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_OK);
	assert_int_equal(store_insert(s, "ROXX-0001", "contact", "2026-01-01", "k", "x", 1),
	                 STORE_FAILED);
	assert_non_null(strstr(store_error(s), "read-only"));
	long deleted;
	assert_int_equal(store_purge(s, "2030-01-01", false, &deleted), STORE_FAILED);
	assert_int_equal(store_set_status(s, "ROXX-0001", "handled"), STORE_FAILED);
	store_close(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 0);
}

static void test_not_a_database(void **state)
{
	struct fixture *f = *state;
	FILE *fp = fopen(f->db, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database at all\n", fp);
	fclose(fp);
	struct store *s;
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_FAILED);
	assert_non_null(strstr(store_error(s), "not a database"));
	store_close(s);
	assert_int_equal(store_open(f->db, STORE_READ_WRITE, &s), STORE_FAILED);
	store_close(s);

	/* A directory where the file should be, and a file where a directory should be. */
	assert_int_equal(store_open(f->dir, STORE_READ_WRITE, &s), STORE_FAILED);
	store_close(s);
	char below_file[200];
	snprintf(below_file, sizeof below_file, "%s/x.db", f->db);
	assert_int_equal(store_open(below_file, STORE_READ_WRITE, &s), STORE_FAILED);
	assert_non_null(strstr(store_error(s), below_file));
	store_close(s);
}

/* Runs in a child that, when started as root, becomes nobody so that
 * permission bits apply. Returns the exit status to report. */
static int try_writing_without_permission(const char *ro_dir, const char *ro_file)
{
	if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return 10;
	char path[200];
	snprintf(path, sizeof path, "%s/new.db", ro_dir);
	struct store *s = NULL;
	if (store_open(path, STORE_READ_WRITE, &s) != STORE_FAILED)
		return 11;
	if (!strstr(store_error(s), ro_dir))
		return 12;
	store_close(s);
	if (store_open(ro_file, STORE_READ_WRITE, &s) != STORE_FAILED)
		return 13;
	if (!strstr(store_error(s), "read but not written"))
		return 14;
	store_close(s);
	/* Reading is still fine. */
	if (store_open(ro_file, STORE_READ_ONLY, &s) != STORE_OK)
		return 15;
	store_close(s);
	return 0;
}

static void test_writing_without_permission_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	char ro_dir[100], rw_dir[100], ro_file[140];
	snprintf(ro_dir, sizeof ro_dir, "%s/ro", f->dir);
	snprintf(rw_dir, sizeof rw_dir, "%s/rw", f->dir);
	snprintf(ro_file, sizeof ro_file, "%s/enquiries.db", rw_dir);
	assert_int_equal(mkdir(ro_dir, 0555), 0);
	assert_int_equal(mkdir(rw_dir, 0777), 0);
	assert_int_equal(chmod(rw_dir, 0777), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	store_close(open_rw(ro_file));
	assert_int_equal(chmod(ro_file, 0444), 0);
	char lock[160];
	snprintf(lock, sizeof lock, "%s.lock", ro_file);
	assert_int_equal(chmod(lock, 0644), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(try_writing_without_permission(ro_dir, ro_file));
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_altered_rows_are_handed_out_safely(void **state)
{
	struct fixture *f = *state;
	store_close(open_rw(f->db));
	/* Values no store_insert would accept, written behind its back. */
	raw_exec(f->db, "INSERT INTO enquiries (ref, kind, received_day, key_id, sealed) VALUES "
	                "('AN-OVERLONG-REFERENCE-OF-MANY-CHARACTERS', 'start', "
	                "'2026-01-01 and more text', "
	                "'a key id that is far longer than thirty-two bytes', x'');");
	struct store *s;
	assert_int_equal(store_open(f->db, STORE_READ_ONLY, &s), STORE_OK);
	struct seen seen = {0};
	assert_int_equal(store_each(s, NULL, collect, &seen), STORE_OK);
	assert_int_equal(seen.count, 1);
	assert_int_equal(strlen(seen.refs[0]), 15);
	assert_int_equal(strlen(seen.day[0]), 10);
	assert_int_equal(seen.sealed_len[0], 0);
	store_close(s);
}

struct nested {
	struct store *s;
	enum store_status inner_each;
	enum store_status inner_get;
	int rows;
};

static bool nested_call(void *arg, const struct store_row *row)
{
	struct nested *n = arg;
	struct seen seen = {0};
	n->rows++;
	n->inner_each = store_each(n->s, NULL, collect, &seen);
	n->inner_get = store_get(n->s, row->ref, collect, &seen);
	return true;
}

static void test_nested_use_from_a_callback(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	insert(s, "NEST-0001", "contact", "2026-01-01", "a");
	insert(s, "NEST-0002", "contact", "2026-01-02", "b");
	struct nested n = {.s = s};
	assert_int_equal(store_each(s, NULL, nested_call, &n), STORE_OK);
	/* The outer walk is not disturbed; the clashing call is refused. */
	assert_int_equal(n.rows, 2);
	assert_int_equal(n.inner_each, STORE_FAILED);
	assert_int_equal(n.inner_get, STORE_OK);
	store_close(s);
}

static void test_concurrent_writers_in_several_processes(void **state)
{
	struct fixture *f = *state;
	store_close(open_rw(f->db));
	enum { WRITERS = 4, EACH = 40 };
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			struct store *s;
			if (store_open(f->db, STORE_READ_WRITE, &s) != STORE_OK)
				_exit(1);
			for (int i = 0; i < EACH; i++) {
				char ref[16];
				snprintf(ref, sizeof ref, "W%d-%04d", w, i);
				if (store_insert(s, ref, "contact", "2026-08-01", "k", "sealed",
				                 6) != STORE_OK)
					_exit(2);
			}
			store_close(s);
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), WRITERS * EACH);
}

static void test_writers_queue_on_the_lock_file(void **state)
{
	struct fixture *f = *state;
	store_close(open_rw(f->db));
	char lock[160];
	snprintf(lock, sizeof lock, "%s.lock", f->db);
	int fd = open(lock, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s;
		if (store_open(f->db, STORE_READ_WRITE, &s) != STORE_OK)
			_exit(1);
		bool ok =
		    store_insert(s, "LOCK-0001", "start", "2026-09-01", "k", "x", 1) == STORE_OK;
		store_close(s);
		_exit(ok ? 0 : 2);
	}
	/* While we hold the lock the writer waits without touching the file. */
	usleep(300 * 1000);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 0);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
	assert_int_equal(flock(fd, LOCK_UN), 0);
	close(fd);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), 1);
}

/* One day check for the store and the staff tool: the calendar's, leap
 * years included; the text exactly as rows keep it. */
static void test_days_are_real_calendar_days(void **state)
{
	(void)state;
	const char *good[] = {"2026-11-26", "2026-12-31", "2026-01-01", "2024-02-29",
	                      "2000-02-29", "2026-04-30", "0001-01-01"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!store_day_valid(good[i]))
			fail_msg("%s should be a day", good[i]);
	const char *bad[] = {"2026-02-31",  "2026-02-30", "2026-02-29", "1900-02-29",
	                     "2026-04-31",  "2026-13-01", "2026-00-10", "2026-01-00",
	                     "2026-01-32",  "2026-1-01",  "2026/01/01", "2026-01-01T",
	                     " 2026-01-01", "26-01-01",   "",           "2026-0a-01"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (store_day_valid(bad[i]))
			fail_msg("%s should not be a day", bad[i]);
	assert_false(store_day_valid(NULL));

	char day[STORE_DAY_SIZE];
	store_day(1795701787, day); /* 2026-11-26T14:03:07Z */
	assert_string_equal(day, "2026-11-26");
	store_day(1709164800, day); /* 2024-02-29T00:00:00Z */
	assert_string_equal(day, "2024-02-29");
	assert_true(store_day_valid(day));
}

/* The statuses and kinds are the tables' (forms.h, store.h), and the
 * schema's CHECK constraints, written once in a shipped migration, agree. */
static void test_the_vocabulary_is_the_schemas(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	for (size_t k = 0; k < FORM__MAX; k++) {
		char ref[REF_SIZE];
		snprintf(ref, sizeof ref, "KIND-%04zu", k);
		insert(s, ref, form_spec((enum form_kind)k)->kind, "2026-06-01", "x");
		for (size_t i = 0; i < ROW_STATUS__MAX; i++) {
			enum store_row_status found;
			const char *name = store_row_status_name((enum store_row_status)i);
			assert_true(store_row_status_find(name, &found));
			assert_int_equal(found, i);
			assert_int_equal(store_set_status(s, ref, name), STORE_OK);
		}
	}
	enum store_row_status found;
	assert_false(store_row_status_find("all", &found));
	assert_false(store_row_status_find("", &found));
	assert_false(store_row_status_find(NULL, &found));
	assert_int_equal(
	    store_insert(s, "KIND-XXXX", "other", "2026-06-01", "0123456789abcdef", "x", 1),
	    STORE_FAILED);
	assert_non_null(strstr(store_error(s), "\"contact\" or \"start\""));
	assert_int_equal(
	    store_insert(s, "KIND-YYYY", "contact", "2026-02-31", "0123456789abcdef", "x", 1),
	    STORE_FAILED);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM enquiries"), FORM__MAX);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_days_are_real_calendar_days),
	    cmocka_unit_test_setup_teardown(test_the_vocabulary_is_the_schemas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_creates_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrates_an_empty_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_refuses_an_older_layout, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_newer_layout_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insert_get_each_with_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_filters_are_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_bytes_round_trip_exactly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate_ref, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insert_many_leaves_out_a_taken_ref, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_same_bytes_again_is_not_a_duplicate, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_insert_many_of_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insert_many_leaves_out_a_bad_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insert_rejects_bad_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_team_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backup_while_another_connection_writes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_open_of_missing_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_store_refuses_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writing_without_permission_fails_cleanly, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_altered_rows_are_handed_out_safely, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_nested_use_from_a_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_writers_in_several_processes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_writers_queue_on_the_lock_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
