#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool roster_init(struct team *t, const unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES],
                 const unsigned char recovery_pk[crypto_box_PUBLICKEYBYTES], const char *date)
{
	memset(t, 0, sizeof *t);
	if (!date || strlen(date) != TEAM_DATE_LEN)
		return false;
	t->version = 1;
	memcpy(t->date, date, TEAM_DATE_LEN + 1);
	memcpy(t->admin_pk, admin_pk, sizeof t->admin_pk);
	memcpy(t->recovery_pk, recovery_pk, sizeof t->recovery_pk);
	t->slots = team_slots_for(0);
	struct buf check;
	buf_init(&check, TEAM_FILE_MAX);
	bool ok = team_encode(t, &check);
	buf_free(&check);
	return ok;
}

enum roster_change roster_put(struct team *t, const struct identity *id, bool lead,
                              const struct team_rule *rules, size_t nrules, char *err,
                              size_t errlen)
{
	if (nrules > TEAM_MAX_RULES || (lead && nrules)) {
		snprintf(err, errlen, "a lead receives everything, and a member at most %d kinds",
		         TEAM_MAX_RULES);
		return ROSTER_REFUSED;
	}
	struct team_member m;
	memset(&m, 0, sizeof m);
	snprintf(m.name, sizeof m.name, "%s", id->name);
	m.lead = lead;
	m.since = t->version;
	memcpy(m.box_pk, id->box_pk, sizeof m.box_pk);
	memcpy(m.sign_pk, id->sign_pk, sizeof m.sign_pk);
	m.nrules = nrules;
	if (nrules)
		memcpy(m.rules, rules, nrules * sizeof *rules);

	size_t at = 0;
	while (at < t->count && strcmp(t->members[at].name, m.name) < 0)
		at++;
	bool present = at < t->count && strcmp(t->members[at].name, m.name) == 0;
	if (!present && t->count == TEAM_MAX_MEMBERS) {
		snprintf(err, errlen, "the team is full (%d members)", TEAM_MAX_MEMBERS);
		return ROSTER_REFUSED;
	}
	struct team *before = malloc(sizeof *before);
	if (!before) {
		snprintf(err, errlen, "out of memory");
		return ROSTER_REFUSED;
	}
	memcpy(before, t, sizeof *t);
	enum roster_change change = ROSTER_ADDED;
	if (present) {
		struct team_member *old = &t->members[at];
		bool same_keys = memcmp(old->box_pk, m.box_pk, sizeof m.box_pk) == 0 &&
		                 memcmp(old->sign_pk, m.sign_pk, sizeof m.sign_pk) == 0;
		if (same_keys)
			m.since = old->since;
		change = !same_keys                       ? ROSTER_REPLACED
		         : memcmp(old, &m, sizeof m) != 0 ? ROSTER_UPDATED
		                                          : ROSTER_UNCHANGED;
		*old = m;
	} else {
		memmove(&t->members[at + 1], &t->members[at], (t->count - at) * sizeof m);
		t->members[at] = m;
		t->count++;
	}
	t->slots = team_slots_for(t->count);
	if (!team_check(t, err, errlen)) {
		memcpy(t, before, sizeof *t);
		change = ROSTER_REFUSED;
	}
	free(before);
	return change;
}

bool roster_remove(struct team *t, const char *name)
{
	for (size_t i = 0; i < t->count; i++) {
		if (strcmp(t->members[i].name, name) != 0)
			continue;
		memmove(&t->members[i], &t->members[i + 1],
		        (t->count - i - 1) * sizeof *t->members);
		t->count--;
		memset(&t->members[t->count], 0, sizeof *t->members);
		t->slots = team_slots_for(t->count);
		return true;
	}
	return false;
}

bool roster_sign(struct team *t, const unsigned char admin_sk[crypto_sign_SECRETKEYBYTES])
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	if (sodium_init() < 0 || crypto_sign_ed25519_sk_to_pk(pk, admin_sk) != 0 ||
	    sodium_memcmp(pk, t->admin_pk, sizeof pk) != 0)
		return false;
	struct buf body;
	buf_init(&body, TEAM_FILE_MAX);
	bool ok = team_encode_body(t, &body) &&
	          crypto_sign_detached(t->signature, NULL, (const unsigned char *)body.data,
	                               body.len, admin_sk) == 0;
	buf_free(&body);
	t->is_signed = ok;
	return ok;
}

bool roster_publish(struct team *t, const char *date,
                    const unsigned char admin_sk[crypto_sign_SECRETKEYBYTES],
                    struct team *signed_copy, char *err, size_t errlen)
{
	if (!team_has_lead(t)) {
		snprintf(err, errlen,
		         "the team has no lead yet: add one with `enquiries team add NAME "
		         "FILE --lead`, since leads receive every enquiry");
		return false;
	}
	if (t->version == UINT32_MAX) {
		snprintf(err, errlen, "the team's version cannot go any higher");
		return false;
	}
	memcpy(signed_copy, t, sizeof *t);
	if (!date || strlen(date) != TEAM_DATE_LEN) {
		snprintf(err, errlen, "the date is not written YYYY-MM-DDThh:mm:ssZ");
		return false;
	}
	memcpy(signed_copy->date, date, TEAM_DATE_LEN + 1);
	if (!roster_sign(signed_copy, admin_sk)) {
		snprintf(err, errlen,
		         "the key given is not this team's key, or the team is invalid");
		return false;
	}
	t->version++;
	return true;
}
