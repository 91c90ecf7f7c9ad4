/*
 * commit-ceiling: the machine's durable-commit ceiling for `make bench`.
 *
 * One process, one connection, a loop of single-row transactions into the
 * enquiry store's own table (made by store_open), with the store's settings (WAL,
 * synchronous=FULL, secure_delete), each row carrying a blob as large as a
 * sealed enquiry. Every commit returns only after fsync, so the rate is what
 * this disk and kernel allow for durable commits one after another.
 *
 *     commit-ceiling DB_PATH SECONDS ROW_BYTES [PROCESSES]
 *
 * With PROCESSES > 1, that many processes each run the loop on their own
 * connection and take turns under an exclusive flock on "DB_PATH.lock" around
 * each transaction, as the store's writers do: what several writer processes
 * cost compared with one.
 *
 * Prints one JSON object: commits, seconds, per_second, p50_ms, p99_ms
 * (latency of one transaction, lock wait included).
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shared.h"
#include "ref.h"
#include "store.h"

#define MAX_SAMPLES 1000000
#define MAX_PROCESSES 16
#define MAX_ROW_BYTES (1024 * 1024)

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static bool run_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
		return true;
	fprintf(stderr, "commit-ceiling: %s: %s\n", sql, err ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	return false;
}

static bool insert_one(sqlite3 *db, sqlite3_stmt *insert, const unsigned char *blob, int len)
{
	char ref[16];
	ref_new(ref);
	if (!run_sql(db, "BEGIN IMMEDIATE"))
		return false;
	int rc = SQLITE_ERROR;
	if (sqlite3_bind_text(insert, 1, ref, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	    sqlite3_bind_blob(insert, 2, blob, len, SQLITE_STATIC) == SQLITE_OK)
		rc = sqlite3_step(insert);
	sqlite3_reset(insert);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) /* a reference drawn twice: not a commit */
		return run_sql(db, "ROLLBACK");
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "commit-ceiling: insert: %s\n", sqlite3_errmsg(db));
		return false;
	}
	return run_sql(db, "COMMIT");
}

