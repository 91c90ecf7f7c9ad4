#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "base32.h"

static void test_symbols(void **state)
{
	(void)state;
	assert_int_equal(strlen(BASE32_ALPHABET), 32);
	for (int i = 0; i < 32; i++) {
		assert_int_equal(base32_value(BASE32_ALPHABET[i]), i);
		assert_int_equal(base32_value((char)tolower(BASE32_ALPHABET[i])), i);
	}
	assert_int_equal(base32_value('O'), 0);
	assert_int_equal(base32_value('i'), 1);
	assert_int_equal(base32_value('l'), 1);
	assert_int_equal(base32_value('U'), -1);
	assert_int_equal(base32_value('-'), -1);
	char out[8];
	base32_encode_bits((const unsigned char *)"\xff\x00", 16, out);
	assert_string_equal(out, "ZW00");
}

static void test_bits(void **state)
{
	(void)state;
	char out[40];
	/* 80 bits: 16 symbols; 260 bits: 52, the last padded with zero bits. */
	unsigned char bytes[33];
	memset(bytes, 0xff, sizeof bytes);
	base32_encode_bits(bytes, 80, out);
	assert_string_equal(out, "ZZZZZZZZZZZZZZZZ");
	base32_encode_bits(bytes, 3, out);
	assert_string_equal(out, "W");
	base32_encode_bits(bytes, 0, out);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_symbols),
	    cmocka_unit_test(test_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
