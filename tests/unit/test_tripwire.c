#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"
#include "tripwire.h"

/* A team of two (anna, a lead; jo, Pilates only) at version 4, the keys of
 * both and of somebody outside it, and the recovery key. */
static struct team team;
static unsigned char anna_sk[32], jo_sk[32], stranger_pk[32], stranger_sk[32];

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	memset(&team, 0, sizeof team);
	team.version = 4;
	team.slots = 8;
	team.count = 2;
	unsigned char sk[64];
	crypto_box_keypair(team.recovery_pk, sk);
	snprintf(team.members[0].name, sizeof team.members[0].name, "anna");
	team.members[0].lead = true;
	team.members[0].since = 1;
	crypto_box_keypair(team.members[0].box_pk, anna_sk);
	snprintf(team.members[1].name, sizeof team.members[1].name, "jo");
	team.members[1].since = 3;
	team.members[1].nrules = 1;
	snprintf(team.members[1].rules[0].form, sizeof team.members[1].rules[0].form, "start");
	snprintf(team.members[1].rules[0].choice, sizeof team.members[1].rules[0].choice,
	         "pilates");
	crypto_box_keypair(team.members[1].box_pk, jo_sk);
	crypto_box_keypair(stranger_pk, stranger_sk);
	return 0;
}

/* A keyring of one entry holding pk and sk (a few at a time). */
static struct keyring ring_of(const unsigned char *pk, const unsigned char *sk)
{
	static struct keyring_entry entries[4];
	static size_t next;
	struct keyring_entry *entry = &entries[next++ % 4];
	memcpy(entry->pk, pk, 32);
	memcpy(entry->sk, sk, 32);
	seal_key_id(pk, entry->key_id);
	struct keyring kr = {.kind = KEYRING_MEMBER, .count = 1, .entries = entry};
	return kr;
}

static struct store_row row_of(const char *kind, const char *key_id)
{
	struct store_row row;
	memset(&row, 0, sizeof row);
	snprintf(row.ref, sizeof row.ref, "K7MQ-4QX9");
	snprintf(row.kind, sizeof row.kind, "%s", kind);
	snprintf(row.key_id, sizeof row.key_id, "%s", key_id);
	return row;
}

/* A format 2 seal at version naming pks in order. */
static struct enquiry_seal seal_to(uint32_t version, const unsigned char *const *pks, unsigned n)
{
	struct enquiry_seal seal;
	memset(&seal, 0, sizeof seal);
	seal.format = 2;
	seal.version = version;
	seal.recipients = n;
	for (unsigned i = 0; i < n; i++)
		crypto_generichash(seal.key_ids[i], SEAL2_KEY_ID_BYTES, pks[i], 32, NULL, 0);
	return seal;
}

static bool trips(const struct keyring *kr, bool recovery, const struct store_row *row,
                  enum enquiry_status status, const struct enquiry_seal *seal, const char *want)
{
	char problem[400] = "";
	bool tripped =
	    tripwire_check(&team, kr, recovery, row, status, seal, problem, sizeof problem);
	if (tripped && want && !strstr(problem, want))
		fail_msg("said \"%s\", not \"%s\"", problem, want);
	if (!tripped)
		assert_string_equal(problem, "");
	return tripped;
}

static void test_format1(void **state)
{
	(void)state;
	struct keyring jo = ring_of(team.members[1].box_pk, jo_sk);
	struct enquiry_seal seal = {.format = 1};
	char id[SEAL_KEY_ID_LEN];
	/* Sealed to anna's key: not jo's to read, and nothing wrong. */
	seal_key_id(team.members[0].box_pk, id);
	struct store_row row = row_of("contact", id);
	assert_false(trips(&jo, false, &row, ENQUIRY_NOT_FOR_YOU, &seal, NULL));
	/* Sealed to a key nobody in the team holds. */
	seal_key_id(stranger_pk, id);
	row = row_of("contact", id);
	assert_true(trips(&jo, false, &row, ENQUIRY_NOT_FOR_YOU, &seal, "outside the team"));
	/* Without a team there is nothing to compare with. */
	char problem[400] = "";
	assert_false(tripwire_check(NULL, &jo, false, &row, ENQUIRY_NOT_FOR_YOU, &seal, problem,
	                            sizeof problem));
}

static void test_format2_opened(void **state)
{
	(void)state;
	struct keyring anna = ring_of(team.members[0].box_pk, anna_sk);
	struct store_row row = row_of("start", "team-4");
	const unsigned char *as_sealed[] = {team.members[0].box_pk, team.members[1].box_pk,
	                                    team.recovery_pk};
	struct enquiry_seal seal = seal_to(4, as_sealed, 3);
	assert_false(trips(&anna, false, &row, ENQUIRY_OK, &seal, NULL));
	/* One key more than the team names, under the current version. */
	const unsigned char *plus[] = {team.members[0].box_pk, stranger_pk, team.recovery_pk};
	seal = seal_to(4, plus, 3);
	assert_true(trips(&anna, false, &row, ENQUIRY_OK, &seal, "outside the team"));
	/* Under an older version it may be someone since removed: not said... */
	seal = seal_to(3, plus, 3);
	assert_false(trips(&anna, false, &row, ENQUIRY_OK, &seal, NULL));
	/* ...unless no current member can open it. */
	const unsigned char *gone[] = {stranger_pk, team.recovery_pk};
	seal = seal_to(3, gone, 2);
	assert_true(trips(&anna, true, &row, ENQUIRY_OK, &seal, "no current member"));
	seal = seal_to(4, gone, 2);
	assert_true(trips(&anna, true, &row, ENQUIRY_OK, &seal, "no current member"));
}

static void test_format2_not_for_the_reader(void **state)
{
	(void)state;
	struct keyring anna = ring_of(team.members[0].box_pk, anna_sk);
	struct keyring jo = ring_of(team.members[1].box_pk, jo_sk);
	struct enquiry_seal seal = {.format = 2, .version = 4};
	struct store_row row = row_of("start", "team-4");
	/* anna receives everything: a current enquiry must have been hers. */
	assert_true(trips(&anna, false, &row, ENQUIRY_NOT_FOR_YOU, &seal, "not sealed to you"));
	/* jo receives only Pilates ones: a start enquiry not sealed to her is the rules. */
	assert_false(trips(&jo, false, &row, ENQUIRY_NOT_FOR_YOU, &seal, NULL));
	/* Sealed before anna's keys were... at an older version: not said. */
	seal.version = 3;
	assert_false(trips(&anna, false, &row, ENQUIRY_NOT_FOR_YOU, &seal, NULL));
	/* The recovery key receives every format 2 enquiry, whatever the version. */
	assert_true(trips(&anna, true, &row, ENQUIRY_NOT_FOR_YOU, &seal, "recovery key"));
	char problem[400] = "";
	assert_true(tripwire_check(NULL, &anna, true, &row, ENQUIRY_NOT_FOR_YOU, &seal, problem,
	                           sizeof problem));
	/* Somebody outside the team reading: nothing to say. */
	struct keyring stranger = ring_of(stranger_pk, stranger_sk);
	seal.version = 4;
	assert_false(trips(&stranger, false, &row, ENQUIRY_NOT_FOR_YOU, &seal, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format1),
	    cmocka_unit_test(test_format2_opened),
	    cmocka_unit_test(test_format2_not_for_the_reader),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
