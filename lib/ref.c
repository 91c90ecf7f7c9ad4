#include "ref.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No look-alikes: no 0/O, 1/I/L. */
static const char ref_alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

void ref_new(char out[REF_SIZE])
{
	enum {
		ALPHABET_LEN = sizeof ref_alphabet - 1,
		FAIR_LIMIT = 256 / ALPHABET_LEN * ALPHABET_LEN
	};
	/* randombytes needs the library set up; without it there is no safe
	 * randomness to be had at all. */
	if (sodium_init() < 0)
		abort();
	/* One draw of random bytes (one system call) for all eight characters;
	 * bytes at or past FAIR_LIMIT are skipped so every character is equally
	 * likely, and a fresh draw is made in the rare case they run out. */
	unsigned char random[32];
	size_t used = sizeof random, n = 0;
	for (int i = 0; i < 8;) {
		if (used == sizeof random) {
			randombytes_buf(random, sizeof random);
			used = 0;
		}
		unsigned char r = random[used++];
		if (r >= FAIR_LIMIT)
			continue;
		if (i == 4)
			out[n++] = '-';
		out[n++] = ref_alphabet[r % ALPHABET_LEN];
		i++;
	}
	sodium_memzero(random, sizeof random);
	out[n] = '\0';
}

/* Whether c is a character of the reference alphabet. */
static bool is_ref_char(char c)
{
	return c != '\0' && strchr(ref_alphabet, c) != NULL;
}

bool ref_valid(const char *ref)
{
	if (strlen(ref) != 9 || ref[4] != '-')
		return false;
	for (int i = 0; i < 9; i++)
		if (i != 4 && !is_ref_char(ref[i]))
			return false;
	return true;
}

bool ref_parse(const char *typed, char out[REF_SIZE])
{
	char compact[8];
	size_t n = 0;
	for (const char *p = typed; *p; p++) {
		char c = *p;
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (n == sizeof compact || !is_ref_char(c))
			return false;
		compact[n++] = c;
	}
	if (n != sizeof compact)
		return false;
	snprintf(out, REF_SIZE, "%.4s-%.4s", compact, compact + 4);
	return true;
}
