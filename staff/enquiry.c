#include "enquiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "seal.h"
#include "unseal.h"

#define PLAIN_LIMIT (4u << 20)  /* more than ENVELOPE_MAX_FIELDS full values */
#define SEALED_LIMIT (8u << 20) /* the largest padded bucket that can hold them */

/* Opens and decodes the row's sealed bytes into env; false with the end of a sentence "This
 * enquiry ..." in problem. */
static bool unseal(const struct keyring *kr, const struct store_row *row, struct envelope *env,
                   char *problem, size_t len)
{
	memset(env, 0, sizeof *env);
	const struct keyring_entry *key = keyring_find(kr, row->key_id);
	if (!key) {
		snprintf(problem, len, "is sealed to a key this keyring does not hold (key id %s)",
		         row->key_id);
		return false;
	}
	if (row->sealed_len > SEALED_LIMIT) {
		snprintf(problem, len, "is larger than any enquiry can be, so it was not opened");
		return false;
	}
	struct buf plain;
	buf_init(&plain, PLAIN_LIMIT);
	if (!unseal_message(key->pk, key->sk, row->sealed, row->sealed_len, &plain)) {
		buf_wipe(&plain);
		snprintf(problem, len,
		         "could not be opened: the stored bytes were altered or belong to another "
		         "key");
		return false;
	}
	char why[200] = "";
	bool ok = envelope_decode(plain.data ? plain.data : "", plain.len, env, why, sizeof why);
	buf_wipe(&plain);
	if (!ok) {
		envelope_wipe(env);
		snprintf(problem, len,
		         "was opened, but what is inside is not a readable enquiry (%s)", why);
	}
	return ok;
}

/* Whether the envelope says the same as the row about itself. */
static bool matches(const struct store_row *row, const struct envelope *env, char *problem,
                    size_t len)
{
	if (strcmp(env->ref, row->ref) != 0)
		snprintf(problem, len, "says it is %s inside, not %s", env->ref, row->ref);
	else if (strcmp(env->kind, row->kind) != 0)
		snprintf(problem, len, "is a \"%s\" form inside, but its record says \"%s\"",
		         env->kind, row->kind);
	else if (strlen(env->received) < STORE_DAY_SIZE - 1 ||
	         strncmp(env->received, row->day, STORE_DAY_SIZE - 1) != 0)
		snprintf(problem, len, "was received at %s, but its record gives the day %s",
		         env->received, row->day);
	else if (strcmp(env->key_id, row->key_id) != 0)
		snprintf(problem, len, "names the key %s inside, but its record names %s",
		         env->key_id, row->key_id);
	else
		return true;
	return false;
}

enum enquiry_status enquiry_open(const struct keyring *kr, const struct store_row *row,
                                 struct envelope *env, char *problem, size_t len)
{
	if (!unseal(kr, row, env, problem, len))
		return ENQUIRY_UNOPENED;
	return matches(row, env, problem, len) ? ENQUIRY_OK : ENQUIRY_CONTRADICTS;
}
