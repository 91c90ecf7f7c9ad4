#include "validate.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define EMAIL_MAX_BYTES 254
#define EMAIL_LOCAL_MAX_BYTES 64
#define DNS_LABEL_MAX_BYTES 63
#define PHONE_MIN_DIGITS 7
#define PHONE_MAX_DIGITS 15

static char *message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A message made like printf, allocated (validation_free frees it); NULL when out of memory. */
static char *message(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* "Your name" reads as "your name" inside a sentence; an acronym such as
 * "DIT sessions" keeps its capitals. */
static char *lowered_label(const struct field_rule *rule)
{
	char *s = strdup(rule->label ? rule->label : rule->name);
	if (s && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
	return s;
}

/* "<verb> <label, lowered>", allocated; NULL when out of memory. */
static char *sentence(const char *verb, const struct field_rule *rule)
{
	char *label = lowered_label(rule);
	if (!label)
		return NULL;
	char *s = message("%s %s", verb, label);
	free(label);
	return s;
}

/* How messages name the rule's field: its label, or its name. */
static const char *label_of(const struct field_rule *rule)
{
	return rule->label ? rule->label : rule->name;
}

/* Whether c is white space trimmed off a value's ends. */
static bool is_trimmed(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copies raw into a fresh string with CR LF and lone CR made LF (multiline
 * fields only) and the ends trimmed. NUL bytes are left out, since values are
 * C strings; the caller has already noted them as an error. */
static char *clean_copy(const char *raw, size_t n, bool multiline)
{
	while (n > 0 && is_trimmed((unsigned char)raw[0])) {
		raw++;
		n--;
	}
	while (n > 0 && is_trimmed((unsigned char)raw[n - 1]))
		n--;
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		char c = raw[i];
		if (c == '\0')
			continue;
		if (multiline && c == '\r') {
			if (i + 1 < n && raw[i + 1] == '\n')
				i++;
			c = '\n';
		}
		s[len++] = c;
	}
	s[len] = '\0';
	return s;
}

enum control_kind {
	CONTROL_NONE,
	CONTROL_LINE_BREAK, /* CR or LF where one line is expected */
	CONTROL_OTHER,
};

/* Looks for Unicode's control characters (category Cc: C0, DEL and C1) in
 * valid UTF-8. */
static enum control_kind find_control(const char *s, size_t n, bool multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	enum control_kind found = CONTROL_NONE;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			if (!multiline && found == CONTROL_NONE)
				found = CONTROL_LINE_BREAK;
		} else if (p[i] < 0x20 || p[i] == 0x7F ||
		           (p[i] == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)) {
			return CONTROL_OTHER;
		}
	}
	return found;
}

static bool is_ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* One DNS label: ASCII letters, digits and hyphens, or an internationalised
 * label in UTF-8 (already checked to be valid); never a hyphen at either end. */
static bool valid_domain_label(const unsigned char *label, size_t n)
{
	if (n == 0 || label[0] == '-' || label[n - 1] == '-')
		return false;
	bool ascii = true;
	for (size_t i = 0; i < n; i++) {
		if (label[i] >= 0x80)
			ascii = false;
		else if (!is_ascii_alnum(label[i]) && label[i] != '-')
			return false;
	}
	return !ascii || n <= DNS_LABEL_MAX_BYTES;
}

/* Practical rather than RFC 5322 complete: what people type into a form. The
 * value is valid UTF-8 without control characters by now. */
static bool valid_email(const char *s, size_t n)
{
	if (n > EMAIL_MAX_BYTES)
		return false;
	const char *at = memchr(s, '@', n);
	if (!at || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return false;
	size_t local_len = (size_t)(at - s);
	if (local_len == 0 || local_len > EMAIL_LOCAL_MAX_BYTES)
		return false;
	/* Characters only allowed in quoted local parts, which nobody types,
	 * are mostly a pasted "Name <address>" or a list of addresses. */
	for (size_t i = 0; i < local_len; i++)
		if ((unsigned char)s[i] <= ' ' || strchr("\"(),:;<>[\\]", s[i]))
			return false;

	const unsigned char *domain = (const unsigned char *)at + 1;
	size_t domain_len = n - local_len - 1;
	size_t labels = 0, start = 0;
	const unsigned char *last = NULL;
	size_t last_len = 0;
	for (size_t i = 0; i <= domain_len; i++) {
		if (i < domain_len && domain[i] != '.')
			continue;
		if (!valid_domain_label(domain + start, i - start))
			return false;
		last = domain + start;
		last_len = i - start;
		labels++;
		start = i + 1;
	}
	if (labels < 2)
		return false;
	/* A top-level domain is never all digits ("a@1.2.3.4" is no address). */
	for (size_t i = 0; i < last_len; i++)
		if (last[i] < '0' || last[i] > '9')
			return true;
	return false;
}

/* Digits, spaces, ( ) - . and a + only at the start; 7 to 15 digits. */
static bool valid_phone(const char *s, size_t n)
{
	size_t digits = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= '0' && c <= '9')
			digits++;
		else if (c == '+' && i != 0)
			return false;
		else if (c != '+' && c != ' ' && c != '(' && c != ')' && c != '-' && c != '.')
			return false;
	}
	return digits >= PHONE_MIN_DIGITS && digits <= PHONE_MAX_DIGITS;
}

/* Whether value is one of the rule's choices. */
static bool valid_choice(const struct field_rule *rule, const char *value)
{
	if (!rule->choices)
		return false;
	for (const struct field_choice *c = rule->choices; c->value; c++)
		if (strcmp(c->value, value) == 0)
			return true;
	return false;
}

/* What to ask for when a required field is empty or a choice is not one of
 * ours. */
