/*
 * Opening sealed enquiries: unseal_message on arbitrary bytes, on genuinely sealed
 * but arbitrary padded blocks (which reaches the unpadding, the part that
 * parses), and the seal/open round trip.
 *
 * The first byte picks a mode. Checked: arbitrary bytes never open; a block
 * opens exactly when it is padded as seal.c pads (ISO/IEC 7816-4 padding to
 * the smallest bucket that holds it) and then gives what was before the
 * padding; anything sealed with seal_message opens to itself, at the bucket
 * size seal_bucket promises.
 */
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "seal.h"
#include "unseal.h"

#include "fuzz.h"

#define INPUT_LIMIT (8 * 1024)

static struct public_key key;
static unsigned char secret[crypto_box_SECRETKEYBYTES];
static bool ready;

static void init(void)
{
	FUZZ_CHECK(sodium_init() >= 0);
	unsigned char seed[crypto_box_SEEDBYTES] = {42};
	FUZZ_CHECK(crypto_box_seed_keypair(key.pk, secret, seed) == 0);
	seal_key_id(key.pk, key.key_id);
	ready = true;
}

static void open_arbitrary(const uint8_t *data, size_t size)
{
	struct buf plain;
	buf_init(&plain, 1 << 20);
	FUZZ_CHECK(!unseal_message(key.pk, secret, data, size, &plain));
	FUZZ_CHECK(plain.len == 0);
	buf_wipe(&plain);
}

/* Where the 0x80 that starts the padding is, or -1 if the block is not padded. */
static long padding_start(const unsigned char *block, size_t n)
{
	size_t i = n;
	while (i > 0 && block[i - 1] == 0)
		i--;
	return i > 0 && block[i - 1] == 0x80 ? (long)(i - 1) : -1;
}

static void open_padded_block(const uint8_t *data, size_t size)
{
	size_t bucket = size > 1 && data[0] & 1 ? 2048 : 1024;
	unsigned char *block = calloc(1, bucket);
	unsigned char *sealed = malloc(bucket + crypto_box_SEALBYTES);
	FUZZ_CHECK(block && sealed);
	if (size > 1)
		memcpy(block, data + 1, size - 1 < bucket ? size - 1 : bucket);
	FUZZ_CHECK(crypto_box_seal(sealed, block, bucket, key.pk) == 0);

	struct buf plain;
	buf_init(&plain, 1 << 20);
	bool opened = unseal_message(key.pk, secret, sealed, bucket + crypto_box_SEALBYTES, &plain);
	long start = padding_start(block, bucket);
	bool expected = start >= 0 && seal_bucket((size_t)start) == bucket;
	FUZZ_CHECK(opened == expected);
	if (opened)
		FUZZ_CHECK(plain.len == (size_t)start &&
		           memcmp(plain.data ? plain.data : "", block, plain.len) == 0);
	else
		FUZZ_CHECK(plain.len == 0);

	/* Any change to the sealed bytes is refused. */
	sealed[(size_t)block[0] * 7 % (bucket + crypto_box_SEALBYTES)] ^= 1;
	struct buf altered;
	buf_init(&altered, 1 << 20);
	FUZZ_CHECK(
	    !unseal_message(key.pk, secret, sealed, bucket + crypto_box_SEALBYTES, &altered));
	buf_wipe(&altered);

	buf_wipe(&plain);
	free(sealed);
	free(block);
}

static void round_trip(const uint8_t *data, size_t size)
{
	struct buf sealed, plain;
	buf_init(&sealed, 1 << 20);
	buf_init(&plain, 1 << 20);
	FUZZ_CHECK(seal_message(&key, size ? data : NULL, size, &sealed));
	size_t bucket = seal_bucket(size);
	FUZZ_CHECK(bucket >= 1024 && bucket > size && (bucket & (bucket - 1)) == 0);
	FUZZ_CHECK(bucket == 1024 || bucket / 2 <= size);
	FUZZ_CHECK(sealed.len == bucket + crypto_box_SEALBYTES);
	FUZZ_CHECK(unseal_message(key.pk, secret, sealed.data, sealed.len, &plain));
	FUZZ_CHECK(plain.len == size && (size == 0 || memcmp(plain.data, data, size) == 0));
	buf_wipe(&plain);
	buf_wipe(&sealed);
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
		open_padded_block(data + 1, size - 1);
		break;
	default:
		round_trip(data + 1, size - 1);
		break;
	}
	return 0;
}
