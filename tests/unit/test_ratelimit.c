/* ratelimit: the limit and its windows, clients kept apart, the daily key,
 * eviction from a full table, and sharing across fork(): exact counts under
 * contention and no deadlock when a worker dies holding the lock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ratelimit.h"

#define HOUR 3600
#define DAY 86400
/* Midday, so that an hour either way stays within the day. */
#define NOON ((time_t)20000 * DAY + DAY / 2)

static void allows_max_hits_then_refuses(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(64, 3, HOUR);
	assert_non_null(rl);
	for (int i = 0; i < 3; i++)
		assert_true(ratelimit_allow(rl, "192.0.2.1", NOON + i));
	for (int i = 0; i < 5; i++)
		assert_false(ratelimit_allow(rl, "192.0.2.1", NOON + 10 + i));
	ratelimit_free(rl);
}

static void another_address_is_unaffected(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(64, 2, HOUR);
	assert_non_null(rl);
	assert_true(ratelimit_allow(rl, "192.0.2.1", NOON));
	assert_true(ratelimit_allow(rl, "192.0.2.1", NOON));
	assert_false(ratelimit_allow(rl, "192.0.2.1", NOON));
	/* Addresses that share a prefix, or differ only in case, are other
	 * clients. */
	const char *others[] = {"192.0.2.10", "192.0.2.", "2001:db8::1", "2001:DB8::1", ""};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		assert_true(ratelimit_allow(rl, others[i], NOON + 1));
		assert_true(ratelimit_allow(rl, others[i], NOON + 1));
		assert_false(ratelimit_allow(rl, others[i], NOON + 1));
	}
	assert_false(ratelimit_allow(rl, "192.0.2.1", NOON + 2));
	ratelimit_free(rl);
}

static void a_new_window_allows_again(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(64, 2, HOUR);
	assert_non_null(rl);
	assert_true(ratelimit_allow(rl, "198.51.100.7", NOON));
	assert_true(ratelimit_allow(rl, "198.51.100.7", NOON + 100));
	/* Refused hits do not count, nor move the window on. */
	for (int i = 0; i < 50; i++)
		assert_false(ratelimit_allow(rl, "198.51.100.7", NOON + HOUR - 50 + i));
	assert_true(ratelimit_allow(rl, "198.51.100.7", NOON + HOUR));
	assert_true(ratelimit_allow(rl, "198.51.100.7", NOON + HOUR + 1));
	assert_false(ratelimit_allow(rl, "198.51.100.7", NOON + HOUR + 2));
	/* The window is the client's own, begun by its first hit. */
	assert_true(ratelimit_allow(rl, "198.51.100.8", NOON + HOUR + 1000));
	assert_true(ratelimit_allow(rl, "198.51.100.8", NOON + HOUR + 1000));
	assert_false(ratelimit_allow(rl, "198.51.100.8", NOON + 2 * HOUR + 999));
	assert_true(ratelimit_allow(rl, "198.51.100.8", NOON + 2 * HOUR + 1000));
	ratelimit_free(rl);
}

static void the_key_changes_with_the_day(void **state)
{
	(void)state;
	/* A window longer than a day: only the daily key can tell the two
	 * days' hits apart. */
	struct ratelimit *rl = ratelimit_new(64, 1, 3 * DAY);
	assert_non_null(rl);
	time_t midnight = (time_t)20001 * DAY;
	assert_true(ratelimit_allow(rl, "203.0.113.9", midnight - 10));
	assert_false(ratelimit_allow(rl, "203.0.113.9", midnight - 1));
	assert_true(ratelimit_allow(rl, "203.0.113.9", midnight));
	assert_false(ratelimit_allow(rl, "203.0.113.9", midnight + DAY - 1));
	/* Yesterday's entry is still there under yesterday's key. */
	assert_false(ratelimit_allow(rl, "203.0.113.9", midnight - 5));
	assert_true(ratelimit_allow(rl, "203.0.113.9", midnight + DAY));
	ratelimit_free(rl);
}

static void a_full_table_reuses_the_oldest_window(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(2, 1, HOUR);
	assert_non_null(rl);
	assert_true(ratelimit_allow(rl, "A", NOON));
	assert_true(ratelimit_allow(rl, "B", NOON + 10));
	assert_true(ratelimit_allow(rl, "C", NOON + 20)); /* A is forgotten */
	assert_false(ratelimit_allow(rl, "B", NOON + 30));
	assert_false(ratelimit_allow(rl, "C", NOON + 30));
	assert_true(ratelimit_allow(rl, "A", NOON + 40)); /* B is forgotten */
	assert_false(ratelimit_allow(rl, "C", NOON + 50));
	assert_false(ratelimit_allow(rl, "A", NOON + 50));
	assert_true(ratelimit_allow(rl, "B", NOON + 60)); /* C is forgotten */
	assert_true(ratelimit_allow(rl, "C", NOON + 70));
	ratelimit_free(rl);

	/* One slot: each new client pushes the last one out. */
	rl = ratelimit_new(1, 1, HOUR);
	assert_non_null(rl);
	assert_true(ratelimit_allow(rl, "A", NOON));
	assert_false(ratelimit_allow(rl, "A", NOON + 1));
	assert_true(ratelimit_allow(rl, "B", NOON + 2));
	assert_true(ratelimit_allow(rl, "A", NOON + 3));
	assert_false(ratelimit_allow(rl, "A", NOON + 4));
	ratelimit_free(rl);
}

