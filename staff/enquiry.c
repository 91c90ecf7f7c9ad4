#include "enquiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "seal.h"
#include "unseal.h"
#include "unseal2.h"

#define PLAIN_LIMIT (4u << 20)  /* more than ENVELOPE_MAX_FIELDS full values */
#define SEALED_LIMIT (8u << 20) /* the largest padded bucket that can hold them */

/* The slot the last format 2 enquiry opened at: the next one is most
 * likely sealed to the same people in the same order. */
static unsigned slot_hint;

/* Opens a format 1 row's sealed bytes into plain with the key its key id names. */
static enum enquiry_status unseal_format1(const struct keyring *kr, const struct store_row *row,
                                          struct buf *plain, char *problem, size_t len)
{
	const struct keyring_entry *key = keyring_find(kr, row->key_id);
	if (!key) {
		snprintf(problem, len, "is sealed to a key this keyring does not hold (key id %s)",
		         row->key_id);
		return ENQUIRY_NOT_FOR_YOU;
	}
	if (!unseal_message(key->pk, key->sk, row->sealed, row->sealed_len, plain)) {
		snprintf(problem, len,
		         "could not be opened: the stored bytes were altered or belong to another "
		         "key");
		return ENQUIRY_UNOPENED;
	}
	return ENQUIRY_OK;
}

/* Opens a format 2 row's sealed bytes into plain with whichever key of kr
 * has a slot, against the row's metadata; seal says to whom it was sealed. */
static enum enquiry_status unseal_format2(const struct keyring *kr, const struct store_row *row,
                                          uint32_t version, struct buf *plain,
                                          struct enquiry_seal *seal, char *problem, size_t len)
{
	char context[SEAL2_CONTEXT_MAX];
	size_t context_len = seal2_enquiry_context(row->ref, row->kind, row->day, version, context);
	struct unseal2_info info;
	enum unseal2_status status = UNSEAL2_NOT_FOR_KEY;
	for (size_t i = 0; status == UNSEAL2_NOT_FOR_KEY && i < kr->count; i++)
		status =
		    unseal2_message(kr->entries[i].pk, kr->entries[i].sk, row->sealed,
		                    row->sealed_len, context, context_len, slot_hint, plain, &info);
	switch (status) {
	case UNSEAL2_OPENED:
		slot_hint = info.slot;
		seal->recipients = info.recipients;
		memcpy(seal->key_ids, info.key_ids, sizeof seal->key_ids);
		return ENQUIRY_OK;
	case UNSEAL2_NOT_FOR_KEY:
		snprintf(problem, len, "was not sealed to you (team version %lu)",
		         (unsigned long)version);
		return ENQUIRY_NOT_FOR_YOU;
	case UNSEAL2_MALFORMED:
		snprintf(problem, len,
		         "is not in the form its record says (envelope format 2): the stored bytes "
		         "were altered");
		return ENQUIRY_UNOPENED;
	case UNSEAL2_ALTERED:
		snprintf(problem, len,
		         "could not be opened: its key slot for you opened, but the rest of the "
		         "stored bytes or its record (reference, form, day, team version) were "
		         "altered");
		return ENQUIRY_UNOPENED;
	case UNSEAL2_NO_MEMORY:
		break;
	}
	snprintf(problem, len, "could not be opened: out of memory");
	return ENQUIRY_UNOPENED;
}

/* Opens and decodes the row's sealed bytes into env, either format. */
static enum enquiry_status unseal(const struct keyring *kr, const struct store_row *row,
                                  struct envelope *env, struct enquiry_seal *seal, char *problem,
                                  size_t len)
{
	memset(env, 0, sizeof *env);
	memset(seal, 0, sizeof *seal);
	uint32_t version = 0;
	seal->format = seal2_row_version(row->key_id, &version) ? 2 : 1;
	seal->version = version;
	if (row->sealed_len > SEALED_LIMIT) {
		snprintf(problem, len, "is larger than any enquiry can be, so it was not opened");
		return ENQUIRY_UNOPENED;
	}
	struct buf plain;
	buf_init(&plain, PLAIN_LIMIT);
	enum enquiry_status status =
	    seal->format == 2 ? unseal_format2(kr, row, version, &plain, seal, problem, len)
	                      : unseal_format1(kr, row, &plain, problem, len);
	if (status != ENQUIRY_OK) {
		buf_wipe(&plain);
		return status;
	}
	char why[200] = "";
	bool ok = envelope_decode(plain.data ? plain.data : "", plain.len, env, why, sizeof why);
	buf_wipe(&plain);
	if (!ok) {
		envelope_wipe(env);
		snprintf(problem, len,
		         "was opened, but what is inside is not a readable enquiry (%s)", why);
	}
	return ok ? ENQUIRY_OK : ENQUIRY_UNOPENED;
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
                                 struct envelope *env, struct enquiry_seal *seal, char *problem,
                                 size_t len)
{
	struct enquiry_seal ignored;
	enum enquiry_status status = unseal(kr, row, env, seal ? seal : &ignored, problem, len);
	if (status != ENQUIRY_OK)
		return status;
	return matches(row, env, problem, len) ? ENQUIRY_OK : ENQUIRY_CONTRADICTS;
}

bool enquiry_opened(enum enquiry_status status)
{
	return status == ENQUIRY_OK || status == ENQUIRY_CONTRADICTS;
}
