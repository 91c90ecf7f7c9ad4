/*
 * paperkey: the team's recovery key as a person writes it on paper and
 * types it back.
 *
 * The recovery key is an X25519 key pair: every enquiry is sealed to its
 * public half (in the team file); its secret half exists only on paper. On
 * paper it is 13 groups of 5 characters in Crockford's base32 (base32.h),
 * 65 characters in all, for example
 *
 *   1Z4KQ-7TDM0-...   (13 groups)
 *
 * The 52 characters that are not checks carry 260 bits: 4 bits of format
 * version (1), then the 32 bytes of the secret key, most significant bit
 * first. The fifth character of each group is its check: Luhn mod 32 over
 * the group's number (1 to 13, as a symbol value) and its four characters,
 * so one mistyped character is always caught, and named by its group, and
 * so is a group typed in the place of another. Whether the whole key is
 * right is then known by comparing its public half with the team's.
 *
 * When it is read back, case does not matter, nor do spaces, dashes or line
 * breaks between characters, and O, I and L are read as 0, 1 and 1.
 */
#ifndef CLINIC_PAPERKEY_H
#define CLINIC_PAPERKEY_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

#define PAPERKEY_GROUPS 13
#define PAPERKEY_GROUP_CHARS 5
/* "XXXXX-XXXXX-...-XXXXX" and a NUL */
#define PAPERKEY_TEXT_MAX (PAPERKEY_GROUPS * (PAPERKEY_GROUP_CHARS + 1))
/* A paper key file is short: a bigger one is not a paper key. */
#define PAPERKEY_INPUT_MAX 1024

enum paperkey_status {
	PAPERKEY_OK = 0,
	PAPERKEY_BAD_CHARACTER, /* a character that is not in the alphabet */
	PAPERKEY_BAD_LENGTH,    /* not 65 characters (group names one of the wrong length) */
	PAPERKEY_BAD_GROUP,     /* a group's check fails: group names the first */
	PAPERKEY_BAD_VERSION,   /* every check holds, but it is not a version 1 key */
};

/* Writes the paper key for secret key sk into out: the groups joined by
 * dashes. */
void paperkey_encode(const unsigned char sk[crypto_box_SECRETKEYBYTES],
                     char out[PAPERKEY_TEXT_MAX]);

/* Reads a typed paper key into sk. On failure *group is the group (1 to 13)
 * to look at, or 0 when no group can be named, and err says what is wrong in
 * a sentence. */
enum paperkey_status paperkey_decode(const char *text, size_t len,
                                     unsigned char sk[crypto_box_SECRETKEYBYTES], int *group,
                                     char *err, size_t errlen);

/* The check character of a group: Luhn mod 32 over the group number and
 * its four characters' values. */
unsigned paperkey_check(unsigned group, const unsigned values[PAPERKEY_GROUP_CHARS - 1]);

#endif
