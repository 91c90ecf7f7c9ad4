/*
 * seal: anonymous public-key encryption of an enquiry for the staff.
 *
 * The web server holds only the staff public key: it can seal but never
 * open; opening is the staff tool's (staff/unseal.h), and nothing here calls
 * crypto_box_seal_open. The plaintext is padded (sodium_pad) to the next size
 * bucket (powers of two from 1 KiB) before crypto_box_seal, so the stored
 * length does not tell how much somebody wrote.
 *
 * Key files:
 *   public key: one line "clinic-staff-key-v1 <key_id> <64 hex digits>"
 *   keyring (secret): see staff/keyring.h
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
#define SEAL_PUBLIC_KEY_MAGIC "clinic-staff-key-v1"
/* The public key file's one line, its newline and a NUL. */
#define SEAL_PUBLIC_KEY_LINE_SIZE                                                                  \
	(sizeof SEAL_PUBLIC_KEY_MAGIC + SEAL_KEY_ID_LEN + 2 * crypto_box_PUBLICKEYBYTES + 2)

struct public_key {
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
	char key_id[SEAL_KEY_ID_LEN];
};

/* The key id of pk (see above); "" if libsodium fails. */
void seal_key_id(const unsigned char pk[crypto_box_PUBLICKEYBYTES], char out[SEAL_KEY_ID_LEN]);
/* Reads and checks a public key file; false with a sentence naming path
 * in err. */
bool seal_public_key_load(const char *path, struct public_key *key, char *err, size_t errlen);
/* The line of key's public key file, newline included, as
 * seal_public_key_load reads it; false (out empty) if libsodium fails. */
bool seal_public_key_line(const struct public_key *key, char out[SEAL_PUBLIC_KEY_LINE_SIZE]);

/* Pads and seals plain; appends the sealed bytes to sealed. */
bool seal_message(const struct public_key *key, const void *plain, size_t len, struct buf *sealed);

/* The padded size used for a plaintext of len bytes (0 if too large). */
size_t seal_bucket(size_t len);

/* Whether n is a padded size seal_bucket can give. */
bool seal_is_bucket(size_t n);

/* The process's one guarded, locked (never swapped) area for padded
 * plaintext, grown to at least len bytes; NULL if memory is short. Wipe what
 * was put there before returning: the programs are single-threaded. */
unsigned char *seal_scratch(size_t len);

#endif
