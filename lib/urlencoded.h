/*
 * urlencoded: decoding application/x-www-form-urlencoded bodies and query
 * strings into name and value pairs.
 *
 * '+' is a space, %XX is a byte; a '%' not followed by two hex digits is an
 * error. Names and values may decode to any bytes, NUL included (lengths are
 * kept); what is acceptable is decided by validate.h, not here. Empty pairs
 * ("a=1&&b=2") are skipped; a pair without '=' has an empty value.
 */
#ifndef CLINIC_URLENCODED_H
#define CLINIC_URLENCODED_H

#include <stdbool.h>
#include <stddef.h>

struct urlencoded_pair {
	char *name; /* NUL-terminated copy; name_len excludes the NUL */
	size_t name_len;
	char *value; /* NUL-terminated copy; value_len excludes the NUL */
	size_t value_len;
};

struct urlencoded {
	struct urlencoded_pair *pairs;
	size_t count;
};

enum urlencoded_status {
	URLENCODED_OK = 0,
	URLENCODED_BAD_ENCODING,   /* a malformed %-escape */
	URLENCODED_TOO_MANY_PAIRS, /* more than max_pairs pairs */
	URLENCODED_NO_MEMORY,
};

/* Decodes len bytes of input into out (which it initialises). On any status
 * but URLENCODED_OK, out is left empty. */
enum urlencoded_status urlencoded_decode(const char *input, size_t len, size_t max_pairs,
                                         struct urlencoded *out);

/* The first pair called name, or NULL. */
const struct urlencoded_pair *urlencoded_find(const struct urlencoded *u, const char *name);

/* Wipes (sodium_memzero) and frees every name and value. */
void urlencoded_free(struct urlencoded *u);

#endif
