/*
 * A posted form body (application/x-www-form-urlencoded), as contact.fcgi
 * handles it: decoded with the same field limit, then validated against both
 * real form tables, then its token checked.
 *
 * Checked: the decoder agrees with a plain reference decoder written from
 * form.h; what it decodes survives re-encoding with url_escape; validation
 * sorts structurally bad posts the way validate.h says, and every value it
 * passes as clean really is (valid UTF-8, trimmed, within its length, one of
 * its choices).
 */
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "urlencoded.h"
#include "forms.h"
#include "html.h"
#include "token.h"
#include "utf8.h"
#include "validate.h"

#include "fuzz.h"

#define MAX_FIELDS 32 /* as cgi-bin/contact.c */
#define INPUT_LIMIT (64 * 1024)

struct ref_field {
	const char *name, *value;
	size_t name_len, value_len;
};

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes in[0..n) into out (n bytes are always enough); false for a bad escape. */
static bool ref_unescape(const uint8_t *in, size_t n, char *out, size_t *out_len)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '+') {
			out[o++] = ' ';
		} else if (in[i] == '%') {
			if (i + 2 >= n)
				return false;
			int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = (char)in[i];
		}
	}
	*out_len = o;
	return true;
}

enum ref_status { REF_OK, REF_BAD };

/* The reference: pairs split on '&', empty pairs skipped, split at the first
 * '='. Decoded names and values go into storage (size n + 1 per byte is
 * plenty: output never grows). */
static enum ref_status ref_decode(const uint8_t *in, size_t n, struct ref_field *fields,
                                  size_t *count, char *storage)
{
	size_t used = 0, start = 0;
	*count = 0;
	while (start <= n) {
		size_t end = start;
		while (end < n && in[end] != '&')
			end++;
		if (end > start) {
			if (*count == MAX_FIELDS)
				return REF_BAD;
			size_t eq = start;
			while (eq < end && in[eq] != '=')
				eq++;
			struct ref_field *f = &fields[(*count)++];
			f->name = storage + used;
			if (!ref_unescape(in + start, eq - start, storage + used, &f->name_len))
				return REF_BAD;
			used += f->name_len;
			f->value = storage + used;
			f->value_len = 0;
			if (eq < end &&
			    !ref_unescape(in + eq + 1, end - eq - 1, storage + used, &f->value_len))
				return REF_BAD;
			used += f->value_len;
		}
		start = end + 1;
	}
	return REF_OK;
}

static void check_against_reference(const uint8_t *data, size_t size, enum urlencoded_status status,
                                    const struct urlencoded *form)
{
	struct ref_field fields[MAX_FIELDS];
	size_t count = 0;
	char *storage = malloc(size + 1);
	FUZZ_CHECK(storage != NULL);
	enum ref_status expected = ref_decode(data, size, fields, &count, storage);
	if (expected == REF_BAD) {
		FUZZ_CHECK(status == URLENCODED_BAD_ENCODING ||
		           status == URLENCODED_TOO_MANY_PAIRS);
	} else {
		FUZZ_CHECK(status == URLENCODED_OK);
		FUZZ_CHECK(form->count == count);
		for (size_t i = 0; i < count; i++) {
			const struct urlencoded_pair *f = &form->pairs[i];
			FUZZ_CHECK(f->name_len == fields[i].name_len);
			FUZZ_CHECK(memcmp(f->name, fields[i].name, f->name_len) == 0);
			FUZZ_CHECK(f->value_len == fields[i].value_len);
			FUZZ_CHECK(memcmp(f->value, fields[i].value, f->value_len) == 0);
		}
	}
	free(storage);
}

/* decode(encode(decode(x))) == decode(x), with html.h's url_escape. */
static void check_round_trip(const struct urlencoded *form)
{
	struct buf encoded;
	buf_init(&encoded, 16 * INPUT_LIMIT);
	for (size_t i = 0; i < form->count; i++) {
		const struct urlencoded_pair *f = &form->pairs[i];
		if (i)
			buf_putc(&encoded, '&');
		url_escape(&encoded, f->name, f->name_len);
		buf_putc(&encoded, '=');
		url_escape(&encoded, f->value, f->value_len);
	}
	FUZZ_CHECK(!encoded.failed);
	struct urlencoded again;
	FUZZ_CHECK(urlencoded_decode(encoded.len ? encoded.data : "", encoded.len, MAX_FIELDS,
	                             &again) == URLENCODED_OK);
	/* A pair with an empty name and value encodes as "=", which is not empty. */
	FUZZ_CHECK(again.count == form->count);
	for (size_t i = 0; i < form->count; i++) {
		const struct urlencoded_pair *a = &form->pairs[i], *b = &again.pairs[i];
		FUZZ_CHECK(a->name_len == b->name_len &&
		           memcmp(a->name, b->name, a->name_len) == 0);
		FUZZ_CHECK(a->value_len == b->value_len &&
		           memcmp(a->value, b->value, a->value_len) == 0);
	}
	urlencoded_free(&again);
	buf_free(&encoded);
}

