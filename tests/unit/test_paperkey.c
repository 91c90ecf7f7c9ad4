#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "paperkey.h"

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static enum paperkey_status decode(const char *text, unsigned char sk[32], int *group)
{
	char err[300] = "";
	enum paperkey_status status =
	    paperkey_decode(text, strlen(text), sk, group, err, sizeof err);
	if (status != PAPERKEY_OK) {
		assert_true(strlen(err) > 20);
		assert_int_equal(err[strlen(err) - 1], '.');
	}
	return status;
}

static void test_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++) {
		unsigned char sk[32], back[32];
		randombytes_buf(sk, sizeof sk);
		if (i == 0)
			memset(sk, 0, sizeof sk);
		if (i == 1)
			memset(sk, 0xff, sizeof sk);
		char text[PAPERKEY_TEXT_MAX];
		paperkey_encode(sk, text);
		assert_int_equal(strlen(text), 13 * 6 - 1);
		for (int k = 0; k < 13 * 6 - 1; k++) {
			if (k % 6 == 5)
				assert_int_equal(text[k], '-');
			else
				assert_non_null(strchr(BASE32_ALPHABET, text[k]));
		}
		int group = -1;
		assert_int_equal(decode(text, back, &group), PAPERKEY_OK);
		assert_int_equal(group, 0);
		assert_memory_equal(back, sk, 32);
	}
}

static void test_forgiving_reading(void **state)
{
	(void)state;
	unsigned char sk[32], back[32];
	randombytes_buf(sk, sizeof sk);
	char text[PAPERKEY_TEXT_MAX];
	paperkey_encode(sk, text);
	/* Small letters, spaces and line breaks for dashes, O for 0, L for 1. */
	char typed[200];
	size_t n = 0;
	for (size_t i = 0; text[i]; i++) {
		char c = text[i];
		if (c == '-')
			n += (size_t)snprintf(typed + n, sizeof typed - n,
			                      i % 24 == 23 ? "\r\n" : "  ");
		else if (c == '0')
			typed[n++] = 'o';
		else if (c == '1')
			typed[n++] = 'L';
		else
			typed[n++] = (char)tolower((unsigned char)c);
	}
	typed[n++] = '\n';
	typed[n] = '\0';
	int group;
	assert_int_equal(decode(typed, back, &group), PAPERKEY_OK);
	assert_memory_equal(back, sk, 32);
	/* Without any separator at all. */
	n = 0;
	for (size_t i = 0; text[i]; i++)
		if (text[i] != '-')
			typed[n++] = text[i];
	typed[n] = '\0';
	assert_int_equal(decode(typed, back, &group), PAPERKEY_OK);
	assert_memory_equal(back, sk, 32);
}

static void test_every_typo_names_its_group(void **state)
{
	(void)state;
	unsigned char sk[32], back[32];
	randombytes_buf(sk, sizeof sk);
	char text[PAPERKEY_TEXT_MAX];
	paperkey_encode(sk, text);
	for (size_t i = 0; text[i]; i++) {
		if (text[i] == '-')
			continue;
		char original = text[i];
		for (int v = 0; v < 32; v++) {
			char c = BASE32_ALPHABET[v];
			if (c == original)
				continue;
			text[i] = c;
			int group = 0;
			assert_int_equal(decode(text, back, &group), PAPERKEY_BAD_GROUP);
			assert_int_equal(group, (int)(i / 6) + 1);
			assert_true(sodium_is_zero(back, 32));
		}
		text[i] = original;
	}
}

static void test_swapped_groups(void **state)
{
	(void)state;
	unsigned char sk[32], back[32];
	randombytes_buf(sk, sizeof sk);
	char text[PAPERKEY_TEXT_MAX];
	paperkey_encode(sk, text);
	for (int a = 0; a < 12; a++) {
		char swapped[PAPERKEY_TEXT_MAX];
		memcpy(swapped, text, sizeof swapped);
		if (memcmp(text + a * 6, text + (a + 1) * 6, 5) == 0)
			continue;
		memcpy(swapped + a * 6, text + (a + 1) * 6, 5);
		memcpy(swapped + (a + 1) * 6, text + a * 6, 5);
		int group = 0;
		assert_int_equal(decode(swapped, back, &group), PAPERKEY_BAD_GROUP);
		assert_true(group == a + 1 || group == a + 2);
	}
}

static void test_wrong_lengths_and_characters(void **state)
{
	(void)state;
	unsigned char sk[32], back[32];
	randombytes_buf(sk, sizeof sk);
	char text[PAPERKEY_TEXT_MAX];
	paperkey_encode(sk, text);
	int group = -1;

	/* A character left out of group 4, typed in its groups: named. */
	char shorter[PAPERKEY_TEXT_MAX];
	memcpy(shorter, text, 3 * 6 + 2);
	strcpy(shorter + 3 * 6 + 2, text + 3 * 6 + 3);
	assert_int_equal(decode(shorter, back, &group), PAPERKEY_BAD_LENGTH);
	assert_int_equal(group, 4);

	/* A whole group left out: no group can be named. */
	char missing[PAPERKEY_TEXT_MAX];
	memcpy(missing, text, 6 * 6);
	strcpy(missing + 6 * 6, text + 7 * 6);
	assert_int_equal(decode(missing, back, &group), PAPERKEY_BAD_LENGTH);
	assert_int_equal(group, 0);

	/* A letter paper keys do not use, in group 9. */
	char odd[PAPERKEY_TEXT_MAX];
	memcpy(odd, text, sizeof odd);
	odd[8 * 6 + 1] = 'U';
	assert_int_equal(decode(odd, back, &group), PAPERKEY_BAD_CHARACTER);
	assert_int_equal(group, 9);
	odd[8 * 6 + 1] = '\x01';
	assert_int_equal(decode(odd, back, &group), PAPERKEY_BAD_CHARACTER);

	char err[300];
	assert_int_equal(paperkey_decode("", 0, back, &group, err, sizeof err),
	                 PAPERKEY_BAD_LENGTH);
	char *huge = malloc(PAPERKEY_INPUT_MAX + 1);
	memset(huge, ' ', PAPERKEY_INPUT_MAX + 1);
	memcpy(huge, text, strlen(text));
	assert_int_equal(
	    paperkey_decode(huge, PAPERKEY_INPUT_MAX + 1, back, &group, err, sizeof err),
	    PAPERKEY_BAD_LENGTH);
	assert_int_equal(paperkey_decode(huge, PAPERKEY_INPUT_MAX, back, &group, err, sizeof err),
	                 PAPERKEY_OK);
	free(huge);
}

static void test_other_version(void **state)
{
	(void)state;
	unsigned char sk[32] = {0}, back[32];
	char text[PAPERKEY_TEXT_MAX];
	paperkey_encode(sk, text);
	/* The first symbol holds the version (4 bits) and one bit of the key:
	 * 00010 for version 1. Make it version 2 and its group's check right. */
	assert_int_equal(text[0], BASE32_ALPHABET[2]);
	text[0] = BASE32_ALPHABET[4];
	unsigned values[4];
	for (int i = 0; i < 4; i++)
		values[i] = (unsigned)base32_value(text[i]);
	text[4] = base32_symbol(paperkey_check(1, values));
	int group;
	assert_int_equal(decode(text, back, &group), PAPERKEY_BAD_VERSION);
	assert_true(sodium_is_zero(back, 32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_forgiving_reading),
	    cmocka_unit_test(test_every_typo_names_its_group),
	    cmocka_unit_test(test_swapped_groups),
	    cmocka_unit_test(test_wrong_lengths_and_characters),
	    cmocka_unit_test(test_other_version),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