static void odd_sizes_and_arguments(void **state)
{
	(void)state;
	assert_null(ratelimit_new(0, 5, HOUR));
	assert_null(ratelimit_new(~0u, 5, HOUR));
	struct ratelimit *rl = ratelimit_new(1, 0, HOUR);
	assert_non_null(rl);
	assert_false(ratelimit_allow(rl, "192.0.2.1", NOON));
	ratelimit_free(rl);
	/* A window of no length: every hit starts a new one. */
	rl = ratelimit_new(1, 1, 0);
	assert_non_null(rl);
	for (int i = 0; i < 3; i++)
		assert_true(ratelimit_allow(rl, "192.0.2.1", NOON));
	ratelimit_free(rl);
	/* No address at all is still one client; times before 1970 work. */
	rl = ratelimit_new(4, 1, HOUR);
	assert_non_null(rl);
	assert_true(ratelimit_allow(rl, NULL, NOON));
	assert_false(ratelimit_allow(rl, "", NOON));
	assert_true(ratelimit_allow(rl, "x", -5));
	assert_false(ratelimit_allow(rl, "x", -1));
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

static pid_t spawn(void (*body)(struct ratelimit *, void *), struct ratelimit *rl, void *arg)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		body(rl, arg);
		_exit(0);
	}
	return pid;
}

static void wait_ok(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void three_hits(struct ratelimit *rl, void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		if (!ratelimit_allow(rl, "192.0.2.44", NOON))
			_exit(1);
}

static void a_childs_hits_count_for_the_parent(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(64, 3, HOUR);
	assert_non_null(rl);
	wait_ok(spawn(three_hits, rl, NULL));
	assert_false(ratelimit_allow(rl, "192.0.2.44", NOON + 1));
	assert_true(ratelimit_allow(rl, "192.0.2.45", NOON + 1));
	ratelimit_free(rl);
}

#define WORKERS 4
#define TRIES 20000

struct contention {
	unsigned allowed[WORKERS][2];
	volatile int go; /* so the workers start together */
};

struct worker {
	struct contention *shared;
	int me;
};

/* Each worker hammers a shared address and one of its own. */
static void hammer(struct ratelimit *rl, void *arg)
{
	const struct worker *worker = arg;
	struct contention *shared = worker->shared;
	int me = worker->me;
	while (!shared->go)
		sched_yield();
	char own[32];
	snprintf(own, sizeof own, "10.0.0.%d", me);
	for (int i = 0; i < TRIES; i++) {
		shared->allowed[me][0] += ratelimit_allow(rl, "192.0.2.200", NOON);
		shared->allowed[me][1] += ratelimit_allow(rl, own, NOON);
	}
}

static void concurrent_workers_count_exactly(void **state)
{
	(void)state;
	const unsigned limit = 50000; /* less than WORKERS * TRIES, more than TRIES */
	struct ratelimit *rl = ratelimit_new(256, limit, HOUR);
	assert_non_null(rl);
	struct contention *shared =
	    mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shared != MAP_FAILED);
	memset(shared, 0, sizeof *shared);
	pid_t pids[WORKERS];
	for (int w = 0; w < WORKERS; w++) {
		/* Private memory: each child keeps the copy it was forked with. */
		struct worker worker = {shared, w};
		pids[w] = spawn(hammer, rl, &worker);
	}
	shared->go = 1;
	for (int w = 0; w < WORKERS; w++)
		wait_ok(pids[w]);
	unsigned total = 0;
	for (int w = 0; w < WORKERS; w++) {
		total += shared->allowed[w][0];
		assert_int_equal(shared->allowed[w][1], TRIES);
	}
	assert_int_equal(total, limit);
	assert_false(ratelimit_allow(rl, "192.0.2.200", NOON));
	munmap(shared, sizeof *shared);
	ratelimit_free(rl);
}

/* Each call sees a new client, so each scans the whole (large) table with
 * the lock held: a kill at a random moment nearly always lands inside. */
static void scan_forever(struct ratelimit *rl, void *arg)
{
	(void)arg;
	char address[32];
	for (unsigned i = 0;; i++) {
		snprintf(address, sizeof address, "10.%u.%u.%u", i >> 16 & 255, i >> 8 & 255,
		         i & 255);
		ratelimit_allow(rl, address, NOON);
	}
}

static void wedged(int sig)
{
	(void)sig;
	static const char msg[] = "ratelimit_allow hung after a worker was killed\n";
	(void)!write(STDERR_FILENO, msg, sizeof msg - 1);
	_exit(3);
}

static void a_worker_killed_holding_the_lock_does_not_wedge_the_rest(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(1u << 20, 2, HOUR);
	assert_non_null(rl);
	signal(SIGALRM, wedged);
	srand((unsigned)getpid());
	for (int round = 0; round < 8; round++) {
		pid_t pid = spawn(scan_forever, rl, NULL);
		usleep(20000 + (useconds_t)(rand() % 20000));
		assert_int_equal(kill(pid, SIGKILL), 0);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		alarm(10);
		char address[32];
		snprintf(address, sizeof address, "192.0.2.%d", round);
		assert_true(ratelimit_allow(rl, address, NOON + 1));
		assert_true(ratelimit_allow(rl, address, NOON + 1));
		assert_false(ratelimit_allow(rl, address, NOON + 1));
		alarm(0);
	}
	signal(SIGALRM, SIG_DFL);
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(allows_max_hits_then_refuses),
	    cmocka_unit_test(another_address_is_unaffected),
	    cmocka_unit_test(a_new_window_allows_again),
	    cmocka_unit_test(the_key_changes_with_the_day),
	    cmocka_unit_test(a_full_table_reuses_the_oldest_window),
	    cmocka_unit_test(odd_sizes_and_arguments),
	    cmocka_unit_test(a_childs_hits_count_for_the_parent),
	    cmocka_unit_test(concurrent_workers_count_exactly),
	    cmocka_unit_test(a_worker_killed_holding_the_lock_does_not_wedge_the_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
