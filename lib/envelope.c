#include "envelope.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAGIC "CLINIC-ENQUIRY "
#define FIELD_PREFIX "field."
#define FIELD_PREFIX_LEN (sizeof FIELD_PREFIX - 1)
#define RECORD_NAME_MAX 64
#define FIELD_NAME_MAX 56
#define VALUE_MAX 65536
#define VALUE_MAX_DIGITS 5 /* "65536" */

_Static_assert(FIELD_PREFIX_LEN + FIELD_NAME_MAX <= RECORD_NAME_MAX, "field name too long");

/* The header records, in the order they must appear. */
enum { HEADER_KIND, HEADER_REF, HEADER_RECEIVED, HEADER_KEY_ID, HEADER_COUNT };
static const char *const header_names[HEADER_COUNT] = {"kind", "ref", "received", "key_id"};

/* Where e keeps header record which, and its size. */
static char *header_slot(struct envelope *e, int which, size_t *size)
{
	switch (which) {
	case HEADER_KIND:
		*size = sizeof e->kind;
		return e->kind;
	case HEADER_REF:
		*size = sizeof e->ref;
		return e->ref;
	case HEADER_RECEIVED:
		*size = sizeof e->received;
		return e->received;
	default:
		*size = sizeof e->key_id;
		return e->key_id;
	}
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Whether name is a field name envelope.h allows. */
static bool valid_field_name(const char *name, size_t len)
{
	if (len == 0 || len > FIELD_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(name[i]))
			return false;
	return true;
}

/* A header value: non-empty printable ASCII that fits its array with a NUL. */
static bool valid_header_value(const char *value, size_t len, size_t size)
{
	if (len == 0 || len >= size)
		return false;
	for (size_t i = 0; i < len; i++)
		if (value[i] < 0x20 || value[i] > 0x7e)
			return false;
	return true;
}

/* Whether e has a field called name (len bytes). */
static bool has_field(const struct envelope *e, const char *name, size_t len)
{
	for (size_t i = 0; i < e->count; i++)
		if (strlen(e->fields[i].name) == len && memcmp(e->fields[i].name, name, len) == 0)
			return true;
	return false;
}

/* Adds copies of the name and the value to e; false past ENVELOPE_MAX_FIELDS or out of memory. */
static bool push_field(struct envelope *e, const char *name, size_t name_len, const char *value,
                       size_t value_len)
{
	if (e->count >= ENVELOPE_MAX_FIELDS)
		return false;
	char *name_copy = malloc(name_len + 1);
	char *value_copy = malloc(value_len + 1);
	if (!name_copy || !value_copy) {
		free(name_copy);
		free(value_copy);
		return false;
	}
	memcpy(name_copy, name, name_len);
	name_copy[name_len] = '\0';
	if (value_len)
		memcpy(value_copy, value, value_len);
	value_copy[value_len] = '\0';
	struct envelope_field *f = &e->fields[e->count++];
	f->name = name_copy;
	f->value = value_copy;
	f->value_len = value_len;
	return true;
}

bool envelope_add(struct envelope *e, const char *name, const char *value, size_t value_len)
{
	if (!name || (!value && value_len))
		return false;
	size_t name_len = strlen(name);
	if (!valid_field_name(name, name_len) || value_len > VALUE_MAX ||
	    has_field(e, name, name_len))
		return false;
	return push_field(e, name, name_len, value ? value : "", value_len);
}

const struct envelope_field *envelope_get(const struct envelope *e, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < e->count; i++)
		if (strcmp(e->fields[i].name, name) == 0)
			return &e->fields[i];
	return NULL;
}

void envelope_wipe(struct envelope *e)
{
	size_t count = e->count <= ENVELOPE_MAX_FIELDS ? e->count : ENVELOPE_MAX_FIELDS;
	for (size_t i = 0; i < count; i++) {
		struct envelope_field *f = &e->fields[i];
		if (f->name) {
			sodium_memzero(f->name, strlen(f->name));
			free(f->name);
		}
		if (f->value) {
			sodium_memzero(f->value, f->value_len + 1);
			free(f->value);
		}
	}
	sodium_memzero(e, sizeof *e);
}

/* Appends one record, "<prefix><name> <len>\n<value>\n". */
static bool put_record(struct buf *out, const char *prefix, const char *name, const char *value,
                       size_t len)
{
	return buf_printf(out, "%s%s %zu\n", prefix, name, len) && buf_append(out, value, len) &&
	       buf_putc(out, '\n');
}

