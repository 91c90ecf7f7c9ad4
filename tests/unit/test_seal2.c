#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"
#include "seal2.h"
#include "unseal2.h"

#define LIMIT (4 * 1024 * 1024)
#define PEOPLE 9

static unsigned char pk[PEOPLE][crypto_box_PUBLICKEYBYTES];
static unsigned char sk[PEOPLE][crypto_box_SECRETKEYBYTES];
static const char context[] = "enquiry K7MQ-4QX9 start 2026-11-27 3";

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < PEOPLE; i++)
		crypto_box_keypair(pk[i], sk[i]);
	return 0;
}

/* Seals plain to people 0 .. count-1 in slots slots. */
static void seal_to(size_t count, unsigned slots, const char *plain, struct buf *sealed)
{
	const unsigned char *to[PEOPLE];
	for (size_t i = 0; i < count; i++)
		to[i] = pk[i];
	buf_init(sealed, LIMIT);
	assert_true(seal2_message(to, count, slots, 3, context, strlen(context), plain,
	                          strlen(plain), sealed));
}

static enum unseal2_status open_as(int who, const struct buf *sealed, const char *ctx,
                                   unsigned hint, struct buf *plain, struct unseal2_info *info)
{
	buf_init(plain, LIMIT);
	return unseal2_message(pk[who], sk[who], sealed->data, sealed->len, ctx, strlen(ctx), hint,
	                       plain, info);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const char message[] = "CLINIC-ENQUIRY 1\nkind 5\nstart\n";
	struct buf sealed;
	seal_to(3, 8, message, &sealed);
	assert_int_equal(sealed.len, seal2_sealed_size(8, strlen(message)));
	assert_memory_equal(sealed.data, "CLS2\0\0\0\3\x08", 9);
	assert_null(memmem(sealed.data, sealed.len, "CLINIC", 6));
	for (int who = 0; who < 3; who++) {
		struct buf plain;
		struct unseal2_info info;
		/* Wherever the search starts, the right slot is found. */
		assert_int_equal(open_as(who, &sealed, context, (unsigned)(7 - who), &plain, &info),
		                 UNSEAL2_OPENED);
		assert_int_equal(plain.len, strlen(message));
		assert_memory_equal(plain.data, message, plain.len);
		assert_int_equal(info.slot, who);
		assert_int_equal(info.version, 3);
		assert_int_equal(info.slots, 8);
		assert_int_equal(info.recipients, 3);
		for (int k = 0; k < 8; k++) {
			unsigned char id[8] = {0};
			if (k < 3)
				crypto_generichash(id, 8, pk[k], 32, NULL, 0);
			assert_memory_equal(info.key_ids[k], id, 8);
		}
		char hex[17];
		seal_key_id(pk[who], hex);
		char from_info[17];
		sodium_bin2hex(from_info, sizeof from_info, info.key_ids[who], 8);
		assert_string_equal(hex, from_info);
		buf_wipe(&plain);
	}
	struct buf plain;
	struct unseal2_info info;
	assert_int_equal(open_as(3, &sealed, context, 0, &plain, &info), UNSEAL2_NOT_FOR_KEY);
	assert_int_equal(plain.len, 0);
	assert_int_equal(info.recipients, 0);
	buf_free(&plain);
	buf_free(&sealed);
}

static void test_size_does_not_tell_who(void **state)
{
	(void)state;
	struct buf one, many;
	seal_to(1, 8, "the same words", &one);
	seal_to(8, 8, "the same words", &many);
	assert_int_equal(one.len, many.len);
	/* Unused slots are random, new every time, never zeros. */
	struct seal2_parts a, b;
	assert_true(seal2_parse(one.data, one.len, &a));
	assert_true(seal2_parse(many.data, many.len, &b));
	for (unsigned i = 1; i < 8; i++) {
		const unsigned char *slot = a.slot + i * SEAL2_SLOT_BYTES;
		assert_false(sodium_is_zero(slot, SEAL2_SLOT_BYTES));
		assert_memory_not_equal(slot, b.slot + i * SEAL2_SLOT_BYTES, SEAL2_SLOT_BYTES);
	}
	buf_free(&one);
	buf_free(&many);
}

