/*
 * Wiping: what held a person's words is zero before its memory is given back.
 *
 * Linked with -Wl,--wrap=free (see the Makefile), so every free() made by the
 * library's objects passes through __wrap_free below first, which looks at the
 * block while it is still the library's and counts the blocks that still hold
 * the marker. The seal scratch is never freed: it is read where it lies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"
#include "forms.h"
#include "seal.h"
#include "urlencoded.h"
#include "validate.h"

/* Long enough never to occur by chance; split so that this file's own
 * constant is not what the scan finds. */
static char marker[40];
static size_t marker_len;

void __real_free(void *p);
void __wrap_free(void *p);

static struct {
	bool watching;
	unsigned long freed;       /* blocks freed while watching */
	unsigned long still_there; /* of which held the marker */
	const void *block;         /* one block to look at whole, or NULL */
	size_t block_size;
	bool block_seen, block_zero;
} seen;

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

void __wrap_free(void *p)
{
	if (p && p == seen.block) {
		seen.block_seen = true;
		seen.block_zero = all_zero(p, seen.block_size);
	}
	if (p && seen.watching && marker_len) {
		size_t n = malloc_usable_size(p);
		seen.freed++;
		if (memmem(p, n, marker, marker_len))
			seen.still_there++;
	}
	__real_free(p);
}

static void watch(void)
{
	seen.freed = 0;
	seen.still_there = 0;
	seen.watching = true;
}

/* Stops watching; the number of freed blocks that still held the marker. */
static unsigned long unwatch(unsigned long *freed)
{
	seen.watching = false;
	if (freed)
		*freed = seen.freed;
	return seen.still_there;
}

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	snprintf(marker, sizeof marker, "%s-%s-%08x", "Qzwipe", "typed", randombytes_random());
	marker_len = strlen(marker);
	return 0;
}

/* Text a person might have typed: the marker many times over, as a message. */
static char *typed_text(size_t copies)
{
	size_t len = copies * (marker_len + 1);
	char *text = malloc(len + 1);
	assert_non_null(text);
	for (size_t i = 0; i < copies; i++) {
		memcpy(text + i * (marker_len + 1), marker, marker_len);
		text[i * (marker_len + 1) + marker_len] = ' ';
	}
	text[len] = '\0';
	return text;
}

/* The check itself can fail: buf_free, which does not wipe, leaves the marker
 * in the block it frees, and the hook sees it. */
static void the_hook_sees_a_block_freed_unwiped(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4096);
	assert_true(buf_puts(&b, marker));
	unsigned long freed = 0;
	watch();
	buf_free(&b);
	assert_int_equal(unwatch(&freed), 1);
	assert_int_equal(freed, 1);
}

/* Every block a buffer ever had, while it grew and when it is wiped, holds
 * zeros when it is freed; the last one is zero throughout. */
static void buf_wipe_zeroes_every_block_it_frees(void **state)
{
	(void)state;
	char *text = typed_text(200);
	size_t len = strlen(text);
	struct buf b;
	buf_init(&b, 1024 * 1024);
	unsigned long freed = 0;
	watch();
	for (size_t i = 0; i < len; i += 97)
		assert_true(buf_append(&b, text + i, len - i < 97 ? len - i : 97));
	assert_int_equal(b.len, len);
	assert_true(b.cap > 4096);
	unsigned long grown_blocks = seen.freed;
	buf_wipe(&b);
	assert_int_equal(unwatch(&freed), 0);
	assert_true(grown_blocks >= 4); /* 256, 512, ... were replaced on the way */
	assert_int_equal(freed, grown_blocks + 1);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(text);
}

/* The block buf_wipe frees is zero throughout its capacity, looked at just
 * as it is handed to free. */
static void buf_wipe_leaves_the_block_all_zero(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4096);
	assert_true(buf_puts(&b, marker));
	assert_true(buf_puts(&b, " and more words after it"));
	seen.block = b.data;
	seen.block_size = b.cap;
	seen.block_seen = false;
	seen.block_zero = false;
	buf_wipe(&b);
	seen.block = NULL;
	assert_true(seen.block_seen);
	assert_true(seen.block_zero);
}

