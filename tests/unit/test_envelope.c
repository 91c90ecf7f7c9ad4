#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

#define OUT_LIMIT (4 * 1024 * 1024)

#define HEADER                                                                                     \
	"CLINIC-ENQUIRY 1\n"                                                                       \
	"kind 7\ncontact\n"                                                                        \
	"ref 8\nK7M-4QX9\n"                                                                        \
	"received 24\n2026-11-26T14:03:07.123Z\n"                                                  \
	"key_id 16\n0123456789abcdef\n"

static void fill_header(struct envelope *e)
{
	memset(e, 0, sizeof *e);
	e->version = ENVELOPE_VERSION;
	strcpy(e->kind, "contact");
	strcpy(e->ref, "K7M-4QX9");
	strcpy(e->received, "2026-11-26T14:03:07.123Z");
	strcpy(e->key_id, "0123456789abcdef");
}

static bool decodes(const char *bytes, size_t len)
{
	struct envelope e;
	char err[256] = "";
	bool ok = envelope_decode(bytes, len, &e, err, sizeof err);
	if (!ok) {
		/* A failed decode leaves nothing behind and says why. */
		assert_int_equal(e.count, 0);
		assert_true(err[0] != '\0');
	}
	envelope_wipe(&e);
	return ok;
}

static bool decodes_text(const char *text)
{
	return decodes(text, strlen(text));
}

static void assert_same(const struct envelope *a, const struct envelope *b)
{
	assert_int_equal(a->version, b->version);
	assert_string_equal(a->kind, b->kind);
	assert_string_equal(a->ref, b->ref);
	assert_string_equal(a->received, b->received);
	assert_string_equal(a->key_id, b->key_id);
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_string_equal(a->fields[i].name, b->fields[i].name);
		assert_int_equal(a->fields[i].value_len, b->fields[i].value_len);
		assert_memory_equal(a->fields[i].value, b->fields[i].value, a->fields[i].value_len);
		assert_int_equal(b->fields[i].value[b->fields[i].value_len], '\0');
	}
}

static void test_exact_encoding(void **state)
{
	(void)state;
	struct envelope e;
	fill_header(&e);
	assert_true(envelope_add(&e, "name", "Alex", 4));
	assert_true(envelope_add(&e, "phone", "", 0));
	struct buf out;
	buf_init(&out, OUT_LIMIT);
	assert_true(envelope_encode(&e, &out));
	const char *expected = HEADER "field.name 4\nAlex\nfield.phone 0\n\n";
	assert_int_equal(out.len, strlen(expected));
	assert_memory_equal(out.data, expected, out.len);
	envelope_wipe(&e);
	buf_wipe(&out);
}

static void test_round_trip_hostile_values(void **state)
{
	(void)state;
	static const char nul_and_newlines[] = "a\0b\n\nc\r\n\0";
	static const char injection[] = "x\nfield.consent 3\nyes\nkey_id 1\nz";
	static const char utf8[] = "Zo\xc3\xab \xe2\x80\x94 \xf0\x9f\x98\x80 \xe0\xa4\x95";
	static const char invalid_utf8[] = "\xff\xfe\xc0\x80\xed\xa0\x80";
	char *big = malloc(65536);
	assert_non_null(big);
	for (size_t i = 0; i < 65536; i++)
		big[i] = (char)(i * 31 + 7);

	struct envelope e;
	fill_header(&e);
	assert_true(envelope_add(&e, "nul", nul_and_newlines, sizeof nul_and_newlines - 1));
	assert_true(envelope_add(&e, "injection", injection, sizeof injection - 1));
	assert_true(envelope_add(&e, "utf8", utf8, sizeof utf8 - 1));
	assert_true(envelope_add(&e, "invalid_utf8", invalid_utf8, sizeof invalid_utf8 - 1));
	assert_true(envelope_add(&e, "big", big, 65536));
	assert_true(envelope_add(&e, "empty", NULL, 0));
	assert_true(envelope_add(&e, "only_newline", "\n", 1));
	char all_bytes[256];
	for (int i = 0; i < 256; i++)
		all_bytes[i] = (char)i;
	assert_true(envelope_add(&e, "all_bytes", all_bytes, sizeof all_bytes));
	assert_true(envelope_add(&e, "a2345678901234567890123456789012345678901234567890123456",
	                         "long name", 9));

	struct buf out;
	buf_init(&out, OUT_LIMIT);
	assert_true(envelope_encode(&e, &out));
	struct envelope back;
	char err[256] = "";
	assert_true(envelope_decode(out.data, out.len, &back, err, sizeof err));
	assert_same(&e, &back);
	assert_int_equal(envelope_get(&back, "big")->value_len, 65536);
	assert_memory_equal(envelope_get(&back, "injection")->value, injection,
	                    sizeof injection - 1);
	assert_null(envelope_get(&back, "consent"));

	/* Decoding then encoding gives back the very same bytes. */
	struct buf again;
	buf_init(&again, OUT_LIMIT);
	assert_true(envelope_encode(&back, &again));
	assert_int_equal(again.len, out.len);
	assert_memory_equal(again.data, out.data, out.len);

	envelope_wipe(&e);
	envelope_wipe(&back);
	buf_wipe(&out);
	buf_wipe(&again);
	free(big);
}

