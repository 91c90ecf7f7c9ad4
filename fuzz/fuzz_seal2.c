/*
 * Envelope format 2: seal2_parse and unseal2_message (staff/unseal2.c) on
 * arbitrary bytes, on genuinely sealed messages with arbitrary inner bytes
 * (which reaches the unpadding and the list of recipients, the parts that
 * parse), and the seal/open round trip (lib/seal2.c).
 *
 * The first byte picks a mode. Checked: arbitrary bytes never open for a
 * key nothing is sealed to (the seeds hold genuine messages); a
 * genuine message opens exactly when its inner bytes are as seal2 writes
 * them (padding to the smallest bucket, a list of recipients that names the
 * opening key at its slot, used slots first, nobody twice) and then gives
 * the bytes between the list and the padding; whatever seal2_message seals
 * opens to itself for every recipient, at seal2_sealed_size, for nobody
 * else, and not with any one byte changed.
 */
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "seal.h"
#include "seal2.h"
#include "unseal2.h"

#include "fuzz.h"

#define INPUT_LIMIT (8 * 1024)
#define KEYS 9
#define CONTEXT "enquiry K7MQ-4QX9 start 2026-11-27 3"

static unsigned char pk[KEYS][crypto_box_PUBLICKEYBYTES];
static unsigned char sk[KEYS][crypto_box_SECRETKEYBYTES];
static bool ready;

static void init(void)
{
	FUZZ_CHECK(sodium_init() >= 0);
	for (int i = 0; i < KEYS; i++) {
		unsigned char seed[crypto_box_SEEDBYTES] = {42, (unsigned char)i};
		FUZZ_CHECK(crypto_box_seed_keypair(pk[i], sk[i], seed) == 0);
	}
	ready = true;
}

static enum unseal2_status open_as(int who, const void *sealed, size_t len, const char *context,
                                   struct buf *plain, struct unseal2_info *info)
{
	buf_init(plain, 1 << 20);
	enum unseal2_status status = unseal2_message(pk[who], sk[who], sealed, len, context,
	                                             strlen(context), 0, plain, info);
	if (status != UNSEAL2_OPENED)
		FUZZ_CHECK(plain->len == 0);
	return status;
}

static void open_arbitrary(const uint8_t *data, size_t size)
{
	unsigned char *bytes = malloc(size ? size : 1);
	FUZZ_CHECK(bytes != NULL);
	memcpy(bytes, data, size);
	struct seal2_parts parts;
	if (seal2_parse(bytes, size, &parts)) {
		FUZZ_CHECK(parts.slots >= 2 && parts.slots <= SEAL2_MAX_SLOTS && parts.version > 0);
		FUZZ_CHECK(parts.header_len + 24 + parts.cipher_len == size);
	}
	struct buf plain;
	struct unseal2_info info;
	/* Nothing is ever sealed to the last key. */
	FUZZ_CHECK(open_as(KEYS - 1, bytes, size, CONTEXT, &plain, &info) != UNSEAL2_OPENED);
	buf_wipe(&plain);
	free(bytes);
}

/* Where the 0x80 that starts the padding is, or -1. */
static long padding_start(const unsigned char *block, size_t n)
{
	size_t i = n;
	while (i > 0 && block[i - 1] == 0)
		i--;
	return i > 0 && block[i - 1] == 0x80 ? (long)(i - 1) : -1;
}

/* Whether the first slots * 8 bytes of inner are a list unseal2_message takes
 * for the key in slot mine. */
static bool good_list(const unsigned char *inner, unsigned slots, unsigned mine)
{
	unsigned char id[SEAL2_KEY_ID_BYTES];
	crypto_generichash(id, sizeof id, pk[0], 32, NULL, 0);
	if (memcmp(inner + mine * 8, id, 8) != 0)
		return false;
	bool seen_empty = false;
	for (unsigned i = 0; i < slots; i++) {
		bool empty = sodium_is_zero(inner + i * 8, 8);
		if (!empty && seen_empty)
			return false;
		seen_empty |= empty;
		for (unsigned j = 0; !empty && j < i; j++)
			if (memcmp(inner + i * 8, inner + j * 8, 8) == 0)
				return false;
	}
	return true;
}

/* A message made by hand around arbitrary inner bytes: the first input byte
 * picks the slot count and our slot, the rest is the start of the inner
 * block (1024 or 2048 bytes, zeros after). */