/* Field names and values copied into an envelope, and the envelope struct
 * itself, are zero once wiped; so are the copies a decode makes. */
static void envelope_wipe_zeroes_fields_and_the_struct(void **state)
{
	(void)state;
	char *text = typed_text(40);
	struct envelope e;
	memset(&e, 0, sizeof e);
	e.version = ENVELOPE_VERSION;
	snprintf(e.kind, sizeof e.kind, "contact");
	snprintf(e.ref, sizeof e.ref, "K7MQ-4QX9");
	snprintf(e.received, sizeof e.received, "2026-11-26T14:03:07.123Z");
	snprintf(e.key_id, sizeof e.key_id, "0123456789abcdef");
	assert_true(envelope_add(&e, "message", text, strlen(text)));
	assert_true(envelope_add(&e, "name", marker, marker_len));
	struct buf plain;
	buf_init(&plain, 1024 * 1024);
	assert_true(envelope_encode(&e, &plain));

	unsigned long freed = 0;
	watch();
	envelope_wipe(&e);
	assert_int_equal(unwatch(&freed), 0);
	assert_true(freed >= 4); /* two names, two values */
	assert_true(all_zero(&e, sizeof e));

	struct envelope d;
	char err[256];
	assert_true(envelope_decode(plain.data, plain.len, &d, err, sizeof err));
	assert_non_null(envelope_get(&d, "message"));
	watch();
	envelope_wipe(&d);
	buf_wipe(&plain);
	assert_int_equal(unwatch(&freed), 0);
	assert_true(freed >= 5);
	free(text);
}

/* The padded plaintext lives in the seal scratch, which is kept for the next
 * post: after sealing it holds nothing but zeros. */
static void the_seal_scratch_holds_zeros_after_sealing(void **state)
{
	(void)state;
	struct public_key pub;
	unsigned char sk[crypto_box_SECRETKEYBYTES];
	assert_int_equal(crypto_box_keypair(pub.pk, sk), 0);
	seal_key_id(pub.pk, pub.key_id);
	for (size_t copies = 1; copies <= 400; copies *= 20) {
		char *text = typed_text(copies);
		size_t len = strlen(text);
		struct buf sealed;
		buf_init(&sealed, 4 * 1024 * 1024);
		assert_true(seal_message(&pub, text, len, &sealed));
		size_t bucket = seal_bucket(len);
		assert_true(bucket > len);
		/* No bigger area is asked for, so this is the one seal_message used. */
		const unsigned char *scratch = seal_scratch(bucket);
		assert_non_null(scratch);
		assert_null(memmem(scratch, bucket, marker, marker_len));
		assert_true(all_zero(scratch, bucket));
		assert_null(memmem(sealed.data, sealed.len, marker, marker_len));
		buf_free(&sealed);
		free(text);
	}
	sodium_memzero(sk, sizeof sk);
}

/* A decoded body and the validated values are wiped before they are freed. */
static void decoded_and_validated_values_are_wiped(void **state)
{
	(void)state;
	const struct form_spec *spec = form_spec_find("contact");
	assert_non_null(spec);
	char body[1024];
	snprintf(body, sizeof body,
	         "name=%s&email=a%%40example.org&phone=&message=%s+%s&consent=yes&token=x&website=",
	         marker, marker, marker);
	struct urlencoded form;
	unsigned long freed = 0;
	watch();
	assert_int_equal(urlencoded_decode(body, strlen(body), 32, &form), URLENCODED_OK);
	struct validation v;
	validate_form(spec->rules, spec->count, &form, &v);
	urlencoded_free(&form);
	validation_free(&v);
	assert_int_equal(unwatch(&freed), 0);
	assert_true(freed >= 8);
	sodium_memzero(body, sizeof body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_hook_sees_a_block_freed_unwiped),
	    cmocka_unit_test(buf_wipe_zeroes_every_block_it_frees),
	    cmocka_unit_test(buf_wipe_leaves_the_block_all_zero),
	    cmocka_unit_test(envelope_wipe_zeroes_fields_and_the_struct),
	    cmocka_unit_test(the_seal_scratch_holds_zeros_after_sealing),
	    cmocka_unit_test(decoded_and_validated_values_are_wiped),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
