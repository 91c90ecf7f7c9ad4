/* urlencoded: decoding, escapes good and bad, empty pairs, the pair
 * limit, inputs that are not NUL-terminated and a large body. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "urlencoded.h"

static enum urlencoded_status decode(const char *s, size_t max_pairs, struct urlencoded *f)
{
	return urlencoded_decode(s, strlen(s), max_pairs, f);
}

static void assert_pair(const struct urlencoded *f, size_t i, const char *name, size_t name_len,
                        const char *value, size_t value_len)
{
	assert_true(i < f->count);
	const struct urlencoded_pair *pair = &f->pairs[i];
	assert_int_equal(pair->name_len, name_len);
	assert_memory_equal(pair->name, name, name_len);
	assert_int_equal(pair->name[name_len], '\0');
	assert_int_equal(pair->value_len, value_len);
	assert_memory_equal(pair->value, value, value_len);
	assert_int_equal(pair->value[value_len], '\0');
}

static void assert_empty(const struct urlencoded *f)
{
	assert_int_equal(f->count, 0);
	assert_null(f->pairs);
}

static void plus_is_a_space_and_escapes_are_bytes(void **state)
{
	(void)state;
	struct urlencoded f;
	assert_int_equal(decode("first+name=Sam+%C3%89xample&note=a%2Bb%3Dc%26d%25", 8, &f),
	                 URLENCODED_OK);
	assert_int_equal(f.count, 2);
	assert_pair(&f, 0, "first name", 10, "Sam \xc3\x89xample", 12);
	/* Escaped separators are data, not structure. */
	assert_pair(&f, 1, "note", 4, "a+b=c&d%", 8);
	urlencoded_free(&f);

	assert_int_equal(decode("a=%2b%2B%7e%7E", 8, &f), URLENCODED_OK);
	assert_pair(&f, 0, "a", 1, "++~~", 4);
	urlencoded_free(&f);
}

static void nul_and_high_bytes_decode_with_their_lengths(void **state)
{
	(void)state;
	struct urlencoded f;
	assert_int_equal(decode("na%00me=%00%FF%ff%80x%00", 8, &f), URLENCODED_OK);
	assert_int_equal(f.count, 1);
	assert_pair(&f, 0, "na\0me", 5, "\0\xff\xff\x80x\0", 6);
	urlencoded_free(&f);
}

static void malformed_escapes_are_refused(void **state)
{
	(void)state;
	const char *bad[] = {"%",     "%4",    "%GZ",      "a=%",   "a=%4",      "a=%G1",
	                     "a=%1G", "a=b%",  "%=1",      "a%=1",  "a=1&b=%zz", "a=%%41",
	                     "a=% 1", "a=%+1", "a=1&b=2%", "a=%-1", "a=%0x41",   "x=%\xff\xff"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct urlencoded f = {(struct urlencoded_pair *)&f, 99};
		assert_int_equal(decode(bad[i], 8, &f), URLENCODED_BAD_ENCODING);
		assert_empty(&f);
	}
}

static void empty_pairs_are_skipped(void **state)
{
	(void)state;
	struct urlencoded f;
	assert_int_equal(decode("a=1&&b=2&", 8, &f), URLENCODED_OK);
	assert_int_equal(f.count, 2);
	assert_pair(&f, 0, "a", 1, "1", 1);
	assert_pair(&f, 1, "b", 1, "2", 1);
	urlencoded_free(&f);

	assert_int_equal(decode("&&&", 8, &f), URLENCODED_OK);
	assert_empty(&f);
	assert_int_equal(decode("&a", 8, &f), URLENCODED_OK);
	assert_int_equal(f.count, 1);
	assert_pair(&f, 0, "a", 1, "", 0);
	urlencoded_free(&f);
}