static void open_genuine_inner(const uint8_t *data, size_t size)
{
	if (size < 2)
		return;
	unsigned slots = 2 + data[0] % 7;
	unsigned mine = data[1] % slots;
	size_t bucket = data[0] & 0x80 ? 2048 : 1024;
	data += 2;
	size -= 2;
	size_t header = SEAL2_HEADER_BYTES(slots);
	size_t total = header + 24 + bucket + 16;
	unsigned char *msg = calloc(1, total);
	unsigned char *inner = calloc(1, bucket);
	FUZZ_CHECK(msg && inner);
	memcpy(inner, data, size < bucket ? size : bucket);
	memcpy(msg, "CLS2\0\0\0\3", 8);
	msg[8] = (unsigned char)slots;
	unsigned char esk[32], key[32], nonce[24], shared[32];
	memset(key, 0x5a ^ (int)slots, sizeof key);
	FUZZ_CHECK(crypto_box_keypair(msg + 9, esk) == 0);
	unsigned char nonce_in[64];
	memcpy(nonce_in, msg + 9, 32);
	memcpy(nonce_in + 32, pk[0], 32);
	FUZZ_CHECK(crypto_generichash(nonce, sizeof nonce, nonce_in, 64, NULL, 0) == 0);
	FUZZ_CHECK(crypto_box_beforenm(shared, pk[0], esk) == 0);
	FUZZ_CHECK(crypto_box_easy_afternm(msg + 41 + mine * SEAL2_SLOT_BYTES, key, 32, nonce,
	                                   shared) == 0);
	struct seal2_parts parts;
	FUZZ_CHECK(seal2_parse(msg, total, &parts));
	unsigned char *ad = malloc(seal2_ad_size(&parts, strlen(CONTEXT)));
	FUZZ_CHECK(ad != NULL);
	size_t ad_len = seal2_ad(&parts, CONTEXT, strlen(CONTEXT), ad);
	FUZZ_CHECK(crypto_aead_xchacha20poly1305_ietf_encrypt(msg + header + 24, NULL, inner,
	                                                      bucket, ad, ad_len, NULL,
	                                                      msg + header, key) == 0);
	struct buf plain;
	struct unseal2_info info;
	bool opened = open_as(0, msg, total, CONTEXT, &plain, &info) == UNSEAL2_OPENED;
	long start = padding_start(inner, bucket);
	bool expected = start >= (long)(slots * 8) && seal_bucket((size_t)start) == bucket &&
	                good_list(inner, slots, mine);
	FUZZ_CHECK(opened == expected);
	if (opened) {
		FUZZ_CHECK(info.slot == mine && info.slots == slots && info.version == 3);
		FUZZ_CHECK(plain.len == (size_t)start - slots * 8);
		FUZZ_CHECK(memcmp(plain.data ? plain.data : "", inner + slots * 8, plain.len) == 0);
	}
	buf_wipe(&plain);
	free(ad);
	free(inner);
	free(msg);
}

/* Sealed with seal2_message: input byte 0 the recipients and slots, byte 1
 * a byte to change, then the context up to a NUL, then the plaintext. */
static void round_trip(const uint8_t *data, size_t size)
{
	if (size < 2)
		return;
	unsigned slots = 2 + data[0] % 7;
	size_t count = 1 + (data[0] >> 3) % slots;
	if (count > KEYS - 1)
		count = KEYS - 1;
	uint8_t change = data[1];
	data += 2;
	size -= 2;
	const uint8_t *context;
	size_t context_len = fuzz_take(&data, &size, 0, SEAL2_CONTEXT_MAX, &context);
	const unsigned char *to[KEYS];
	for (size_t i = 0; i < count; i++)
		to[i] = pk[i];
	struct buf sealed;
	buf_init(&sealed, 1 << 20);
	FUZZ_CHECK(seal2_message(to, count, slots, 9, context, context_len, size ? data : NULL,
	                         size, &sealed));
	FUZZ_CHECK(sealed.len == seal2_sealed_size(slots, size));
	char *ctx = malloc(context_len + 1);
	FUZZ_CHECK(ctx != NULL);
	memcpy(ctx, context, context_len);
	ctx[context_len] = '\0';
	bool context_is_text = strlen(ctx) == context_len;
	for (size_t who = 0; context_is_text && who <= count; who++) {
		struct buf plain;
		struct unseal2_info info;
		enum unseal2_status status = open_as((int)(who == count ? KEYS - 1 : who),
		                                     sealed.data, sealed.len, ctx, &plain, &info);
		if (who == count) {
			FUZZ_CHECK(status == UNSEAL2_NOT_FOR_KEY);
		} else {
			FUZZ_CHECK(status == UNSEAL2_OPENED && info.slot == who &&
			           info.recipients == count);
			FUZZ_CHECK(plain.len == size &&
			           (size == 0 || memcmp(plain.data, data, size) == 0));
		}
		buf_wipe(&plain);
	}
	if (context_is_text) {
		sealed.data[change * 131u % sealed.len] ^= (char)(1 + change % 255);
		struct buf plain;
		struct unseal2_info info;
		FUZZ_CHECK(open_as(0, sealed.data, sealed.len, ctx, &plain, &info) !=
		           UNSEAL2_OPENED);
		buf_wipe(&plain);
	}
	free(ctx);
	buf_free(&sealed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_LIMIT)
		return 0;
	if (!ready)
		init();
	switch (data[0] % 3) {
	case 0:
		open_arbitrary(data + 1, size - 1);
		break;
	case 1:
		open_genuine_inner(data + 1, size - 1);
		break;
	default:
		round_trip(data + 1, size - 1);
		break;
	}
	return 0;
}
