/*
 * The enquiry envelope: its strict decoder, its encoder, and the round trip.
 *
 * The first byte picks a mode. Mode 0: the rest is decoded as serialised
 * bytes (what the staff tool reads after opening a sealed enquiry); if it
 * decodes, encoding it again must give exactly the same bytes, since the
 * format has one spelling per envelope. Mode 1: the rest describes an
 * envelope (header values, then field names and values); envelope_add must
 * accept exactly the names envelope.h allows, and
 * decode(encode(e)) == e must hold field by field.
 */
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"

#include "fuzz.h"

#define INPUT_LIMIT (128 * 1024)
#define OUT_LIMIT (4 * 1024 * 1024)

static void check_decoded(const struct envelope *e)
{
	FUZZ_CHECK(e->version == ENVELOPE_VERSION);
	FUZZ_CHECK(e->count <= ENVELOPE_MAX_FIELDS);
	FUZZ_CHECK(e->kind[0] && e->ref[0] && e->received[0] && e->key_id[0]);
	for (size_t i = 0; i < e->count; i++) {
		FUZZ_CHECK(e->fields[i].name && e->fields[i].value);
		FUZZ_CHECK(e->fields[i].value[e->fields[i].value_len] == '\0');
		FUZZ_CHECK(envelope_get(e, e->fields[i].name) == &e->fields[i]);
	}
}

static void decode_arbitrary(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so a read past the end is caught. */
	char *bytes = malloc(size ? size : 1);
	FUZZ_CHECK(bytes != NULL);
	memcpy(bytes, data, size);
	struct envelope e;
	char err[256] = "";
	bool ok = envelope_decode(bytes, size, &e, err, sizeof err);
	if (ok) {
		check_decoded(&e);
		struct buf out;
		buf_init(&out, OUT_LIMIT);
		FUZZ_CHECK(envelope_encode(&e, &out));
		FUZZ_CHECK(out.len == size && memcmp(out.data, bytes, size) == 0);
		buf_wipe(&out);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}
	envelope_wipe(&e);
	free(bytes);
}

/* envelope.h: a field name is [a-z0-9_]{1,56}. */
static bool name_allowed(const char *name)
{
	size_t n = strlen(name);
	return n >= 1 && n <= 56 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static void copy_header(char *dst, size_t dst_size, const uint8_t **data, size_t *size)
{
	const uint8_t *piece;
	size_t n = fuzz_take(data, size, '\n', dst_size - 1, &piece);
	memcpy(dst, piece, n);
	dst[n] = '\0';
}

static void round_trip(const uint8_t *data, size_t size)
{
	struct envelope e;
	memset(&e, 0, sizeof e);
	e.version = size && data[0] == 'v' ? 0 : ENVELOPE_VERSION; /* 0 is written as 1 */
	copy_header(e.kind, sizeof e.kind, &data, &size);
	copy_header(e.ref, sizeof e.ref, &data, &size);
	copy_header(e.received, sizeof e.received, &data, &size);
	copy_header(e.key_id, sizeof e.key_id, &data, &size);

	while (size > 0) {
		const uint8_t *piece;
		size_t n = fuzz_take(&data, &size, '=', 64, &piece);
		char name[65];
		memcpy(name, piece, n);
		name[n] = '\0';
		size_t value_len = fuzz_take(&data, &size, '&', 70000, &piece);
		bool duplicate = envelope_get(&e, name) != NULL;
		bool expected = name_allowed(name) && !duplicate && e.count < ENVELOPE_MAX_FIELDS &&
		                value_len <= 65536;
		size_t before = e.count;
		bool added = envelope_add(&e, name, (const char *)piece, value_len);
		FUZZ_CHECK(added == expected);
		FUZZ_CHECK(e.count == before + (added ? 1 : 0));
	}

	struct buf out;
	buf_init(&out, OUT_LIMIT);
	if (envelope_encode(&e, &out)) {
		struct envelope back;
		char err[256] = "";
		bool decoded = envelope_decode(out.data, out.len, &back, err, sizeof err);
		if (!decoded)
			fprintf(stderr, "decoding what was encoded failed: %s\n", err);
		FUZZ_CHECK(decoded);
		check_decoded(&back);
		FUZZ_CHECK(strcmp(back.kind, e.kind) == 0 && strcmp(back.ref, e.ref) == 0 &&
		           strcmp(back.received, e.received) == 0 &&
		           strcmp(back.key_id, e.key_id) == 0);
		FUZZ_CHECK(back.count == e.count);
		for (size_t i = 0; i < e.count; i++) {
			FUZZ_CHECK(strcmp(back.fields[i].name, e.fields[i].name) == 0);
			FUZZ_CHECK(back.fields[i].value_len == e.fields[i].value_len);
			FUZZ_CHECK(memcmp(back.fields[i].value, e.fields[i].value,
			                  e.fields[i].value_len) == 0);
		}
		envelope_wipe(&back);
	} else {
		/* Refused only for a header value the format cannot carry. */
		FUZZ_CHECK(out.len == 0);
		bool header_ok = true;
		const char *headers[] = {e.kind, e.ref, e.received, e.key_id};
		for (size_t i = 0; i < 4; i++) {
			size_t n = strlen(headers[i]);
			header_ok = header_ok && n > 0;
			for (size_t j = 0; j < n; j++)
				header_ok =
				    header_ok && headers[i][j] >= 0x20 && headers[i][j] <= 0x7e;
		}
		FUZZ_CHECK(!header_ok);
	}
	buf_wipe(&out);
	envelope_wipe(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_LIMIT)
		return 0;
	if (data[0] & 1)
		round_trip(data + 1, size - 1);
	else
		decode_arbitrary(data + 1, size - 1);
	return 0;
}
