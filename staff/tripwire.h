/*
 * tripwire: what about an enquiry shows that someone changed what the web
 * server seals to.
 *
 * With a team, the web server seals only to the members of a team file the
 * practice lead signed, and always to the recovery key. An enquiry that
 * disagrees with the current team (team.h) is the sign of someone having
 * swapped a key on the server, and `list` and `verify` warn about it, with
 * its reference:
 *
 *   - sealed (format 1) to a key no member and not the reader holds;
 *   - opened (format 2) and sealed under the current team version to a key
 *     outside the team, or to no current member at all;
 *   - not sealed (format 2) to the reader although the team says the reader
 *     receives it: the recovery key receives every enquiry, and a member
 *     whose keys were in the team at that version and who receives every
 *     enquiry of its form must have a slot.
 *
 * Without a team there is nothing to compare with, and nothing is said.
 */
#ifndef CLINIC_TRIPWIRE_H
#define CLINIC_TRIPWIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "enquiry.h"
#include "keyring.h"
#include "store.h"
#include "team.h"

/* Whether row, opened by kr (the paper recovery key alone when recovery)
 * with status and seal as enquiry_open gave them, trips the wire; if so,
 * problem holds the end of a sentence "This enquiry ..." that says why.
 * team may be NULL. */
bool tripwire_check(const struct team *team, const struct keyring *kr, bool recovery,
                    const struct store_row *row, enum enquiry_status status,
                    const struct enquiry_seal *seal, char *problem, size_t len);

#endif