static void a_pair_without_equals_has_an_empty_value(void **state)
{
	(void)state;
	struct urlencoded f;
	assert_int_equal(decode("flag&x=1&y=&=v&==&a==b", 8, &f), URLENCODED_OK);
	assert_int_equal(f.count, 6);
	assert_pair(&f, 0, "flag", 4, "", 0);
	assert_pair(&f, 1, "x", 1, "1", 1);
	assert_pair(&f, 2, "y", 1, "", 0);
	assert_pair(&f, 3, "", 0, "v", 1);
	assert_pair(&f, 4, "", 0, "=", 1);
	assert_pair(&f, 5, "a", 1, "=b", 2);
	urlencoded_free(&f);
}

static void the_field_limit_is_exact(void **state)
{
	(void)state;
	struct urlencoded f;
	assert_int_equal(decode("a=1&b=2&c=3", 3, &f), URLENCODED_OK);
	assert_int_equal(f.count, 3);
	urlencoded_free(&f);
	assert_int_equal(decode("a=1&b=2&c=3&d=4", 3, &f), URLENCODED_TOO_MANY_PAIRS);
	assert_empty(&f);
	/* Empty pairs are not fields. */
	assert_int_equal(decode("a&&&&&&&&b&&&&c&&&&", 3, &f), URLENCODED_OK);
	assert_int_equal(f.count, 3);
	urlencoded_free(&f);
	assert_int_equal(decode("", 0, &f), URLENCODED_OK);
	assert_empty(&f);
	assert_int_equal(decode("a", 0, &f), URLENCODED_TOO_MANY_PAIRS);
	assert_empty(&f);
	/* Too many fields wins even when a later escape is also bad. */
	assert_int_equal(decode("a&b&c&d=%", 3, &f), URLENCODED_TOO_MANY_PAIRS);
	assert_empty(&f);
}

static void empty_input_is_an_empty_form(void **state)
{
	(void)state;
	struct urlencoded f;
	assert_int_equal(urlencoded_decode("", 0, 8, &f), URLENCODED_OK);
	assert_empty(&f);
	assert_int_equal(urlencoded_decode(NULL, 0, 8, &f), URLENCODED_OK);
	assert_empty(&f);
	assert_null(urlencoded_find(&f, "a"));
	urlencoded_free(&f);
	assert_empty(&f);
}

static void nothing_past_len_is_read(void **state)
{
	(void)state;
	/* An exact-size heap copy without a NUL, so a sanitizer or valgrind
	 * would see a read past the end. */
	const char text[] = "a=1&b=2";
	char *exact = malloc(sizeof text - 1);
	assert_non_null(exact);
	memcpy(exact, text, sizeof text - 1);
	struct urlencoded f;
	assert_int_equal(urlencoded_decode(exact, sizeof text - 1, 8, &f), URLENCODED_OK);
	assert_int_equal(f.count, 2);
	assert_pair(&f, 1, "b", 1, "2", 1);
	urlencoded_free(&f);
	free(exact);

	assert_int_equal(urlencoded_decode("a=1&b=2XYZ&c=3", 7, 8, &f), URLENCODED_OK);
	assert_int_equal(f.count, 2);
	assert_pair(&f, 1, "b", 1, "2", 1);
	urlencoded_free(&f);
	/* An escape cut in two by len is malformed, whatever follows it. */
	assert_int_equal(urlencoded_decode("a=%41", 4, 8, &f), URLENCODED_BAD_ENCODING);
	assert_empty(&f);
	assert_int_equal(urlencoded_decode("a=%41", 3, 8, &f), URLENCODED_BAD_ENCODING);
	assert_int_equal(urlencoded_decode("a=%41", 5, 8, &f), URLENCODED_OK);
	assert_pair(&f, 0, "a", 1, "A", 1);
	urlencoded_free(&f);
	/* A NUL inside the input is data too. */
	assert_int_equal(urlencoded_decode("a=x\0y&b", 7, 8, &f), URLENCODED_OK);
	assert_int_equal(f.count, 2);
	assert_pair(&f, 0, "a", 1, "x\0y", 3);
	urlencoded_free(&f);
}

