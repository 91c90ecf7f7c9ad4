/*
 * session: one run of the staff tool, as every command shares it: the
 * command line, the site's configuration, and the keyring once a command
 * has unlocked it; and the first steps of a command, in words a person can
 * act on when they fail.
 *
 * New commands go in a module of their own (reading.h, keeping.h, keys.h)
 * and take a session; enquiries.c lists them.
 */
#ifndef CLINIC_SESSION_H
#define CLINIC_SESSION_H

#include <stdbool.h>

#include "config.h"
#include "keyring.h"
#include "options.h"
#include "store.h"
#include "team.h"

struct session {
	const struct options *opt;
	struct config cfg;
	bool cfg_loaded;
	const char *db_path;      /* --db, or the configuration's enquiry_db */
	const char *keyring_path; /* --keyring, or the configuration's secret_key */
	struct keyring keyring;
	char *passphrase;  /* sodium_malloc'd while the keyring is loaded */
	bool interactive;  /* the passphrase comes from the terminal */
	bool recovery;     /* the keyring is the paper recovery key alone */
	struct team *team; /* the verified team file, once loaded; NULL without one */
};

/* Whether the configuration gives value for key; if not, says so, with
 * what completing "The configuration ... does not say ...". */
bool session_configured(const struct session *ses, const char *value, const char *key,
                        const char *what);

/* The enquiry database in mode, or NULL once the reason is said. Never
 * creates one: only contact.fcgi does. */
struct store *session_open_store(struct session *ses, enum store_mode mode);

/* Says that no enquiry has the reference ref. */
void session_no_enquiry(const char *ref);

/* Loads team_file, verified against team_admin_key, into ses->team: true
 * with ses->team NULL when the configuration names no team file; false once
 * the reason is said (a team file that does not verify is never used). */
bool session_load_team(struct session *ses);

/* Wipes the passphrase and the keys, and frees the configuration. */
void session_end(struct session *ses);

#endif
