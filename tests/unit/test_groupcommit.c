#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "groupcommit.h"
#include "store.h"
#include "tempdir.h"

/* A child that is still alive after this long is stuck: alarm() ends it so
 * that a bug shows as a failed test, never as a hung run. */
#define CHILD_SECONDS 60
#define MAX_CHILDREN 8

struct fixture {
	char dir[64];
	char db[128];
	char lock[160];
	int lock_fd; /* the parent's hold on the store's write lock, or -1 */
	struct group_commit *g;
	pid_t pids[MAX_CHILDREN]; /* children not yet reaped (0: reaped) */
	int npids;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->lock_fd = -1;
	if (!tempdir_make(f->dir, sizeof f->dir, "test_groupcommit")) {
		free(f);
		return -1;
	}
	snprintf(f->db, sizeof f->db, "%s/enquiries.db", f->dir);
	snprintf(f->lock, sizeof f->lock, "%s.lock", f->db);
	/* The schema exists before any child opens the file. */
	struct store *s = NULL;
	if (store_open(f->db, STORE_READ_WRITE, &s) != STORE_OK) {
		fprintf(stderr, "store_open(%s): %s\n", f->db, store_error(s));
		store_close(s);
		return -1;
	}
	store_close(s);
	*state = f;
	return 0;
}

/* Also after a failed assertion: no child outlives its test, no lock stays. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < f->npids; i++) {
		if (f->pids[i] > 0) {
			kill(f->pids[i], SIGKILL);
			waitpid(f->pids[i], NULL, 0);
		}
	}
	if (f->lock_fd >= 0)
		close(f->lock_fd);
	group_commit_free(f->g);
	tempdir_remove(f->dir);
	free(f);
	return 0;
}

/* Commits through the group; the reason for a failure is not needed here. */
static enum store_status insert_via(struct group_commit *g, struct store *s,
                                    struct store_new_row *row)
{
	char why[256];
	return group_commit_insert(g, s, row, why, sizeof why);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- Rows whose bytes can be made again from a seed ------------------------ */

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* 1000 to 3000 bytes. */
static size_t sealed_len_for(unsigned seed)
{
	return 1000 + mix(seed) % 2001;
}

static void fill_sealed(unsigned seed, unsigned char *buf, size_t len)
{
	uint32_t x = mix(seed ^ 0x9e3779b9U) | 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
}

struct test_row {
	char ref[16];
	unsigned char sealed[3000];
	struct store_new_row row;
};

static void make_row(struct test_row *t, const char *ref, unsigned seed)
{
	snprintf(t->ref, sizeof t->ref, "%s", ref);
	size_t len = sealed_len_for(seed);
	fill_sealed(seed, t->sealed, len);
	t->row = (struct store_new_row){t->ref,    "contact", "2026-03-14", "abc123",
	                                t->sealed, len,       STORE_FAILED};
}

/* --- Looking at the file behind the store's back --------------------------- */

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

static int row_count(const char *path)
{
	return raw_int(path, "SELECT count(*) FROM enquiries");
}

/* The row under ref is there exactly once and holds these very bytes. */
static void expect_stored(sqlite3 *db, const char *ref, const void *sealed, size_t len)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT sealed, kind, received_day, key_id FROM "
	                                    "enquiries WHERE ref = ?1",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC), SQLITE_OK);
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("row %s is not in the database", ref);
	if ((size_t)sqlite3_column_bytes(st, 0) != len ||
	    memcmp(sqlite3_column_blob(st, 0), sealed, len) != 0)
		fail_msg("row %s does not hold the bytes it was given (%d bytes, expected %zu)",
		         ref, sqlite3_column_bytes(st, 0), len);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "contact");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "2026-03-14");
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "abc123");
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("row %s is in the database more than once", ref);
	sqlite3_finalize(st);
}