static void test_slots_are_sealed_boxes(void **state)
{
	(void)state;
	struct buf sealed;
	seal_to(4, 8, "x", &sealed);
	struct seal2_parts parts;
	assert_true(seal2_parse(sealed.data, sealed.len, &parts));
	unsigned char first_key[32];
	for (int who = 0; who < 4; who++) {
		/* E || slot is what crypto_box_seal would have written. */
		unsigned char box[crypto_box_SEALBYTES + 32], key[32];
		memcpy(box, parts.ephemeral_pk, 32);
		memcpy(box + 32, parts.slot + who * SEAL2_SLOT_BYTES, SEAL2_SLOT_BYTES);
		assert_int_equal(crypto_box_seal_open(key, box, sizeof box, pk[who], sk[who]), 0);
		if (who == 0)
			memcpy(first_key, key, 32);
		else
			assert_memory_equal(key, first_key, 32); /* one content key for all */
		/* ... and only for its recipient. */
		assert_int_not_equal(crypto_box_seal_open(key, box, sizeof box, pk[(who + 1) % 4],
		                                          sk[(who + 1) % 4]),
		                     0);
	}
	/* The content key decrypts the message with the associated data. */
	size_t ad_len = seal2_ad_size(&parts, strlen(context));
	unsigned char *ad = malloc(ad_len);
	assert_int_equal(seal2_ad(&parts, context, strlen(context), ad), ad_len);
	assert_memory_equal(ad, "clinic-sealed-v2\0", 17);
	unsigned char *inner = malloc(parts.cipher_len);
	unsigned long long inner_len;
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
	                     inner, &inner_len, NULL, parts.cipher, parts.cipher_len, ad, ad_len,
	                     parts.nonce, first_key),
	                 0);
	assert_int_equal(inner_len, 1024);
	assert_int_equal(inner[8 * 8], 'x');
	assert_int_equal(inner[8 * 8 + 1], 0x80);
	free(inner);
	free(ad);
	buf_free(&sealed);
}

static void test_context_is_bound(void **state)
{
	(void)state;
	struct buf sealed;
	seal_to(2, 8, "hello", &sealed);
	const char *others[] = {
	    "enquiry K7MQ-4QX8 start 2026-11-27 3", "enquiry K7MQ-4QX9 contact 2026-11-27 3",
	    "enquiry K7MQ-4QX9 start 2026-11-28 3", "enquiry K7MQ-4QX9 start 2026-11-27 4", ""};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		struct buf plain;
		struct unseal2_info info;
		assert_int_equal(open_as(1, &sealed, others[i], 0, &plain, &info), UNSEAL2_ALTERED);
		assert_int_equal(plain.len, 0);
		buf_free(&plain);
	}
	buf_free(&sealed);
}

static void test_every_byte_matters(void **state)
{
	(void)state;
	struct buf sealed;
	seal_to(2, 4, "every byte", &sealed);
	for (size_t at = 0; at < sealed.len; at++) {
		for (int who = 0; who < 2; who++) {
			sealed.data[at] ^= 0x20;
			struct buf plain;
			struct unseal2_info info;
			enum unseal2_status status =
			    open_as(who, &sealed, context, 0, &plain, &info);
			sealed.data[at] ^= 0x20;
			if (status == UNSEAL2_OPENED)
				fail_msg("opened with byte %zu changed", at);
			assert_int_equal(plain.len, 0);
			buf_free(&plain);
		}
	}
	buf_free(&sealed);
}

static void test_parse_is_strict(void **state)
{
	(void)state;
	struct buf sealed;
	seal_to(1, 2, "", &sealed);
	struct seal2_parts parts;
	assert_int_equal(sealed.len, 9 + 32 + 2 * 48 + 24 + 1024 + 16);
	assert_true(seal2_parse(sealed.data, sealed.len, &parts));
	assert_false(seal2_parse(sealed.data, sealed.len - 1, &parts));
	assert_false(seal2_parse(sealed.data, 0, &parts));
	assert_false(seal2_parse(NULL, sealed.len, &parts));
	char *copy = malloc(sealed.len + 1024);
	memcpy(copy, sealed.data, sealed.len);
	memset(copy + sealed.len, 0, 1024);
	assert_false(seal2_parse(copy, sealed.len + 1, &parts));
	assert_false(seal2_parse(copy, sealed.len + 512, &parts));
	assert_true(seal2_parse(copy, sealed.len + 1024, &parts)); /* a 2048 bucket is a bucket */
	copy[0] = 'X';
	assert_false(seal2_parse(copy, sealed.len, &parts));
	copy[0] = 'C';
	copy[7] = 0; /* version 0 */
	assert_false(seal2_parse(copy, sealed.len, &parts));
	copy[7] = 3;
	copy[8] = 1; /* one slot */
	assert_false(seal2_parse(copy, sealed.len, &parts));
	copy[8] = 65;
	assert_false(seal2_parse(copy, sealed.len, &parts));
	free(copy);
	buf_free(&sealed);
}

