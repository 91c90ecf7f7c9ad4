#include "urlencoded.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The value of a hex digit, or -1. */
static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes in[0..n) into a fresh NUL-terminated string. Decoding never
 * lengthens, so n + 1 bytes always suffice. */
static enum urlencoded_status decode_part(const char *in, size_t n, char **out, size_t *out_len)
{
	char *s = malloc(n + 1);
	if (!s)
		return URLENCODED_NO_MEMORY;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '+') {
			s[len++] = ' ';
		} else if (c != '%') {
			s[len++] = (char)c;
		} else {
			int high = n - i >= 3 ? hex_value((unsigned char)in[i + 1]) : -1;
			int low = n - i >= 3 ? hex_value((unsigned char)in[i + 2]) : -1;
			if (high < 0 || low < 0) {
				sodium_memzero(s, n + 1);
				free(s);
				return URLENCODED_BAD_ENCODING;
			}
			s[len++] = (char)(high * 16 + low);
			i += 2;
		}
	}
	s[len] = '\0';
	*out = s;
	*out_len = len;
	return URLENCODED_OK;
}

/* Wipes and frees a pair's name and value. */
static void wipe_pair(struct urlencoded_pair *pair)
{
	if (pair->name) {
		sodium_memzero(pair->name, pair->name_len + 1);
		free(pair->name);
	}
	if (pair->value) {
		sodium_memzero(pair->value, pair->value_len + 1);
		free(pair->value);
	}
	pair->name = pair->value = NULL;
	pair->name_len = pair->value_len = 0;
}

enum urlencoded_status urlencoded_decode(const char *input, size_t len, size_t max_pairs,
                                         struct urlencoded *out)
{
	out->pairs = NULL;
	out->count = 0;
	if (!input || len == 0)
		return URLENCODED_OK;

	/* Count first, so a hostile body is refused before anything is
	 * allocated for it. */
	size_t expected = 0;
	for (size_t start = 0; start <= len;) {
		const char *amp = memchr(input + start, '&', len - start);
		size_t end = amp ? (size_t)(amp - input) : len;
		if (end > start && ++expected > max_pairs)
			return URLENCODED_TOO_MANY_PAIRS;
		start = end + 1;
	}
	if (expected == 0)
		return URLENCODED_OK;

	struct urlencoded_pair *pairs = calloc(expected, sizeof *pairs);
	if (!pairs)
		return URLENCODED_NO_MEMORY;
	size_t count = 0;
	enum urlencoded_status status = URLENCODED_OK;
	for (size_t start = 0; start <= len && status == URLENCODED_OK;) {
		const char *amp = memchr(input + start, '&', len - start);
		size_t end = amp ? (size_t)(amp - input) : len;
		if (end > start) {
			const char *text = input + start;
			size_t text_len = end - start;
			const char *eq = memchr(text, '=', text_len);
			size_t name_len = eq ? (size_t)(eq - text) : text_len;
			struct urlencoded_pair *pair = &pairs[count];
			status = decode_part(text, name_len, &pair->name, &pair->name_len);
			if (status == URLENCODED_OK) {
				const char *value = eq ? eq + 1 : text + text_len;
				status = decode_part(value, (size_t)(text + text_len - value),
				                     &pair->value, &pair->value_len);
			}
			count++;
		}
		start = end + 1;
	}
	if (status != URLENCODED_OK) {
		for (size_t i = 0; i < count; i++)
			wipe_pair(&pairs[i]);
		free(pairs);
		return status;
	}
	out->pairs = pairs;
	out->count = count;
	return URLENCODED_OK;
}

const struct urlencoded_pair *urlencoded_find(const struct urlencoded *u, const char *name)
{
	size_t name_len = strlen(name);
	for (size_t i = 0; i < u->count; i++) {
		const struct urlencoded_pair *pair = &u->pairs[i];
		if (pair->name_len == name_len && memcmp(pair->name, name, name_len) == 0)
			return pair;
	}
	return NULL;
}

void urlencoded_free(struct urlencoded *u)
{
	for (size_t i = 0; i < u->count; i++)
		wipe_pair(&u->pairs[i]);
	free(u->pairs);
	u->pairs = NULL;
	u->count = 0;
}