static void expect_seeded(sqlite3 *db, const char *ref, unsigned seed)
{
	static unsigned char bytes[3000];
	size_t len = sealed_len_for(seed);
	fill_sealed(seed, bytes, len);
	expect_stored(db, ref, bytes, len);
}

static sqlite3 *open_raw(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

static struct store *open_rw(const char *path)
{
	struct store *s = NULL;
	if (store_open(path, STORE_READ_WRITE, &s) != STORE_OK)
		fail_msg("store_open(%s): %s", path, store_error(s));
	return s;
}

/* --- Children --------------------------------------------------------------- */

static void track(struct fixture *f, pid_t pid)
{
	assert_true(f->npids < MAX_CHILDREN);
	f->pids[f->npids++] = pid;
}

static void untrack(struct fixture *f, pid_t pid)
{
	for (int i = 0; i < f->npids; i++)
		if (f->pids[i] == pid)
			f->pids[i] = 0;
}

/* Waits at most timeout_ms for the child to end; false if it did not. */
static bool wait_for_exit(struct fixture *f, pid_t pid, long timeout_ms, int *status)
{
	long deadline = now_ms() + timeout_ms;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid) {
			untrack(f, pid);
			return true;
		}
		if (r < 0 && errno != EINTR)
			fail_msg("waitpid(%d): %s", (int)pid, strerror(errno));
		if (now_ms() >= deadline)
			return false;
		sleep_ms(2);
	}
}

static void expect_exit_ok(struct fixture *f, pid_t pid, long timeout_ms, const char *who)
{
	int status;
	if (!wait_for_exit(f, pid, timeout_ms, &status))
		fail_msg("%s did not finish within %ld ms", who, timeout_ms);
	if (WIFSIGNALED(status))
		fail_msg("%s died of signal %d", who, WTERMSIG(status));
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("%s exited %d (20 + status: its insert returned %d)", who,
		         WEXITSTATUS(status), WEXITSTATUS(status) - 20);
}

static void expect_running(pid_t pid, const char *who)
{
	int status;
	if (waitpid(pid, &status, WNOHANG) != 0)
		fail_msg("%s ended while it should still be waiting", who);
}

/* A child with its own store that inserts one row when told to: opening
 * takes the write lock too, so it is done before the parent holds it. */
struct worker {
	pid_t pid;
	int go_fd;
};

static int worker_main(struct fixture *f, int go_fd, int ready_fd, const char *ref, unsigned seed)
{
	struct store *s = NULL;
	if (store_open(f->db, STORE_READ_WRITE, &s) != STORE_OK)
		return 10;
	if (write(ready_fd, "r", 1) != 1)
		return 11;
	char c;
	if (read(go_fd, &c, 1) != 1)
		return 12;
	static struct test_row t;
	make_row(&t, ref, seed);
	enum store_status st = insert_via(f->g, s, &t.row);
	if (st != t.row.status)
		return 13;
	store_close(s);
	return st == STORE_OK ? 0 : 20 + (int)st;
}

static struct worker start_worker(struct fixture *f, const char *ref, unsigned seed)
{
	int go[2], ready[2];
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(CHILD_SECONDS);
		close(go[1]);
		close(ready[0]);
		_exit(worker_main(f, go[0], ready[1], ref, seed));
	}
	track(f, pid);
	close(go[0]);
	close(ready[1]);
	struct pollfd p = {.fd = ready[0], .events = POLLIN};
	if (poll(&p, 1, 10000) != 1)
		fail_msg("worker %s did not open its store within 10 s", ref);
	char c = 0;
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 'r');
	close(ready[0]);
	return (struct worker){pid, go[1]};
}

static void tell_to_insert(struct worker *w)
{
	assert_int_equal(write(w->go_fd, "g", 1), 1);
	close(w->go_fd);
	w->go_fd = -1;
}

