#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void test_identity_file(void **state)
{
	(void)state;
	struct identity id, back;
	memset(&id, 0, sizeof id);
	snprintf(id.name, sizeof id.name, "dr-smith");
	unsigned char sk[64];
	crypto_box_keypair(id.box_pk, sk);
	crypto_sign_keypair(id.sign_pk, sk);
	struct buf text;
	buf_init(&text, 1024);
	assert_true(identity_encode(&id, &text));
	assert_int_equal(text.len, 19 + 9 + 65 + 65 + 19 + 1);
	char err[200];
	assert_true(identity_parse(text.data, text.len, &back, err, sizeof err));
	assert_memory_equal(&back, &id, sizeof id);
	assert_true(identity_parse(text.data, text.len - 1, &back, err, sizeof err));

	char fingerprint[IDENTITY_FINGERPRINT_LEN + 1];
	identity_fingerprint(id.box_pk, id.sign_pk, fingerprint);
	assert_int_equal(strlen(fingerprint), 19);
	assert_non_null(strstr(text.data, fingerprint));
	/* Swapped keys make another fingerprint. */
	char swapped[IDENTITY_FINGERPRINT_LEN + 1];
	identity_fingerprint(id.sign_pk, id.box_pk, swapped);
	assert_string_not_equal(swapped, fingerprint);

	/* One changed key digit: the fingerprint no longer matches. */
	char *copy = strdup(text.data);
	char *box = copy + 19 + 9;
	box[10] = box[10] == 'a' ? 'b' : 'a';
	assert_false(identity_parse(copy, strlen(copy), &back, err, sizeof err));
	assert_non_null(strstr(err, "fingerprint"));
	assert_true(sodium_is_zero((unsigned char *)&back, sizeof back));
	free(copy);

	const char *bad[] = {"", "\n", "clinic-identity-v1", "clinic-identity-v1 dr-smith\n",
	                     "clinic-identity-v2 a b c d\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(identity_parse(bad[i], strlen(bad[i]), &back, err, sizeof err));
	copy = calloc(1, text.len + 2);
	memcpy(copy, text.data, text.len);
	copy[19] = 'D'; /* "Dr-smith" */
	assert_false(identity_parse(copy, strlen(copy), &back, err, sizeof err));
	memmove(copy + 20, copy + 19, strlen(copy + 19) + 1); /* room for it: calloc'd above */
	copy[19] = ' ';                                       /* two spaces */
	assert_false(identity_parse(copy, strlen(copy), &back, err, sizeof err));
	free(copy);
	buf_free(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity_file),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