static void test_refuses_bad_arguments(void **state)
{
	(void)state;
	struct buf sealed;
	buf_init(&sealed, LIMIT);
	const unsigned char *to[3] = {pk[0], pk[1], pk[2]};
	assert_false(seal2_message(to, 0, 8, 1, "", 0, "x", 1, &sealed));
	assert_false(seal2_message(to, 3, 2, 1, "", 0, "x", 1, &sealed));
	assert_false(seal2_message(to, 1, 1, 1, "", 0, "x", 1, &sealed));
	assert_false(seal2_message(to, 1, 65, 1, "", 0, "x", 1, &sealed));
	assert_false(seal2_message(to, 1, 8, 0, "", 0, "x", 1, &sealed));
	assert_false(seal2_message(to, 1, 8, 1, NULL, 5, "x", 1, &sealed));
	assert_false(seal2_message(to, 1, 8, 1, "", SEAL2_CONTEXT_MAX + 1, "x", 1, &sealed));
	static const unsigned char zero[32];
	const unsigned char *small[2] = {pk[0], zero};
	assert_false(seal2_message(small, 2, 8, 1, "", 0, "x", 1, &sealed));
	assert_int_equal(sealed.len, 0);
	/* Too large for the buffer: nothing appended either. */
	struct buf tiny;
	buf_init(&tiny, 100);
	assert_false(seal2_message(to, 1, 8, 1, "", 0, "x", 1, &tiny));
	assert_int_equal(tiny.len, 0);
	buf_free(&tiny);
	buf_free(&sealed);
}

static void test_buckets(void **state)
{
	(void)state;
	/* The inner bytes are the 8-byte key ids of every slot, then the text. */
	assert_int_equal(seal2_sealed_size(8, 0), 9 + 32 + 8 * 48 + 24 + 1024 + 16);
	assert_int_equal(seal2_sealed_size(8, 1024 - 64 - 1), seal2_sealed_size(8, 0));
	assert_int_equal(seal2_sealed_size(8, 1024 - 64), seal2_sealed_size(8, 0) + 1024);
	assert_int_equal(seal2_sealed_size(1, 10), 0);
	assert_int_equal(seal2_sealed_size(65, 10), 0);
	char *big = malloc(5000);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	struct buf sealed;
	seal_to(5, 8, big, &sealed);
	struct buf plain;
	struct unseal2_info info;
	assert_int_equal(open_as(4, &sealed, context, 0, &plain, &info), UNSEAL2_OPENED);
	assert_int_equal(plain.len, 4999);
	buf_wipe(&plain);
	buf_free(&sealed);
	free(big);
}

static void test_row_key_ids(void **state)
{
	(void)state;
	char id[SEAL2_ROW_KEY_ID_MAX];
	seal2_row_key_id(7, id);
	assert_string_equal(id, "team-7");
	uint32_t version = 0;
	assert_true(seal2_row_version(id, &version));
	assert_int_equal(version, 7);
	seal2_row_key_id(UINT32_MAX, id);
	assert_true(seal2_row_version(id, &version));
	assert_int_equal(version, UINT32_MAX);
	const char *bad[] = {"team-",           "team-0",  "team-07",
	                     "team-4294967296", "team-7 ", "0123456789abcdef",
	                     "Team-7",          "team--7", "team-+7"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (seal2_row_version(bad[i], &version))
			fail_msg("took \"%s\" for a format 2 key id", bad[i]);
	char ctx[SEAL2_CONTEXT_MAX];
	assert_int_equal(seal2_enquiry_context("K7MQ-4QX9", "start", "2026-11-27", 3, ctx),
	                 strlen(context));
	assert_string_equal(ctx, context);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_size_does_not_tell_who),
	    cmocka_unit_test(test_slots_are_sealed_boxes),
	    cmocka_unit_test(test_context_is_bound),
	    cmocka_unit_test(test_every_byte_matters),
	    cmocka_unit_test(test_parse_is_strict),
	    cmocka_unit_test(test_refuses_bad_arguments),
	    cmocka_unit_test(test_buckets),
	    cmocka_unit_test(test_row_key_ids),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