static void hold_write_lock(struct fixture *f)
{
	f->lock_fd = open(f->lock, O_RDONLY | O_CLOEXEC);
	assert_true(f->lock_fd >= 0);
	/* Nobody writes yet, so this is had at once. */
	assert_int_equal(flock(f->lock_fd, LOCK_EX | LOCK_NB), 0);
}

static void release_write_lock(struct fixture *f)
{
	assert_int_equal(flock(f->lock_fd, LOCK_UN), 0);
	close(f->lock_fd);
	f->lock_fd = -1;
}

/* --- Tests ------------------------------------------------------------------ */

enum { WRITERS = 6, EACH = 50 };

static int many_rows_child(struct fixture *f, int w)
{
	struct store *s = NULL;
	if (store_open(f->db, STORE_READ_WRITE, &s) != STORE_OK)
		return 10;
	static struct test_row t;
	for (int i = 0; i < EACH; i++) {
		char ref[16];
		snprintf(ref, sizeof ref, "C%d-%04d", w, i);
		make_row(&t, ref, (unsigned)(w * 1000 + i + 1));
		enum store_status st = insert_via(f->g, s, &t.row);
		if (st != STORE_OK)
			return 20 + (int)st;
		if (t.row.status != STORE_OK)
			return 13;
	}
	store_close(s);
	return 0;
}

static void test_many_processes(void **state)
{
	struct fixture *f = *state;
	f->g = group_commit_new(8, 4096);
	assert_non_null(f->g);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			alarm(CHILD_SECONDS);
			_exit(many_rows_child(f, w + 1));
		}
		track(f, pids[w]);
	}
	long deadline = now_ms() + 50 * 1000;
	for (int w = 0; w < WRITERS; w++) {
		char who[32];
		snprintf(who, sizeof who, "writer %d", w + 1);
		long left = deadline - now_ms();
		expect_exit_ok(f, pids[w], left > 0 ? left : 1, who);
	}

	assert_int_equal(row_count(f->db), WRITERS * EACH);
	sqlite3 *db = open_raw(f->db);
	for (int w = 1; w <= WRITERS; w++) {
		for (int i = 0; i < EACH; i++) {
			char ref[16];
			snprintf(ref, sizeof ref, "C%d-%04d", w, i);
			expect_seeded(db, ref, (unsigned)(w * 1000 + i + 1));
		}
	}
	sqlite3_close(db);

	unsigned long commits, rows;
	group_commit_counts(f->g, &commits, &rows);
	print_message("      %d rows from %d processes in %lu commits\n", WRITERS * EACH, WRITERS,
	              commits);
	assert_int_equal(rows, WRITERS * EACH);
	assert_true(commits >= 1);
	assert_true(commits <= WRITERS * EACH);
}

static void test_followers_share_one_commit(void **state)
{
	struct fixture *f = *state;
	f->g = group_commit_new(8, 4096);
	assert_non_null(f->g);
	static const char *const refs[WRITERS] = {"BATCH-A", "BATCH-B", "BATCH-C",
	                                          "BATCH-D", "BATCH-E", "BATCH-F"};
	struct worker w[WRITERS];
	for (int i = 0; i < WRITERS; i++)
		w[i] = start_worker(f, refs[i], (unsigned)(100 + i));

	hold_write_lock(f);
	/* A leads, takes its batch of one and waits for the lock... */
	tell_to_insert(&w[0]);
	sleep_ms(200);
	/* ...while B to F queue behind it. */
	for (int i = 1; i < WRITERS; i++)
		tell_to_insert(&w[i]);
	sleep_ms(300);
	for (int i = 0; i < WRITERS; i++)
		expect_running(w[i].pid, refs[i]);
	assert_int_equal(row_count(f->db), 0);
	unsigned long commits, rows;
	group_commit_counts(f->g, &commits, &rows);
	assert_int_equal(commits, 0);
	release_write_lock(f);

	for (int i = 0; i < WRITERS; i++)
		expect_exit_ok(f, w[i].pid, 10000, refs[i]);
	assert_int_equal(row_count(f->db), WRITERS);
	sqlite3 *db = open_raw(f->db);
	for (int i = 0; i < WRITERS; i++)
		expect_seeded(db, refs[i], (unsigned)(100 + i));
	sqlite3_close(db);
	group_commit_counts(f->g, &commits, &rows);
	assert_int_equal(rows, WRITERS);
	/* A's own batch, then one batch of five. */
	assert_int_equal(commits, 2);
}

