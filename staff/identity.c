#include "identity.h"

#include <stdio.h>
#include <string.h>

#include "base32.h"

#define MAGIC "clinic-identity-v1"
#define FINGERPRINT_BYTES 10
#define FINGERPRINT_CHARS 16
#define KEY_HEX 64
#define WORDS 5

void identity_fingerprint(const unsigned char box_pk[crypto_box_PUBLICKEYBYTES],
                          const unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES],
                          char out[IDENTITY_FINGERPRINT_LEN + 1])
{
	unsigned char input[sizeof MAGIC + crypto_box_PUBLICKEYBYTES + crypto_sign_PUBLICKEYBYTES];
	memcpy(input, MAGIC, sizeof MAGIC); /* with its NUL */
	memcpy(input + sizeof MAGIC, box_pk, crypto_box_PUBLICKEYBYTES);
	memcpy(input + sizeof MAGIC + crypto_box_PUBLICKEYBYTES, sign_pk,
	       crypto_sign_PUBLICKEYBYTES);
	unsigned char digest[FINGERPRINT_BYTES];
	char symbols[FINGERPRINT_CHARS + 1];
	if (sodium_init() < 0 ||
	    crypto_generichash(digest, sizeof digest, input, sizeof input, NULL, 0) != 0) {
		out[0] = '\0';
		return;
	}
	base32_encode_bits(digest, 8 * FINGERPRINT_BYTES, symbols);
	snprintf(out, IDENTITY_FINGERPRINT_LEN + 1, "%.4s-%.4s-%.4s-%.4s", symbols, symbols + 4,
	         symbols + 8, symbols + 12);
}

bool identity_encode(const struct identity *id, struct buf *out)
{
	if (!team_name_valid(id->name))
		return false;
	char box[KEY_HEX + 1], sign[KEY_HEX + 1], fingerprint[IDENTITY_FINGERPRINT_LEN + 1];
	sodium_bin2hex(box, sizeof box, id->box_pk, sizeof id->box_pk);
	sodium_bin2hex(sign, sizeof sign, id->sign_pk, sizeof id->sign_pk);
	identity_fingerprint(id->box_pk, id->sign_pk, fingerprint);
	return buf_printf(out, MAGIC " %s %s %s %s\n", id->name, box, sign, fingerprint);
}

static bool lower_hex(const char *s, size_t n, unsigned char *out, size_t out_len)
{
	if (n != 2 * out_len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	size_t bin_len = 0;
	return sodium_hex2bin(out, out_len, s, n, NULL, &bin_len, NULL) == 0 && bin_len == out_len;
}

static bool parse(const char *text, size_t len, struct identity *id, char *err, size_t errlen)
{
	if (len > IDENTITY_FILE_MAX || memchr(text, '\0', len)) {
		snprintf(err, errlen, "it is not an identity file (too long, or not text)");
		return false;
	}
	if (len > 0 && text[len - 1] == '\n')
		len--;
	const char *word[WORDS];
	size_t word_len[WORDS], n = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != ' ')
			continue;
		if (i == start || n == WORDS) {
			snprintf(err, errlen,
			         "it is not one line \"" MAGIC " NAME BOX SIGN FINGERPRINT\"");
			return false;
		}
		word[n] = text + start;
		word_len[n++] = i - start;
		start = i + 1;
	}
	if (n != WORDS || word_len[0] != sizeof MAGIC - 1 || memcmp(word[0], MAGIC, word_len[0])) {
		snprintf(err, errlen, "it is not one line \"" MAGIC " NAME BOX SIGN FINGERPRINT\"");
		return false;
	}
	if (word_len[1] > TEAM_NAME_MAX) {
		snprintf(err, errlen, "the name in it is longer than %d characters", TEAM_NAME_MAX);
		return false;
	}
	memcpy(id->name, word[1], word_len[1]);
	id->name[word_len[1]] = '\0';
	if (!team_name_valid(id->name)) {
		snprintf(err, errlen,
		         "the name in it is not a team name (small letters, digits, - and _, "
		         "starting with a letter)");
		return false;
	}
	if (!lower_hex(word[2], word_len[2], id->box_pk, sizeof id->box_pk) ||
	    !lower_hex(word[3], word_len[3], id->sign_pk, sizeof id->sign_pk)) {
		snprintf(err, errlen, "a key in it is not 64 lowercase hex digits");
		return false;
	}
	if (!team_box_key_usable(id->box_pk) || !team_sign_key_usable(id->sign_pk)) {
		snprintf(err, errlen, "a key in it is not a usable public key");
		return false;
	}
	char fingerprint[IDENTITY_FINGERPRINT_LEN + 1];
	identity_fingerprint(id->box_pk, id->sign_pk, fingerprint);
	if (word_len[4] != IDENTITY_FINGERPRINT_LEN ||
	    memcmp(word[4], fingerprint, IDENTITY_FINGERPRINT_LEN) != 0) {
		snprintf(err, errlen, "its fingerprint does not match its keys: it was altered");
		return false;
	}
	return true;
}

bool identity_parse(const char *text, size_t len, struct identity *id, char *err, size_t errlen)
{
	memset(id, 0, sizeof *id);
	if (text && sodium_init() >= 0 && parse(text, len, id, err, errlen))
		return true;
	if (!text)
		snprintf(err, errlen, "there is nothing to read");
	memset(id, 0, sizeof *id);
	return false;
}
