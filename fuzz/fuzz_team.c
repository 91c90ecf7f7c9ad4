/*
 * The signed team file (lib/team.c) and the identity file a member's keys
 * come in (staff/identity.c): the two texts that decide who can read an
 * enquiry.
 *
 * The first byte picks a mode. Mode 0: the rest is a team file. If it
 * parses, encoding it again gives exactly the same bytes (one spelling per
 * team), it obeys team_check, and whoever team_recipients names is a lead,
 * a member whose rules cover the enquiry, or the recovery key (last), within
 * the slots; no file verifies against a team key that signs nothing.
 * Mode 1: the rest describes a team (members, roles, rules, versions); if
 * team_check accepts it, it is signed, and the signed file parses back to
 * the same team, verifies, and fails to verify with any one byte changed.
 * Mode 2: the rest is an identity file; if it parses, it is the line
 * identity_encode writes (the final LF optional).
 */
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "identity.h"
#include "roster.h"
#include "team.h"

#include "fuzz.h"

#define INPUT_LIMIT (TEAM_FILE_MAX + 64)
#define KEYS 12

static unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES], admin_sk[crypto_sign_SECRETKEYBYTES];
/* A team key whose secret half signs nothing. */
static unsigned char unused_pk[crypto_sign_PUBLICKEYBYTES];
static unsigned char box_pk[KEYS][crypto_box_PUBLICKEYBYTES];
static unsigned char sign_pk[KEYS][crypto_sign_PUBLICKEYBYTES];
static bool ready;

static void init(void)
{
	FUZZ_CHECK(sodium_init() >= 0);
	unsigned char seed[32] = {7};
	FUZZ_CHECK(crypto_sign_seed_keypair(admin_pk, admin_sk, seed) == 0);
	unsigned char unused_sk[crypto_sign_SECRETKEYBYTES];
	seed[2] = 1;
	FUZZ_CHECK(crypto_sign_seed_keypair(unused_pk, unused_sk, seed) == 0);
	seed[2] = 0;
	for (int i = 0; i < KEYS; i++) {
		unsigned char sk[crypto_sign_SECRETKEYBYTES];
		seed[1] = (unsigned char)(i + 1);
		FUZZ_CHECK(crypto_box_seed_keypair(box_pk[i], sk, seed) == 0);
		FUZZ_CHECK(crypto_sign_seed_keypair(sign_pk[i], sk, seed) == 0);
	}
	ready = true;
}

static char *exact_copy(const uint8_t *data, size_t size)
{
	char *bytes = malloc(size ? size : 1);
	FUZZ_CHECK(bytes != NULL);
	memcpy(bytes, data, size);
	return bytes;
}

static void check_recipients(const struct team *t, const char *form, const char *choice)
{
	const unsigned char *to[TEAM_MAX_SLOTS];
	size_t n = team_recipients(t, form, choice, to);
	if (!team_has_lead(t)) {
		FUZZ_CHECK(n == 0);
		return;
	}
	FUZZ_CHECK(n >= 2 && n <= t->slots);
	FUZZ_CHECK(to[n - 1] == t->recovery_pk);
	size_t expected = 0;
	for (size_t i = 0; i < t->count; i++) {
		const struct team_member *m = &t->members[i];
		bool receives = team_member_receives(m, form, choice);
		FUZZ_CHECK(!m->lead || receives);
		if (receives)
			FUZZ_CHECK(to[expected++] == m->box_pk);
	}
	FUZZ_CHECK(expected == n - 1);
}

static void parse_arbitrary(const uint8_t *data, size_t size)
{
	char *bytes = exact_copy(data, size);
	struct team *t = malloc(sizeof *t);
	FUZZ_CHECK(t != NULL);
	char err[256] = "";
	if (team_parse(bytes, size, t, err, sizeof err)) {
		FUZZ_CHECK(team_check(t, err, sizeof err));
		struct buf again;
		buf_init(&again, TEAM_FILE_MAX);
		FUZZ_CHECK(team_encode(t, &again));
		FUZZ_CHECK(again.len == size && memcmp(again.data, bytes, size) == 0);
		buf_free(&again);
		check_recipients(t, "start", "pilates");
		check_recipients(t, "contact", NULL);
		struct team *verified = malloc(sizeof *verified);
		FUZZ_CHECK(verified != NULL);
		FUZZ_CHECK(team_verify(bytes, size, unused_pk, verified, err, sizeof err) !=
		           TEAM_OK);
		FUZZ_CHECK(verified->count == 0 && err[0] != '\0');
		free(verified);
	} else {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(t->count == 0 && t->version == 0);
	}
	free(t);
	free(bytes);
}