static void test_leader_killed_mid_commit(void **state)
{
	struct fixture *f = *state;
	f->g = group_commit_new(8, 4096);
	assert_non_null(f->g);
	struct worker a = start_worker(f, "KILL-A", 201);
	struct worker b = start_worker(f, "KILL-B", 202);

	hold_write_lock(f);
	tell_to_insert(&a); /* the leader, stuck on the lock inside its commit */
	sleep_ms(200);
	tell_to_insert(&b); /* a follower */
	sleep_ms(200);
	expect_running(a.pid, "leader A");
	expect_running(b.pid, "follower B");

	assert_int_equal(kill(a.pid, SIGKILL), 0);
	int status;
	if (!wait_for_exit(f, a.pid, 5000, &status))
		fail_msg("the killed leader was not reaped within 5 s");
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(row_count(f->db), 0);
	release_write_lock(f);

	expect_exit_ok(f, b.pid, 5000, "follower B");
	assert_int_equal(row_count(f->db), 2);
	sqlite3 *db = open_raw(f->db);
	expect_seeded(db, "KILL-A", 201); /* taken over from the dead leader */
	expect_seeded(db, "KILL-B", 202);
	sqlite3_close(db);
	unsigned long commits, rows;
	group_commit_counts(f->g, &commits, &rows);
	/* The dead leader never finished; B committed both rows at once. */
	assert_int_equal(commits, 1);
	assert_int_equal(rows, 2);
}

static void test_row_too_large_for_a_slot(void **state)
{
	struct fixture *f = *state;
	f->g = group_commit_new(4, 100);
	assert_non_null(f->g);
	struct store *s = open_rw(f->db);
	static struct test_row big, fits;
	make_row(&big, "BIG-0001", 301);
	big.row.sealed_len = 500;
	assert_int_equal(insert_via(f->g, s, &big.row), STORE_OK);
	assert_int_equal(big.row.status, STORE_OK);
	unsigned long commits, rows;
	group_commit_counts(f->g, &commits, &rows);
	/* Committed alone: the group's table never saw it. */
	assert_int_equal(commits, 0);
	assert_int_equal(rows, 0);

	/* One exactly as large as a slot still goes through the group. */
	make_row(&fits, "FIT-0001", 302);
	fits.row.sealed_len = 100;
	assert_int_equal(insert_via(f->g, s, &fits.row), STORE_OK);
	group_commit_counts(f->g, &commits, &rows);
	assert_int_equal(commits, 1);
	assert_int_equal(rows, 1);
	store_close(s);

	assert_int_equal(row_count(f->db), 2);
	sqlite3 *db = open_raw(f->db);
	expect_stored(db, "BIG-0001", big.sealed, 500);
	expect_stored(db, "FIT-0001", fits.sealed, 100);
	sqlite3_close(db);
}

static void test_no_group_commits_alone(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_rw(f->db);
	static struct test_row t;
	make_row(&t, "SOLO-0001", 401);
	assert_int_equal(insert_via(NULL, s, &t.row), STORE_OK);
	assert_int_equal(t.row.status, STORE_OK);
	store_close(s);
	sqlite3 *db = open_raw(f->db);
	expect_seeded(db, "SOLO-0001", 401);
	sqlite3_close(db);

	unsigned long commits = 99, rows = 99;
	group_commit_counts(NULL, &commits, &rows);
	assert_int_equal(commits, 0);
	assert_int_equal(rows, 0);
	group_commit_free(NULL);
}

