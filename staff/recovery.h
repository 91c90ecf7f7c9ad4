/*
 * recovery: reading enquiries with the paper recovery key, when every
 * member's keyring is lost.
 *
 *   recover --paper-key-file FILE list|show REF|export ...
 *
 * FILE holds the paper key as typed (paperkey.h); a mistyped group is named.
 * The key stands in for the keyring, in locked memory, and list, show and
 * export go on as with a keyring. When the configuration names the team
 * file, the key must be that team's recovery key. Enquiries from before the
 * team (format 1) were never sealed to it.
 */
#ifndef CLINIC_RECOVERY_H
#define CLINIC_RECOVERY_H

#include "session.h"

/* `enquiries recover WORD ...`: the exit status, having said what it did. */
int recovery_run(struct session *ses);

#endif
