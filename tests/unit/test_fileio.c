/* fileio: whole writes, and files replaced whole or not at all. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"

static char dir[] = "/tmp/test_fileio.XXXXXX";
static char path[512];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/file", dir);
	/* A write to a pipe nobody reads must fail, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Everything a test may leave in dir. */
static void remove_files(void)
{
	const char *names[] = {"file", "link", "sub/keep", "sub"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char p[600];
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		if (unlink(p) != 0)
			rmdir(p);
	}
}

static int teardown(void **state)
{
	(void)state;
	remove_files();
	return rmdir(dir);
}

static int clean(void **state)
{
	(void)state;
	remove_files();
	return 0;
}

static int visible(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* How many files dir holds: a temporary file left behind would show. */
static int entries(void)
{
	struct dirent **list;
	int n = scandir(dir, &list, visible, NULL);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return n;
}

static void assert_file_holds(const char *p, const char *want, mode_t mode)
{
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
	char text[256] = "";
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(text, want, (size_t)n);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Several times a pipe's buffer, written while a timer keeps interrupting
 * the writer (no SA_RESTART), so that writes come back short or with EINTR. */
static void write_all_finishes_interrupted_writes(void **state)
{
	(void)state;
	size_t n = 8 << 20;
	char *bytes = malloc(n);
	assert_non_null(bytes);
	for (size_t i = 0; i < n; i++)
		bytes[i] = (char)(i * 31 + i / 4099);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		struct sigaction interrupt = {0};
		interrupt.sa_handler = on_alarm;
		sigemptyset(&interrupt.sa_mask);
		struct itimerval every = {{0, 200}, {0, 200}};
		if (sigaction(SIGALRM, &interrupt, NULL) != 0 ||
		    setitimer(ITIMER_REAL, &every, NULL) != 0)
			_exit(2);
		_exit(write_all(fds[1], bytes, n) == 0 ? 0 : 1);
	}
	close(fds[1]);
	char *got = malloc(n + 1);
	assert_non_null(got);
	size_t have = 0;
	ssize_t r;
	/* Small reads and pauses, so that the writer often waits on a full pipe
	 * and is interrupted before it wrote anything. */
	for (int reads = 1;
	     (r = read(fds[0], got + have, have + 4096 <= n + 1 ? 4096 : n + 1 - have)) > 0;
	     reads++) {
		have += (size_t)r;
		if (reads % 64 == 0)
			nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(have, n);
	assert_memory_equal(got, bytes, n);
	free(got);
	free(bytes);
}

static void write_all_reports_failure(void **state)
{
	(void)state;
	assert_int_equal(write_all(-1, "x", 1), EBADF);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	assert_int_equal(write_all(fds[1], "x", 1), EPIPE);
	close(fds[1]);
	assert_int_equal(write_all(-1, NULL, 0), 0); /* nothing to write */
}

static void a_file_is_made_and_replaced_with_its_mode(void **state)
{
	(void)state;
	char err[256];
	mode_t old_umask = umask(077);
	assert_int_equal(file_replace(path, "first\n", 6, 0644, true, err, sizeof err), FILE_OK);
	umask(old_umask);
	assert_file_holds(path, "first\n", 0644);
	assert_int_equal(file_replace(path, "second", 6, 0600, true, err, sizeof err), FILE_OK);
	assert_file_holds(path, "second", 0600);
	assert_int_equal(file_replace(path, "", 0, 0600, true, err, sizeof err), FILE_OK);
	assert_file_holds(path, "", 0600);
	assert_int_equal(entries(), 1); /* no temporary file left behind */
}

static void without_replace_an_existing_file_is_kept(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(file_replace(path, "mine", 4, 0600, false, err, sizeof err), FILE_OK);
	assert_int_equal(file_replace(path, "yours", 5, 0600, false, err, sizeof err), FILE_EXISTS);
	assert_string_equal(err, "a file of that name already exists");
	assert_file_holds(path, "mine", 0600);
	/* Even a dangling link counts as taken: nothing is written through it. */
	char link_path[600];
	snprintf(link_path, sizeof link_path, "%s/link", dir);
	assert_int_equal(symlink("nowhere", link_path), 0);
	assert_int_equal(file_replace(link_path, "x", 1, 0600, false, err, sizeof err),
	                 FILE_EXISTS);
	assert_int_equal(entries(), 2);
}

static void failures_leave_the_old_file_and_no_litter(void **state)
{
	(void)state;
	char err[256];
	char missing[600];
	snprintf(missing, sizeof missing, "%s/no/such/dir/file", dir);
	assert_int_equal(file_replace(missing, "x", 1, 0600, true, err, sizeof err), FILE_NO_TEMP);
	assert_string_equal(err, "cannot create a file next to it: No such file or directory");

	char *long_path = malloc(PATH_MAX + 16);
	assert_non_null(long_path);
	memset(long_path, 'a', PATH_MAX + 15);
	long_path[PATH_MAX + 15] = '\0';
	assert_int_equal(file_replace(long_path, "x", 1, 0600, true, err, sizeof err),
	                 FILE_NO_TEMP);
	assert_string_equal(err, "the path is too long");
	free(long_path);

	/* A directory in the way: the rename fails, the directory stays. */
	char sub[600];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	char inside[700];
	snprintf(inside, sizeof inside, "%s/keep", sub);
	assert_int_equal(file_replace(inside, "x", 1, 0600, true, err, sizeof err), FILE_OK);
	assert_int_equal(file_replace(sub, "x", 1, 0600, true, err, sizeof err), FILE_NOT_WRITTEN);
	assert_true(strcmp(err, strerror(EISDIR)) == 0 || strcmp(err, strerror(ENOTEMPTY)) == 0 ||
	            strcmp(err, strerror(EEXIST)) == 0);
	struct stat st;
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(entries(), 1);
	assert_int_equal(unlink(inside), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(write_all_finishes_interrupted_writes),
	    cmocka_unit_test(write_all_reports_failure),
	    cmocka_unit_test_teardown(a_file_is_made_and_replaced_with_its_mode, clean),
	    cmocka_unit_test_teardown(without_replace_an_existing_file_is_kept, clean),
	    cmocka_unit_test_teardown(failures_leave_the_old_file_and_no_litter, clean),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
