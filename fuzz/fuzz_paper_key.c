/*
 * The paper recovery key as a person types it back (staff/paperkey.c).
 *
 * The first byte picks a mode. Mode 0: the rest is what was typed. If it
 * is accepted, it is the key's one spelling up to what the header allows
 * (case, separators, O for 0, I and L for 1), and the key encodes to it
 * again; otherwise there is a sentence, no key, and a group from 0 to 13.
 * Mode 1: a key made from the input with one character changed at a place
 * the input picks: a change that is not a mere spelling of the same
 * character is always caught, in the group where it was made.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "base32.h"
#include "paperkey.h"

#include "fuzz.h"

#define INPUT_LIMIT (PAPERKEY_INPUT_MAX + 16)

static void decode_arbitrary(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data, size);
	unsigned char sk[crypto_box_SECRETKEYBYTES];
	memset(sk, 0xAA, sizeof sk);
	int group = -1;
	char err[300] = "";
	enum paperkey_status status = paperkey_decode(text, size, sk, &group, err, sizeof err);
	if (status == PAPERKEY_OK) {
		FUZZ_CHECK(group == 0);
		char canonical[PAPERKEY_TEXT_MAX];
		paperkey_encode(sk, canonical);
		size_t k = 0;
		for (size_t i = 0; i < size; i++) {
			char c = text[i];
			if (c == ' ' || c == '\t' || c == '-' || c == '\n' || c == '\r')
				continue;
			while (canonical[k] == '-')
				k++;
			FUZZ_CHECK(base32_value(c) == base32_value(canonical[k]));
			k++;
		}
		FUZZ_CHECK(k == strlen(canonical));
	} else {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(group >= 0 && group <= PAPERKEY_GROUPS);
		FUZZ_CHECK(sodium_is_zero(sk, sizeof sk));
	}
	free(text);
}

static void one_typo(const uint8_t *data, size_t size)
{
	if (size < crypto_box_SECRETKEYBYTES + 2)
		return;
	char text[PAPERKEY_TEXT_MAX];
	paperkey_encode(data, text);
	size_t at = data[32] % (PAPERKEY_TEXT_MAX - 1);
	if (text[at] == '-')
		return;
	char typed = (char)data[33];
	int before = base32_value(text[at]);
	text[at] = typed;
	unsigned char sk[crypto_box_SECRETKEYBYTES];
	int group = -1;
	char err[300];
	enum paperkey_status status =
	    paperkey_decode(text, strlen(text), sk, &group, err, sizeof err);
	if (typed == '\0' || typed == ' ' || typed == '\t' || typed == '-' || typed == '\n' ||
	    typed == '\r') {
		FUZZ_CHECK(status != PAPERKEY_OK); /* a character missing */
	} else if (base32_value(typed) == before) {
		FUZZ_CHECK(status == PAPERKEY_OK && memcmp(sk, data, sizeof sk) == 0);
	} else {
		FUZZ_CHECK(status ==
		           (base32_value(typed) < 0 ? PAPERKEY_BAD_CHARACTER : PAPERKEY_BAD_GROUP));
		FUZZ_CHECK(group == (int)(at / (PAPERKEY_GROUP_CHARS + 1)) + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_LIMIT || sodium_init() < 0)
		return 0;
	if (data[0] & 1)
		one_typo(data + 1, size - 1);
	else
		decode_arbitrary(data + 1, size - 1);
	return 0;
}
