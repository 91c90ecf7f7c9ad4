/*
 * enquiry: opening a stored enquiry for the staff, the reading side of
 * store.h, seal.h, seal2.h and envelope.h.
 *
 * A format 1 row is opened with the keyring entry its key id names; a
 * format 2 row (its key id "team-N", seal2.h) with whichever of the
 * keyring's keys has a slot in it, against the row's metadata. The
 * envelope inside is decoded, then checked against what the row says about
 * itself outside the seal (reference, form kind, day, key id), so that a row
 * whose sealed bytes were swapped with another's, or whose record was edited,
 * is noticed. A problem is told as the end of a sentence that begins "This
 * enquiry ..." (no full stop), so that the caller can say it as it is.
 */
#ifndef CLINIC_ENQUIRY_H
#define CLINIC_ENQUIRY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "envelope.h"
#include "keyring.h"
#include "seal2.h"
#include "store.h"

enum enquiry_status {
	ENQUIRY_OK = 0,
	ENQUIRY_CONTRADICTS, /* opened, but the envelope and the row disagree */
	ENQUIRY_NOT_FOR_YOU, /* sealed to no key the keyring holds */
	ENQUIRY_UNOPENED,    /* altered, or not an envelope inside */
};

/* What the sealed bytes say about whom they were sealed to. */
struct enquiry_seal {
	int format;          /* 1 or 2 */
	uint32_t version;    /* format 2: the team version it was sealed under */
	unsigned recipients; /* format 2, opened: how many keys it was sealed to */
	unsigned char key_ids[SEAL2_MAX_SLOTS][SEAL2_KEY_ID_BYTES]; /* and theirs */
};

/* Opens row into env, and says in seal (which may be NULL) how it was
 * sealed. For ENQUIRY_OK and ENQUIRY_CONTRADICTS env holds the plaintext:
 * wipe it with envelope_wipe; otherwise env is empty. Any problem is written
 * to problem, which is otherwise left alone. */
enum enquiry_status enquiry_open(const struct keyring *kr, const struct store_row *row,
                                 struct envelope *env, struct enquiry_seal *seal, char *problem,
                                 size_t len);

/* Whether status means env holds the plaintext. */
bool enquiry_opened(enum enquiry_status status);

#endif
