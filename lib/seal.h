/*
 * seal: anonymous public-key encryption of an enquiry for the staff.
 *
 * The web server holds only the staff public key: it can seal but never
 * open. The plaintext is padded (sodium_pad) to the next size bucket (powers
 * of two from 1 KiB) before crypto_box_seal, so the stored length does not
 * tell how much somebody wrote.
 *
 * Key files:
 *   public key: one line "clinic-staff-key-v1 <key_id> <64 hex digits>"
 *   keyring (secret): see keyring.h
 * key_id is BLAKE2b with an 8-byte output (crypto_generichash) of the public
 * key, as 16 hex digits.
 */
#ifndef CLINIC_SEAL_H
#define CLINIC_SEAL_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SEAL_KEY_ID_LEN 17 /* 16 hex digits and a NUL */

struct public_key {
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
	char key_id[SEAL_KEY_ID_LEN];
};

void seal_key_id(const unsigned char pk[crypto_box_PUBLICKEYBYTES], char out[SEAL_KEY_ID_LEN]);
bool seal_public_key_load(const char *path, struct public_key *key, char *err, size_t errlen);
bool seal_public_key_save(const char *path, const struct public_key *key, char *err, size_t errlen);

/* Pads and seals plain; appends the sealed bytes to sealed. */
bool seal_message(const struct public_key *key, const void *plain, size_t len, struct buf *sealed);

/* Opens and unpads; appends the plaintext to plain (wipe it after use).
 * False if the bytes were not sealed to this key pair or were altered. */
bool seal_open(const unsigned char pk[crypto_box_PUBLICKEYBYTES],
               const unsigned char sk[crypto_box_SECRETKEYBYTES], const void *sealed, size_t len,
               struct buf *plain);

/* The padded size used for a plaintext of len bytes. */
size_t seal_bucket(size_t len);

#endif
