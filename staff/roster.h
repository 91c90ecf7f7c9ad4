/*
 * roster: the lead's working copy of the team, and what changes it.
 *
 * The roster is a team file (team.h) without its signature line, kept on
 * the lead's computer by `enquiries team add`, `team remove` and read by
 * `team list`. Its version is the one the next published file gets:
 * `team publish` signs a copy with that version and the date, then the
 * roster's version goes up by one, so published versions only ever rise.
 * The slot count follows the number of members (team_slots_for).
 */
#ifndef CLINIC_ROSTER_H
#define CLINIC_ROSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "identity.h"
#include "team.h"

enum roster_change {
	ROSTER_ADDED,     /* a new member */
	ROSTER_REPLACED,  /* the member's keys are new (a new keyring): new since */
	ROSTER_UPDATED,   /* the same keys, another role or list of what they receive */
	ROSTER_UNCHANGED, /* exactly as it was */
	ROSTER_REFUSED,   /* see err */
};

/* A fresh roster: version 1, no members, the team key's and the recovery
 * key's public halves, date as given (YYYY-MM-DDThh:mm:ssZ). */
bool roster_init(struct team *t, const unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES],
                 const unsigned char recovery_pk[crypto_box_PUBLICKEYBYTES], const char *date);

/* Puts id in the team under its name as lead or member receiving rules
 * (nrules 0: everything). err says why when refused (a full team, or keys
 * already someone else's). */
enum roster_change roster_put(struct team *t, const struct identity *id, bool lead,
                              const struct team_rule *rules, size_t nrules, char *err,
                              size_t errlen);

/* Takes name out of the team; false if there is no such member. */
bool roster_remove(struct team *t, const char *name);

/* Signs t with the team key's secret half (whose public half must be
 * t->admin_pk): sets signature and is_signed. */
bool roster_sign(struct team *t, const unsigned char admin_sk[crypto_sign_SECRETKEYBYTES]);

/* The file to publish: a copy of t dated date and signed with the team key;
 * then t's version goes up by one. False (t unchanged) when the team has no
 * lead, its version cannot go higher, or the key is not the team's. */
bool roster_publish(struct team *t, const char *date,
                    const unsigned char admin_sk[crypto_sign_SECRETKEYBYTES],
                    struct team *signed_copy, char *err, size_t errlen);

#endif
