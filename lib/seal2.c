#include "seal2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

#define AD_LABEL "clinic-sealed-v2" /* and its NUL */
#define CONTENT_KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define BUCKET_MIN 1024
#define ROW_KEY_ID_PREFIX "team-"

_Static_assert(CONTENT_KEY_BYTES == 32, "a slot holds a 32-byte content key");
_Static_assert(SEAL2_SLOT_BYTES == crypto_box_MACBYTES + CONTENT_KEY_BYTES, "slot size");
_Static_assert(SEAL2_MAX_SLOTS <= 255, "the slot count travels in one byte");
_Static_assert(SEAL2_CONTEXT_MAX <= 65535, "the context length travels in two bytes");

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

size_t seal2_sealed_size(unsigned slots, size_t len)
{
	if (slots < 2 || slots > SEAL2_MAX_SLOTS || len > SIZE_MAX / 4)
		return 0;
	size_t bucket = seal_bucket(SEAL2_KEY_ID_BYTES * (size_t)slots + len);
	if (bucket == 0 || bucket > SIZE_MAX / 2)
		return 0;
	return SEAL2_HEADER_BYTES(slots) + NONCE_BYTES + bucket + TAG_BYTES;
}

bool seal2_parse(const void *sealed, size_t len, struct seal2_parts *parts)
{
	const unsigned char *b = sealed;
	memset(parts, 0, sizeof *parts);
	if (!b || len < SEAL2_HEADER_BYTES(2) || memcmp(b, SEAL2_MAGIC, 4) != 0)
		return false;
	uint32_t version = get_be32(b + 4);
	unsigned slots = b[8];
	if (version == 0 || slots < 2 || slots > SEAL2_MAX_SLOTS)
		return false;
	size_t header = SEAL2_HEADER_BYTES(slots);
	if (len < header + NONCE_BYTES + BUCKET_MIN + TAG_BYTES)
		return false;
	size_t padded = len - header - NONCE_BYTES - TAG_BYTES;
	if (padded < BUCKET_MIN || (padded & (padded - 1)) != 0)
		return false;
	parts->bytes = b;
	parts->version = version;
	parts->slots = slots;
	parts->ephemeral_pk = b + 9;
	parts->slot = b + 9 + crypto_box_PUBLICKEYBYTES;
	parts->nonce = b + header;
	parts->cipher = b + header + NONCE_BYTES;
	parts->cipher_len = padded + TAG_BYTES;
	parts->header_len = header;
	return true;
}

size_t seal2_ad_size(const struct seal2_parts *parts, size_t context_len)
{
	return sizeof AD_LABEL + 2 + context_len + parts->header_len;
}

size_t seal2_ad(const struct seal2_parts *parts, const void *context, size_t context_len,
                unsigned char *ad)
{
	size_t n = 0;
	memcpy(ad, AD_LABEL, sizeof AD_LABEL); /* with its NUL */
	n += sizeof AD_LABEL;
	ad[n++] = (unsigned char)(context_len >> 8);
	ad[n++] = (unsigned char)context_len;
	if (context_len)
		memcpy(ad + n, context, context_len);
	n += context_len;
	/* The header and the slots are the first bytes of the sealed message. */
	memcpy(ad + n, parts->bytes, parts->header_len);
	return n + parts->header_len;
}

size_t seal2_enquiry_context(const char *ref, const char *kind, const char *day, uint32_t version,
                             char out[SEAL2_CONTEXT_MAX])
{
	int n = snprintf(out, SEAL2_CONTEXT_MAX, "enquiry %s %s %s %lu", ref ? ref : "",
	                 kind ? kind : "", day ? day : "", (unsigned long)version);
	return n > 0 && n < SEAL2_CONTEXT_MAX ? (size_t)n : 0;
}

void seal2_row_key_id(uint32_t version, char out[SEAL2_ROW_KEY_ID_MAX])
{
	snprintf(out, SEAL2_ROW_KEY_ID_MAX, ROW_KEY_ID_PREFIX "%lu", (unsigned long)version);
}

