/*
 * form: decoding application/x-www-form-urlencoded bodies and query strings.
 *
 * '+' is a space, %XX is a byte; a '%' not followed by two hex digits is an
 * error. Names and values may decode to any bytes, NUL included (lengths are
 * kept); what is acceptable is decided by validate.h, not here. Empty pairs
 * ("a=1&&b=2") are skipped; a pair without '=' has an empty value.
 */
#ifndef CLINIC_FORM_H
#define CLINIC_FORM_H

#include <stdbool.h>
#include <stddef.h>

struct form_field {
	char *name; /* NUL-terminated copy; name_len excludes the NUL */
	size_t name_len;
	char *value; /* NUL-terminated copy; value_len excludes the NUL */
	size_t value_len;
};

struct form {
	struct form_field *fields;
	size_t count;
};

enum form_status {
	FORM_OK = 0,
	FORM_BAD_ENCODING,    /* a malformed %-escape */
	FORM_TOO_MANY_FIELDS, /* more than max_fields pairs */
	FORM_NO_MEMORY,
};

/* Decodes len bytes of input into out (which it initialises). On any status
 * but FORM_OK, out is left empty. */
enum form_status form_decode(const char *input, size_t len, size_t max_fields, struct form *out);

/* The first field called name, or NULL. */
const struct form_field *form_find(const struct form *f, const char *name);

/* Wipes (sodium_memzero) and frees every name and value. */
void form_free(struct form *f);

#endif
