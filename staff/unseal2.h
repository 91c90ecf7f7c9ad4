/*
 * unseal2: opening envelope format 2 (lib/seal2.h) with one X25519 key
 * pair: a member's, or the paper recovery key's.
 *
 * The key's shared secret with the message's ephemeral key is worked out
 * once (one X25519 multiplication), then each slot is tried with it, the
 * one given as a hint first: a reader's slot is usually where it was in the
 * last message. The slot gives the content key; the padded inner bytes are
 * decrypted against the context and the header, unpadded (the padding must
 * be exactly what seal2 writes) and their list of recipients checked: it
 * names the opening key at the slot that opened, names nobody twice, and has
 * its used slots first.
 */
#ifndef CLINIC_UNSEAL2_H
#define CLINIC_UNSEAL2_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "seal2.h"

enum unseal2_status {
	UNSEAL2_OPENED = 0,
	UNSEAL2_NOT_FOR_KEY, /* well formed, but no slot is for this key */
	UNSEAL2_MALFORMED,   /* not format 2 sealed bytes */
	UNSEAL2_ALTERED,     /* a slot opened, but the rest does not match: altered */
	UNSEAL2_NO_MEMORY,
};

struct unseal2_info {
	uint32_t version;
	unsigned slots;
	unsigned slot;                                              /* the slot that opened */
	unsigned recipients;                                        /* how many slots are used */
	unsigned char key_ids[SEAL2_MAX_SLOTS][SEAL2_KEY_ID_BYTES]; /* zeros when unused */
};

/* Opens sealed with (pk, sk) against context; on UNSEAL2_OPENED appends the
 * plaintext to plain (wipe it after use) and fills info. Nothing is appended
 * otherwise. hint is the slot to try first. */
enum unseal2_status unseal2_message(const unsigned char pk[crypto_box_PUBLICKEYBYTES],
                                    const unsigned char sk[crypto_box_SECRETKEYBYTES],
                                    const void *sealed, size_t len, const void *context,
                                    size_t context_len, unsigned hint, struct buf *plain,
                                    struct unseal2_info *info);

#endif