static bool open_db(const char *path, sqlite3 **db, sqlite3_stmt **insert)
{
	*db = NULL;
	*insert = NULL;
	if (sqlite3_open(path, db) != SQLITE_OK) {
		fprintf(stderr, "commit-ceiling: cannot open %s: %s\n", path,
		        *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		return false;
	}
	if (sqlite3_busy_timeout(*db, 5000) != SQLITE_OK ||
	    !run_sql(*db, "PRAGMA journal_mode = WAL") ||
	    !run_sql(*db, "PRAGMA secure_delete = ON; PRAGMA synchronous = FULL") ||
	    sqlite3_prepare_v2(*db,
	                       "INSERT INTO enquiries (ref, kind, received_day, key_id, sealed)"
	                       " VALUES (?1, 'contact', date('now'), '0123456789abcdef', ?2)",
	                       -1, insert, NULL) != SQLITE_OK) {
		fprintf(stderr, "commit-ceiling: set-up failed: %s\n", sqlite3_errmsg(*db));
		sqlite3_close(*db);
		return false;
	}
	return true;
}

/* One writer's loop: fills samples (milliseconds per transaction) and
 * returns how many, or -1 on failure. lock_fd < 0: no flock. */
static long write_loop(const char *path, int lock_fd, double seconds, const unsigned char *blob,
                       int row_bytes, double *samples, long max_samples)
{
	sqlite3 *db;
	sqlite3_stmt *insert;
	if (lock_fd >= 0 && flock(lock_fd, LOCK_EX) != 0)
		return -1;
	/* Schema set-up is a write too: one process at a time. */
	bool opened = open_db(path, &db, &insert);
	if (lock_fd >= 0)
		flock(lock_fd, LOCK_UN);
	if (!opened)
		return -1;
	long commits = 0;
	double started = now_seconds(), elapsed = 0;
	bool ok = true;
	while (ok && elapsed < seconds && commits < max_samples) {
		double before = now_seconds();
		ok = lock_fd < 0 || flock(lock_fd, LOCK_EX) == 0;
		ok = ok && insert_one(db, insert, blob, row_bytes);
		if (lock_fd >= 0)
			flock(lock_fd, LOCK_UN);
		double after = now_seconds();
		if (ok)
			samples[commits++] = (after - before) * 1000.0;
		elapsed = after - started;
	}
	sqlite3_finalize(insert);
	sqlite3_close(db);
	return ok ? commits : -1;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: commit-ceiling DB_PATH SECONDS ROW_BYTES [PROCESSES]\n");
		return 2;
	}
	double seconds = atof(argv[2]);
	long row_bytes = atol(argv[3]);
	int processes = argc == 5 ? atoi(argv[4]) : 1;
	if (seconds <= 0 || seconds > 600 || row_bytes < 1 || row_bytes > MAX_ROW_BYTES ||
	    processes < 1 || processes > MAX_PROCESSES) {
		fprintf(stderr,
		        "commit-ceiling: SECONDS must be in (0, 600], ROW_BYTES 1..%d, "
		        "PROCESSES 1..%d\n",
		        MAX_ROW_BYTES, MAX_PROCESSES);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	unsigned char *blob = malloc((size_t)row_bytes);
	/* Shared, so that each writer process can leave its samples for us. */
	size_t per_process = MAX_SAMPLES / (size_t)processes;
	size_t bytes = (size_t)processes * (per_process * sizeof(double) + sizeof(long));
	void *shared = shared_map(bytes);
	if (!blob || !shared) {
		fprintf(stderr, "commit-ceiling: out of memory\n");
		return 1;
	}
	long *counts = shared;
	double *samples = (double *)(counts + processes);
	/* The table exactly as the store makes it (schema and migrations), before
	 * any writer starts. */
	struct store *store = NULL;
	if (store_open(argv[1], STORE_READ_WRITE, &store) != STORE_OK) {
		fprintf(stderr, "commit-ceiling: cannot set up %s: %s\n", argv[1],
		        store ? store_error(store) : "out of memory");
		store_close(store);
		return 1;
	}
	store_close(store);
	/* Sealed bytes are indistinguishable from random ones. */
	randombytes_buf(blob, (size_t)row_bytes);

	int lock_fd = -1;
	if (processes > 1) {
		char lock_path[4096];
		if (snprintf(lock_path, sizeof lock_path, "%s.lock", argv[1]) >=
		        (int)sizeof lock_path ||
		    (lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
			fprintf(stderr, "commit-ceiling: cannot open the lock file for %s\n",
			        argv[1]);
			return 1;
		}
	}
	double started = now_seconds();
	pid_t pids[MAX_PROCESSES];
	for (int i = 0; i < processes; i++) {
		pids[i] = processes == 1 ? 0 : fork();
		if (pids[i] < 0) {
			perror("commit-ceiling: fork");
			return 1;
		}
		if (pids[i] == 0) {
			/* Each process opens the lock file itself: flock locks belong
			 * to the open file, and a shared one would never block. */
			int own_lock = -1;
			if (lock_fd >= 0) {
				char path[64];
				snprintf(path, sizeof path, "/proc/self/fd/%d", lock_fd);
				own_lock = open(path, O_RDWR | O_CLOEXEC);
				if (own_lock < 0)
					_exit(1);
			}
			counts[i] =
			    write_loop(argv[1], own_lock, seconds, blob, (int)row_bytes,
			               samples + (size_t)i * per_process, (long)per_process);
			if (processes > 1)
				_exit(counts[i] < 0);
			break;
		}
	}
	bool ok = true;
	if (processes > 1)
		for (int i = 0; i < processes; i++) {
			int status;
			ok &= waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
			      WEXITSTATUS(status) == 0;
		}
	double elapsed = now_seconds() - started;
	/* Gather every writer's samples into one run for the percentiles. */
	long commits = 0;
	for (int i = 0; ok && i < processes; i++) {
		if (counts[i] < 0) {
			ok = false;
			break;
		}
		memmove(samples + commits, samples + (size_t)i * per_process,
		        (size_t)counts[i] * sizeof *samples);
		commits += counts[i];
	}
	if (!ok || commits == 0)
		return 1;
	qsort(samples, (size_t)commits, sizeof *samples, by_value);
	printf("{\"commits\": %ld, \"seconds\": %.3f, \"per_second\": %.1f, \"p50_ms\": %.3f, "
	       "\"p99_ms\": %.3f, \"processes\": %d}\n",
	       commits, elapsed, (double)commits / elapsed, samples[commits / 2],
	       samples[(size_t)((double)commits * 0.99)], processes);
	munmap(shared, bytes);
	free(blob);
	return 0;
}