bool envelope_encode(const struct envelope *e, struct buf *out)
{
	/* Refuse anything the decoder would refuse, before writing a byte. */
	if (e->version != ENVELOPE_VERSION && e->version != 0)
		return false;
	if (e->count > ENVELOPE_MAX_FIELDS)
		return false;
	const char *header_values[HEADER_COUNT] = {e->kind, e->ref, e->received, e->key_id};
	const size_t header_sizes[HEADER_COUNT] = {sizeof e->kind, sizeof e->ref,
	                                           sizeof e->received, sizeof e->key_id};
	for (int i = 0; i < HEADER_COUNT; i++) {
		size_t len = strnlen(header_values[i], header_sizes[i]);
		if (!valid_header_value(header_values[i], len, header_sizes[i]))
			return false;
	}
	for (size_t i = 0; i < e->count; i++) {
		const struct envelope_field *f = &e->fields[i];
		if (!f->name || !f->value || f->value_len > VALUE_MAX)
			return false;
		size_t name_len = strnlen(f->name, FIELD_NAME_MAX + 1);
		if (!valid_field_name(f->name, name_len))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(e->fields[j].name, f->name) == 0)
				return false;
	}

	size_t start = out->len;
	bool ok = buf_printf(out, "%s%d\n", MAGIC, ENVELOPE_VERSION);
	for (int i = 0; ok && i < HEADER_COUNT; i++)
		ok = put_record(out, "", header_names[i], header_values[i],
		                strlen(header_values[i]));
	for (size_t i = 0; ok && i < e->count; i++)
		ok = put_record(out, FIELD_PREFIX, e->fields[i].name, e->fields[i].value,
		                e->fields[i].value_len);
	if (!ok && out->data && out->len > start) {
		/* Leave no partial plaintext behind in the caller's buffer. */
		sodium_memzero(out->data + start, out->len - start);
		out->len = start;
	}
	return ok;
}

/* Parses a decimal without sign or leading zeros, at most max. */
static bool parse_length(const char *s, size_t n, size_t max, size_t *value)
{
	if (n == 0 || n > VALUE_MAX_DIGITS || (n > 1 && s[0] == '0'))
		return false;
	size_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*value = v;
	return true;
}

