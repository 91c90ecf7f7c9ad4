#include "paperkey.h"

#include <stdio.h>
#include <string.h>

#include "base32.h"

#define VERSION 1
#define DATA_CHARS (PAPERKEY_GROUP_CHARS - 1)
#define ALL_CHARS (PAPERKEY_GROUPS * PAPERKEY_GROUP_CHARS)
#define PAYLOAD_BITS (PAPERKEY_GROUPS * DATA_CHARS * 5) /* 260 */
#define VERSION_BITS 4

_Static_assert(PAYLOAD_BITS == VERSION_BITS + 8 * crypto_box_SECRETKEYBYTES,
               "the groups hold the version and the key exactly");

unsigned paperkey_check(unsigned group, const unsigned values[DATA_CHARS])
{
	/* Luhn mod N, N = 32: from the right, every other value doubled and its
	 * two base-32 digits added; the check makes the total a multiple of 32. */
	unsigned sequence[DATA_CHARS + 1];
	sequence[0] = group % 32;
	for (int i = 0; i < DATA_CHARS; i++)
		sequence[i + 1] = values[i] % 32;
	unsigned sum = 0, factor = 2;
	for (int i = DATA_CHARS; i >= 0; i--) {
		unsigned addend = factor * sequence[i];
		sum += addend / 32 + addend % 32;
		factor = factor == 2 ? 1 : 2;
	}
	return (32 - sum % 32) % 32;
}

void paperkey_encode(const unsigned char sk[crypto_box_SECRETKEYBYTES], char out[PAPERKEY_TEXT_MAX])
{
	unsigned char payload[crypto_box_SECRETKEYBYTES + 1];
	/* The version in the top 4 bits, then the key shifted by 4 bits. */
	payload[0] = (unsigned char)(VERSION << 4 | sk[0] >> 4);
	for (size_t i = 1; i < crypto_box_SECRETKEYBYTES; i++)
		payload[i] = (unsigned char)(sk[i - 1] << 4 | sk[i] >> 4);
	payload[crypto_box_SECRETKEYBYTES] =
	    (unsigned char)(sk[crypto_box_SECRETKEYBYTES - 1] << 4);
	char symbols[PAPERKEY_GROUPS * DATA_CHARS + 1];
	base32_encode_bits(payload, PAYLOAD_BITS, symbols);
	size_t n = 0;
	for (unsigned g = 0; g < PAPERKEY_GROUPS; g++) {
		unsigned values[DATA_CHARS];
		for (int i = 0; i < DATA_CHARS; i++) {
			char c = symbols[g * DATA_CHARS + (unsigned)i];
			values[i] = (unsigned)base32_value(c);
			out[n++] = c;
		}
		out[n++] = base32_symbol(paperkey_check(g + 1, values));
		out[n++] = g + 1 < PAPERKEY_GROUPS ? '-' : '\0';
		sodium_memzero(values, sizeof values);
	}
	sodium_memzero(payload, sizeof payload);
	sodium_memzero(symbols, sizeof symbols);
}

static bool is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '-' || c == '\n' || c == '\r';
}

/* What was typed: the symbol values in order, and the runs between
 * separators with their lengths. */
struct typed {
	unsigned values[ALL_CHARS];
	size_t count; /* symbols in all (may exceed ALL_CHARS: then values is full) */
	size_t runs;
	size_t run_length[PAPERKEY_GROUPS];
};

static enum paperkey_status read_symbols(const char *text, size_t len, struct typed *t, int *group,
                                         char *err, size_t errlen)
{
	bool in_run = false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (is_separator(c)) {
			in_run = false;
			continue;
		}
		if (!in_run) {
			in_run = true;
			t->runs++;
		}
		int value = base32_value(c);
		if (value < 0) {
			*group = t->runs <= PAPERKEY_GROUPS ? (int)t->runs : 0;
			char shown[16] = "";
			if (c > 0x20 && c < 0x7f)
				snprintf(shown, sizeof shown, " (\"%c\")", c);
			if (*group)
				snprintf(
				    err, errlen,
				    "Group %d of the paper key has a character that paper keys do "
				    "not use%s: only the digits and the letters A to Z except U. "
				    "Check that group against the paper.",
				    *group, shown);
			else
				snprintf(
				    err, errlen,
				    "The paper key has a character that paper keys do not use%s: "
				    "only the digits and the letters A to Z except U.",
				    shown);
			return PAPERKEY_BAD_CHARACTER;
		}
		if (t->runs <= PAPERKEY_GROUPS)
			t->run_length[t->runs - 1]++;
		if (t->count < ALL_CHARS)
			t->values[t->count] = (unsigned)value;
		t->count++;
	}
	return PAPERKEY_OK;
}

