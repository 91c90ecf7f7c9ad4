/*
 * keys: the commands that make and change the staff's keys, and unlocking
 * the keyring for the commands that read enquiries.
 *
 *   init --name NAME   a member's own keyring and NAME.identity (or the
 *                      clinic's keyring made theirs)
 *   init     without a team: make the clinic's keyring and the public key
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

/* Loads the keyring at path (named by the configuration's setting) into
 * into, as keys_unlock does. */
bool keys_unlock_file(struct session *ses, const char *path, const char *setting,
                      struct keyring *into);

/* A new passphrase from file, or asked twice on the terminal; NULL once the
 * reason is said. Free it with passphrase_free. */
char *keys_new_passphrase(const char *file);

/* Says what went wrong with the keyring at path; detail is the failed
 * call's err. */
void keys_report(enum keyring_status status, const char *path, bool from_file, const char *detail);

/* The commands: each returns the exit status, having said what it did. */
int keys_init(struct session *ses);
int keys_passwd(struct session *ses);
int keys_rotate(struct session *ses);

#endif
