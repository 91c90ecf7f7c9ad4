/* enquiry: opening a stored row, and noticing one that was altered, moved or
 * sealed to another key. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "enquiry.h"
#include "envelope.h"
#include "keyring.h"
#include "seal.h"
#include "store.h"

#define LIMIT (16u << 20)

static struct keyring ring;
static struct public_key key;

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	ring.entries = sodium_allocarray(1, sizeof *ring.entries);
	if (!ring.entries)
		return -1;
	ring.count = 1;
	struct keyring_entry *e = &ring.entries[0];
	if (crypto_box_keypair(e->pk, e->sk) != 0)
		return -1;
	seal_key_id(e->pk, e->key_id);
	memcpy(key.pk, e->pk, sizeof key.pk);
	seal_key_id(key.pk, key.key_id);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	keyring_free(&ring);
	return 0;
}

struct stored {
	struct store_row row;
	struct buf sealed;
};

/* Seals plain as contact.fcgi would and makes the row that would hold it. */
static void store_plain(struct stored *s, const char *plain, size_t len, const char *ref,
                        const char *kind, const char *day)
{
	memset(s, 0, sizeof *s);
	buf_init(&s->sealed, LIMIT);
	assert_true(seal_message(&key, plain, len, &s->sealed));
	snprintf(s->row.ref, sizeof s->row.ref, "%s", ref);
	snprintf(s->row.kind, sizeof s->row.kind, "%s", kind);
	snprintf(s->row.day, sizeof s->row.day, "%s", day);
	snprintf(s->row.key_id, sizeof s->row.key_id, "%s", key.key_id);
	snprintf(s->row.status, sizeof s->row.status, "new");
	s->row.sealed = (unsigned char *)s->sealed.data;
	s->row.sealed_len = s->sealed.len;
}

/* An enquiry whose envelope says ref, kind, received and key_id. */
static void store_enquiry(struct stored *s, const char *ref, const char *kind, const char *received,
                          const char *key_id)
{
	struct envelope e = {0};
	e.version = ENVELOPE_VERSION;
	snprintf(e.kind, sizeof e.kind, "%s", kind);
	snprintf(e.ref, sizeof e.ref, "%s", ref);
	snprintf(e.received, sizeof e.received, "%s", received);
	snprintf(e.key_id, sizeof e.key_id, "%s", key_id);
	assert_true(envelope_add(&e, "name", "Ann Example", 11));
	assert_true(envelope_add(&e, "message", "Hello\nthere", 11));
	struct buf plain;
	buf_init(&plain, LIMIT);
	assert_true(envelope_encode(&e, &plain));
	store_plain(s, plain.data, plain.len, "K7MQ-4QX9", "contact", "2026-11-26");
	buf_wipe(&plain);
	envelope_wipe(&e);
}

static void good(struct stored *s)
{
	store_enquiry(s, "K7MQ-4QX9", "contact", "2026-11-26T14:03:07.123Z", key.key_id);
}

static enum enquiry_status open_stored(struct stored *s, struct envelope *env, char *problem,
                                       size_t len)
{
	problem[0] = '\0';
	return enquiry_open(&ring, &s->row, env, NULL, problem, len);
}

static void a_good_row_opens_and_gives_the_fields_back(void **state)
{
	(void)state;
	struct stored s;
	good(&s);
	struct envelope env;
	char problem[300];
	assert_int_equal(open_stored(&s, &env, problem, sizeof problem), ENQUIRY_OK);
	assert_string_equal(problem, "");
	assert_string_equal(env.ref, "K7MQ-4QX9");
	const struct envelope_field *f = envelope_get(&env, "message");
	assert_non_null(f);
	assert_int_equal(f->value_len, 11);
	assert_memory_equal(f->value, "Hello\nthere", 11);
	envelope_wipe(&env);
	buf_free(&s.sealed);
}

