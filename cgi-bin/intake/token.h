/*
 * token: the signed form token that stands in for a CAPTCHA.
 *
 * A token carries the form kind and the time the form was served, and a MAC
 * (crypto_auth, HMAC-SHA-512-256) over both under the server's token key. It
 * is text safe to put in a hidden field (base64url, no padding).
 */
#ifndef CLINIC_TOKEN_H
#define CLINIC_TOKEN_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define TOKEN_KEY_BYTES crypto_auth_KEYBYTES
#define TOKEN_TEXT_MAX 96 /* including the NUL */

enum token_status {
	TOKEN_OK = 0,
	TOKEN_MISSING,  /* empty */
	TOKEN_FORGED,   /* malformed, wrong MAC, another form, or issued over 5 s ahead */
	TOKEN_TOO_FAST, /* issued less than min_age seconds ago (or in the future) */
	TOKEN_EXPIRED,  /* issued more than max_age seconds ago */
};

/* Reads a key file holding 64 hex digits (and an optional newline). */
bool token_key_load(const char *path, unsigned char key[TOKEN_KEY_BYTES], char *err, size_t errlen);

/* The time tokens are made and checked by: the precise wall clock. time()
 * reads a coarse clock that can lag a tick behind the one a visitor's (or a
 * test's) clock reads, which turned "old enough" into "too fast" at a second's
 * boundary. */
time_t token_now(void);

/* Writes the token for form_kind ("contact", "start") issued at now. */
void token_make(const unsigned char key[TOKEN_KEY_BYTES], const char *form_kind, time_t now,
                char out[TOKEN_TEXT_MAX]);

/* What token, posted at now to the form form_kind, is: TOKEN_OK when this
 * server made it for that form between min_age and max_age seconds ago. */
enum token_status token_check(const unsigned char key[TOKEN_KEY_BYTES], const char *form_kind,
                              const char *token, time_t now, long min_age, long max_age);

#endif
