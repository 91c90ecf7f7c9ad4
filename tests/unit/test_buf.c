/* buf: appends, the hard limit and its sticky failure, printf, take, wipe. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void assert_holds(const struct buf *b, const char *want, size_t n)
{
	assert_int_equal(b->len, n);
	assert_non_null(b->data);
	assert_memory_equal(b->data, want, n);
	assert_int_equal(b->data[n], '\0');
}

static void appends_are_nul_terminated(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(b.len, 0);
	assert_false(b.failed);
	assert_true(buf_puts(&b, "ab"));
	assert_holds(&b, "ab", 2);
	assert_true(buf_putc(&b, 'c'));
	assert_true(buf_append(&b, "d\0e", 3));
	assert_holds(&b, "abcd\0e", 6);
	assert_true(buf_append(&b, NULL, 0));
	assert_true(buf_puts(&b, ""));
	assert_holds(&b, "abcd\0e", 6);
	buf_free(&b);
}

static void grows_across_many_appends(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 100000);
	for (int i = 0; i < 10000; i++)
		assert_true(buf_putc(&b, (char)('a' + i % 26)));
	assert_int_equal(b.len, 10000);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	assert_int_equal(b.data[10000], '\0');
	buf_free(&b);
}

static void the_limit_is_exact(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 10);
	assert_true(buf_puts(&b, "01234"));
	assert_true(buf_puts(&b, "56789"));
	assert_false(b.failed);
	assert_false(buf_putc(&b, 'x'));
	assert_true(b.failed);
	/* What was there before the failed append is intact. */
	assert_holds(&b, "0123456789", 10);
	buf_free(&b);

	buf_init(&b, 0);
	assert_true(buf_append(&b, "", 0));
	assert_false(buf_putc(&b, 'x'));
	buf_free(&b);
}

static void failure_is_sticky_until_reset(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 10);
	assert_true(buf_puts(&b, "abc"));
	assert_false(buf_puts(&b, "too long for it"));
	assert_true(b.failed);
	/* Small appends that would fit still fail: the response is already lost. */
	assert_false(buf_putc(&b, 'd'));
	assert_false(buf_append(&b, "", 0));
	assert_false(buf_printf(&b, "%d", 1));
	assert_holds(&b, "abc", 3);
	char *storage = b.data;
	buf_reset(&b);
	assert_false(b.failed);
	assert_holds(&b, "", 0);
	/* Reset keeps the storage for the next response. */
	assert_ptr_equal(b.data, storage);
	assert_true(buf_puts(&b, "0123456789"));
	assert_holds(&b, "0123456789", 10);
	buf_free(&b);
}

static void huge_appends_do_not_overflow(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 64);
	assert_true(buf_puts(&b, "abc"));
	/* A length near SIZE_MAX must fail on the limit check, not wrap around. */
	assert_false(buf_append(&b, "x", SIZE_MAX));
	assert_false(buf_append(&b, "x", SIZE_MAX - 2));
	assert_true(b.failed);
	assert_holds(&b, "abc", 3);
	buf_free(&b);
}

static bool via_vprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return ok;
}

static void printf_formats_and_appends(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4096);
	assert_true(buf_puts(&b, "n="));
	assert_true(buf_printf(&b, "%d %s %05.1f %c", -42, "x", 3.14159, '!'));
	assert_string_equal(b.data, "n=-42 x 003.1 !");
	assert_true(via_vprintf(&b, "[%s]", "v"));
	assert_string_equal(b.data, "n=-42 x 003.1 ![v]");
	assert_true(buf_printf(&b, "%s", ""));
	assert_int_equal(b.len, strlen("n=-42 x 003.1 ![v]"));
	/* Output longer than the first allocation. */
	buf_reset(&b);
	assert_true(buf_printf(&b, "%1000d|", 7));
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.data[999], '7');
	assert_int_equal(b.data[1000], '|');
	assert_int_equal(b.data[1001], '\0');
	buf_free(&b);
}

