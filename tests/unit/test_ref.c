/* ref: the format and alphabet of new references, fairness of the draw, and
 * references read as a person types them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ref.h"

static void test_new_ref_format(void **state)
{
	(void)state;
	static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
	enum { N = 2000 };
	static char refs[N][16];
	int used[256] = {0};
	for (int i = 0; i < N; i++) {
		ref_new(refs[i]);
		assert_int_equal(strlen(refs[i]), 9);
		assert_int_equal(refs[i][4], '-');
		for (int j = 0; j < 9; j++) {
			if (j == 4)
				continue;
			assert_non_null(memchr(alphabet, refs[i][j], sizeof alphabet - 1));
			used[(unsigned char)refs[i][j]]++;
		}
	}
	/* 16000 draws cover all 31 characters; none of the look-alikes appear. */
	for (size_t i = 0; i < sizeof alphabet - 1; i++)
		assert_true(used[(unsigned char)alphabet[i]] > 0);
	assert_int_equal(used['0'] + used['O'] + used['1'] + used['I'] + used['L'], 0);
	/* 31^8 possibilities: a repeat among 2000 means the randomness is broken. */
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			assert_string_not_equal(refs[i], refs[j]);
}

static void test_references_are_checked_and_read_as_typed(void **state)
{
	(void)state;
	char made[16];
	ref_new(made);
	assert_true(ref_valid(made));
	assert_true(ref_valid("K7M4-QX9A"));
	const char *not_refs[] = {"",          "K7M4QX9A",  "K7M4-QX9",  "K7M4-QX9AB", "k7m4-qx9a",
	                          "K7M0-QX9A", "K7MO-QX9A", "K7M1-QX9A", "K7ML-QX9A",  "K7M4_QX9A"};
	for (size_t i = 0; i < sizeof not_refs / sizeof not_refs[0]; i++)
		assert_false(ref_valid(not_refs[i]));

	struct {
		const char *typed, *expect; /* expect NULL: not a reference */
	} cases[] = {
	    {"K7M4-QX9A", "K7M4-QX9A"},
	    {"k7m4qx9a", "K7M4-QX9A"},
	    {" k7m4 - qx9a ", "K7M4-QX9A"},
	    {"K7M4-QX9", NULL},
	    {"K7M4-QX9AB", NULL},
	    {"K7M0-QX9A", NULL},
	    {"", NULL},
	    {"K7M4-QX9A!", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[16] = "unchanged";
		bool parsed = ref_parse(cases[i].typed, out);
		if (cases[i].expect) {
			assert_true(parsed);
			assert_string_equal(out, cases[i].expect);
		} else {
			assert_false(parsed);
		}
	}
}

/* 256 is not a multiple of 31: a reference drawn as byte % 31 would pick
 * the first 8 characters 9/8 as often as the rest. Over 400,000 characters
 * each should be within 5% of its fair share (the bias would be +9%; chance
 * alone strays 5% about once in 10^8). */
static void test_new_ref_is_fair(void **state)
{
	(void)state;
	static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
	enum { REFS = 50000, LETTERS = sizeof alphabet - 1 };
	long used[256] = {0};
	for (int i = 0; i < REFS; i++) {
		char ref[16];
		ref_new(ref);
		for (int j = 0; j < 9; j++)
			if (j != 4)
				used[(unsigned char)ref[j]]++;
	}
	double fair = REFS * 8.0 / LETTERS;
	for (int i = 0; i < LETTERS; i++) {
		double share = used[(unsigned char)alphabet[i]] / fair;
		if (share < 0.95 || share > 1.05)
			fail_msg("'%c' came up %.3f times its fair share", alphabet[i], share);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_ref_format),
	    cmocka_unit_test(test_new_ref_is_fair),
	    cmocka_unit_test(test_references_are_checked_and_read_as_typed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
