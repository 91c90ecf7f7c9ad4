/*
 * seal2: envelope format 2, one plaintext sealed to several people at once.
 *
 * The web server seals each enquiry to the members of the signed team (see
 * team.h) and to the paper recovery key; like format 1 (seal.h) it can seal
 * but never open. One random content key per message encrypts the padded
 * plaintext once with XChaCha20-Poly1305; the content key is sealed to each
 * recipient in a key slot. Every message of a team carries the same number
 * of slots (the team's slots), unused ones random bytes of the same length,
 * so who may read it does not show in its size or its bytes.
 *
 * Sealed bytes (binary; numbers big-endian):
 *   0        4        magic "CLS2"
 *   4        4        the team version it was sealed under (1 or more)
 *   8        1        N, the number of key slots (2 to SEAL2_MAX_SLOTS)
 *   9        32       E, an ephemeral X25519 public key, fresh for each message
 *   41       48 x N   the key slots
 *   41+48N   24       the XChaCha20-Poly1305 nonce (random)
 *   65+48N   P + 16   the padded inner bytes, encrypted; P is a power of two
 *                     from 1024 (seal_bucket of the inner length)
 *
 * The slot for the recipient key R is crypto_box_easy(content key, nonce
 * BLAKE2b-192(E || R), R, e), e being E's secret half: the very bytes
 * crypto_box_seal(content key, R) writes after its own E, so that E || slot
 * opens with crypto_box_seal_open. The slots of a message share E: each
 * recipient's shared secret is still its own (e with R), e is wiped once the
 * slots are made, and sealing costs one X25519 multiplication per recipient
 * and one for E, not two per slot. An unused slot is 48 random bytes, which
 * nobody can tell from a box under a key they do not hold (a slot of its
 * own, with its own ephemeral key, would not do: X25519 public keys are
 * recognisable, so random ones would show).
 *
 * Inner bytes, before padding (sodium_pad, ISO/IEC 7816-4):
 *   N x 8    the key id (BLAKE2b-64 of the public key, as seal_key_id) of each
 *            slot's recipient in slot order, used slots first; zeros for an
 *            unused slot. A recipient thus learns who else can read it.
 *   rest     the plaintext
 *
 * Associated data: "clinic-sealed-v2" and a NUL, the context's length (2
 * bytes), the context, then bytes 0 to 41+48N of the sealed bytes (header
 * and slots: no slot can be changed, added or dropped unnoticed). The
 * context is what is stored beside the message and must agree with it; for
 * an enquiry, seal2_enquiry_context.
 */
#ifndef CLINIC_SEAL2_H
#define CLINIC_SEAL2_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SEAL2_MAGIC "CLS2"
#define SEAL2_MAX_SLOTS 64
#define SEAL2_SLOT_BYTES (crypto_box_MACBYTES + 32)
#define SEAL2_KEY_ID_BYTES 8
#define SEAL2_CONTEXT_MAX 256
#define SEAL2_HEADER_BYTES(n) (9 + crypto_box_PUBLICKEYBYTES + SEAL2_SLOT_BYTES * (size_t)(n))
/* A row's key id column for format 2: "team-" and the version. */
#define SEAL2_ROW_KEY_ID_MAX 16

/* The sealed bytes split into their parts; pointers into the bytes. */
struct seal2_parts {
	const unsigned char *bytes; /* the whole of them */
	uint32_t version;
	unsigned slots;
	const unsigned char *ephemeral_pk;
	const unsigned char *slot; /* slots x SEAL2_SLOT_BYTES */
	const unsigned char *nonce;
	const unsigned char *cipher;
	size_t cipher_len; /* padded length + the AEAD tag */
	size_t header_len; /* bytes 0 to the nonce, part of the associated data */
};

/* Seals plain to the count public keys in to (count from 1 to slots), in
 * slots key slots, under team version, bound to context; appends the sealed
 * bytes to sealed. False for bad arguments (a key of small order too) or out
 * of memory; nothing is appended then. */
bool seal2_message(const unsigned char *const *to, size_t count, unsigned slots, uint32_t version,
                   const void *context, size_t context_len, const void *plain, size_t len,
                   struct buf *sealed);

/* How many bytes seal2_message makes of len plaintext bytes in slots slots;
 * 0 if that is out of range. */
size_t seal2_sealed_size(unsigned slots, size_t len);

/* Splits sealed bytes into parts; false unless they have the layout above:
 * magic, version from 1, 2 to SEAL2_MAX_SLOTS slots, a padded length that is
 * a power of two from 1024, nothing more or less. */
bool seal2_parse(const void *sealed, size_t len, struct seal2_parts *parts);

/* The associated data for parts and context into ad (at least seal2_ad_size
 * bytes); returns its length. */
size_t seal2_ad_size(const struct seal2_parts *parts, size_t context_len);
size_t seal2_ad(const struct seal2_parts *parts, const void *context, size_t context_len,
                unsigned char *ad);

/* The context of an enquiry: "enquiry REF KIND DAY VERSION" (its row's
 * reference, form kind, day and team version). Returns its length, 0 if it
 * does not fit SEAL2_CONTEXT_MAX. */
size_t seal2_enquiry_context(const char *ref, const char *kind, const char *day, uint32_t version,
                             char out[SEAL2_CONTEXT_MAX]);

/* A format 2 row's key id ("team-7") and back: the version from a key id,
 * false unless it is exactly that spelling (so never a format 1 key id). */
void seal2_row_key_id(uint32_t version, char out[SEAL2_ROW_KEY_ID_MAX]);
bool seal2_row_version(const char *key_id, uint32_t *version);

#endif