bool seal2_row_version(const char *key_id, uint32_t *version)
{
	size_t prefix = sizeof ROW_KEY_ID_PREFIX - 1;
	if (!key_id || strncmp(key_id, ROW_KEY_ID_PREFIX, prefix) != 0)
		return false;
	const char *digits = key_id + prefix;
	size_t n = strlen(digits);
	if (n == 0 || n > 10 || (n > 1 && digits[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(digits[i] - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return false;
	*version = (uint32_t)v;
	return true;
}

/*
 * The secrets of one sealing live in one guarded, locked (never swapped)
 * area per process, made once and wiped after every use, as seal.c does:
 * sodium_malloc costs system calls a form post should not pay each time.
 */
struct secrets {
	unsigned char content_key[CONTENT_KEY_BYTES];
	unsigned char ephemeral_sk[crypto_box_SECRETKEYBYTES];
	unsigned char inner[]; /* the padded inner bytes */
};

/* The secrets in seal.h's locked area (only bytes: no alignment to keep). */
static struct secrets *locked_scratch(size_t inner_len)
{
	return (struct secrets *)seal_scratch(sizeof(struct secrets) + inner_len);
}

/* Fills slot i for recipient pk and its key id; false for a key of small order. */
static bool fill_slot(struct secrets *s, const unsigned char *ephemeral_pk, const unsigned char *pk,
                      unsigned char *slot, unsigned char *key_id)
{
	unsigned char nonce_in[2 * crypto_box_PUBLICKEYBYTES];
	unsigned char nonce[crypto_box_NONCEBYTES];
	memcpy(nonce_in, ephemeral_pk, crypto_box_PUBLICKEYBYTES);
	memcpy(nonce_in + crypto_box_PUBLICKEYBYTES, pk, crypto_box_PUBLICKEYBYTES);
	/* crypto_box_easy rather than a shared secret kept by hand: the web
	 * programs make boxes but never hold what opens one (tests/boundary.sh). */
	return crypto_generichash(nonce, sizeof nonce, nonce_in, sizeof nonce_in, NULL, 0) == 0 &&
	       crypto_box_easy(slot, s->content_key, sizeof s->content_key, nonce, pk,
	                       s->ephemeral_sk) == 0 &&
	       crypto_generichash(key_id, SEAL2_KEY_ID_BYTES, pk, crypto_box_PUBLICKEYBYTES, NULL,
	                          0) == 0;
}

bool seal2_message(const unsigned char *const *to, size_t count, unsigned slots, uint32_t version,
                   const void *context, size_t context_len, const void *plain, size_t len,
                   struct buf *sealed)
{
	size_t total = seal2_sealed_size(slots, len);
	if (!to || count == 0 || count > slots || version == 0 || total == 0 ||
	    context_len > SEAL2_CONTEXT_MAX || (!context && context_len) || (!plain && len) ||
	    sodium_init() < 0)
		return false;
	size_t ids_len = SEAL2_KEY_ID_BYTES * (size_t)slots;
	size_t bucket = seal_bucket(ids_len + len);
	struct secrets *s = locked_scratch(bucket);
	unsigned char *out = malloc(total);
	unsigned char *ad = malloc(sizeof AD_LABEL + 2 + context_len + SEAL2_HEADER_BYTES(slots));
	bool ok = s && out && ad;
	if (ok) {
		memcpy(out, SEAL2_MAGIC, 4);
		put_be32(out + 4, version);
		out[8] = (unsigned char)slots;
		unsigned char *ephemeral_pk = out + 9;
		unsigned char *slot = ephemeral_pk + crypto_box_PUBLICKEYBYTES;
		randombytes_buf(s->content_key, sizeof s->content_key);
		memset(s->inner, 0, ids_len);
		ok = crypto_box_keypair(ephemeral_pk, s->ephemeral_sk) == 0;
		for (size_t i = 0; ok && i < count; i++)
			ok = to[i] && fill_slot(s, ephemeral_pk, to[i], slot + i * SEAL2_SLOT_BYTES,
			                        s->inner + i * SEAL2_KEY_ID_BYTES);
		if (count < slots)
			randombytes_buf(slot + count * SEAL2_SLOT_BYTES,
			                (slots - count) * SEAL2_SLOT_BYTES);
	}
	size_t padded_len = 0;
	if (ok) {
		if (len)
			memcpy(s->inner + ids_len, plain, len);
		ok = sodium_pad(&padded_len, s->inner, ids_len + len, bucket, bucket) == 0 &&
		     padded_len == bucket;
	}
	struct seal2_parts parts;
	if (ok && seal2_parse(out, total, &parts)) {
		randombytes_buf(out + parts.header_len, NONCE_BYTES);
		size_t ad_len = seal2_ad(&parts, context, context_len, ad);
		unsigned long long cipher_len = 0;
		ok = crypto_aead_xchacha20poly1305_ietf_encrypt(
		         out + parts.header_len + NONCE_BYTES, &cipher_len, s->inner, padded_len,
		         ad, ad_len, NULL, out + parts.header_len, s->content_key) == 0 &&
		     cipher_len == parts.cipher_len && buf_append(sealed, out, total);
	} else {
		ok = false;
	}
	if (s)
		sodium_memzero(s, sizeof *s + bucket);
	free(ad);
	free(out);
	return ok;
}
