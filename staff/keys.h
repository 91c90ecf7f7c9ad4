/*
 * keys: the commands that make and change the staff's keys, and unlocking
 * the keyring for the commands that read enquiries.
 *
 *   init     the first time: make the keyring and the public key
 *   passwd   change the passphrase (the keys stay the same)
 *   rotate   add a key for new enquiries; old ones stay readable
 *
 * A passphrase comes from --passphrase-file or is asked for on the
 * terminal; a new one is asked for twice.
 */
#ifndef CLINIC_KEYS_H
#define CLINIC_KEYS_H

#include <stdbool.h>

#include "session.h"

/* Loads the keyring into ses, asking again (up to three times) for a
 * mistyped passphrase on a terminal, and keeps the passphrase for rotate;
 * false once the reason is said. */
bool keys_unlock(struct session *ses);

/* The commands: each returns the exit status, having said what it did. */
int keys_init(struct session *ses);
int keys_passwd(struct session *ses);
int keys_rotate(struct session *ses);

#endif
