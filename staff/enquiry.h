/*
 * enquiry: opening a stored enquiry for the staff, the reading side of
 * store.h, seal.h and envelope.h.
 *
 * A row is opened with the keyring entry its key id names: its sealed bytes
 * are unsealed and decoded, then checked against what the row says about
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
#include "store.h"

enum enquiry_status {
	ENQUIRY_OK = 0,
	ENQUIRY_CONTRADICTS, /* opened, but the envelope and the row disagree */
	ENQUIRY_UNOPENED,    /* no key for it, altered, or not an envelope inside */
};

/* Opens row into env. Unless ENQUIRY_UNOPENED (env is then empty), env holds
 * the plaintext: wipe it with envelope_wipe. Any problem is written to
 * problem, which is otherwise left alone. */
enum enquiry_status enquiry_open(const struct keyring *kr, const struct store_row *row,
                                 struct envelope *env, char *problem, size_t len);

#endif