static enum paperkey_status check_length(const struct typed *t, int *group, char *err,
                                         size_t errlen)
{
	/* Typed in its groups: name the group that is too short or too long. */
	if (t->runs == PAPERKEY_GROUPS) {
		for (size_t g = 0; g < PAPERKEY_GROUPS; g++) {
			if (t->run_length[g] != PAPERKEY_GROUP_CHARS) {
				*group = (int)g + 1;
				snprintf(
				    err, errlen,
				    "Group %d of the paper key has %zu characters; each group has "
				    "%d. Check it against the paper.",
				    *group, t->run_length[g], PAPERKEY_GROUP_CHARS);
				return PAPERKEY_BAD_LENGTH;
			}
		}
		return PAPERKEY_OK;
	}
	if (t->count == ALL_CHARS)
		return PAPERKEY_OK;
	snprintf(err, errlen,
	         "The paper key has %zu characters in %zu groups; it should have %d: %d groups of "
	         "%d. Check that no group is missing or typed twice.",
	         t->count, t->runs, ALL_CHARS, PAPERKEY_GROUPS, PAPERKEY_GROUP_CHARS);
	return PAPERKEY_BAD_LENGTH;
}

static enum paperkey_status check_groups(const struct typed *t, int *group, char *err,
                                         size_t errlen)
{
	char wrong[PAPERKEY_GROUPS * 4] = "";
	int first = 0, count = 0;
	for (unsigned g = 0; g < PAPERKEY_GROUPS; g++) {
		const unsigned *v = &t->values[g * PAPERKEY_GROUP_CHARS];
		if (paperkey_check(g + 1, v) == v[DATA_CHARS])
			continue;
		if (!first)
			first = (int)g + 1;
		count++;
		size_t used = strlen(wrong);
		snprintf(wrong + used, sizeof wrong - used, "%s%u", used ? ", " : "", g + 1);
	}
	if (!first)
		return PAPERKEY_OK;
	*group = first;
	if (count == 1)
		snprintf(
		    err, errlen,
		    "Group %d of the paper key has a typing mistake (its last character does not "
		    "match the other four). Check that group against the paper.",
		    first);
	else
		snprintf(
		    err, errlen,
		    "Groups %s of the paper key have typing mistakes (in each, the last character "
		    "does not match the other four). Check them against the paper.",
		    wrong);
	return PAPERKEY_BAD_GROUP;
}

enum paperkey_status paperkey_decode(const char *text, size_t len,
                                     unsigned char sk[crypto_box_SECRETKEYBYTES], int *group,
                                     char *err, size_t errlen)
{
	*group = 0;
	memset(sk, 0, crypto_box_SECRETKEYBYTES);
	if (!text || len > PAPERKEY_INPUT_MAX) {
		snprintf(err, errlen, "That is not a paper key: it is far too long.");
		return PAPERKEY_BAD_LENGTH;
	}
	struct typed t;
	memset(&t, 0, sizeof t);
	enum paperkey_status status = read_symbols(text, len, &t, group, err, errlen);
	if (status == PAPERKEY_OK)
		status = check_length(&t, group, err, errlen);
	if (status == PAPERKEY_OK)
		status = check_groups(&t, group, err, errlen);
	if (status == PAPERKEY_OK) {
		unsigned char payload[crypto_box_SECRETKEYBYTES + 1] = {0};
		size_t bit = 0;
		for (unsigned g = 0; g < PAPERKEY_GROUPS; g++)
			for (unsigned i = 0; i < DATA_CHARS; i++) {
				unsigned v = t.values[g * PAPERKEY_GROUP_CHARS + i];
				for (int k = 4; k >= 0; k--, bit++)
					payload[bit / 8] |=
					    (unsigned char)(((v >> k) & 1) << (7 - bit % 8));
			}
		if (payload[0] >> 4 != VERSION) {
			snprintf(
			    err, errlen,
			    "The paper key is typed correctly, but it is of a kind (version %d) "
			    "this tool does not read.",
			    payload[0] >> 4);
			status = PAPERKEY_BAD_VERSION;
		} else {
			for (size_t i = 0; i < crypto_box_SECRETKEYBYTES; i++)
				sk[i] = (unsigned char)(payload[i] << 4 | payload[i + 1] >> 4);
		}
		sodium_memzero(payload, sizeof payload);
	}
	sodium_memzero(&t, sizeof t);
	return status;
}