/* Opens s expecting status and problem; frees s. */
static void expect(struct stored *s, enum enquiry_status status, const char *problem_wanted)
{
	struct envelope env;
	char problem[300];
	assert_int_equal(open_stored(s, &env, problem, sizeof problem), status);
	assert_string_equal(problem, problem_wanted);
	/* A row that contradicts its envelope is opened all the same, so that
	 * the staff can see what it holds; an unopened one leaves env empty. */
	if (!enquiry_opened(status))
		assert_int_equal(env.count, 0);
	else
		assert_non_null(envelope_get(&env, "name"));
	envelope_wipe(&env);
	buf_free(&s->sealed);
}

static void a_row_for_another_key_is_not_opened(void **state)
{
	(void)state;
	struct stored s;
	good(&s);
	snprintf(s.row.key_id, sizeof s.row.key_id, "0123456789abcdef");
	expect(&s, ENQUIRY_NOT_FOR_YOU,
	       "is sealed to a key this keyring does not hold (key id "
	       "0123456789abcdef)");
}

static void altered_bytes_are_not_opened(void **state)
{
	(void)state;
	const char *want = "could not be opened: the stored bytes were altered or belong to "
	                   "another key";
	struct stored s;
	good(&s);
	s.sealed.data[s.sealed.len / 2] ^= 1;
	expect(&s, ENQUIRY_UNOPENED, want);
	good(&s);
	s.row.sealed_len--;
	expect(&s, ENQUIRY_UNOPENED, want);
	good(&s);
	s.row.sealed_len = 0;
	expect(&s, ENQUIRY_UNOPENED, want);
}

static void a_row_larger_than_any_enquiry_is_not_opened(void **state)
{
	(void)state;
	struct stored s;
	good(&s);
	s.row.sealed_len = (8u << 20) + 1;
	expect(&s, ENQUIRY_UNOPENED, "is larger than any enquiry can be, so it was not opened");
}

static void sealed_garbage_is_not_an_enquiry(void **state)
{
	(void)state;
	struct stored s;
	store_plain(&s, "hello", 5, "K7MQ-4QX9", "contact", "2026-11-26");
	struct envelope env;
	char problem[300];
	assert_int_equal(open_stored(&s, &env, problem, sizeof problem), ENQUIRY_UNOPENED);
	assert_non_null(
	    strstr(problem, "was opened, but what is inside is not a readable enquiry ("));
	envelope_wipe(&env);
	buf_free(&s.sealed);
}

static void a_row_that_disagrees_with_its_envelope_is_noticed(void **state)
{
	(void)state;
	struct stored s;
	store_enquiry(&s, "ZZZZ-ZZZZ", "contact", "2026-11-26T14:03:07.123Z", key.key_id);
	expect(&s, ENQUIRY_CONTRADICTS, "says it is ZZZZ-ZZZZ inside, not K7MQ-4QX9");
	store_enquiry(&s, "K7MQ-4QX9", "start", "2026-11-26T14:03:07.123Z", key.key_id);
	expect(&s, ENQUIRY_CONTRADICTS,
	       "is a \"start\" form inside, but its record says \"contact\"");
	store_enquiry(&s, "K7MQ-4QX9", "contact", "2026-11-25T23:59:59.999Z", key.key_id);
	expect(&s, ENQUIRY_CONTRADICTS,
	       "was received at 2026-11-25T23:59:59.999Z, but its record "
	       "gives the day 2026-11-26");
	store_enquiry(&s, "K7MQ-4QX9", "contact", "2026-11", key.key_id);
	expect(&s, ENQUIRY_CONTRADICTS,
	       "was received at 2026-11, but its record gives the day "
	       "2026-11-26");
	store_enquiry(&s, "K7MQ-4QX9", "contact", "2026-11-26T14:03:07.123Z", "0123456789abcdef");
	char want[200];
	snprintf(want, sizeof want,
	         "names the key 0123456789abcdef inside, but its record names %s", key.key_id);
	expect(&s, ENQUIRY_CONTRADICTS, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_good_row_opens_and_gives_the_fields_back),
	    cmocka_unit_test(a_row_for_another_key_is_not_opened),
	    cmocka_unit_test(altered_bytes_are_not_opened),
	    cmocka_unit_test(a_row_larger_than_any_enquiry_is_not_opened),
	    cmocka_unit_test(sealed_garbage_is_not_an_enquiry),
	    cmocka_unit_test(a_row_that_disagrees_with_its_envelope_is_noticed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
