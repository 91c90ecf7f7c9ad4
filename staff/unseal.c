#include "unseal.h"

#include "seal.h"

bool unseal_message(const unsigned char pk[crypto_box_PUBLICKEYBYTES],
                    const unsigned char sk[crypto_box_SECRETKEYBYTES], const void *sealed,
                    size_t len, struct buf *plain)
{
	if (!sealed || len < crypto_box_SEALBYTES || sodium_init() < 0)
		return false;
	size_t padded_len = len - crypto_box_SEALBYTES;
	if (!seal_is_bucket(padded_len))
		return false;
	unsigned char *padded = seal_scratch(padded_len);
	if (!padded)
		return false;
	size_t unpadded_len = 0;
	bool ok = crypto_box_seal_open(padded, sealed, len, pk, sk) == 0 &&
	          sodium_unpad(&unpadded_len, padded, padded_len, padded_len) == 0 &&
	          seal_bucket(unpadded_len) == padded_len &&
	          buf_append(plain, padded, unpadded_len);
	sodium_memzero(padded, padded_len);
	return ok;
}