/* Builds a team from the input: a header byte for the count and the
 * version, then per member: a flags byte (lead, key index) and a name and
 * an ONLY list, each up to a NUL. */
static void signed_round_trip(const uint8_t *data, size_t size)
{
	if (size < 3)
		return;
	struct team *t = calloc(1, sizeof *t);
	FUZZ_CHECK(t != NULL);
	t->version = 1 + (uint32_t)data[0] * 1000003u + data[1];
	memcpy(t->date, "2026-11-27T10:00:00Z", TEAM_DATE_LEN + 1);
	memcpy(t->admin_pk, admin_pk, sizeof admin_pk);
	memcpy(t->recovery_pk, box_pk[0], crypto_box_PUBLICKEYBYTES);
	size_t count = data[2] % KEYS;
	data += 3;
	size -= 3;
	for (size_t i = 0; i < count && size > 0; i++) {
		struct team_member *m = &t->members[t->count];
		uint8_t flags = data[0];
		data++;
		size--;
		const uint8_t *piece;
		size_t n = fuzz_take(&data, &size, 0, TEAM_NAME_MAX, &piece);
		memcpy(m->name, piece, n);
		n = fuzz_take(&data, &size, 0, 200, &piece);
		char *only = exact_copy(piece, n);
		if (!team_parse_only(only, n, m->rules, &m->nrules)) {
			memset(m->rules, 0, sizeof m->rules);
			m->nrules = 0;
		}
		free(only);
		m->lead = flags & 1;
		m->since = 1 + (flags >> 4) % t->version;
		size_t key = 1 + (flags >> 1) % (KEYS - 1);
		memcpy(m->box_pk, box_pk[key], sizeof m->box_pk);
		memcpy(m->sign_pk, sign_pk[key], sizeof m->sign_pk);
		t->count++;
	}
	t->slots = team_slots_for(t->count);
	char err[256];
	if (!team_check(t, err, sizeof err)) {
		FUZZ_CHECK(!roster_sign(t, admin_sk));
		free(t);
		return;
	}
	FUZZ_CHECK(roster_sign(t, admin_sk));
	struct buf text;
	buf_init(&text, TEAM_FILE_MAX);
	FUZZ_CHECK(team_encode(t, &text));
	struct team *back = malloc(sizeof *back);
	FUZZ_CHECK(back != NULL);
	enum team_status status = team_verify(text.data, text.len, admin_pk, back, err, sizeof err);
	FUZZ_CHECK(status == (team_has_lead(t) ? TEAM_OK : TEAM_NO_LEAD));
	FUZZ_CHECK(team_parse(text.data, text.len, back, err, sizeof err));
	FUZZ_CHECK(memcmp(back, t, sizeof *t) == 0);
	/* Any one changed byte: never a verified team. */
	size_t at = (size_t)t->version % text.len;
	text.data[at] ^= (char)(1 << (t->count % 8));
	FUZZ_CHECK(team_verify(text.data, text.len, admin_pk, back, err, sizeof err) != TEAM_OK);
	free(back);
	buf_free(&text);
	free(t);
}

static void parse_identity(const uint8_t *data, size_t size)
{
	char *bytes = exact_copy(data, size);
	struct identity id;
	char err[256] = "";
	if (identity_parse(bytes, size, &id, err, sizeof err)) {
		struct buf line;
		buf_init(&line, IDENTITY_FILE_MAX);
		FUZZ_CHECK(identity_encode(&id, &line));
		FUZZ_CHECK(size == line.len || size == line.len - 1);
		FUZZ_CHECK(memcmp(line.data, bytes, size) == 0);
		buf_free(&line);
	} else {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(id.name[0] == '\0' && sodium_is_zero(id.box_pk, sizeof id.box_pk));
	}
	free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_LIMIT)
		return 0;
	if (!ready)
		init();
	switch (data[0] % 3) {
	case 0:
		parse_arbitrary(data + 1, size - 1);
		break;
	case 1:
		signed_round_trip(data + 1, size - 1);
		break;
	default:
		parse_identity(data + 1, size - 1);
		break;
	}
	return 0;
}
