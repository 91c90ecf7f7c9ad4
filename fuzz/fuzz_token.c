/*
 * The signed form token: token_check on whatever a visitor posts, and the
 * make/check round trip over any clock readings.
 *
 * The first byte picks a mode. Mode 0: the rest is a posted token (the text
 * up to the first NUL), checked at a time and with ages taken from the
 * input's end. A forgery is impossible, so any answer other than MISSING or
 * FORGED must come from a token our key made: the target remakes it and
 * compares (seeds hold genuine tokens made with this target's key, so
 * mutations explore the time checks). Mode 1: a token made at one time and
 * checked at another must get exactly the answer token.h describes, and
 * never be accepted for the other form.
 */
#include <stdbool.h>
#include <string.h>

#include "token.h"

#include "fuzz.h"

#define FUTURE_SLACK 5
#define TIME_RANGE (1LL << 40) /* within the documented arithmetic */

static unsigned char key[TOKEN_KEY_BYTES];

static void init_key(void)
{
	/* The seeds' genuine tokens use this key: bytes 0, 1, 2, ... 31. */
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (unsigned char)i;
}

static uint64_t take_u64(const uint8_t **data, size_t *size)
{
	uint64_t v = 0;
	for (int i = 0; i < 8 && *size; i++) {
		v = (v << 8) | **data;
		(*data)++;
		(*size)--;
	}
	return v;
}

static const char *kind_of(uint8_t selector)
{
	return selector & 1 ? "start" : "contact";
}

static enum token_status expected_status(int64_t issued, int64_t now, long min_age, long max_age)
{
	if (issued > now)
		return issued - now > FUTURE_SLACK ? TOKEN_FORGED : TOKEN_TOO_FAST;
	int64_t age = now - issued;
	if (age < (int64_t)min_age)
		return TOKEN_TOO_FAST;
	if (age > (int64_t)max_age)
		return TOKEN_EXPIRED;
	return TOKEN_OK;
}

static void check_posted(const uint8_t *data, size_t size)
{
	if (size < 17)
		return;
	/* The clock and ages come from the end, the token text from the front. */
	const uint8_t *tail = data + size - 17;
	size_t tail_size = 17;
	const char *kind = kind_of(*tail++);
	tail_size--;
	int64_t now = (int64_t)(take_u64(&tail, &tail_size) % TIME_RANGE);
	uint64_t ages = take_u64(&tail, &tail_size);
	long min_age = (long)(ages & 0xffff), max_age = (long)((ages >> 16) & 0xfffff);

	size_t text_len = strnlen((const char *)data, size - 17);
	char *text = malloc(text_len + 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data, text_len);
	text[text_len] = '\0';

	enum token_status status = token_check(key, kind, text, now, min_age, max_age);
	if (text_len == 0) {
		FUZZ_CHECK(status == TOKEN_MISSING);
	} else if (status != TOKEN_FORGED) {
		FUZZ_CHECK(status == TOKEN_OK || status == TOKEN_TOO_FAST ||
		           status == TOKEN_EXPIRED);
		/* Genuine, so it is what token_make gives for its own issue time. */
		unsigned char bin[8 + 32];
		size_t bin_len = 0;
		FUZZ_CHECK(sodium_base642bin(bin, sizeof bin, text, text_len, NULL, &bin_len, NULL,
		                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
		           bin_len == sizeof bin);
		const uint8_t *p = bin;
		size_t left = 8;
		int64_t issued = (int64_t)take_u64(&p, &left);
		char remade[TOKEN_TEXT_MAX];
		token_make(key, kind, (time_t)issued, remade);
		FUZZ_CHECK(strcmp(remade, text) == 0);
		FUZZ_CHECK(status == expected_status(issued, now, min_age, max_age));
	}
	free(text);
}

static void check_round_trip(const uint8_t *data, size_t size)
{
	uint8_t selector = size ? *data : 0;
	int64_t issued = (int64_t)(take_u64(&data, &size) % TIME_RANGE);
	int64_t now = (int64_t)(take_u64(&data, &size) % TIME_RANGE);
	if (selector & 2) /* mostly near each other, where the interesting answers are */
		now = issued + (int64_t)(now % 40000) - 20000;
	uint64_t ages = take_u64(&data, &size);
	long min_age = (long)(ages & 0xffff), max_age = (long)((ages >> 16) & 0xfffff);
	const char *kind = kind_of(selector);
	const char *other = kind_of(selector ^ 1);

	char token[TOKEN_TEXT_MAX];
	token_make(key, kind, (time_t)issued, token);
	FUZZ_CHECK(token[0] != '\0' && strlen(token) < TOKEN_TEXT_MAX);
	FUZZ_CHECK(
	    strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	    strlen(token));
	if (now >= 0) {
		FUZZ_CHECK(token_check(key, kind, token, (time_t)now, min_age, max_age) ==
		           expected_status(issued, now, min_age, max_age));
		FUZZ_CHECK(token_check(key, other, token, (time_t)now, min_age, max_age) ==
		           TOKEN_FORGED);
	}
	/* One flipped character is a forgery. */
	size_t at = (size_t)(selector >> 2) % strlen(token);
	token[at] = token[at] == 'A' ? 'B' : 'A';
	enum token_status flipped = token_check(key, kind, token, (time_t)now, 0, 1 << 30);
	FUZZ_CHECK(flipped == TOKEN_FORGED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 512)
		return 0;
	if (!key[1])
		init_key();
	if (data[0] & 1)
		check_round_trip(data + 1, size - 1);
	else
		check_posted(data + 1, size - 1);
	return 0;
}
