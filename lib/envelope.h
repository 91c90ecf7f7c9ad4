/*
 * envelope: the versioned plaintext of one enquiry, before sealing.
 *
 * Everything about an enquiry that is not needed to store it lives only in
 * here: the exact time, and every field a person typed. Serialised form (a
 * format made to be decoded strictly and fuzzed):
 *   "CLINIC-ENQUIRY 1\n" then records "<name> <length>\n<bytes>\n", first the
 *   header records kind, ref, received, key_id (each non-empty printable ASCII
 *   that fits its array), then one per field with the name "field.<name>",
 *   <name> being [a-z0-9_]{1,56}. Lengths are decimal without leading zeros,
 *   at most 65536; no other bytes are allowed. Version 0 is written as 1.
 * Decoding rejects anything else: unknown version, missing header record,
 * duplicate name, bad length, trailing bytes.
 */
#ifndef CLINIC_ENVELOPE_H
#define CLINIC_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

#define ENVELOPE_VERSION 1
#define ENVELOPE_MAX_FIELDS 32

struct envelope_field {
	char *name;  /* without the "field." prefix */
	char *value; /* NUL-terminated; value_len excludes the NUL */
	size_t value_len;
};

struct envelope {
	int version;
	char kind[16];     /* "contact" or "start" */
	char ref[16];      /* the reference a person quotes, e.g. "K7MQ-4QX9" */
	char received[32]; /* exact UTC time, "2026-11-26T14:03:07.123Z" */
	char key_id[32];   /* which staff key it was sealed to */
	size_t count;
	struct envelope_field fields[ENVELOPE_MAX_FIELDS];
};

/* Appends the serialised envelope to out. Values are copied as bytes. */
bool envelope_encode(const struct envelope *e, struct buf *out);

/* Parses bytes into e (which it initialises; free with envelope_wipe even
 * on failure). Returns false with a reason in err for anything malformed. */
bool envelope_decode(const char *bytes, size_t len, struct envelope *e, char *err, size_t errlen);

/* Adds a field by copying; false past ENVELOPE_MAX_FIELDS, for a bad or
 * repeated name, a value over 65536 bytes, or out of memory. */
bool envelope_add(struct envelope *e, const char *name, const char *value, size_t value_len);
/* The field called name (without "field."), or NULL. */
const struct envelope_field *envelope_get(const struct envelope *e, const char *name);

/* Zeroes and frees the field copies. */
void envelope_wipe(struct envelope *e);

/* Writes the exact time t into e->received, "2026-11-26T14:03:07.123Z";
 * its first ten characters are the store's day of t (store_day). */
void envelope_stamp(struct envelope *e, struct timespec t);

/* The exact time of receipt an envelope holds, "2026-11-26T14:03:07.123Z"
 * (or without the milliseconds), as a time; false for anything else. */
bool envelope_received_time(const char *received, time_t *out);

#endif
