/* passphrase: from a file's first line, or typed on a terminal with echo off
 * and the terminal always put back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "passphrase.h"

static char dir[] = "/tmp/test_passphrase.XXXXXX";
static char path[512];

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0 || !mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/passphrase", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static void write_file(const char *bytes, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void file_gives(const char *bytes, size_t n, const char *want)
{
	write_file(bytes, n);
	char err[1024] = "";
	char *p = passphrase_from_file(path, err, sizeof err);
	assert_non_null(p);
	assert_string_equal(p, want);
	/* Nothing read past the first line is kept in memory. */
	for (size_t i = strlen(p); i < PASSPHRASE_MAX + 2; i++)
		assert_int_equal(p[i], 0);
	passphrase_free(p);
}

static void file_refused(const char *bytes, size_t n, const char *want)
{
	write_file(bytes, n);
	char err[1024] = "";
	assert_null(passphrase_from_file(path, err, sizeof err));
	char expected[1024];
	snprintf(expected, sizeof expected, want, path);
	assert_string_equal(err, expected);
}

static void a_file_gives_its_first_line(void **state)
{
	(void)state;
	file_gives("correct horse\n", 14, "correct horse");
	file_gives("correct horse", 13, "correct horse");
	file_gives("crlf line\r\nsecond line\n", 23, "crlf line");
	file_gives("first\nsecond secret\n", 20, "first");
	file_gives("  spaces kept  \n", 16, "  spaces kept  ");
	char longest[PASSPHRASE_MAX + 1];
	memset(longest, 'x', PASSPHRASE_MAX);
	longest[PASSPHRASE_MAX] = '\n';
	write_file(longest, sizeof longest);
	char err[1024];
	char *p = passphrase_from_file(path, err, sizeof err);
	assert_non_null(p);
	assert_int_equal(strlen(p), PASSPHRASE_MAX);
	passphrase_free(p);
	passphrase_free(NULL);
}

static void a_file_that_is_no_passphrase_is_refused(void **state)
{
	(void)state;
	file_refused("", 0, "The passphrase file %s is empty.");
	file_refused("\nsecond", 7, "The passphrase file %s is empty.");
	file_refused("\r\n", 2, "The passphrase file %s is empty.");
	file_refused("nul\0byte\n", 9,
	             "The passphrase file %s holds a NUL byte; a passphrase is text.");
	char too_long[PASSPHRASE_MAX + 2];
	memset(too_long, 'x', sizeof too_long);
	file_refused(too_long, sizeof too_long,
	             "The first line of the passphrase file %s is longer than 1024 characters.");
}

static void an_unreadable_file_is_named(void **state)
{
	(void)state;
	unlink(path);
	char err[1024] = "";
	assert_null(passphrase_from_file(path, err, sizeof err));
	char want[1024];
	snprintf(want, sizeof want,
	         "Could not open the passphrase file %s (No such file or directory).", path);
	assert_string_equal(err, want);
	assert_null(passphrase_from_file(dir, err, sizeof err));
	snprintf(want, sizeof want, "Could not read the passphrase file %s (Is a directory).", dir);
	assert_string_equal(err, want);
}

/* --- on a terminal --------------------------------------------------------- */

enum { ASKED_OK = 10, ASKED_NULL = 11, ECHO_NOT_RESTORED = 12 };

/* In the child on the pty: asks, writes the answer or the error to fd out,
 * and exits with what happened. */
static void child_asks(int out)
{
	char err[1024] = "";
	char *p = passphrase_ask("Passphrase: ", err, sizeof err);
	const char *said = p ? p : err;
	ssize_t w = write(out, said, strlen(said));
	(void)w;
	struct termios now;
	if (tcgetattr(STDIN_FILENO, &now) != 0 || !(now.c_lflag & ECHO))
		_exit(ECHO_NOT_RESTORED);
	passphrase_free(p);
	_exit(p ? ASKED_OK : ASKED_NULL);
}

struct session {
	pid_t pid;
	int master;
	int answer; /* read end of the child's report */
};

static void start(struct session *s)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	s->pid = forkpty(&s->master, NULL, NULL, NULL);
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		close(fds[0]);
		child_asks(fds[1]);
	}
	close(fds[1]);
	s->answer = fds[0];
}

/* Reads what the terminal shows until the prompt is out and echo is off;
 * returns the bytes seen so far (static). */
static const char *wait_for_prompt(struct session *s)
{
	static char seen[4096];
	size_t n = 0;
	time_t deadline = time(NULL) + 10;
	for (;;) {
		assert_true(time(NULL) < deadline);
		struct pollfd p = {s->master, POLLIN, 0};
		if (poll(&p, 1, 20) > 0 && n < sizeof seen - 1) {
			ssize_t r = read(s->master, seen + n, sizeof seen - 1 - n);
			if (r > 0)
				n += (size_t)r;
		}
		seen[n] = '\0';
		struct termios t;
		if (strstr(seen, "Passphrase: ") && tcgetattr(s->master, &t) == 0 &&
		    !(t.c_lflag & ECHO))
			return seen;
	}
}

