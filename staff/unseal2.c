#include "unseal2.h"

#include <stdlib.h>
#include <string.h>

#include "seal.h"

#define CONTENT_KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES

/* The secrets of one opening, in locked memory made once per process and
 * wiped after every use. */
struct secrets {
	unsigned char shared[crypto_box_BEFORENMBYTES];
	unsigned char content_key[CONTENT_KEY_BYTES];
	unsigned char inner[]; /* the padded inner bytes */
};

/* The secrets in seal.h's locked area (only bytes: no alignment to keep). */
static struct secrets *locked_scratch(size_t inner_len)
{
	return (struct secrets *)seal_scratch(sizeof(struct secrets) + inner_len);
}

/* Finds the slot for pk with the shared secret; its index, or -1. */
static int open_slot(struct secrets *s, const struct seal2_parts *parts,
                     const unsigned char pk[crypto_box_PUBLICKEYBYTES], unsigned hint)
{
	unsigned char nonce_in[2 * crypto_box_PUBLICKEYBYTES];
	unsigned char nonce[crypto_box_NONCEBYTES];
	memcpy(nonce_in, parts->ephemeral_pk, crypto_box_PUBLICKEYBYTES);
	memcpy(nonce_in + crypto_box_PUBLICKEYBYTES, pk, crypto_box_PUBLICKEYBYTES);
	if (crypto_generichash(nonce, sizeof nonce, nonce_in, sizeof nonce_in, NULL, 0) != 0)
		return -1;
	unsigned first = hint < parts->slots ? hint : 0;
	for (unsigned k = 0; k < parts->slots; k++) {
		unsigned i = (first + k) % parts->slots;
		if (crypto_box_open_easy_afternm(s->content_key,
		                                 parts->slot + (size_t)i * SEAL2_SLOT_BYTES,
		                                 SEAL2_SLOT_BYTES, nonce, s->shared) == 0)
			return (int)i;
	}
	return -1;
}

/* Whether the list of recipients is as seal2 writes it and names pk at slot;
 * fills info's list. */
static bool read_recipients(const unsigned char *ids, const struct seal2_parts *parts,
                            const unsigned char pk[crypto_box_PUBLICKEYBYTES], unsigned slot,
                            struct unseal2_info *info)
{
	unsigned char mine[SEAL2_KEY_ID_BYTES];
	if (crypto_generichash(mine, sizeof mine, pk, crypto_box_PUBLICKEYBYTES, NULL, 0) != 0 ||
	    memcmp(ids + (size_t)slot * SEAL2_KEY_ID_BYTES, mine, sizeof mine) != 0)
		return false;
	unsigned used = 0;
	for (unsigned i = 0; i < parts->slots; i++) {
		const unsigned char *id = ids + (size_t)i * SEAL2_KEY_ID_BYTES;
		bool empty = sodium_is_zero(id, SEAL2_KEY_ID_BYTES);
		if (!empty && used != i)
			return false; /* a used slot after an unused one */
		for (unsigned j = 0; !empty && j < i; j++)
			if (memcmp(id, info->key_ids[j], SEAL2_KEY_ID_BYTES) == 0)
				return false;
		memcpy(info->key_ids[i], id, SEAL2_KEY_ID_BYTES);
		used += !empty;
	}
	info->recipients = used;
	return used > 0;
}

enum unseal2_status unseal2_message(const unsigned char pk[crypto_box_PUBLICKEYBYTES],
                                    const unsigned char sk[crypto_box_SECRETKEYBYTES],
                                    const void *sealed, size_t len, const void *context,
                                    size_t context_len, unsigned hint, struct buf *plain,
                                    struct unseal2_info *info)
{
	memset(info, 0, sizeof *info);
	struct seal2_parts parts;
	if (sodium_init() < 0 || !seal2_parse(sealed, len, &parts) ||
	    context_len > SEAL2_CONTEXT_MAX || (!context && context_len))
		return UNSEAL2_MALFORMED;
	size_t padded_len = parts.cipher_len - crypto_aead_xchacha20poly1305_ietf_ABYTES;
	struct secrets *s = locked_scratch(padded_len);
	unsigned char *ad = malloc(seal2_ad_size(&parts, context_len));
	if (!s || !ad) {
		free(ad);
		return UNSEAL2_NO_MEMORY;
	}
	info->version = parts.version;
	info->slots = parts.slots;
	enum unseal2_status status = UNSEAL2_NOT_FOR_KEY;
	int slot = -1;
	/* A small-order ephemeral key gives no shared secret: no slot is ours. */
	if (crypto_box_beforenm(s->shared, parts.ephemeral_pk, sk) == 0)
		slot = open_slot(s, &parts, pk, hint);
	if (slot >= 0) {
		status = UNSEAL2_ALTERED;
		size_t ad_len = seal2_ad(&parts, context, context_len, ad);
		unsigned long long inner_len = 0;
		size_t unpadded = 0;
		size_t ids_len = SEAL2_KEY_ID_BYTES * (size_t)parts.slots;
		info->slot = (unsigned)slot;
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		        s->inner, &inner_len, NULL, parts.cipher, parts.cipher_len, ad, ad_len,
		        parts.nonce, s->content_key) == 0 &&
		    inner_len == padded_len &&
		    sodium_unpad(&unpadded, s->inner, padded_len, padded_len) == 0 &&
		    unpadded >= ids_len && seal_bucket(unpadded) == padded_len &&
		    read_recipients(s->inner, &parts, pk, (unsigned)slot, info))
			status = buf_append(plain, s->inner + ids_len, unpadded - ids_len)
			             ? UNSEAL2_OPENED
			             : UNSEAL2_NO_MEMORY;
	}
	if (status != UNSEAL2_OPENED) {
		info->slot = 0;
		info->recipients = 0;
		memset(info->key_ids, 0, sizeof info->key_ids);
	}
	sodium_memzero(s, sizeof *s + padded_len);
	free(ad);
	return status;
}
