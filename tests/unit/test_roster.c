#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roster.h"

#define DATE "2026-11-27T10:00:00Z"

static unsigned char admin_pk[32], admin_sk[64], recovery_pk[32], recovery_sk[32];

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(admin_pk, admin_sk);
	crypto_box_keypair(recovery_pk, recovery_sk);
	return 0;
}

static struct identity person(const char *name)
{
	struct identity id;
	memset(&id, 0, sizeof id);
	snprintf(id.name, sizeof id.name, "%s", name);
	unsigned char sk[64];
	crypto_box_keypair(id.box_pk, sk);
	crypto_sign_keypair(id.sign_pk, sk);
	return id;
}

static struct team *fresh(void)
{
	struct team *t = malloc(sizeof *t);
	assert_non_null(t);
	assert_true(roster_init(t, admin_pk, recovery_pk, DATE));
	return t;
}

/* The roster as its file would hold it, parsed back: it is an unsigned team. */
static void assert_round_trips(const struct team *t)
{
	struct buf text;
	buf_init(&text, TEAM_FILE_MAX);
	assert_true(team_encode(t, &text));
	assert_null(strstr(text.data, "signature"));
	struct team *back = malloc(sizeof *back);
	char err[200] = "";
	assert_true(team_parse(text.data, text.len, back, err, sizeof err));
	assert_false(back->is_signed);
	assert_int_equal(back->count, t->count);
	assert_int_equal(back->version, t->version);
	free(back);
	buf_free(&text);
}

static void test_init(void **state)
{
	(void)state;
	struct team *t = fresh();
	assert_int_equal(t->version, 1);
	assert_int_equal(t->count, 0);
	assert_int_equal(t->slots, 8);
	assert_round_trips(t);
	assert_false(roster_init(t, admin_pk, recovery_pk, "2026-11-27"));
	free(t);
}

static void test_put_and_remove(void **state)
{
	(void)state;
	struct team *t = fresh();
	char err[200] = "";
	struct identity jo = person("jo"), anna = person("anna"), ben = person("ben");
	struct team_rule pilates[TEAM_MAX_RULES];
	size_t n = 0;
	assert_true(team_parse_only("start:pilates", 13, pilates, &n));
	assert_int_equal(roster_put(t, &jo, false, pilates, n, err, sizeof err), ROSTER_ADDED);
	assert_int_equal(roster_put(t, &anna, true, NULL, 0, err, sizeof err), ROSTER_ADDED);
	assert_int_equal(roster_put(t, &ben, false, NULL, 0, err, sizeof err), ROSTER_ADDED);
	assert_int_equal(t->count, 3);
	assert_string_equal(t->members[0].name, "anna");
	assert_string_equal(t->members[1].name, "ben");
	assert_string_equal(t->members[2].name, "jo");
	assert_int_equal(t->members[2].nrules, 1);
	assert_round_trips(t);

	assert_int_equal(roster_put(t, &jo, false, pilates, n, err, sizeof err), ROSTER_UNCHANGED);
	assert_int_equal(roster_put(t, &jo, false, NULL, 0, err, sizeof err), ROSTER_UPDATED);
	assert_int_equal(t->members[2].nrules, 0);

	/* Somebody else's keys under a new name, or a lead limited: refused,
	 * nothing changed. */
	struct identity impostor = anna;
	snprintf(impostor.name, sizeof impostor.name, "zed");
	assert_int_equal(roster_put(t, &impostor, false, NULL, 0, err, sizeof err), ROSTER_REFUSED);
	if (!strstr(err, "already in the team"))
		fail_msg("%s", err);
	assert_int_equal(roster_put(t, &ben, true, pilates, n, err, sizeof err), ROSTER_REFUSED);
	assert_int_equal(t->count, 3);
	assert_false(t->members[1].lead);

	assert_true(roster_remove(t, "ben"));
	assert_false(roster_remove(t, "ben"));
	assert_int_equal(t->count, 2);
	assert_string_equal(t->members[1].name, "jo");
	assert_round_trips(t);
	free(t);
}

static void test_publish(void **state)
{
	(void)state;
	struct team *t = fresh();
	struct team *published = malloc(sizeof *published);
	char err[200] = "";
	struct identity anna = person("anna"), ben = person("ben");
	assert_int_equal(roster_put(t, &ben, false, NULL, 0, err, sizeof err), ROSTER_ADDED);
	assert_false(roster_publish(t, DATE, admin_sk, published, err, sizeof err));
	assert_non_null(strstr(err, "--lead"));
	assert_int_equal(t->version, 1);

	assert_int_equal(roster_put(t, &anna, true, NULL, 0, err, sizeof err), ROSTER_ADDED);
	assert_true(
	    roster_publish(t, "2026-11-28T09:30:00Z", admin_sk, published, err, sizeof err));
	assert_int_equal(published->version, 1);
	assert_int_equal(t->version, 2);
	assert_string_equal(published->date, "2026-11-28T09:30:00Z");
	struct buf text;
	buf_init(&text, TEAM_FILE_MAX);
	assert_true(team_encode(published, &text));
	struct team *verified = malloc(sizeof *verified);
	assert_int_equal(team_verify(text.data, text.len, admin_pk, verified, err, sizeof err),
	                 TEAM_OK);
	assert_int_equal(verified->count, 2);

	/* A new key for ben after the first file: since is the next version. */
	struct identity ben_again = person("ben");
	assert_int_equal(roster_put(t, &ben_again, false, NULL, 0, err, sizeof err),
	                 ROSTER_REPLACED);
	assert_int_equal(team_find(t, "ben")->since, 2);
	assert_int_equal(team_find(t, "anna")->since, 1);
	assert_true(roster_publish(t, DATE, admin_sk, published, err, sizeof err));
	assert_int_equal(published->version, 2);
	assert_int_equal(t->version, 3);

	/* Only the team key signs. */
	unsigned char other_pk[32], other_sk[64];
	crypto_sign_keypair(other_pk, other_sk);
	assert_false(roster_publish(t, DATE, other_sk, published, err, sizeof err));
	assert_int_equal(t->version, 3);
	free(verified);
	buf_free(&text);
	free(published);
	free(t);
}

static void test_slots_follow_the_team(void **state)
{
	(void)state;
	struct team *t = fresh();
	char err[200];
	for (int i = 0; i < 9; i++) {
		char name[8];
		snprintf(name, sizeof name, "m%d", i);
		struct identity id = person(name);
		assert_int_equal(roster_put(t, &id, i == 0, NULL, 0, err, sizeof err),
		                 ROSTER_ADDED);
		assert_true(t->slots >= t->count + 1);
		assert_int_equal(t->slots % 8, 0);
	}
	assert_int_equal(t->slots, 16);
	assert_true(roster_remove(t, "m8"));
	assert_int_equal(t->slots, 16); /* eight members and the recovery key */
	assert_true(roster_remove(t, "m7"));
	assert_int_equal(t->slots, 8);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_put_and_remove),
	    cmocka_unit_test(test_publish),
	    cmocka_unit_test(test_slots_follow_the_team),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
