#include "tripwire.h"

#include <stdio.h>
#include <string.h>

#include "seal.h"

/* The binary key id (as seal2 lists recipients) of a public key. */
static void key_id_of(const unsigned char pk[crypto_box_PUBLICKEYBYTES],
                      unsigned char id[SEAL2_KEY_ID_BYTES])
{
	crypto_generichash(id, SEAL2_KEY_ID_BYTES, pk, crypto_box_PUBLICKEYBYTES, NULL, 0);
}

/* The member whose box key has the key id, or NULL. */
static const struct team_member *member_with(const struct team *team,
                                             const unsigned char id[SEAL2_KEY_ID_BYTES])
{
	for (size_t i = 0; i < team->count; i++) {
		unsigned char theirs[SEAL2_KEY_ID_BYTES];
		key_id_of(team->members[i].box_pk, theirs);
		if (memcmp(theirs, id, SEAL2_KEY_ID_BYTES) == 0)
			return &team->members[i];
	}
	return NULL;
}

static bool is_recovery(const struct team *team, const unsigned char id[SEAL2_KEY_ID_BYTES])
{
	unsigned char recovery[SEAL2_KEY_ID_BYTES];
	key_id_of(team->recovery_pk, recovery);
	return memcmp(recovery, id, SEAL2_KEY_ID_BYTES) == 0;
}

/* The member of the team whose box key the keyring holds, or NULL. */
static const struct team_member *reader_in(const struct team *team, const struct keyring *kr)
{
	for (size_t i = 0; i < team->count; i++)
		for (size_t k = 0; k < kr->count; k++)
			if (memcmp(team->members[i].box_pk, kr->entries[k].pk,
			           crypto_box_PUBLICKEYBYTES) == 0)
				return &team->members[i];
	return NULL;
}

/* Whether m receives every enquiry sent through form, whatever its choices. */
static bool receives_all_of(const struct team_member *m, const char *form)
{
	if (m->lead || m->nrules == 0)
		return true;
	for (size_t i = 0; i < m->nrules; i++)
		if (strcmp(m->rules[i].form, form) == 0 && !m->rules[i].choice[0])
			return true;
	return false;
}

/* A format 1 row not sealed to the reader: is its key someone's in the team? */
static bool format1_outside(const struct team *team, const struct store_row *row, char *problem,
                            size_t len)
{
	for (size_t i = 0; i < team->count; i++) {
		char id[SEAL_KEY_ID_LEN];
		seal_key_id(team->members[i].box_pk, id);
		if (strcmp(id, row->key_id) == 0)
			return false;
	}
	char recovery[SEAL_KEY_ID_LEN];
	seal_key_id(team->recovery_pk, recovery);
	if (strcmp(recovery, row->key_id) == 0)
		return false;
	snprintf(problem, len,
	         "is sealed to a key outside the team (key id %s): the web server may have been "
	         "given a key to seal to that is not the team's",
	         row->key_id);
	return true;
}

/* An opened format 2 row: is everyone it was sealed to in the team? */
static bool format2_outside(const struct team *team, const struct enquiry_seal *seal, char *problem,
                            size_t len)
{
	bool current = seal->version == team->version;
	const unsigned char *outsider = NULL;
	bool any_member = false;
	for (unsigned i = 0; i < seal->recipients && i < SEAL2_MAX_SLOTS; i++) {
		const unsigned char *id = seal->key_ids[i];
		if (member_with(team, id))
			any_member = true;
		else if (!is_recovery(team, id) && !outsider)
			outsider = id;
	}
	if (current && outsider) {
		char hex[2 * SEAL2_KEY_ID_BYTES + 1];
		sodium_bin2hex(hex, sizeof hex, outsider, SEAL2_KEY_ID_BYTES);
		snprintf(
		    problem, len,
		    "is sealed to a key outside the team (key id %s)%s: the web server may have "
		    "sealed to a team the practice lead did not sign",
		    hex, any_member ? "" : ", and no current member can open it");
		return true;
	}
	if (!any_member) {
		snprintf(
		    problem, len,
		    "can be opened by no current member of the team, only by the recovery key%s",
		    current ? "" : " or by people no longer in the team");
		return true;
	}
	return false;
}

/* A format 2 row not sealed to the reader: should it have been? */
static bool format2_missed(const struct team *team, const struct keyring *kr, bool recovery,
                           const struct store_row *row, const struct enquiry_seal *seal,
                           char *problem, size_t len)
{
	if (recovery) {
		snprintf(problem, len,
		         "was not sealed to the recovery key, which every enquiry is sealed to: it "
		         "may be sealed to keys outside the team");
		return true;
	}
	const struct team_member *me = team ? reader_in(team, kr) : NULL;
	if (!me || seal->version != team->version || me->since > seal->version ||
	    !receives_all_of(me, row->kind))
		return false;
	snprintf(problem, len,
	         "was not sealed to you, though the team (version %lu) says you receive every "
	         "enquiry of its form: the web server may have sealed to keys outside the team",
	         (unsigned long)team->version);
	return true;
}

bool tripwire_check(const struct team *team, const struct keyring *kr, bool recovery,
                    const struct store_row *row, enum enquiry_status status,
                    const struct enquiry_seal *seal, char *problem, size_t len)
{
	if (seal->format == 2 && status == ENQUIRY_NOT_FOR_YOU)
		return format2_missed(team, kr, recovery, row, seal, problem, len);
	if (!team)
		return false;
	if (seal->format == 1 && status == ENQUIRY_NOT_FOR_YOU)
		return format1_outside(team, row, problem, len);
	if (seal->format == 2 && status == ENQUIRY_OK && seal->version <= team->version)
		return format2_outside(team, seal, problem, len);
	return false;
}