static void printf_respects_the_limit(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	assert_true(buf_printf(&b, "%s", "1234"));
	assert_false(buf_printf(&b, "%d", 12345));
	assert_true(b.failed);
	assert_holds(&b, "1234", 4);
	buf_free(&b);

	buf_init(&b, 8);
	assert_true(buf_printf(&b, "%08d", 1));
	assert_holds(&b, "00000001", 8);
	assert_false(buf_printf(&b, "%s", "x"));
	buf_free(&b);
}

static void alternatives_read_as_a_sentence_offers_them(void **state)
{
	(void)state;
	const char *words[] = {"new", "handled", "all"};
	const char *expected[] = {"", "new", "new or handled", "new, handled or all"};
	for (size_t n = 0; n <= 3; n++) {
		struct buf b;
		buf_init(&b, 64);
		assert_true(buf_put_alternatives(&b, words, n, ""));
		assert_string_equal(b.data ? b.data : "", expected[n]);
		buf_free(&b);
	}
	struct buf quoted;
	buf_init(&quoted, 64);
	assert_true(buf_put_alternatives(&quoted, words, 2, "\""));
	assert_string_equal(quoted.data, "\"new\" or \"handled\"");
	buf_free(&quoted);
	struct buf small;
	buf_init(&small, 8);
	assert_false(buf_put_alternatives(&small, words, 3, ""));
	buf_free(&small);
}

static void take_hands_over_the_storage(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 100);
	assert_true(buf_puts(&b, "first"));
	char *first = buf_take(&b);
	assert_non_null(first);
	assert_string_equal(first, "first");
	/* b is empty again, with its limit, and independent of what it gave away. */
	assert_int_equal(b.len, 0);
	assert_null(b.data);
	assert_int_equal(b.limit, 100);
	assert_false(b.failed);
	assert_true(buf_puts(&b, "second"));
	char *second = buf_take(&b);
	assert_string_equal(first, "first");
	assert_string_equal(second, "second");
	free(first);
	free(second);
	buf_free(&b);
}

/* buf.h promises a NUL-terminated string, even from a buffer that never held
 * a byte or failed before its first allocation. */
static void take_of_an_empty_or_failed_buffer_is_an_empty_string(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 100);
	char *empty = buf_take(&b);
	assert_non_null(empty);
	assert_string_equal(empty, "");
	free(empty);
	assert_false(buf_puts(&b, "this is longer than the limit of one hundred bytes, so it fails "
	                          "before anything is ever allocated for it at all"));
	char *failed = buf_take(&b);
	assert_non_null(failed);
	assert_string_equal(failed, "");
	free(failed);
	buf_free(&b);
}

static void wipe_and_free_leave_a_usable_buffer(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 50);
	buf_wipe(&b);
	buf_free(&b);
	assert_true(buf_puts(&b, "secret plaintext"));
	assert_false(buf_printf(&b, "%60s", "over"));
	buf_wipe(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.limit, 50);
	assert_false(b.failed);
	assert_true(buf_puts(&b, "again"));
	assert_holds(&b, "again", 5);
	buf_free(&b);
	buf_free(&b);
	assert_null(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(appends_are_nul_terminated),
	    cmocka_unit_test(grows_across_many_appends),
	    cmocka_unit_test(the_limit_is_exact),
	    cmocka_unit_test(failure_is_sticky_until_reset),
	    cmocka_unit_test(huge_appends_do_not_overflow),
	    cmocka_unit_test(printf_formats_and_appends),
	    cmocka_unit_test(printf_respects_the_limit),
	    cmocka_unit_test(alternatives_read_as_a_sentence_offers_them),
	    cmocka_unit_test(take_hands_over_the_storage),
	    cmocka_unit_test(take_of_an_empty_or_failed_buffer_is_an_empty_string),
	    cmocka_unit_test(wipe_and_free_leave_a_usable_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
