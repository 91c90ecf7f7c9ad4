#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUBLIC_KEY_MAGIC SEAL_PUBLIC_KEY_MAGIC
#define KEY_ID_BYTES 8
#define PK_HEX_LEN (2 * crypto_box_PUBLICKEYBYTES)
/* "<magic> <key_id> <pk hex>\n" */
#define PUBLIC_KEY_LINE_LEN (SEAL_PUBLIC_KEY_LINE_SIZE - 1)
#define BUCKET_MIN 1024

_Static_assert(SEAL_KEY_ID_LEN == 2 * KEY_ID_BYTES + 1, "key id is 16 hex digits");
_Static_assert(PUBLIC_KEY_LINE_LEN == sizeof PUBLIC_KEY_MAGIC - 1 + 1 + 16 + 1 + PK_HEX_LEN + 1,
               "the public key line is magic, key id and key, spaced, and a newline");

void seal_key_id(const unsigned char pk[crypto_box_PUBLICKEYBYTES], char out[SEAL_KEY_ID_LEN])
{
	unsigned char id[KEY_ID_BYTES];
	if (sodium_init() < 0 ||
	    crypto_generichash(id, sizeof id, pk, crypto_box_PUBLICKEYBYTES, NULL, 0) != 0) {
		out[0] = '\0';
		return;
	}
	sodium_bin2hex(out, SEAL_KEY_ID_LEN, id, sizeof id);
}

/* Whether the n bytes at s are lowercase hex digits. */
static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool seal_public_key_load(const char *path, struct public_key *key, char *err, size_t errlen)
{
	memset(key, 0, sizeof *key);
	if (sodium_init() < 0) {
		snprintf(err, errlen,
		         "cannot read the staff public key %s: libsodium did not start", path);
		return false;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the staff public key %s: %s", path,
		         strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the staff public key %s is not a regular file", path);
		close(fd);
		return false;
	}
	/* One byte more than the longest valid file, to notice a longer one. */
	char text[PUBLIC_KEY_LINE_LEN + 1];
	size_t len = 0;
	while (len < sizeof text) {
		ssize_t n = read(fd, text + len, sizeof text - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read the staff public key %s: %s", path,
			         strerror(errno));
			close(fd);
			return false;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);

	size_t magic_len = sizeof PUBLIC_KEY_MAGIC - 1;
	const char *id_text = text + magic_len + 1;
	const char *pk_text = id_text + 16 + 1;
	bool well_formed = (len == PUBLIC_KEY_LINE_LEN || len == PUBLIC_KEY_LINE_LEN - 1) &&
	                   memcmp(text, PUBLIC_KEY_MAGIC, magic_len) == 0 &&
	                   text[magic_len] == ' ' && is_lower_hex(id_text, 16) &&
	                   id_text[16] == ' ' && is_lower_hex(pk_text, PK_HEX_LEN) &&
	                   (len == PUBLIC_KEY_LINE_LEN - 1 || pk_text[PK_HEX_LEN] == '\n');
	size_t bin_len = 0;
	if (!well_formed ||
	    sodium_hex2bin(key->pk, sizeof key->pk, pk_text, PK_HEX_LEN, NULL, &bin_len, NULL) !=
	        0 ||
	    bin_len != sizeof key->pk) {
		memset(key, 0, sizeof *key);
		snprintf(err, errlen,
		         "the staff public key %s is not in the expected form: one line "
		         "\"" PUBLIC_KEY_MAGIC " <16 hex digits> <64 hex digits>\"",
		         path);
		return false;
	}
	if (sodium_is_zero(key->pk, sizeof key->pk)) {
		memset(key, 0, sizeof *key);
		snprintf(err, errlen, "the staff public key %s holds an all-zero key", path);
		return false;
	}
	seal_key_id(key->pk, key->key_id);
	if (strlen(key->key_id) != 16 || memcmp(key->key_id, id_text, 16) != 0) {
		memset(key, 0, sizeof *key);
		snprintf(err, errlen,
		         "the staff public key %s is damaged: its key id does not match the key",
		         path);
		return false;
	}
	return true;
}

bool seal_public_key_line(const struct public_key *key, char out[SEAL_PUBLIC_KEY_LINE_SIZE])
{
	out[0] = '\0';
	if (sodium_init() < 0)
		return false;
	char key_id[SEAL_KEY_ID_LEN];
	char pk_hex[PK_HEX_LEN + 1];
	seal_key_id(key->pk, key_id);
	sodium_bin2hex(pk_hex, sizeof pk_hex, key->pk, sizeof key->pk);
	int n = snprintf(out, SEAL_PUBLIC_KEY_LINE_SIZE, "%s %s %s\n", PUBLIC_KEY_MAGIC, key_id,
	                 pk_hex);
	if (n == (int)PUBLIC_KEY_LINE_LEN)
		return true;
	out[0] = '\0'; /* no key id: libsodium failed */
	return false;
}

size_t seal_bucket(size_t len)
{
	if (len >= SIZE_MAX / 2)
		return 0;
	size_t bucket = BUCKET_MIN;
	while (bucket < len + 1)
		bucket *= 2;
	return bucket;
}

/*
 * The padded plaintext lives in one guarded, locked (never swapped) area per
 * process, made once and wiped after every use: sodium_malloc costs a handful
 * of system calls (mmap, mprotect, mlock) that a form post should not pay
 * each time. The programs are single-threaded, so one area is enough.
 */
static unsigned char *scratch;
static size_t scratch_size;

unsigned char *seal_scratch(size_t len)
{
	if (len <= scratch_size)
		return scratch;
	unsigned char *bigger = sodium_malloc(len);
	if (!bigger)
		return NULL;
	sodium_free(scratch); /* already wiped after its last use */
	scratch = bigger;
	scratch_size = len;
	return scratch;
}

bool seal_message(const struct public_key *key, const void *plain, size_t len, struct buf *sealed)
{
	if (!key || (!plain && len) || sodium_init() < 0)
		return false;
	size_t bucket = seal_bucket(len);
	if (bucket == 0 || bucket > SIZE_MAX - crypto_box_SEALBYTES)
		return false;
	unsigned char *padded = seal_scratch(bucket);
	unsigned char *cipher = malloc(bucket + crypto_box_SEALBYTES);
	bool ok = padded && cipher;
	size_t padded_len = 0;
	if (ok) {
		if (len)
			memcpy(padded, plain, len);
		ok = sodium_pad(&padded_len, padded, len, bucket, bucket) == 0 &&
		     padded_len == bucket &&
		     crypto_box_seal(cipher, padded, padded_len, key->pk) == 0 &&
		     buf_append(sealed, cipher, padded_len + crypto_box_SEALBYTES);
	}
	if (padded)
		sodium_memzero(padded, bucket);
	free(cipher);
	return ok;
}

bool seal_is_bucket(size_t n)
{
	return n >= BUCKET_MIN && (n & (n - 1)) == 0;
}