static void test_round_trip_full(void **state)
{
	(void)state;
	struct envelope e;
	fill_header(&e);
	for (int i = 0; i < ENVELOPE_MAX_FIELDS; i++) {
		char name[16], value[32];
		snprintf(name, sizeof name, "f%d", i);
		int n = snprintf(value, sizeof value, "value\n%d", i);
		assert_true(envelope_add(&e, name, value, (size_t)n));
	}
	assert_false(envelope_add(&e, "one_too_many", "x", 1));
	struct buf out;
	buf_init(&out, OUT_LIMIT);
	assert_true(envelope_encode(&e, &out));
	struct envelope back;
	assert_true(envelope_decode(out.data, out.len, &back, NULL, 0));
	assert_same(&e, &back);
	envelope_wipe(&e);
	envelope_wipe(&back);
	buf_wipe(&out);
}

static void test_header_only(void **state)
{
	(void)state;
	struct envelope e;
	char err[256] = "";
	assert_true(envelope_decode(HEADER, strlen(HEADER), &e, err, sizeof err));
	assert_int_equal(e.version, 1);
	assert_string_equal(e.kind, "contact");
	assert_string_equal(e.ref, "K7M-4QX9");
	assert_string_equal(e.received, "2026-11-26T14:03:07.123Z");
	assert_string_equal(e.key_id, "0123456789abcdef");
	assert_int_equal(e.count, 0);
	envelope_wipe(&e);
}

