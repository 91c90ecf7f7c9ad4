/*
 * keyring: the staff's secret keys, encrypted under a passphrase.
 *
 * Only the enquiries tool uses this; the web server never holds a secret key.
 * A keyring is one of three kinds, each a text file (mode 0600):
 *
 *   the clinic's keyring from before the team (KEYRING_CLINIC):
 *     "clinic-staff-keyring-v1 <salt hex> <opslimit> <memlimit>"
 *     then one line per X25519 key pair, newest last:
 *     "<key_id> <public key hex> <nonce hex> <secretbox(secret key) hex>"
 *   a member's keyring (KEYRING_MEMBER, `enquiries init --name NAME`):
 *     "clinic-staff-keyring-v2 <salt hex> <opslimit> <memlimit> <NAME>"
 *     the X25519 key pair lines as above (enquiries are sealed to the
 *     newest), then one Ed25519 key pair to sign with:
 *     "sign <public key hex> <nonce hex> <secretbox(64-byte secret key) hex>"
 *   the team key (KEYRING_TEAM, `enquiries team init`), held by the lead:
 *     "clinic-team-key-v1 <salt hex> <opslimit> <memlimit>"
 *     and its one "sign ..." line.
 *
 * NAME is spelled as in team.h. The passphrase goes through crypto_pwhash
 * (Argon2id) with the salt to a secretbox key. A wrong passphrase is told
 * apart from a damaged file (an altered first entry reads as a wrong
 * passphrase: they cannot be told apart). A clinic or member keyring without
 * an X25519 key is damaged; one holds at most KEYRING_MAX_KEYS. Loading does
 * not check the file's permissions.
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

enum keyring_kind {
	KEYRING_CLINIC = 0, /* X25519 keys only: the one keyring of a clinic before the team */
	KEYRING_MEMBER,     /* a team member's: a name, X25519 keys, an Ed25519 key */
	KEYRING_TEAM,       /* the team key: an Ed25519 key only */
};

struct keyring_signer {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

struct keyring {
	enum keyring_kind kind;
	char name[33]; /* KEYRING_MEMBER: the member's name; otherwise "" */
	size_t count;
	struct keyring_entry *entries; /* sodium_malloc'd, count entries */
	struct keyring_signer *signer; /* sodium_malloc'd; NULL for KEYRING_CLINIC */
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
/* Makes a member's keyring (one X25519 and one Ed25519 key pair, under
 * name) at path, never over an existing file. */
enum keyring_status keyring_create_member(const char *path, const char *passphrase,
                                          const char *name, struct keyring *out, char *err,
                                          size_t errlen);
/* Makes kr, a clinic keyring loaded from path, a member's: adds an Ed25519
 * key pair and the name, and rewrites the file under passphrase. Its
 * X25519 keys stay, so what was sealed to them still opens. */
enum keyring_status keyring_make_member(const char *path, const char *passphrase, const char *name,
                                        struct keyring *kr, char *err, size_t errlen);
/* Makes the team key (one Ed25519 key pair) at path, never over a file. */
enum keyring_status keyring_create_team(const char *path, const char *passphrase,
                                        struct keyring *out, char *err, size_t errlen);
/* Reads and opens the keyring at path, of whichever kind, into out (empty
 * unless KEYRING_OK). */
enum keyring_status keyring_load(const char *path, const char *passphrase, struct keyring *out,
                                 char *err, size_t errlen);
/* Adds a new X25519 key pair and rewrites the file (atomically) under
 * passphrase; kr changes only if the file did. Not for the team key. */
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
