/* utf8: exactly the valid ranges of Unicode's table 3-7, code points
 * counted, and n respected. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"

static void utf8_helpers_accept_exactly_the_valid_ranges(void **state)
{
	(void)state;
	const char *good[] = {"",
	                      "\x7f",
	                      "\xc2\x80",
	                      "\xdf\xbf",
	                      "\xe0\xa0\x80",
	                      "\xed\x9f\xbf",
	                      "\xee\x80\x80",
	                      "\xef\xbf\xbf",
	                      "\xf0\x90\x80\x80",
	                      "\xf4\x8f\xbf\xbf",
	                      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"};
	size_t lengths[] = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_true(utf8_valid(good[i], strlen(good[i])));
		assert_int_equal(utf8_length(good[i], strlen(good[i])), lengths[i]);
	}
	const char *bad[] = {"\x80",
	                     "\xbf",
	                     "\xc0\x80",
	                     "\xc1\xbf",
	                     "\xc2",
	                     "\xc2\x7f",
	                     "\xc2\xc0",
	                     "\xe0\x9f\xbf",
	                     "\xed\xa0\x80",
	                     "\xed\xbf\xbf",
	                     "\xf0\x8f\xbf\xbf",
	                     "\xf4\x90\x80\x80",
	                     "\xf5\x80\x80\x80",
	                     "\xff",
	                     "\xfe",
	                     "\xe1\x80\xc0"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(utf8_valid(bad[i], strlen(bad[i])));
	/* NUL is a valid code point: whether it is allowed is another rule. */
	assert_true(utf8_valid("a\0b", 3));
	assert_int_equal(utf8_length("a\0b", 3), 3);
	/* n is respected: a sequence cut by it is incomplete. */
	assert_false(utf8_valid("\xc3\xa9", 1));
	assert_false(utf8_valid("\xf0\x9f\x98\x80", 3));
	assert_true(utf8_valid("a\xff", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(utf8_helpers_accept_exactly_the_valid_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