static bool same_name(const struct urlencoded_pair *f, const char *name)
{
	return f->name_len == strlen(name) && memcmp(f->name, name, f->name_len) == 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void check_clean_value(const struct field_rule *rule, const char *value)
{
	size_t n = strlen(value);
	FUZZ_CHECK(utf8_valid(value, n));
	if (rule->max_chars)
		FUZZ_CHECK(utf8_length(value, n) <= rule->max_chars);
	if (n) {
		FUZZ_CHECK(!is_space(value[0]) && !is_space(value[n - 1]));
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];
		FUZZ_CHECK(c != '\r');
		if (c < 0x20 && c != '\t')
			FUZZ_CHECK(c == '\n' && rule->type == FIELD_MULTILINE);
	}
	if (rule->required && rule->type != FIELD_IGNORED)
		FUZZ_CHECK(n > 0);
	switch (rule->type) {
	case FIELD_CHOICE:
		FUZZ_CHECK(n == 0 || form_choice_label(rule, value) != NULL);
		break;
	case FIELD_CHECKBOX:
		FUZZ_CHECK(n == 0 || strcmp(value, "yes") == 0);
		break;
	case FIELD_EMAIL:
		if (n) {
			const char *at = strchr(value, '@');
			FUZZ_CHECK(at && at != value && strchr(at + 1, '@') == NULL);
			FUZZ_CHECK(strchr(at + 1, '.') != NULL);
			FUZZ_CHECK(strpbrk(value, " \t\n") == NULL);
		}
		break;
	case FIELD_PHONE:
		if (n) {
			size_t digits = 0;
			for (size_t i = 0; i < n; i++) {
				digits += value[i] >= '0' && value[i] <= '9';
				FUZZ_CHECK(strchr("0123456789 +()-.", value[i]) != NULL);
				FUZZ_CHECK(value[i] != '+' || i == 0);
			}
			FUZZ_CHECK(digits >= 7 && digits <= 15);
		}
		break;
	default:
		break;
	}
}

static void check_validation(const struct form_spec *spec, const struct urlencoded *form)
{
	bool unknown = false, repeated = false;
	for (size_t i = 0; i < form->count; i++) {
		bool known = false;
		for (size_t r = 0; r < spec->count; r++)
			known = known || same_name(&form->pairs[i], spec->rules[r]->name);
		unknown = unknown || !known;
		for (size_t j = 0; j < i; j++)
			repeated =
			    repeated || (form->pairs[i].name_len == form->pairs[j].name_len &&
			                 memcmp(form->pairs[i].name, form->pairs[j].name,
			                        form->pairs[i].name_len) == 0);
	}

	struct validation v;
	enum validate_status status = validate_form(spec->rules, spec->count, form, &v);
	if (unknown)
		FUZZ_CHECK(status == VALIDATE_UNKNOWN_FIELD || status == VALIDATE_REPEATED_FIELD);
	else if (repeated)
		FUZZ_CHECK(status == VALIDATE_REPEATED_FIELD);
	else
		FUZZ_CHECK(status == VALIDATE_OK || status == VALIDATE_FIELD_ERRORS);

	if (status == VALIDATE_OK || status == VALIDATE_FIELD_ERRORS) {
		FUZZ_CHECK(v.count == spec->count && v.values && v.errors);
		bool any_error = false;
		for (size_t r = 0; r < spec->count; r++) {
			FUZZ_CHECK(v.values[r] != NULL);
			if (v.errors[r]) {
				any_error = true;
				FUZZ_CHECK(v.errors[r][0] != '\0');
			} else if (spec->rules[r]->type != FIELD_IGNORED) {
				check_clean_value(spec->rules[r], v.values[r]);
			}
		}
		FUZZ_CHECK(any_error == (status == VALIDATE_FIELD_ERRORS));
	}
	validation_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_LIMIT)
		return 0;
	struct urlencoded form;
	enum urlencoded_status status =
	    urlencoded_decode((const char *)data, size, MAX_FIELDS, &form);
	FUZZ_CHECK(status == URLENCODED_OK || status == URLENCODED_BAD_ENCODING ||
	           status == URLENCODED_TOO_MANY_PAIRS);
	if (status != URLENCODED_OK) {
		FUZZ_CHECK(form.count == 0);
		check_against_reference(data, size, status, &form);
		urlencoded_free(&form);
		return 0;
	}
	FUZZ_CHECK(form.count <= MAX_FIELDS);
	for (size_t i = 0; i < form.count; i++) {
		FUZZ_CHECK(form.pairs[i].name[form.pairs[i].name_len] == '\0');
		FUZZ_CHECK(form.pairs[i].value[form.pairs[i].value_len] == '\0');
	}
	check_against_reference(data, size, status, &form);
	check_round_trip(&form);

	static const char *const kinds[] = {"contact", "start"};
	for (size_t k = 0; k < 2; k++) {
		const struct form_spec *spec = form_spec_find(kinds[k]);
		FUZZ_CHECK(spec != NULL);
		check_validation(spec, &form);
		/* What contact.fcgi does with the token field: never trusted. */
		const struct urlencoded_pair *token = urlencoded_find(&form, FORM_TOKEN_FIELD);
		static const unsigned char key[TOKEN_KEY_BYTES] = {1, 2, 3};
		enum token_status t =
		    token_check(key, spec->kind, token ? token->value : "", 1700000000, 3, 14400);
		FUZZ_CHECK(t == TOKEN_MISSING || t == TOKEN_FORGED);
	}
	urlencoded_free(&form);
	return 0;
}