/* Waits for the child; returns its status, what it reported in said, how
 * many bytes the terminal showed after the prompt, and the terminal's
 * settings once the child is gone. */
static int finish(struct session *s, char *said, size_t len, size_t *shown, struct termios *after)
{
	/* Keep draining the terminal so the child never blocks on output. */
	char drain[4096];
	*shown = 0;
	int status;
	for (;;) {
		pid_t done = waitpid(s->pid, &status, WNOHANG);
		assert_true(done >= 0);
		struct pollfd p = {s->master, POLLIN, 0};
		if (poll(&p, 1, 20) > 0) {
			ssize_t r = read(s->master, drain, sizeof drain);
			if (r > 0)
				*shown += (size_t)r;
		}
		if (done == s->pid)
			break;
	}
	ssize_t r = read(s->answer, said, len - 1);
	said[r > 0 ? r : 0] = '\0';
	assert_int_equal(tcgetattr(s->master, after), 0);
	close(s->answer);
	close(s->master);
	return status;
}

static void typed_without_echo(void **state)
{
	(void)state;
	struct session s;
	start(&s);
	wait_for_prompt(&s);
	const char typed[] = "correct horse battery\n";
	assert_int_equal(write(s.master, typed, sizeof typed - 1), (ssize_t)(sizeof typed - 1));
	char said[2048];
	size_t shown;
	struct termios after;
	int status = finish(&s, said, sizeof said, &shown, &after);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), ASKED_OK);
	assert_string_equal(said, "correct horse battery");
	/* Only the newline is echoed (ECHONL), never the passphrase. */
	assert_true(shown <= 2);
	assert_true(after.c_lflag & ECHO);
}

static void nothing_typed_or_too_much_is_refused(void **state)
{
	(void)state;
	struct session s;
	start(&s);
	wait_for_prompt(&s);
	struct termios t;
	assert_int_equal(tcgetattr(s.master, &t), 0);
	char eof = (char)t.c_cc[VEOF];
	assert_int_equal(write(s.master, &eof, 1), 1);
	char said[2048];
	size_t shown;
	struct termios after;
	int status = finish(&s, said, sizeof said, &shown, &after);
	assert_int_equal(WEXITSTATUS(status), ASKED_NULL);
	assert_string_equal(said, "No passphrase was typed, so nothing was done.");

	start(&s);
	wait_for_prompt(&s);
	char line[PASSPHRASE_MAX + 50];
	memset(line, 'y', sizeof line);
	line[sizeof line - 1] = '\n';
	/* A terminal line holds at most 4095 characters: this one fits. */
	assert_int_equal(write(s.master, line, sizeof line), (ssize_t)sizeof line);
	status = finish(&s, said, sizeof said, &shown, &after);
	assert_int_equal(WEXITSTATUS(status), ASKED_NULL);
	assert_string_equal(said, "That passphrase is longer than 1024 characters, which is more "
	                          "than this tool accepts.");
}

/* Stopped at the prompt, the program puts echo back before it dies. */
static void a_signal_at_the_prompt_restores_echo(void **state)
{
	(void)state;
	int signals[] = {SIGTERM, SIGINT, SIGHUP};
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		struct session s;
		start(&s);
		wait_for_prompt(&s);
		assert_int_equal(kill(s.pid, signals[i]), 0);
		char said[64];
		size_t shown;
		struct termios after;
		int status = finish(&s, said, sizeof said, &shown, &after);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), signals[i]);
		assert_true(after.c_lflag & ECHO);
		assert_true(shown >= 1); /* the newline that ends the prompt's line */
	}
}

static void no_terminal_is_told(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		setsid(); /* no controlling terminal, so no /dev/tty */
		child_asks(fds[1]);
	}
	close(fds[1]);
	char said[1024];
	ssize_t r = read(fds[0], said, sizeof said - 1);
	said[r > 0 ? r : 0] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_string_equal(said,
	                    "This needs the passphrase, but there is no terminal to ask for it "
	                    "on. Run it in a terminal, or give the passphrase in a file with "
	                    "--passphrase-file FILE.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_file_gives_its_first_line),
	    cmocka_unit_test(a_file_that_is_no_passphrase_is_refused),
	    cmocka_unit_test(an_unreadable_file_is_named),
	    cmocka_unit_test(typed_without_echo),
	    cmocka_unit_test(nothing_typed_or_too_much_is_refused),
	    cmocka_unit_test(a_signal_at_the_prompt_restores_echo),
	    cmocka_unit_test(no_terminal_is_told),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
