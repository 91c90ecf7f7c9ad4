/*
 * keyring: the staff's secret keys, encrypted under a passphrase.
 *
 * Only the enquiries tool uses this; the web server never holds a secret key.
 * The file (mode 0600) is text:
 *   line 1: "clinic-staff-keyring-v1 <salt hex> <opslimit> <memlimit>"
 *   then one line per key pair, newest last:
 *   "<key_id> <public key hex> <nonce hex> <secretbox(secret key) hex>"
 * The passphrase goes through crypto_pwhash (Argon2id) with the salt to a
 * secretbox key. A wrong passphrase is told apart from a damaged file (an
 * altered first entry reads as a wrong passphrase: they cannot be told apart).
 * A keyring with no keys is damaged; it holds at most KEYRING_MAX_KEYS.
 * Loading does not check the file's permissions.
 *
 * Every call that fails says why in err (for KEYRING_FAILED, the one detail
 * its status does not carry), and keyring_report turns that into what a
 * person reads.
 */
#ifndef CLINIC_KEYRING_H
#define CLINIC_KEYRING_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

#include "seal.h"

#define KEYRING_MAX_KEYS 64

struct keyring_entry {
	char key_id[17];
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
	unsigned char sk[crypto_box_SECRETKEYBYTES]; /* in sodium_malloc'd memory */
};

struct keyring {
	size_t count;
	struct keyring_entry *entries; /* sodium_malloc'd, count entries */
};

enum keyring_status {
	KEYRING_OK = 0,
	KEYRING_MISSING, /* no such file */
	KEYRING_EXISTS,  /* refusing to overwrite */
	KEYRING_BAD_PASSPHRASE,
	KEYRING_DAMAGED, /* the file is not a keyring we can read */
	KEYRING_FAILED,  /* I/O, memory, or no room for another key: see err */
};

/* Makes a keyring of one new key pair at path, never over an existing file.
 * Interactive use derives keys with the MODERATE limits; tests may pass
 * the MIN limits through the environment variable CLINIC_PWHASH_FAST=1. */
enum keyring_status keyring_create(const char *path, const char *passphrase, struct keyring *out,
                                   char *err, size_t errlen);
/* Reads and opens the keyring at path into out (empty unless KEYRING_OK). */
enum keyring_status keyring_load(const char *path, const char *passphrase, struct keyring *out,
                                 char *err, size_t errlen);
/* Adds a new key pair and rewrites the file (atomically) under passphrase;
 * kr changes only if the file did. */
enum keyring_status keyring_rotate(const char *path, const char *passphrase, struct keyring *kr,
                                   char *err, size_t errlen);
/* Rewrites the file under a new passphrase with a new salt. */
enum keyring_status keyring_save(const char *path, const char *passphrase, const struct keyring *kr,
                                 char *err, size_t errlen);
/* The entry whose key id is key_id, or NULL. */
const struct keyring_entry *keyring_find(const struct keyring *kr, const char *key_id);
/* The key new enquiries are sealed to: the last one added (NULL if none). */
const struct keyring_entry *keyring_newest(const struct keyring *kr);
/* Wipes and frees the entries; kr is then empty. */
void keyring_free(struct keyring *kr);

/* What status (not KEYRING_OK) means for the keyring at path, as whole
 * sentences a person can act on, into out. detail is err from the call that
 * failed; from_file says the passphrase came from a file, not a person. */
void keyring_report(enum keyring_status status, const char *path, bool from_file,
                    const char *detail, char *out, size_t len);

/* Writes key's public key file (mode 0644, replaced atomically) for
 * contact.fcgi to seal to; false with a sentence naming path in err. */
bool keyring_write_public_key(const char *path, const struct public_key *key, char *err,
                              size_t errlen);

#endif
