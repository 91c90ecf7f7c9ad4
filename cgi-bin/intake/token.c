#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ISSUED_BYTES 8
#define TOKEN_BIN_BYTES (ISSUED_BYTES + crypto_auth_BYTES)
/* A clock stepping back a little between serving and posting is not forgery. */
#define FUTURE_SLACK 5
#define KEY_HEX_LEN (2 * TOKEN_KEY_BYTES)

_Static_assert(crypto_auth_BYTES == crypto_auth_hmacsha512256_BYTES, "crypto_auth changed");
_Static_assert(crypto_auth_KEYBYTES == crypto_auth_hmacsha512256_KEYBYTES, "crypto_auth changed");
_Static_assert(sizeof(time_t) == 8, "time_t must be 64 bits");
_Static_assert(TOKEN_BIN_BYTES / 3 * 4 + 4 < TOKEN_TEXT_MAX, "token text does not fit");

/*
 * The MAC covers the 8 issued-time bytes followed by the form kind. The time
 * has a fixed length, so the concatenation is unambiguous. This is exactly
 * crypto_auth over that concatenation, computed incrementally so a form kind
 * of any length needs no copy.
 */
static void token_mac(const unsigned char key[TOKEN_KEY_BYTES],
                      const unsigned char issued[ISSUED_BYTES], const char *form_kind,
                      unsigned char mac[crypto_auth_BYTES])
{
	crypto_auth_hmacsha512256_state state;
	crypto_auth_hmacsha512256_init(&state, key, TOKEN_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&state, issued, ISSUED_BYTES);
	crypto_auth_hmacsha512256_update(&state, (const unsigned char *)form_kind,
	                                 strlen(form_kind));
	crypto_auth_hmacsha512256_final(&state, mac);
	sodium_memzero(&state, sizeof state);
}

/* Writes v as 8 big-endian bytes. */
static void put_be64(unsigned char out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* Reads 8 big-endian bytes. */
static uint64_t get_be64(const unsigned char in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

time_t token_now(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec;
}

void token_make(const unsigned char key[TOKEN_KEY_BYTES], const char *form_kind, time_t now,
                char out[TOKEN_TEXT_MAX])
{
	out[0] = '\0';
	if (sodium_init() < 0)
		return;
	unsigned char bin[TOKEN_BIN_BYTES];
	put_be64(bin, (uint64_t)(int64_t)now);
	token_mac(key, bin, form_kind ? form_kind : "", bin + ISSUED_BYTES);
	sodium_bin2base64(out, TOKEN_TEXT_MAX, bin, sizeof bin,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

enum token_status token_check(const unsigned char key[TOKEN_KEY_BYTES], const char *form_kind,
                              const char *token, time_t now, long min_age, long max_age)
{
	if (!token || !*token)
		return TOKEN_MISSING;
	if (!form_kind || sodium_init() < 0)
		return TOKEN_FORGED;
	size_t text_len = strnlen(token, TOKEN_TEXT_MAX);
	if (text_len !=
	    sodium_base64_ENCODED_LEN(TOKEN_BIN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING) -
	        1)
		return TOKEN_FORGED;
	/* sodium_base642bin (1.0.18) takes bytes >= 0x80 for base64 digits. */
	if (strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
	    text_len)
		return TOKEN_FORGED;

	unsigned char bin[TOKEN_BIN_BYTES];
	size_t bin_len = 0;
	const char *end = NULL;
	if (sodium_base642bin(bin, sizeof bin, token, text_len, NULL, &bin_len, &end,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    bin_len != sizeof bin || end != token + text_len)
		return TOKEN_FORGED;

	unsigned char expected[crypto_auth_BYTES];
	token_mac(key, bin, form_kind, expected);
	int mac_ok = crypto_verify_32(expected, bin + ISSUED_BYTES);
	sodium_memzero(expected, sizeof expected);
	if (mac_ok != 0)
		return TOKEN_FORGED;

	/* Only we can have made a token that got this far, but keep the
	 * arithmetic below free of overflow whatever the time says. */
	uint64_t raw = get_be64(bin);
	if (raw > (uint64_t)INT64_MAX / 2 || now < 0 || (int64_t)now > INT64_MAX / 2)
		return TOKEN_FORGED;
	int64_t issued = (int64_t)raw;
	int64_t current = (int64_t)now;
	if (issued > current) {
		if (issued - current > FUTURE_SLACK)
			return TOKEN_FORGED;
		return TOKEN_TOO_FAST;
	}
	int64_t age = current - issued;
	if (age < (int64_t)min_age)
		return TOKEN_TOO_FAST;
	if (age > (int64_t)max_age)
		return TOKEN_EXPIRED;
	return TOKEN_OK;
}

bool token_key_load(const char *path, unsigned char key[TOKEN_KEY_BYTES], char *err, size_t errlen)
{
	if (sodium_init() < 0) {
		snprintf(err, errlen, "cannot read the form token key %s: libsodium did not start",
		         path);
		return false;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the form token key %s: %s", path,
		         strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the form token key %s is not a regular file", path);
		close(fd);
		return false;
	}
	/* One byte more than the longest valid file, to notice a longer one. */
	char text[KEY_HEX_LEN + 2];
	size_t len = 0;
	int read_error = 0;
	while (len < sizeof text) {
		ssize_t n = read(fd, text + len, sizeof text - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			read_error = errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (read_error) {
		snprintf(err, errlen, "cannot read the form token key %s: %s", path,
		         strerror(read_error));
		sodium_memzero(text, sizeof text);
		return false;
	}

	bool ok = false;
	size_t bin_len = 0;
	const char *end = NULL;
	if ((len == KEY_HEX_LEN || (len == KEY_HEX_LEN + 1 && text[KEY_HEX_LEN] == '\n')) &&
	    sodium_hex2bin(key, TOKEN_KEY_BYTES, text, KEY_HEX_LEN, NULL, &bin_len, &end) == 0 &&
	    bin_len == TOKEN_KEY_BYTES && end == text + KEY_HEX_LEN)
		ok = true;
	sodium_memzero(text, sizeof text);
	if (!ok) {
		sodium_memzero(key, TOKEN_KEY_BYTES);
		snprintf(err, errlen,
		         "the form token key %s must hold exactly 64 hex digits and nothing else "
		         "(an optional final newline is allowed)",
		         path);
	}
	return ok;
}
