/*
 * identity: a staff member's public identity, the NAME.identity file.
 *
 * `enquiries init --name NAME` writes it beside the member's new keyring;
 * the lead puts it in the team with `enquiries team add NAME FILE`. It is
 * one line, at most IDENTITY_FILE_MAX bytes:
 *
 *   clinic-identity-v1 NAME BOX SIGN FINGERPRINT
 *
 * and a LF (which may be missing). NAME is spelled as in team.h; BOX is the
 * member's X25519 public key (enquiries are sealed to it) and SIGN their
 * Ed25519 public key, each 64 lowercase hex digits; FINGERPRINT is
 * identity_fingerprint of the two keys. The member reads the fingerprint out
 * to the lead over the phone, and the lead compares it with what `team add`
 * shows, so that a file swapped on its way is noticed.
 */
#ifndef CLINIC_IDENTITY_H
#define CLINIC_IDENTITY_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "team.h"

#define IDENTITY_FILE_MAX 512
/* 16 base32 characters in groups of four: "K7MQ-4QX9-ABCD-EFGH" */
#define IDENTITY_FINGERPRINT_LEN 19

struct identity {
	char name[TEAM_NAME_MAX + 1];
	unsigned char box_pk[crypto_box_PUBLICKEYBYTES];
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
};

/* The fingerprint of a pair of public keys: the first 80 bits of BLAKE2b of
 * "clinic-identity-v1", a NUL and both keys, in Crockford's base32. */
void identity_fingerprint(const unsigned char box_pk[crypto_box_PUBLICKEYBYTES],
                          const unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES],
                          char out[IDENTITY_FINGERPRINT_LEN + 1]);

/* Appends the file's line for id; false for a bad name or out of room. */
bool identity_encode(const struct identity *id, struct buf *out);

/* Reads a file's bytes into id. False with what is wrong in err (a sentence
 * without its full stop); id is then zeroed. */
bool identity_parse(const char *text, size_t len, struct identity *id, char *err, size_t errlen);

#endif
