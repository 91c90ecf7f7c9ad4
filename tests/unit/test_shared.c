/* shared: memory and robust locks shared across fork. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared.h"

struct area {
	pthread_mutex_t lock;
	int counter;
	unsigned char rest[8192];
};

static void memory_is_zeroed_and_shared_with_children(void **state)
{
	(void)state;
	struct area *a = shared_map(sizeof *a);
	assert_non_null(a);
	for (size_t i = 0; i < sizeof a->rest; i++)
		assert_int_equal(a->rest[i], 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		a->counter = 42;
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(a->counter, 42);
	munmap(a, sizeof *a);
}

static void the_lock_serialises_processes(void **state)
{
	(void)state;
	enum { CHILDREN = 4, ROUNDS = 2000 };
	struct area *a = shared_map(sizeof *a);
	assert_non_null(a);
	assert_true(shared_mutex_init(&a->lock));
	pid_t pids[CHILDREN];
	for (int c = 0; c < CHILDREN; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] == 0) {
			for (int i = 0; i < ROUNDS; i++) {
				if (!shared_mutex_lock(&a->lock))
					_exit(1);
				int seen = a->counter;
				sched_yield();
				a->counter = seen + 1; /* lost updates show without the lock */
				pthread_mutex_unlock(&a->lock);
			}
			_exit(0);
		}
	}
	for (int c = 0; c < CHILDREN; c++) {
		int status;
		assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(a->counter, CHILDREN * ROUNDS);
	munmap(a, sizeof *a);
}

static void a_lock_held_by_a_killed_process_is_taken_over(void **state)
{
	(void)state;
	struct area *a = shared_map(sizeof *a);
	assert_non_null(a);
	assert_true(shared_mutex_init(&a->lock));
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!shared_mutex_lock(&a->lock))
			_exit(1);
		a->counter = 7;
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause(); /* killed holding the lock */
		_exit(0);
	}
	char byte;
	assert_int_equal(read(ready[0], &byte, 1), 1);
	kill(pid, SIGKILL);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	alarm(10); /* a lock that was never handed over would hang here */
	assert_true(shared_mutex_lock(&a->lock));
	assert_int_equal(a->counter, 7);
	pthread_mutex_unlock(&a->lock);
	/* Usable as ever afterwards. */
	assert_true(shared_mutex_lock(&a->lock));
	pthread_mutex_unlock(&a->lock);
	alarm(0);
	close(ready[0]);
	close(ready[1]);
	munmap(a, sizeof *a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(memory_is_zeroed_and_shared_with_children),
	    cmocka_unit_test(the_lock_serialises_processes),
	    cmocka_unit_test(a_lock_held_by_a_killed_process_is_taken_over),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
