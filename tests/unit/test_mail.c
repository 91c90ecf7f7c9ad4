/* mail: plain addresses, and sendmail given the whole message or a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail.h"

static char dir[] = "/tmp/test_mail.XXXXXX";
static char script[600], received[600];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(script, sizeof script, "%s/sendmail", dir);
	snprintf(received, sizeof received, "%s/received", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(script);
	unlink(received);
	return rmdir(dir);
}

/* A stand-in sendmail: body is the shell script after "#!/bin/sh\n". */
static void make_sendmail(const char *body, mode_t mode)
{
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(script, mode), 0);
	unlink(received);
}

static const char message[] = "To: staff@clinic.example\nSubject: 2 new enquiries\n\nHello.\n.\n"
                              "After a lone dot.\n";

static void send_fails_with(const char *want)
{
	char err[1024] = "";
	assert_false(mail_send(script, message, sizeof message - 1, err, sizeof err));
	assert_string_equal(err, want);
}

static void only_plain_addresses_are_plain(void **state)
{
	(void)state;
	const char *good[] = {"staff@clinic.example", "a.b+c@x.y", "x@y"};
	const char *bad[] = {"",
	                     "staff",
	                     "-oi@clinic.example",
	                     "a b@clinic.example",
	                     "a@x,b@y",
	                     "Staff <staff@clinic.example>",
	                     "a@x\nBcc: eve@example.org",
	                     "a@x\r",
	                     "a@x\t",
	                     "a@x\x7f",
	                     "a@x\x01"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(mail_address_plain(good[i]));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(mail_address_plain(bad[i]));
}

static void sendmail_gets_the_whole_message_and_its_options(void **state)
{
	(void)state;
	char body[1400];
	snprintf(body, sizeof body,
	         "[ \"$#\" = 2 ] && [ \"$1\" = -t ] && [ \"$2\" = -oi ] || exit 9\ncat > %s",
	         received);
	make_sendmail(body, 0700);
	char err[1024] = "";
	assert_true(mail_send(script, message, sizeof message - 1, err, sizeof err));
	FILE *f = fopen(received, "r");
	assert_non_null(f);
	char got[512];
	size_t n = fread(got, 1, sizeof got, f);
	fclose(f);
	assert_int_equal(n, sizeof message - 1);
	assert_memory_equal(got, message, n);
}

static void a_sendmail_that_cannot_run_is_named(void **state)
{
	(void)state;
	make_sendmail("exit 0", 0600);
	char want[1024];
	snprintf(want, sizeof want,
	         "Could not run %s (Permission denied). Check `sendmail` in the configuration.",
	         script);
	send_fails_with(want);
	unlink(script);
	snprintf(want, sizeof want,
	         "Could not run %s (No such file or directory). Check `sendmail` in the "
	         "configuration.",
	         script);
	send_fails_with(want);
	/* Executable, but its interpreter is missing: exec fails in the child. */
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fputs("#!/nonexistent/interpreter\n", f);
	fclose(f);
	chmod(script, 0700);
	snprintf(want, sizeof want, "Could not run %s.", script);
	send_fails_with(want);
}

static void a_failing_sendmail_is_reported(void **state)
{
	(void)state;
	char want[1024];
	make_sendmail("cat > /dev/null; exit 3", 0700);
	snprintf(want, sizeof want, "%s failed (exit status 3).", script);
	send_fails_with(want);
	make_sendmail("kill -9 $$", 0700);
	snprintf(want, sizeof want, "%s was stopped by signal 9.", script);
	send_fails_with(want);
}

/* One that exits 0 without reading must not kill us with SIGPIPE, and a
 * message it never took is not sent. */
static void a_message_not_taken_is_not_sent(void **state)
{
	(void)state;
	make_sendmail("exit 0", 0700);
	size_t n = 4 << 20;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	char err[1024] = "";
	assert_false(mail_send(script, big, n, err, sizeof err));
	free(big);
	char want[1024];
	snprintf(want, sizeof want, "Could not hand the message to %s (Broken pipe).", script);
	assert_string_equal(err, want);
	struct sigaction now;
	assert_int_equal(sigaction(SIGPIPE, NULL, &now), 0);
	assert_true(now.sa_handler == SIG_DFL); /* put back as it was */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(only_plain_addresses_are_plain),
	    cmocka_unit_test(sendmail_gets_the_whole_message_and_its_options),
	    cmocka_unit_test(a_sendmail_that_cannot_run_is_named),
	    cmocka_unit_test(a_failing_sendmail_is_reported),
	    cmocka_unit_test(a_message_not_taken_is_not_sent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
