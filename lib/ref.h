/*
 * ref: the reference a person quotes for an enquiry, "K7MQ-4QX9".
 *
 * 8 characters drawn fairly from an alphabet without look-alikes (no 0/O,
 * 1/I/L), shown as two groups of four. contact.fcgi makes one per enquiry
 * and shows it on the thank-you page; the store keeps it; the staff tool
 * reads it as a person types it.
 */
#ifndef CLINIC_REF_H
#define CLINIC_REF_H

#include <stdbool.h>

#define REF_SIZE 16 /* room for a reference and its NUL, with some to spare */

/* Makes a new reference (one draw of libsodium's randomness). */
void ref_new(char out[REF_SIZE]);

/* Whether ref is exactly a reference as ref_new makes them. */
bool ref_valid(const char *ref);

/* A reference as a person may type it (any case, dash and spaces optional)
 * into out as "XXXX-XXXX"; false when it cannot be one. */
bool ref_parse(const char *typed, char out[REF_SIZE]);

#endif