static void a_megabyte_decodes_within_bounds(void **state)
{
	(void)state;
	const size_t size = 1024 * 1024;
	char *big = malloc(size);
	assert_non_null(big);

	/* One huge value of escapes. */
	memcpy(big, "v=", 2);
	for (size_t i = 2; i + 3 <= size; i += 3)
		memcpy(big + i, "%41", 3);
	size_t used = 2 + (size - 2) / 3 * 3;
	struct urlencoded f;
	assert_int_equal(urlencoded_decode(big, used, 4, &f), URLENCODED_OK);
	assert_int_equal(f.count, 1);
	assert_int_equal(f.pairs[0].value_len, (size - 2) / 3);
	assert_int_equal(f.pairs[0].value[0], 'A');
	assert_int_equal(f.pairs[0].value[f.pairs[0].value_len - 1], 'A');
	assert_int_equal(f.pairs[0].value[f.pairs[0].value_len], '\0');
	urlencoded_free(&f);

	/* Only separators: nothing at all. */
	memset(big, '&', size);
	assert_int_equal(urlencoded_decode(big, size, 4, &f), URLENCODED_OK);
	assert_empty(&f);

	/* A flood of tiny pairs is refused, not allocated. */
	for (size_t i = 0; i < size; i += 2)
		memcpy(big + i, "a&", 2);
	assert_int_equal(urlencoded_decode(big, size, 1000, &f), URLENCODED_TOO_MANY_PAIRS);
	assert_empty(&f);
	assert_int_equal(urlencoded_decode(big, size, size / 2, &f), URLENCODED_OK);
	assert_int_equal(f.count, size / 2);
	urlencoded_free(&f);

	/* A single bad escape at the very end spoils the lot. */
	memset(big, 'x', size);
	big[0] = 'k';
	big[1] = '=';
	big[size - 1] = '%';
	assert_int_equal(urlencoded_decode(big, size, 4, &f), URLENCODED_BAD_ENCODING);
	assert_empty(&f);
	free(big);
}

static void find_matches_whole_names_and_takes_the_first(void **state)
{
	(void)state;
	struct urlencoded f;
	assert_int_equal(decode("name=one&name%00x=two&Name=three&name=four&nam=five", 8, &f),
	                 URLENCODED_OK);
	const struct urlencoded_pair *found = urlencoded_find(&f, "name");
	assert_non_null(found);
	assert_string_equal(found->value, "one");
	assert_string_equal(urlencoded_find(&f, "Name")->value, "three");
	assert_string_equal(urlencoded_find(&f, "nam")->value, "five");
	assert_null(urlencoded_find(&f, "na"));
	assert_null(urlencoded_find(&f, "names"));
	assert_null(urlencoded_find(&f, ""));
	urlencoded_free(&f);

	/* The empty name is a name like any other. */
	assert_int_equal(decode("=x", 8, &f), URLENCODED_OK);
	assert_string_equal(urlencoded_find(&f, "")->value, "x");
	urlencoded_free(&f);
}

static void free_empties_and_can_be_repeated(void **state)
{
	(void)state;
	struct urlencoded f;
	assert_int_equal(decode("a=1&b=2", 8, &f), URLENCODED_OK);
	urlencoded_free(&f);
	assert_empty(&f);
	urlencoded_free(&f);
	assert_empty(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(plus_is_a_space_and_escapes_are_bytes),
	    cmocka_unit_test(nul_and_high_bytes_decode_with_their_lengths),
	    cmocka_unit_test(malformed_escapes_are_refused),
	    cmocka_unit_test(empty_pairs_are_skipped),
	    cmocka_unit_test(a_pair_without_equals_has_an_empty_value),
	    cmocka_unit_test(the_field_limit_is_exact),
	    cmocka_unit_test(empty_input_is_an_empty_form),
	    cmocka_unit_test(nothing_past_len_is_read),
	    cmocka_unit_test(a_megabyte_decodes_within_bounds),
	    cmocka_unit_test(find_matches_whole_names_and_takes_the_first),
	    cmocka_unit_test(free_empties_and_can_be_repeated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
