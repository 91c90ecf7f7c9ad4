/*
 * seal_helper: stores an enquiry the way contact.fcgi does, but with
 * plaintext the web form would never accept (control characters, escape
 * sequences, invalid UTF-8), so that test_staff.py can check what the staff
 * tool makes of hostile content; or sealed to whatever keys it is given, so
 * that test_team.py can show the tool's tripwire an enquiry sealed to a key
 * outside the team, as a server somebody took over might write. Never
 * installed.
 *
 *   seal_helper PUBLIC_KEY DB REF KIND DAY < ENVELOPE
 *   seal_helper --team DB REF KIND DAY VERSION SLOTS BOX_KEY_HEX... < ENVELOPE
 *
 * ENVELOPE is the serialised plaintext (see envelope.h), used as given; the
 * row names the public key's id (format 1) or the team version (format 2,
 * seal2.h). Exits 0 once the row is committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "seal.h"
#include "seal2.h"
#include "store.h"

#define PLAIN_LIMIT (1u << 20)
#define FIRST_TEAM_KEY 8

static int fail(const char *what)
{
	fprintf(stderr, "seal_helper: %s\n", what);
	return 1;
}

/* Seals plain to the team keys argv names, in format 2; the row's key id into key_id. */
static const char *seal_to_team(char **argv, int argc, const struct buf *plain, struct buf *sealed,
                                char key_id[SEAL2_ROW_KEY_ID_MAX])
{
	unsigned long version = strtoul(argv[6], NULL, 10);
	unsigned slots = (unsigned)strtoul(argv[7], NULL, 10);
	size_t count = (size_t)(argc - FIRST_TEAM_KEY);
	if (count == 0 || count > SEAL2_MAX_SLOTS)
		return "give 1 to 64 keys";
	unsigned char keys[SEAL2_MAX_SLOTS][crypto_box_PUBLICKEYBYTES];
	const unsigned char *to[SEAL2_MAX_SLOTS];
	for (size_t i = 0; i < count; i++) {
		size_t len = 0;
		const char *hex = argv[FIRST_TEAM_KEY + i];
		if (sodium_hex2bin(keys[i], sizeof keys[i], hex, strlen(hex), NULL, &len, NULL) !=
		        0 ||
		    len != sizeof keys[i])
			return "a key is not 64 hex digits";
		to[i] = keys[i];
	}
	char context[SEAL2_CONTEXT_MAX];
	size_t context_len =
	    seal2_enquiry_context(argv[3], argv[4], argv[5], (uint32_t)version, context);
	if (!context_len ||
	    !seal2_message(to, count, slots, (uint32_t)version, context, context_len,
	                   plain->data ? plain->data : "", plain->len, sealed))
		return "sealing failed";
	seal2_row_key_id((uint32_t)version, key_id);
	return NULL;
}

int main(int argc, char **argv)
{
	bool team = argc > 1 && strcmp(argv[1], "--team") == 0;
	if (team ? argc <= FIRST_TEAM_KEY : argc != 6)
		return fail("usage: seal_helper PUBLIC_KEY DB REF KIND DAY < ENVELOPE, or "
		            "seal_helper --team DB REF KIND DAY VERSION SLOTS BOX_KEY_HEX... < "
		            "ENVELOPE");
	if (sodium_init() < 0)
		return fail("libsodium did not start");
	struct buf plain, sealed;
	buf_init(&plain, PLAIN_LIMIT);
	buf_init(&sealed, 2 * PLAIN_LIMIT);
	char chunk[4096];
	ssize_t n;
	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) > 0)
		buf_append(&plain, chunk, (size_t)n);
	if (n < 0 || plain.failed)
		return fail("could not read the envelope from standard input");

	char key_id[SEAL2_ROW_KEY_ID_MAX + SEAL_KEY_ID_LEN];
	if (team) {
		const char *why = seal_to_team(argv, argc, &plain, &sealed, key_id);
		if (why)
			return fail(why);
	} else {
		struct public_key key;
		char err[512];
		if (!seal_public_key_load(argv[1], &key, err, sizeof err))
			return fail(err);
		if (!seal_message(&key, plain.data ? plain.data : "", plain.len, &sealed))
			return fail("sealing failed");
		snprintf(key_id, sizeof key_id, "%s", key.key_id);
	}
	const char *db = argv[2], *ref = argv[3], *kind = argv[4], *day = argv[5];
	struct store *store = NULL;
	if (store_open(db, STORE_READ_WRITE, &store) != STORE_OK) {
		fprintf(stderr, "seal_helper: %s\n", store_error(store));
		store_close(store);
		return 1;
	}
	enum store_status status =
	    store_insert(store, ref, kind, day, key_id, sealed.data, sealed.len);
	if (status != STORE_OK)
		fprintf(stderr, "seal_helper: %s\n", store_error(store));
	store_close(store);
	buf_wipe(&plain);
	buf_free(&sealed);
	return status == STORE_OK ? 0 : 1;
}
