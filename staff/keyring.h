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
 * A keyring with no keys is damaged. Rotating past KEYRING_MAX_KEYS fails with
 * errno ENOSPC. Loading does not check the file's permissions.
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
	KEYRING_FAILED,  /* I/O or memory: see errno */
};

/* Interactive use derives keys with the MODERATE limits; tests may pass
 * the MIN limits through the environment variable CLINIC_PWHASH_FAST=1. */
enum keyring_status keyring_create(const char *path, const char *passphrase, struct keyring *out);
enum keyring_status keyring_load(const char *path, const char *passphrase, struct keyring *out);
/* Adds a new key pair and rewrites the file (atomically) under passphrase. */
enum keyring_status keyring_rotate(const char *path, const char *passphrase, struct keyring *kr);
/* Rewrites the file under a new passphrase with a new salt. */
enum keyring_status keyring_save(const char *path, const char *passphrase,
                                 const struct keyring *kr);
const struct keyring_entry *keyring_find(const struct keyring *kr, const char *key_id);
const struct keyring_entry *keyring_newest(const struct keyring *kr);
void keyring_free(struct keyring *kr);
const char *keyring_status_text(enum keyring_status status);

/* Writes key's public key file (mode 0644, replaced atomically) for
 * contact.fcgi to seal to; false with a sentence naming path in err. */
bool keyring_write_public_key(const char *path, const struct public_key *key, char *err,
                              size_t errlen);

#endif