/* A row that breaks the store's rules fails alone, and the reason comes back
 * to its owner through its slot, whoever committed it. */
static void test_a_failed_row_says_why(void **state)
{
	struct fixture *f = *state;
	f->g = group_commit_new(4, 4096);
	assert_non_null(f->g);
	struct store *s = open_rw(f->db);
	static struct test_row bad, good;
	make_row(&bad, "WHY-0001", 601);
	bad.row.kind = "other";
	make_row(&good, "WHY-0002", 602);
	char why[256];
	memset(why, 'x', sizeof why);
	assert_int_equal(group_commit_insert(f->g, s, &bad.row, why, sizeof why), STORE_FAILED);
	assert_non_null(strstr(why, "kind"));
	assert_int_equal(group_commit_insert(f->g, s, &good.row, why, sizeof why), STORE_OK);
	assert_string_equal(why, "");
	store_close(s);
	unsigned long commits, rows;
	group_commit_counts(f->g, &commits, &rows);
	assert_int_equal(commits, 2);
	assert_int_equal(rows, 2);
	assert_int_equal(row_count(f->db), 1);
}

static void test_taken_ref_through_the_group(void **state)
{
	struct fixture *f = *state;
	f->g = group_commit_new(4, 4096);
	assert_non_null(f->g);
	struct store *s = open_rw(f->db);
	static struct test_row first, other;
	make_row(&first, "DUPL-0001", 501);
	make_row(&other, "DUPL-0001", 502);
	assert_int_equal(store_insert(s, first.ref, "contact", "2026-03-14", "abc123", first.sealed,
	                              first.row.sealed_len),
	                 STORE_OK);

	/* Different bytes under a taken reference: make another reference. */
	assert_int_equal(insert_via(f->g, s, &other.row), STORE_DUPLICATE);
	assert_int_equal(other.row.status, STORE_DUPLICATE);
	/* The very same bytes again: a retried commit, already done. */
	assert_int_equal(insert_via(f->g, s, &first.row), STORE_OK);
	assert_int_equal(first.row.status, STORE_OK);
	store_close(s);

	unsigned long commits, rows;
	group_commit_counts(f->g, &commits, &rows);
	assert_int_equal(commits, 2);
	assert_int_equal(rows, 2);
	assert_int_equal(row_count(f->db), 1);
	sqlite3 *db = open_raw(f->db);
	expect_seeded(db, "DUPL-0001", 501);
	sqlite3_close(db);
}

/* Each finished insert gives its slot back: more inserts than slots, one
 * after another, all go through the group rather than falling back. */
static void test_slots_are_given_back(void **state)
{
	struct fixture *f = *state;
	f->g = group_commit_new(2, 4096);
	assert_non_null(f->g);
	struct store *s = open_rw(f->db);
	static struct test_row t;
	for (int i = 0; i < 10; i++) {
		char ref[16];
		snprintf(ref, sizeof ref, "BACK-%04d", i);
		make_row(&t, ref, (unsigned)(600 + i));
		assert_int_equal(insert_via(f->g, s, &t.row), STORE_OK);
	}
	store_close(s);
	/* And so does a process that inserts once and ends. */
	for (int i = 0; i < 3; i++) {
		char ref[16];
		snprintf(ref, sizeof ref, "GONE-%04d", i);
		struct worker w = start_worker(f, ref, (unsigned)(700 + i));
		tell_to_insert(&w);
		expect_exit_ok(f, w.pid, 10000, ref);
	}
	unsigned long commits, rows;
	group_commit_counts(f->g, &commits, &rows);
	assert_int_equal(commits, 13);
	assert_int_equal(rows, 13);
	assert_int_equal(row_count(f->db), 13);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_many_processes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_followers_share_one_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leader_killed_mid_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_row_too_large_for_a_slot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_group_commits_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_failed_row_says_why, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_taken_ref_through_the_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slots_are_given_back, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