struct record {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* Reads "<name> <length>\n<bytes>\n" at *pos. */
static bool read_record(const char *bytes, size_t len, size_t *pos, struct record *r, char *err,
                        size_t errlen)
{
	size_t p = *pos;
	size_t name_start = p;
	while (p < len && p - name_start <= RECORD_NAME_MAX && bytes[p] != ' ') {
		char c = bytes[p];
		if (!is_name_char(c) && c != '.') {
			snprintf(err, errlen, "byte %zu: a record name holds only [a-z0-9_.]", p);
			return false;
		}
		p++;
	}
	size_t name_len = p - name_start;
	if (p >= len) {
		snprintf(err, errlen, "byte %zu: the record is cut short", p);
		return false;
	}
	if (bytes[p] != ' ' || name_len == 0 || name_len > RECORD_NAME_MAX) {
		snprintf(err, errlen, "byte %zu: a record name is 1 to %d characters", name_start,
		         RECORD_NAME_MAX);
		return false;
	}
	p++;
	size_t digits_start = p;
	while (p < len && p - digits_start <= VALUE_MAX_DIGITS && bytes[p] != '\n')
		p++;
	if (p >= len || bytes[p] != '\n') {
		snprintf(err, errlen, "byte %zu: the record length is cut short or too long",
		         digits_start);
		return false;
	}
	size_t value_len = 0;
	if (!parse_length(bytes + digits_start, p - digits_start, VALUE_MAX, &value_len)) {
		snprintf(
		    err, errlen,
		    "byte %zu: the record length must be a number from 0 to %d without leading "
		    "zeros",
		    digits_start, VALUE_MAX);
		return false;
	}
	p++;
	if (len - p < value_len + 1) {
		snprintf(err, errlen, "byte %zu: the record value is cut short", p);
		return false;
	}
	if (bytes[p + value_len] != '\n') {
		snprintf(err, errlen, "byte %zu: the record value does not end with a newline",
		         p + value_len);
		return false;
	}
	r->name = bytes + name_start;
	r->name_len = name_len;
	r->value = bytes + p;
	r->value_len = value_len;
	*pos = p + value_len + 1;
	return true;
}

/* Reads the "CLINIC-ENQUIRY <version>" line at the start; false with why in err. */
static bool read_version(const char *bytes, size_t len, size_t *pos, char *err, size_t errlen)
{
	size_t magic_len = sizeof MAGIC - 1;
	if (len < magic_len || memcmp(bytes, MAGIC, magic_len) != 0) {
		snprintf(err, errlen, "not an enquiry envelope (no \"CLINIC-ENQUIRY\" line)");
		return false;
	}
	size_t p = magic_len;
	while (p < len && p - magic_len < 10 && bytes[p] >= '0' && bytes[p] <= '9')
		p++;
	size_t digits = p - magic_len;
	if (digits == 0 || p >= len || bytes[p] != '\n' ||
	    (digits > 1 && bytes[magic_len] == '0')) {
		snprintf(err, errlen, "the envelope version line is malformed");
		return false;
	}
	if (digits != 1 || bytes[magic_len] != '0' + ENVELOPE_VERSION) {
		snprintf(err, errlen, "unsupported envelope version %.*s (this program reads %d)",
		         (int)digits, bytes + magic_len, ENVELOPE_VERSION);
		return false;
	}
	*pos = p + 1;
	return true;
}

/* Which header record r is, or -1 for none. */
static int header_index(const struct record *r)
{
	for (int i = 0; i < HEADER_COUNT; i++)
		if (strlen(header_names[i]) == r->name_len &&
		    memcmp(header_names[i], r->name, r->name_len) == 0)
			return i;
	return -1;
}

/* Parses bytes into e (started empty); false with why in err, e then partly filled. */
static bool decode(const char *bytes, size_t len, struct envelope *e, char *err, size_t errlen)
{
	size_t pos = 0;
	if (!read_version(bytes, len, &pos, err, errlen))
		return false;
	e->version = ENVELOPE_VERSION;

	for (int i = 0; i < HEADER_COUNT; i++) {
		struct record r;
		if (pos >= len) {
			snprintf(err, errlen, "missing header record %s", header_names[i]);
			return false;
		}
		if (!read_record(bytes, len, &pos, &r, err, errlen))
			return false;
		int which = header_index(&r);
		if (which >= 0 && which < i) {
			snprintf(err, errlen, "duplicate record %s", header_names[which]);
			return false;
		}
		if (which != i) {
			snprintf(err, errlen, "missing header record %s", header_names[i]);
			return false;
		}
		size_t size = 0;
		char *slot = header_slot(e, i, &size);
		if (!valid_header_value(r.value, r.value_len, size)) {
			snprintf(err, errlen,
			         "the %s record must be 1 to %zu printable ASCII characters",
			         header_names[i], size - 1);
			return false;
		}
		memcpy(slot, r.value, r.value_len);
		slot[r.value_len] = '\0';
	}

	while (pos < len) {
		struct record r;
		size_t record_start = pos;
		if (!read_record(bytes, len, &pos, &r, err, errlen))
			return false;
		if (header_index(&r) >= 0) {
			snprintf(err, errlen, "byte %zu: duplicate record %.*s", record_start,
			         (int)r.name_len, r.name);
			return false;
		}
		if (r.name_len <= FIELD_PREFIX_LEN ||
		    memcmp(r.name, FIELD_PREFIX, FIELD_PREFIX_LEN) != 0 ||
		    !valid_field_name(r.name + FIELD_PREFIX_LEN, r.name_len - FIELD_PREFIX_LEN)) {
			snprintf(err, errlen, "byte %zu: unknown record %.*s", record_start,
			         (int)r.name_len, r.name);
			return false;
		}
		const char *name = r.name + FIELD_PREFIX_LEN;
		size_t name_len = r.name_len - FIELD_PREFIX_LEN;
		if (has_field(e, name, name_len)) {
			snprintf(err, errlen, "byte %zu: duplicate record %.*s", record_start,
			         (int)r.name_len, r.name);
			return false;
		}
		if (e->count >= ENVELOPE_MAX_FIELDS) {
			snprintf(err, errlen, "more than %d fields", ENVELOPE_MAX_FIELDS);
			return false;
		}
		if (!push_field(e, name, name_len, r.value, r.value_len)) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
	}
	return true;
}

bool envelope_decode(const char *bytes, size_t len, struct envelope *e, char *err, size_t errlen)
{
	memset(e, 0, sizeof *e);
	if (!bytes) {
		snprintf(err, errlen, "no envelope");
		return false;
	}
	if (decode(bytes, len, e, err, errlen))
		return true;
	envelope_wipe(e);
	return false;
}

void envelope_stamp(struct envelope *e, struct timespec t)
{
	struct tm tm;
	char seconds[24];
	if (!gmtime_r(&t.tv_sec, &tm) ||
	    strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		e->received[0] = '\0';
		return;
	}
	snprintf(e->received, sizeof e->received, "%s.%03dZ", seconds, (int)(t.tv_nsec / 1000000));
}

bool envelope_received_time(const char *received, time_t *out)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	const char *s = received;
	size_t n = strlen(s);
	if (n != sizeof pattern - 1 && n != sizeof pattern - 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		char want = (n == sizeof pattern - 5 && i == n - 1) ? 'Z' : pattern[i];
		if (want == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != want)
			return false;
	}
	struct tm tm = {0};
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	struct tm check = tm;
	time_t t = timegm(&tm);
	/* timegm normalises impossible dates and times: a change means one. */
	if (t == (time_t)-1 || tm.tm_year != check.tm_year || tm.tm_mon != check.tm_mon ||
	    tm.tm_mday != check.tm_mday || tm.tm_hour != check.tm_hour ||
	    tm.tm_min != check.tm_min || tm.tm_sec != check.tm_sec)
		return false;
	*out = t;
	return true;
}
