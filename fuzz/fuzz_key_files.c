/*
 * The two small key files the web programs read at start: the staff public
 * key (seal_public_key_load) and the form-token key (token_key_load). The
 * input is written to an in-memory file and read through its /proc path.
 *
 * Checked: a file is accepted only in its one documented spelling, and then
 * gives exactly the key it spells; a refused file leaves no key behind.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "seal.h"
#include "token.h"

#include "fuzz.h"

#define INPUT_LIMIT 4096

static int memory_file(const uint8_t *data, size_t size, char path[64])
{
	int fd = memfd_create("key", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	while (size > 0) {
		ssize_t w = write(fd, data, size);
		FUZZ_CHECK(w > 0);
		data += w;
		size -= (size_t)w;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void check_public_key(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memory_file(data, size, path);
	struct public_key key;
	memset(&key, 0xAA, sizeof key);
	char err[512] = "";
	if (seal_public_key_load(path, &key, err, sizeof err)) {
		FUZZ_CHECK(!all_zero(key.pk, sizeof key.pk));
		char id[SEAL_KEY_ID_LEN];
		seal_key_id(key.pk, id);
		FUZZ_CHECK(strcmp(id, key.key_id) == 0);
		/* The one spelling: the line seal_public_key_line makes. */
		char hex[2 * crypto_box_PUBLICKEYBYTES + 1];
		sodium_bin2hex(hex, sizeof hex, key.pk, sizeof key.pk);
		char line[256];
		int n = snprintf(line, sizeof line, "clinic-staff-key-v1 %s %s\n", id, hex);
		FUZZ_CHECK(n > 0 && (size == (size_t)n || size == (size_t)n - 1));
		FUZZ_CHECK(memcmp(line, data, size) == 0);
	} else {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(all_zero(key.pk, sizeof key.pk));
	}
	close(fd);
}

static void check_token_key(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memory_file(data, size, path);
	unsigned char key[TOKEN_KEY_BYTES];
	memset(key, 0xAA, sizeof key);
	char err[512] = "";
	bool loaded = token_key_load(path, key, err, sizeof err);
	bool spelled = (size == 64 || (size == 65 && data[64] == '\n'));
	for (size_t i = 0; spelled && i < 64; i++)
		spelled = isxdigit(data[i]);
	FUZZ_CHECK(loaded == spelled);
	if (loaded) {
		for (size_t i = 0; i < TOKEN_KEY_BYTES; i++) {
			char pair[3] = {(char)data[2 * i], (char)data[2 * i + 1], 0};
			FUZZ_CHECK(key[i] == (unsigned char)strtoul(pair, NULL, 16));
		}
	} else {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(all_zero(key, sizeof key));
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_LIMIT)
		return 0;
	if (data[0] & 1)
		check_token_key(data + 1, size - 1);
	else
		check_public_key(data + 1, size - 1);
	return 0;
}
