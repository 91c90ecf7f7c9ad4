#include "form.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

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
static enum form_status decode_part(const char *in, size_t n, char **out, size_t *out_len)
{
	char *s = malloc(n + 1);
	if (!s)
		return FORM_NO_MEMORY;
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
				return FORM_BAD_ENCODING;
			}
			s[len++] = (char)(high * 16 + low);
			i += 2;
		}
	}
	s[len] = '\0';
	*out = s;
	*out_len = len;
	return FORM_OK;
}

static void wipe_field(struct form_field *field)
{
	if (field->name) {
		sodium_memzero(field->name, field->name_len + 1);
		free(field->name);
	}
	if (field->value) {
		sodium_memzero(field->value, field->value_len + 1);
		free(field->value);
	}
	field->name = field->value = NULL;
	field->name_len = field->value_len = 0;
}

enum form_status form_decode(const char *input, size_t len, size_t max_fields, struct form *out)
{
	out->fields = NULL;
	out->count = 0;
	if (!input || len == 0)
		return FORM_OK;

	/* Count first, so a hostile body is refused before anything is
	 * allocated for it. */
	size_t pairs = 0;
	for (size_t start = 0; start <= len;) {
		const char *amp = memchr(input + start, '&', len - start);
		size_t end = amp ? (size_t)(amp - input) : len;
		if (end > start && ++pairs > max_fields)
			return FORM_TOO_MANY_FIELDS;
		start = end + 1;
	}
	if (pairs == 0)
		return FORM_OK;

	struct form_field *fields = calloc(pairs, sizeof *fields);
	if (!fields)
		return FORM_NO_MEMORY;
	size_t count = 0;
	enum form_status status = FORM_OK;
	for (size_t start = 0; start <= len && status == FORM_OK;) {
		const char *amp = memchr(input + start, '&', len - start);
		size_t end = amp ? (size_t)(amp - input) : len;
		if (end > start) {
			const char *pair = input + start;
			size_t pair_len = end - start;
			const char *eq = memchr(pair, '=', pair_len);
			size_t name_len = eq ? (size_t)(eq - pair) : pair_len;
			struct form_field *field = &fields[count];
			status = decode_part(pair, name_len, &field->name, &field->name_len);
			if (status == FORM_OK) {
				const char *value = eq ? eq + 1 : pair + pair_len;
				status = decode_part(value, (size_t)(pair + pair_len - value),
				                     &field->value, &field->value_len);
			}
			count++;
		}
		start = end + 1;
	}
	if (status != FORM_OK) {
		for (size_t i = 0; i < count; i++)
			wipe_field(&fields[i]);
		free(fields);
		return status;
	}
	out->fields = fields;
	out->count = count;
	return FORM_OK;
}

const struct form_field *form_find(const struct form *f, const char *name)
{
	size_t name_len = strlen(name);
	for (size_t i = 0; i < f->count; i++) {
		const struct form_field *field = &f->fields[i];
		if (field->name_len == name_len && memcmp(field->name, name, name_len) == 0)
			return field;
	}
	return NULL;
}

void form_free(struct form *f)
{
	for (size_t i = 0; i < f->count; i++)
		wipe_field(&f->fields[i]);
	free(f->fields);
	f->fields = NULL;
	f->count = 0;
}
