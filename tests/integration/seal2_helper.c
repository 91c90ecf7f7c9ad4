/*
 * seal2_helper: stores an enquiry in envelope format 2 the way contact.fcgi
 * does, but sealed to whatever public keys it is given, so that
 * test_team.py can show the staff tool's tripwire an enquiry sealed to a key
 * outside the team, as a server somebody took over might write. Never
 * installed.
 *
 *   seal2_helper DB REF KIND DAY VERSION SLOTS BOX_KEY_HEX... < ENVELOPE
 *
 * ENVELOPE is the serialised plaintext (envelope.h), used as given; the row
 * names the team version. Exits 0 once the row is committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "seal2.h"
#include "store.h"

#define PLAIN_LIMIT (1u << 20)
#define FIRST_KEY 7

static int fail(const char *what)
{
	fprintf(stderr, "seal2_helper: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc <= FIRST_KEY || argc - FIRST_KEY > SEAL2_MAX_SLOTS)
		return fail("usage: seal2_helper DB REF KIND DAY VERSION SLOTS BOX_KEY_HEX... < "
		            "ENVELOPE");
	if (sodium_init() < 0)
		return fail("libsodium did not start");
	unsigned long version = strtoul(argv[5], NULL, 10);
	unsigned slots = (unsigned)strtoul(argv[6], NULL, 10);
	size_t count = (size_t)(argc - FIRST_KEY);
	unsigned char keys[SEAL2_MAX_SLOTS][crypto_box_PUBLICKEYBYTES];
	const unsigned char *to[SEAL2_MAX_SLOTS];
	for (size_t i = 0; i < count; i++) {
		size_t len = 0;
		if (sodium_hex2bin(keys[i], sizeof keys[i], argv[FIRST_KEY + i],
		                   strlen(argv[FIRST_KEY + i]), NULL, &len, NULL) != 0 ||
		    len != sizeof keys[i])
			return fail("a key is not 64 hex digits");
		to[i] = keys[i];
	}
	struct buf plain, sealed;
	buf_init(&plain, PLAIN_LIMIT);
	buf_init(&sealed, 2 * PLAIN_LIMIT);
	char chunk[4096];
	ssize_t n;
	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) > 0)
		buf_append(&plain, chunk, (size_t)n);
	if (n < 0 || plain.failed)
		return fail("could not read the envelope from standard input");
	char context[SEAL2_CONTEXT_MAX];
	size_t context_len =
	    seal2_enquiry_context(argv[2], argv[3], argv[4], (uint32_t)version, context);
	if (!context_len ||
	    !seal2_message(to, count, slots, (uint32_t)version, context, context_len,
	                   plain.data ? plain.data : "", plain.len, &sealed))
		return fail("sealing failed");
	char key_id[SEAL2_ROW_KEY_ID_MAX];
	seal2_row_key_id((uint32_t)version, key_id);
	struct store *store = NULL;
	if (store_open(argv[1], STORE_READ_WRITE, &store) != STORE_OK) {
		fprintf(stderr, "seal2_helper: %s\n", store_error(store));
		store_close(store);
		return 1;
	}
	enum store_status status =
	    store_insert(store, argv[2], argv[3], argv[4], key_id, sealed.data, sealed.len);
	if (status != STORE_OK)
		fprintf(stderr, "seal2_helper: %s\n", store_error(store));
	store_close(store);
	buf_wipe(&plain);
	buf_free(&sealed);
	return status == STORE_OK ? 0 : 1;
}