static void test_reject_version(void **state)
{
	(void)state;
	struct envelope e;
	char err[256] = "";
	const char *v2 = "CLINIC-ENQUIRY 2\nkind 7\ncontact\nref 8\nK7M-4QX9\n"
	                 "received 24\n2026-11-26T14:03:07.123Z\nkey_id 16\n0123456789abcdef\n";
	assert_false(envelope_decode(v2, strlen(v2), &e, err, sizeof err));
	assert_non_null(strstr(err, "version 2"));
	envelope_wipe(&e);

	const char *bad[] = {
	    "",
	    "CLINIC-ENQUIRY",
	    "CLINIC-ENQUIRY 1",
	    "CLINIC-ENQUIRY 1\n",
	    "CLINIC-ENQUIRY 0\n",
	    "CLINIC-ENQUIRY 01\n",
	    "CLINIC-ENQUIRY 10\n",
	    "CLINIC-ENQUIRY  1\n",
	    "CLINIC-ENQUIRY 1 \n",
	    "CLINIC-ENQUIRY 1\r\n",
	    "clinic-enquiry 1\n",
	    "CLINIC-ENQUIRY 99999999999999999999999\n",
	    "\nCLINIC-ENQUIRY 1\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(decodes_text(bad[i]));
	assert_false(decodes(NULL, 0));
}

static void test_reject_headers(void **state)
{
	(void)state;
	const char *bad[] = {
	    /* missing records */
	    "CLINIC-ENQUIRY 1\nkind 7\ncontact\n",
	    "CLINIC-ENQUIRY 1\nkind 7\ncontact\nref 8\nK7M-4QX9\n"
	    "received 24\n2026-11-26T14:03:07.123Z\n",
	    "CLINIC-ENQUIRY 1\nref 8\nK7M-4QX9\nkind 7\ncontact\n"
	    "received 24\n2026-11-26T14:03:07.123Z\nkey_id 16\n0123456789abcdef\n",
	    "CLINIC-ENQUIRY 1\nkind 7\ncontact\nref 8\nK7M-4QX9\n"
	    "received 24\n2026-11-26T14:03:07.123Z\nfield.name 1\nx\n",
	    /* duplicated header record */
	    "CLINIC-ENQUIRY 1\nkind 7\ncontact\nkind 7\ncontact\nref 8\nK7M-4QX9\n"
	    "received 24\n2026-11-26T14:03:07.123Z\nkey_id 16\n0123456789abcdef\n",
	    HEADER "kind 5\nstart\n",
	    HEADER "key_id 16\n0123456789abcdef\n",
	    /* values that do not fit or are not printable ASCII */
	    "CLINIC-ENQUIRY 1\nkind 16\ncontactcontact12\nref 8\nK7M-4QX9\n"
	    "received 24\n2026-11-26T14:03:07.123Z\nkey_id 16\n0123456789abcdef\n",
	    "CLINIC-ENQUIRY 1\nkind 0\n\nref 8\nK7M-4QX9\n"
	    "received 24\n2026-11-26T14:03:07.123Z\nkey_id 16\n0123456789abcdef\n",
	    "CLINIC-ENQUIRY 1\nkind 7\ncon\ttct\nref 8\nK7M-4QX9\n"
	    "received 24\n2026-11-26T14:03:07.123Z\nkey_id 16\n0123456789abcdef\n",
	    "CLINIC-ENQUIRY 1\nkind 7\ncontact\nref 8\nK7M\n4QX9\n"
	    "received 24\n2026-11-26T14:03:07.123Z\nkey_id 16\n0123456789abcdef\n",
	    "CLINIC-ENQUIRY 1\nkind 7\ncontact\nref 8\nK7M-4QX\xc3\n"
	    "received 24\n2026-11-26T14:03:07.123Z\nkey_id 16\n0123456789abcdef\n",
	    "CLINIC-ENQUIRY 1\nkind 7\ncontact\nref 8\nK7M-4QX9\n"
	    "received 32\n2026-11-26T14:03:07.123Z12345678\nkey_id 16\n0123456789abcdef\n",
	    "CLINIC-ENQUIRY 1\nkind 7\ncontact\nref 8\nK7M-4QX9\n"
	    "received 24\n2026-11-26T14:03:07.123Z\nkey_id 32\n"
	    "0123456789abcdef0123456789abcdef\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(decodes_text(bad[i]));

	/* The longest values that fit are accepted. */
	const char *longest =
	    "CLINIC-ENQUIRY 1\nkind 15\ncontactcontact1\nref 15\n~~~~~~~~~~~~~~~\n"
	    "received 31\n2026-11-26T14:03:07.123Z1234567\nkey_id 31\n"
	    "0123456789abcdef0123456789abcde\n";
	assert_true(decodes_text(longest));

	/* A NUL in a header value. */
	char with_nul[] = HEADER;
	with_nul[strlen("CLINIC-ENQUIRY 1\nkind 7\ncon")] = '\0';
	assert_false(decodes(with_nul, sizeof with_nul - 1));
}

static void test_reject_records(void **state)
{
	(void)state;
	const char *bad[] = {
	    /* unknown or malformed names */
	    HEADER "note 1\nx\n",
	    HEADER "field. 1\nx\n",
	    HEADER "field.Name 1\nx\n",
	    HEADER "field.a.b 1\nx\n",
	    HEADER "field.a-b 1\nx\n",
	    HEADER "field.na\xc3\xa9 1\nx\n",
	    HEADER "fieldname 1\nx\n",
	    HEADER "field.a23456789012345678901234567890123456789012345678901234567 1\nx\n",
	    HEADER "field.a2345678901234567890123456789012345678901234567890123456789 1\nx\n",
	    HEADER " 1\nx\n",
	    HEADER "field.name\n",
	    HEADER "field.name",
	    HEADER "field.name  1\nx\n",
	    HEADER "field.name\t1\nx\n",
	    /* lengths */
	    HEADER "field.name 01\nx\n",
	    HEADER "field.name 00\n\n",
	    HEADER "field.name +1\nx\n",
	    HEADER "field.name -1\nx\n",
	    HEADER "field.name  \nx\n",
	    HEADER "field.name \nx\n",
	    HEADER "field.name 1 \nx\n",
	    HEADER "field.name 0x1\nx\n",
	    HEADER "field.name 65537\nx\n",
	    HEADER "field.name 99999\nx\n",
	    HEADER "field.name 100000\nx\n",
	    HEADER "field.name 18446744073709551617\nx\n",
	    HEADER "field.name 1\r\nx\n",
	    /* values cut short or not closed */
	    HEADER "field.name 2\nx\n",
	    HEADER "field.name 5\nx\n",
	    HEADER "field.name 1\nx",
	    HEADER "field.name 1\nxy\n",
	    HEADER "field.name 1\nx\r\n",
	    /* trailing bytes */
	    HEADER "field.name 1\nx\n\n",
	    HEADER "field.name 1\nx\nx",
	    HEADER "\n",
	    HEADER " ",
	    /* duplicates */
	    HEADER "field.name 1\nx\nfield.name 1\nx\n",
	    HEADER "field.name 1\nx\nfield.other 1\ny\nfield.name 0\n\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(decodes_text(bad[i]));

	/* The edges that are allowed. */
	assert_true(decodes_text(HEADER "field.name 0\n\n"));
	assert_true(decodes_text(
	    HEADER "field.a2345678901234567890123456789012345678901234567890123456 1\nx\n"));
	assert_true(decodes_text(HEADER "field.a 1\nx\nfield.b 1\ny\n"));

	/* A NUL after a complete record is a trailing byte. */
	const char *nul_after = HEADER "field.name 1\nx\n";
	assert_false(decodes(nul_after, strlen(nul_after) + 1));
}

static void test_reject_duplicate_message(void **state)
{
	(void)state;
	const char *dup = HEADER "field.name 1\nx\nfield.name 1\nx\n";
	struct envelope e;
	char err[256] = "";
	assert_false(envelope_decode(dup, strlen(dup), &e, err, sizeof err));
	assert_non_null(strstr(err, "duplicate"));
	envelope_wipe(&e);
}

static void test_length_limit(void **state)
{
	(void)state;
	size_t header_len = strlen(HEADER);
	const char *intro65536 = "field.big 65536\n";
	const char *intro65537 = "field.big 65537\n";
	size_t cap = header_len + 32 + 65537 + 1;
	char *bytes = malloc(cap);
	assert_non_null(bytes);

	memcpy(bytes, HEADER, header_len);
	size_t n = header_len;
	memcpy(bytes + n, intro65536, strlen(intro65536));
	n += strlen(intro65536);
	memset(bytes + n, 'v', 65536);
	n += 65536;
	bytes[n++] = '\n';
	assert_true(decodes(bytes, n));

	n = header_len;
	memcpy(bytes + n, intro65537, strlen(intro65537));
	n += strlen(intro65537);
	memset(bytes + n, 'v', 65537);
	n += 65537;
	bytes[n++] = '\n';
	assert_false(decodes(bytes, n));
	free(bytes);
}

static void test_too_many_fields(void **state)
{
	(void)state;
	struct buf in;
	buf_init(&in, OUT_LIMIT);
	buf_puts(&in, HEADER);
	for (int i = 0; i < ENVELOPE_MAX_FIELDS; i++)
		buf_printf(&in, "field.f%d 1\nx\n", i);
	assert_false(in.failed);
	assert_true(decodes(in.data, in.len));
	buf_printf(&in, "field.f%d 1\nx\n", ENVELOPE_MAX_FIELDS);
	assert_false(decodes(in.data, in.len));
	buf_free(&in);
}

/* Whatever the decoder accepts is exactly what the encoder would write: so
 * no two byte strings mean the same envelope, and no cut or changed byte is
 * read as something else unnoticed. */
static void check_canonical(const char *bytes, size_t len)
{
	struct envelope e;
	if (!envelope_decode(bytes, len, &e, NULL, 0)) {
		assert_int_equal(e.count, 0);
		envelope_wipe(&e);
		return;
	}
	struct buf out;
	buf_init(&out, OUT_LIMIT);
	assert_true(envelope_encode(&e, &out));
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, bytes, len);
	buf_free(&out);
	envelope_wipe(&e);
}

static void test_every_prefix_and_mutation(void **state)
{
	(void)state;
	struct envelope e;
	fill_header(&e);
	assert_true(envelope_add(&e, "name", "Alex", 4));
	assert_true(envelope_add(&e, "message", "one\ntwo\0three", 13));
	assert_true(envelope_add(&e, "consent", "yes", 3));
	struct buf good;
	buf_init(&good, OUT_LIMIT);
	assert_true(envelope_encode(&e, &good));
	envelope_wipe(&e);

	size_t accepted_prefixes = 0;
	for (size_t len = 0; len <= good.len; len++) {
		struct envelope cut;
		if (envelope_decode(good.data, len, &cut, NULL, 0))
			accepted_prefixes++;
		envelope_wipe(&cut);
		check_canonical(good.data, len);
	}
	/* Only the cuts just after the header and after each field record. */
	assert_int_equal(accepted_prefixes, 4);

	char *mutated = malloc(good.len);
	assert_non_null(mutated);
	const unsigned char flips[] = {0x01, 0x20, 0x80, 0xff};
	for (size_t i = 0; i < good.len; i++) {
		for (size_t f = 0; f < sizeof flips; f++) {
			memcpy(mutated, good.data, good.len);
			mutated[i] = (char)(mutated[i] ^ flips[f]);
			check_canonical(mutated, good.len);
		}
	}
	free(mutated);
	buf_free(&good);
}

static void test_add_and_get(void **state)
{
	(void)state;
	struct envelope e;
	fill_header(&e);
	assert_true(envelope_add(&e, "name", "Alex", 4));
	assert_false(envelope_add(&e, "name", "Sam", 3));
	assert_false(envelope_add(&e, "", "x", 1));
	assert_false(envelope_add(&e, "Name", "x", 1));
	assert_false(envelope_add(&e, "a.b", "x", 1));
	assert_false(envelope_add(&e, "field.x", "x", 1));
	assert_false(envelope_add(&e, "a b", "x", 1));
	assert_false(
	    envelope_add(&e, "a23456789012345678901234567890123456789012345678901234567", "x", 1));
	assert_false(envelope_add(&e, NULL, "x", 1));
	assert_false(envelope_add(&e, "nothing", NULL, 1));
	char *big = calloc(1, 65537);
	assert_non_null(big);
	assert_false(envelope_add(&e, "big", big, 65537));
	assert_true(envelope_add(&e, "big", big, 65536));
	free(big);
	assert_int_equal(e.count, 2);

	/* The value is a copy. */
	char value[] = "mutable";
	assert_true(envelope_add(&e, "copy", value, 7));
	value[0] = 'X';
	const struct envelope_field *f = envelope_get(&e, "copy");
	assert_non_null(f);
	assert_string_equal(f->value, "mutable");
	assert_int_equal(f->value_len, 7);

	assert_non_null(envelope_get(&e, "name"));
	assert_string_equal(envelope_get(&e, "name")->value, "Alex");
	assert_null(envelope_get(&e, "nam"));
	assert_null(envelope_get(&e, "field.name"));
	assert_null(envelope_get(&e, NULL));

	envelope_wipe(&e);
	assert_int_equal(e.count, 0);
	assert_int_equal(e.kind[0], '\0');
	assert_null(envelope_get(&e, "name"));
	envelope_wipe(&e); /* harmless twice */
}

static void test_encode_rejects(void **state)
{
	(void)state;
	struct buf out;
	buf_init(&out, OUT_LIMIT);
	struct envelope e;

	fill_header(&e);
	e.version = 2;
	assert_false(envelope_encode(&e, &out));

	fill_header(&e);
	e.kind[0] = '\0';
	assert_false(envelope_encode(&e, &out));

	fill_header(&e);
	strcpy(e.ref, "K7M\n4QX9");
	assert_false(envelope_encode(&e, &out));

	fill_header(&e);
	strcpy(e.received, "2026\x7f");
	assert_false(envelope_encode(&e, &out));

	fill_header(&e);
	memset(e.key_id, 'a', sizeof e.key_id); /* no room for the NUL */
	assert_false(envelope_encode(&e, &out));

	fill_header(&e);
	char name[] = "Bad.Name";
	char value[] = "x";
	e.fields[0] = (struct envelope_field){name, value, 1};
	e.count = 1;
	assert_false(envelope_encode(&e, &out));

	fill_header(&e);
	char same[] = "same";
	e.fields[0] = (struct envelope_field){same, value, 1};
	e.fields[1] = (struct envelope_field){same, value, 1};
	e.count = 2;
	assert_false(envelope_encode(&e, &out));

	fill_header(&e);
	e.count = ENVELOPE_MAX_FIELDS + 1;
	assert_false(envelope_encode(&e, &out));

	/* Nothing was written by any refusal. */
	assert_int_equal(out.len, 0);

	/* An unset version (a zeroed struct) is written as the current one. */
	fill_header(&e);
	e.version = 0;
	assert_true(envelope_encode(&e, &out));
	assert_memory_equal(out.data, "CLINIC-ENQUIRY 1\n", 17);
	buf_free(&out);
}

static void test_encode_too_big_for_buffer(void **state)
{
	(void)state;
	struct envelope e;
	fill_header(&e);
	char *big = malloc(65536);
	assert_non_null(big);
	memset(big, 's', 65536);
	assert_true(envelope_add(&e, "message", big, 65536));
	free(big);
	struct buf out;
	buf_init(&out, 4096);
	buf_puts(&out, "before");
	assert_false(envelope_encode(&e, &out));
	/* What was there stays; no partial plaintext is left after it. */
	assert_int_equal(out.len, 6);
	assert_string_equal(out.data, "before");
	assert_null(memmem(out.data, out.cap, "K7M-4QX9", 8));
	assert_null(memmem(out.data, out.cap, "field.message", 13));
	envelope_wipe(&e);
	buf_wipe(&out);
}

static void only_exact_times_of_receipt_are_read(void **state)
{
	(void)state;
	time_t t = 0;
	assert_true(envelope_received_time("2026-11-26T14:03:07.123Z", &t));
	assert_int_equal(t, 1795701787);
	assert_true(envelope_received_time("2026-11-26T14:03:07Z", &t));
	assert_int_equal(t, 1795701787);
	assert_true(envelope_received_time("2024-02-29T00:00:00.000Z", &t));
	const char *bad[] = {"",
	                     "2026-11-26",
	                     "2026-11-26 14:03:07.123Z",
	                     "2026-11-26T14:03:07.123",
	                     "2026-11-26T14:03:07.123+01:00",
	                     "2026-11-26T14:03:07.12Z",
	                     "2026-02-30T14:03:07.123Z",
	                     "2025-02-29T00:00:00.000Z",
	                     "2026-11-26T24:00:00.000Z",
	                     "2026-11-26T14:60:07.123Z",
	                     "2026-13-26T14:03:07.123Z",
	                     "2026-1a-26T14:03:07.123Z",
	                     "yesterday-ish"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = 42;
		assert_false(envelope_received_time(bad[i], &t));
		assert_int_equal(t, 42);
	}
}

/* A stamp is read back as the same second, and begins with its day. */
static void a_stamp_reads_back(void **state)
{
	(void)state;
	struct envelope e;
	memset(&e, 0, sizeof e);
	struct timespec t = {1795701787, 123456789};
	envelope_stamp(&e, t);
	assert_string_equal(e.received, "2026-11-26T14:03:07.123Z");
	time_t back = 0;
	assert_true(envelope_received_time(e.received, &back));
	assert_int_equal(back, t.tv_sec);
	t.tv_nsec = 0;
	envelope_stamp(&e, t);
	assert_string_equal(e.received, "2026-11-26T14:03:07.000Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_encoding),
	    cmocka_unit_test(only_exact_times_of_receipt_are_read),
	    cmocka_unit_test(a_stamp_reads_back),
	    cmocka_unit_test(test_round_trip_hostile_values),
	    cmocka_unit_test(test_round_trip_full),
	    cmocka_unit_test(test_header_only),
	    cmocka_unit_test(test_reject_version),
	    cmocka_unit_test(test_reject_headers),
	    cmocka_unit_test(test_reject_records),
	    cmocka_unit_test(test_reject_duplicate_message),
	    cmocka_unit_test(test_length_limit),
	    cmocka_unit_test(test_too_many_fields),
	    cmocka_unit_test(test_every_prefix_and_mutation),
	    cmocka_unit_test(test_add_and_get),
	    cmocka_unit_test(test_encode_rejects),
	    cmocka_unit_test(test_encode_too_big_for_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