static char *missing_message(const struct field_rule *rule)
{
	return sentence(rule->type == FIELD_CHOICE ? "Choose" : "Enter", rule);
}

/* Sets *value (never NULL on success) and *error (NULL when the field is
 * fine); returns false only when out of memory. */
static bool check_field(const struct field_rule *rule, const struct urlencoded_pair *field,
                        char **value, char **error)
{
	*value = NULL;
	*error = NULL;
	const char *raw = field ? field->value : "";
	size_t raw_len = field ? field->value_len : 0;

	if (rule->type == FIELD_IGNORED) {
		*value = strdup("");
		return *value != NULL;
	}
	if (rule->type == FIELD_CHECKBOX) {
		bool ticked = field && raw_len == 3 && memcmp(raw, "yes", 3) == 0;
		*value = strdup(ticked ? "yes" : "");
		if (!*value)
			return false;
		if (!ticked && (field || rule->required)) {
			*error = strdup("Tick the box to say we may keep your enquiry");
			return *error != NULL;
		}
		return true;
	}
	if (!utf8_valid(raw, raw_len)) {
		/* Never echoed: the page must stay valid UTF-8. */
		*value = strdup("");
		*error = message("%s contains characters we cannot read: please type it again",
		                 label_of(rule));
		return *value && *error;
	}

	bool multiline = rule->type == FIELD_MULTILINE;
	*value = clean_copy(raw, raw_len, multiline);
	if (!*value)
		return false;
	size_t len = strlen(*value);
	/* The cleaned copy has lost any NUL, so that is looked for in what was
	 * sent; the rest in what is left after trimming. */
	enum control_kind control =
	    memchr(raw, '\0', raw_len) ? CONTROL_OTHER : find_control(*value, len, multiline);

	if (control == CONTROL_OTHER) {
		*error = message("%s contains a hidden control character (such as a tab): please "
		                 "remove it",
		                 label_of(rule));
	} else if (control == CONTROL_LINE_BREAK) {
		*error =
		    message("%s must be on one line: please remove the line break", label_of(rule));
	} else if (len == 0) {
		if (!rule->required)
			return true;
		*error = missing_message(rule);
	} else if (rule->max_chars > 0 && utf8_length(*value, len) > rule->max_chars) {
		*error = message("%s is too long: please keep it to %zu characters or fewer (it "
		                 "is %zu)",
		                 label_of(rule), rule->max_chars, utf8_length(*value, len));
	} else if (rule->type == FIELD_EMAIL && !valid_email(*value, len)) {
		*error = strdup("Enter an email address like name@example.com");
	} else if (rule->type == FIELD_PHONE && !valid_phone(*value, len)) {
		*error = strdup("Enter a phone number of 7 to 15 digits, like 020 7946 0000");
	} else if (rule->type == FIELD_CHOICE && !valid_choice(rule, *value)) {
		*error = missing_message(rule);
	} else {
		return true;
	}
	return *error != NULL;
}

/* Whether c may be in a field name of ours. */
static bool is_field_name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Whether the pair's name is exactly name. */
static bool name_matches(const struct urlencoded_pair *field, const char *name)
{
	size_t n = strlen(name);
	return field->name_len == n && memcmp(field->name, name, n) == 0;
}

/* The rule a field belongs to, or nrules when it is not ours. */
static size_t rule_index(const struct field_rule *const *rules, size_t nrules,
                         const struct urlencoded_pair *field)
{
	for (size_t i = 0; i < field->name_len; i++)
		if (!is_field_name_byte((unsigned char)field->name[i]))
			return nrules;
	for (size_t i = 0; i < nrules; i++)
		if (name_matches(field, rules[i]->name))
			return i;
	return nrules;
}

enum validate_status validate_form(const struct field_rule *const *rules, size_t nrules,
                                   const struct urlencoded *f, struct validation *out)
{
	out->count = 0;
	out->values = NULL;
	out->errors = NULL;
	size_t slots = nrules ? nrules : 1;
	char **values = calloc(slots, sizeof *values);
	char **errors = calloc(slots, sizeof *errors);
	const struct urlencoded_pair **found = calloc(slots, sizeof *found);
	if (!values || !errors || !found) {
		free(values);
		free(errors);
		free(found);
		return VALIDATE_NO_MEMORY;
	}
	out->count = nrules;
	out->values = values;
	out->errors = (const char **)errors;

	bool unknown = false, repeated = false;
	for (size_t i = 0; i < f->count; i++) {
		size_t r = rule_index(rules, nrules, &f->pairs[i]);
		if (r == nrules)
			unknown = true;
		else if (found[r])
			repeated = true;
		else
			found[r] = &f->pairs[i];
	}

	bool field_errors = false;
	for (size_t i = 0; i < nrules; i++) {
		if (!check_field(rules[i], found[i], &values[i], &errors[i])) {
			free(found);
			validation_free(out);
			return VALIDATE_NO_MEMORY;
		}
		field_errors |= errors[i] != NULL;
	}
	free(found);
	if (unknown)
		return VALIDATE_UNKNOWN_FIELD;
	if (repeated)
		return VALIDATE_REPEATED_FIELD;
	return field_errors ? VALIDATE_FIELD_ERRORS : VALIDATE_OK;
}

void validation_free(struct validation *v)
{
	for (size_t i = 0; i < v->count; i++) {
		if (v->values && v->values[i]) {
			sodium_memzero(v->values[i], strlen(v->values[i]));
			free(v->values[i]);
		}
		if (v->errors)
			free((void *)(uintptr_t)v->errors[i]);
	}
	free(v->values);
	free((void *)v->errors);
	v->count = 0;
	v->values = NULL;
	v->errors = NULL;
}
