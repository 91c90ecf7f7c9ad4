/*
 * seal_helper: stores an enquiry the way contact.fcgi does, but with
 * plaintext the web form would never accept (control characters, escape
 * sequences, invalid UTF-8), so that test_staff.py can check what the staff
 * tool makes of hostile content. Never installed.
 *
 *   seal_helper PUBLIC_KEY DB REF KIND DAY < ENVELOPE
 *
 * ENVELOPE is the serialised plaintext (see envelope.h), used as given; the
 * row names the public key's id. Exits 0 once the row is committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "seal.h"
#include "store.h"

#define PLAIN_LIMIT (1u << 20)

static int fail(const char *what)
{
	fprintf(stderr, "seal_helper: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 6)
		return fail("usage: seal_helper PUBLIC_KEY DB REF KIND DAY < ENVELOPE");
	if (sodium_init() < 0)
		return fail("libsodium did not start");
	struct public_key key;
	char err[512];
	if (!seal_public_key_load(argv[1], &key, err, sizeof err))
		return fail(err);

	struct buf plain, sealed;
	buf_init(&plain, PLAIN_LIMIT);
	buf_init(&sealed, 2 * PLAIN_LIMIT);
	char chunk[4096];
	ssize_t n;
	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) > 0)
		buf_append(&plain, chunk, (size_t)n);
	if (n < 0 || plain.failed)
		return fail("could not read the envelope from standard input");
	if (!seal_message(&key, plain.data ? plain.data : "", plain.len, &sealed))
		return fail("sealing failed");

	struct store *store = NULL;
	if (store_open(argv[2], STORE_READ_WRITE, &store) != STORE_OK) {
		fprintf(stderr, "seal_helper: %s\n", store_error(store));
		store_close(store);
		return 1;
	}
	enum store_status status =
	    store_insert(store, argv[3], argv[4], argv[5], key.key_id, sealed.data, sealed.len);
	if (status != STORE_OK)
		fprintf(stderr, "seal_helper: %s\n", store_error(store));
	store_close(store);
	buf_wipe(&plain);
	buf_free(&sealed);
	return status == STORE_OK ? 0 : 1;
}
