#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roster.h"
#include "team.h"

#define LIMIT (64 * 1024)

struct keys {
	unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES], admin_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char recovery_pk[crypto_box_PUBLICKEYBYTES],
	    recovery_sk[crypto_box_SECRETKEYBYTES];
};

static struct keys keys;

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(keys.admin_pk, keys.admin_sk);
	crypto_box_keypair(keys.recovery_pk, keys.recovery_sk);
	return 0;
}

static void add_member(struct team *t, const char *name, bool lead, const char *only)
{
	struct team_member *m = &t->members[t->count++];
	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", name);
	m->lead = lead;
	m->since = 1;
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	crypto_box_keypair(m->box_pk, sk);
	crypto_sign_keypair(m->sign_pk, sk);
	assert_true(team_parse_only(only, strlen(only), m->rules, &m->nrules));
}

/* A team of three: a lead, a therapist who receives everything, and the
 * Pilates instructor who receives Pilates self-referrals only. */
static void make_team(struct team *t)
{
	memset(t, 0, sizeof *t);
	t->version = 3;
	snprintf(t->date, sizeof t->date, "2026-11-27T10:00:00Z");
	memcpy(t->admin_pk, keys.admin_pk, sizeof t->admin_pk);
	memcpy(t->recovery_pk, keys.recovery_pk, sizeof t->recovery_pk);
	t->slots = 8;
	add_member(t, "anna", true, "*");
	add_member(t, "ben", false, "*");
	add_member(t, "jo", false, "start:pilates");
}

static void encode_signed(struct team *t, struct buf *out)
{
	assert_true(roster_sign(t, keys.admin_sk));
	buf_init(out, LIMIT);
	assert_true(team_encode(t, out));
}

static void test_round_trip(void **state)
{
	(void)state;
	struct team t, parsed;
	make_team(&t);
	struct buf text;
	encode_signed(&t, &text);
	char err[256] = "";
	assert_true(team_parse(text.data, text.len, &parsed, err, sizeof err));
	assert_true(parsed.is_signed);
	assert_int_equal(parsed.version, 3);
	assert_int_equal(parsed.count, 3);
	assert_int_equal(parsed.slots, 8);
	assert_string_equal(parsed.members[2].name, "jo");
	assert_int_equal(parsed.members[2].nrules, 1);
	assert_string_equal(parsed.members[2].rules[0].form, "start");
	assert_string_equal(parsed.members[2].rules[0].choice, "pilates");
	assert_true(parsed.members[0].lead);
	assert_memory_equal(parsed.members[1].box_pk, t.members[1].box_pk, 32);
	/* One spelling: encoding what was parsed gives the same bytes. */
	struct buf again;
	buf_init(&again, LIMIT);
	assert_true(team_encode(&parsed, &again));
	assert_int_equal(again.len, text.len);
	assert_memory_equal(again.data, text.data, text.len);
	buf_free(&again);
	buf_free(&text);
}

static void test_layout(void **state)
{
	(void)state;
	struct team t;
	make_team(&t);
	struct buf text;
	encode_signed(&t, &text);
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, t.members[2].box_pk, 32);
	char line[400];
	char sign_hex[65];
	sodium_bin2hex(sign_hex, sizeof sign_hex, t.members[2].sign_pk, 32);
	snprintf(line, sizeof line, "\nmember jo member 1 %s %s start:pilates\n", hex, sign_hex);
	assert_non_null(strstr(text.data, line));
	assert_memory_equal(text.data,
	                    "clinic-team-v1\nversion 3\ndate 2026-11-27T10:00:00Z\nadmin ", 57);
	assert_non_null(strstr(text.data, "\nslots 8\nmember anna lead 1 "));
	const char *sig = strstr(text.data, "\nsignature ");
	assert_non_null(sig);
	assert_int_equal(strlen(sig), 1 + 10 + 128 + 1);
	buf_free(&text);
}

static void test_verify(void **state)
{
	(void)state;
	struct team t, out;
	make_team(&t);
	struct buf text;
	encode_signed(&t, &text);
	char err[300] = "";
	assert_int_equal(team_verify(text.data, text.len, keys.admin_pk, &out, err, sizeof err),
	                 TEAM_OK);
	assert_int_equal(out.count, 3);

	/* Pinned to another key: refused even though the file is well signed. */
	unsigned char other_pk[32], other_sk[64];
	crypto_sign_keypair(other_pk, other_sk);
	err[0] = '\0';
	assert_int_equal(team_verify(text.data, text.len, other_pk, &out, err, sizeof err),
	                 TEAM_OTHER_KEY);
	assert_non_null(strstr(err, "another team key"));
	assert_int_equal(out.count, 0);

	/* Forged: signed by another key that also names itself as admin. */
	struct team forged;
	make_team(&forged);
	memcpy(forged.admin_pk, other_pk, 32);
	assert_true(roster_sign(&forged, other_sk));
	struct buf forged_text;
	buf_init(&forged_text, LIMIT);
	assert_true(team_encode(&forged, &forged_text));
	assert_int_equal(
	    team_verify(forged_text.data, forged_text.len, keys.admin_pk, &out, err, sizeof err),
	    TEAM_OTHER_KEY);
	/* ... or that keeps the pinned admin line: the signature does not match. */
	memcpy(forged.admin_pk, keys.admin_pk, 32);
	buf_reset(&forged_text);
	assert_true(team_encode(&forged, &forged_text));
	assert_int_equal(
	    team_verify(forged_text.data, forged_text.len, keys.admin_pk, &out, err, sizeof err),
	    TEAM_BAD_SIGNATURE);
	buf_free(&forged_text);

	/* Tampered: the Pilates instructor given everything. */
	char *copy = malloc(text.len + 1);
	memcpy(copy, text.data, text.len + 1);
	char *only = strstr(copy, "start:pilates");
	assert_non_null(only);
	only[6] = 'q'; /* "start:qilates": still well formed, the same length */
	err[0] = '\0';
	assert_int_equal(team_verify(copy, text.len, keys.admin_pk, &out, err, sizeof err),
	                 TEAM_BAD_SIGNATURE);
	assert_non_null(strstr(err, "altered"));
	free(copy);

	/* Unsigned: the body alone. */
	t.is_signed = false;
	struct buf body;
	buf_init(&body, LIMIT);
	assert_true(team_encode(&t, &body));
	assert_null(strstr(body.data, "signature"));
	assert_int_equal(team_verify(body.data, body.len, keys.admin_pk, &out, err, sizeof err),
	                 TEAM_UNSIGNED);
	buf_free(&body);

	/* No lead: nobody would receive what the rules leave out. */
	t.members[0].lead = false;
	struct buf leaderless;
	encode_signed(&t, &leaderless);
	assert_int_equal(
	    team_verify(leaderless.data, leaderless.len, keys.admin_pk, &out, err, sizeof err),
	    TEAM_NO_LEAD);
	buf_free(&leaderless);
	buf_free(&text);
}

/* Replaces the first occurrence of from with to in text (a copy), then
 * asserts that parsing fails and names the line. */
static void assert_refused(const struct buf *text, const char *from, const char *to, int line)
{
	const char *at = strstr(text->data, from);
	assert_non_null(at);
	size_t before = (size_t)(at - text->data);
	size_t n = text->len - strlen(from) + strlen(to);
	char *copy = malloc(n + 1);
	memcpy(copy, text->data, before);
	memcpy(copy + before, to, strlen(to));
	memcpy(copy + before + strlen(to), at + strlen(from), text->len - before - strlen(from));
	copy[n] = '\0';
	struct team t;
	char err[300] = "";
	bool parsed = team_parse(copy, n, &t, err, sizeof err);
	if (parsed)
		fail_msg("accepted \"%s\" in place of \"%s\"", to, from);
	assert_int_equal(t.count, 0);
	if (line) {
		char want[32];
		snprintf(want, sizeof want, "line %d:", line);
		if (!strstr(err, want))
			fail_msg("\"%s\" for \"%s\": %s", to, from, err);
	} else {
		assert_true(err[0] != '\0');
	}
	free(copy);
}

static void test_malformed(void **state)
{
	(void)state;
	struct team t;
	make_team(&t);
	struct buf text;
	encode_signed(&t, &text);
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, t.members[1].box_pk, 32);
	char upper[65];
	for (int i = 0; i < 65; i++)
		upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
	bool has_letter = strcmp(upper, hex) != 0;

	assert_refused(&text, "clinic-team-v1\n", "clinic-team-v2\n", 1);
	assert_refused(&text, "clinic-team-v1\n", "clinic-team-v1\r\n", 1);
	assert_refused(&text, "version 3\n", "version 03\n", 2);
	assert_refused(&text, "version 3\n", "version  3\n", 2);
	assert_refused(&text, "version 3\n", "version 0\n", 2);
	assert_refused(&text, "version 3\n", "version 4294967296\n", 2);
	assert_refused(&text, "date 2026-11-27T10:00:00Z", "date 2026-02-30T10:00:00Z", 3);
	assert_refused(&text, "date 2026-11-27T10:00:00Z", "date 2026-11-27 10:00:00Z", 3);
	assert_refused(&text, "slots 8\n", "slots 3\n", 0);
	assert_refused(&text, "slots 8\n", "slots 65\n", 6);
	assert_refused(&text, "member anna lead 1", "member Anna lead 1", 7);
	assert_refused(&text, "member anna lead 1", "member anna boss 1", 7);
	assert_refused(&text, "member anna lead 1", "member anna lead 4", 0);
	assert_refused(&text, "member anna lead 1", "member anna lead 0", 0);
	assert_refused(&text, "member anna lead 1", "member zoe lead 1", 0); /* order */
	assert_refused(&text, "member ben member 1", "member anna member 1", 0);
	assert_refused(&text, "member anna lead 1", "member anna  lead 1", 7);
	assert_refused(&text, "start:pilates", "start:pilates,contact", 9);
	assert_refused(&text, "start:pilates", "start,start:dit", 9);
	assert_refused(&text, "start:pilates", "start:", 9);
	assert_refused(&text, "start:pilates", "start:Pilates", 9);
	assert_refused(&text, "start:pilates", "contact,contact", 9);
	assert_refused(&text, "start:pilates", "a,b,c,d,e,f,g,h,i", 9);
	assert_refused(&text, " *\nmember ben", " start\nmember ben", 0); /* a lead with rules */
	if (has_letter)
		assert_refused(&text, hex, upper, 8);
	/* A box key of small order, or somebody else's. */
	char zero[65];
	memset(zero, '0', 64);
	zero[64] = '\0';
	assert_refused(&text, hex, zero, 0);
	char one[65];
	snprintf(one, sizeof one, "01%062d", 0);
	assert_refused(&text, hex, one, 0);
	char recovery[65];
	sodium_bin2hex(recovery, sizeof recovery, keys.recovery_pk, 32);
	assert_refused(&text, hex, recovery, 0);
	char anna[65];
	sodium_bin2hex(anna, sizeof anna, t.members[0].box_pk, 32);
	assert_refused(&text, hex, anna, 0);
	/* Nothing after the signature, and every line ends. */
	char *longer = malloc(text.len + 2);
	memcpy(longer, text.data, text.len);
	longer[text.len] = '\n';
	struct team out;
	char err[300];
	assert_false(team_parse(longer, text.len + 1, &out, err, sizeof err));
	assert_false(team_parse(longer, text.len - 1, &out, err, sizeof err));
	free(longer);
	assert_false(team_parse(text.data, TEAM_FILE_MAX + 1, &out, err, sizeof err));
	buf_free(&text);
}

static void test_only_lists(void **state)
{
	(void)state;
	struct team_rule rules[TEAM_MAX_RULES];
	size_t n = 99;
	assert_true(team_parse_only("*", 1, rules, &n));
	assert_int_equal(n, 0);
	assert_true(team_parse_only("contact,start:pilates", 21, rules, &n));
	assert_int_equal(n, 2);
	assert_string_equal(rules[0].form, "contact");
	assert_string_equal(rules[0].choice, "");
	assert_string_equal(rules[1].choice, "pilates");
	assert_true(team_parse_only("start:dit,start:pilates", 23, rules, &n));
	const char *bad[] = {"",
	                     ",",
	                     "**",
	                     "start:",
	                     ":dit",
	                     "start:pilates,contact",
	                     "contact,",
	                     "Start",
	                     "start:a b",
	                     "start:dit,start:dit",
	                     "start,start:dit",
	                     "start:pilates,start"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (team_parse_only(bad[i], strlen(bad[i]), rules, &n))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_true(team_name_valid("dr-smith_2"));
	assert_false(team_name_valid("2smith"));
	assert_false(team_name_valid("Smith"));
	assert_false(team_name_valid(""));
	assert_false(team_name_valid("a23456789012345678901234567890123"));
	assert_true(team_name_valid("a2345678901234567890123456789012"));
}

static bool includes(const unsigned char *const *to, size_t n, const unsigned char *pk)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(to[i], pk, 32) == 0)
			return true;
	return false;
}

static void test_recipients(void **state)
{
	(void)state;
	struct team t;
	make_team(&t);
	const unsigned char *to[TEAM_MAX_SLOTS];
	size_t n = team_recipients(&t, "start", "pilates", to);
	assert_int_equal(n, 4);
	assert_true(includes(to, n, t.members[2].box_pk));
	assert_memory_equal(to[n - 1], keys.recovery_pk, 32); /* the recovery key, last */

	n = team_recipients(&t, "start", "dit", to);
	assert_int_equal(n, 3);
	assert_false(includes(to, n, t.members[2].box_pk));
	assert_true(includes(to, n, t.members[0].box_pk));
	assert_true(includes(to, n, t.members[1].box_pk));

	n = team_recipients(&t, "contact", NULL, to);
	assert_int_equal(n, 3);
	assert_false(includes(to, n, t.members[2].box_pk));

	/* Only Pilates people besides the lead: a therapy referral still
	 * reaches the lead. */
	t.members[1].nrules = 1;
	snprintf(t.members[1].rules[0].form, sizeof t.members[1].rules[0].form, "contact");
	n = team_recipients(&t, "start", "dit", to);
	assert_int_equal(n, 2);
	assert_memory_equal(to[0], t.members[0].box_pk, 32);
	n = team_recipients(&t, "contact", NULL, to);
	assert_int_equal(n, 3);

	t.members[0].lead = false;
	t.members[0].nrules = 1;
	snprintf(t.members[0].rules[0].form, sizeof t.members[0].rules[0].form, "contact");
	assert_int_equal(team_recipients(&t, "start", "dit", to), 0);
	assert_false(team_has_lead(&t));
}

static void test_admin_key(void **state)
{
	(void)state;
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, keys.admin_pk, 32);
	unsigned char pk[32];
	assert_true(team_admin_key_parse(hex, pk));
	assert_memory_equal(pk, keys.admin_pk, 32);
	hex[63] = '\0';
	assert_false(team_admin_key_parse(hex, pk));
	assert_false(team_admin_key_parse("", pk));
	assert_false(team_admin_key_parse(NULL, pk));
	char zero[65];
	memset(zero, '0', 64);
	zero[64] = '\0';
	assert_false(team_admin_key_parse(zero, pk));
}

static void test_slots_for(void **state)
{
	(void)state;
	assert_int_equal(team_slots_for(0), 8);
	assert_int_equal(team_slots_for(5), 8);
	assert_int_equal(team_slots_for(7), 8);
	assert_int_equal(team_slots_for(8), 16);
	assert_int_equal(team_slots_for(TEAM_MAX_MEMBERS), TEAM_MAX_SLOTS);
}

static void test_sign_needs_the_team_key(void **state)
{
	(void)state;
	struct team t;
	make_team(&t);
	unsigned char other_pk[32], other_sk[64];
	crypto_sign_keypair(other_pk, other_sk);
	assert_false(roster_sign(&t, other_sk));
	assert_false(t.is_signed);
	assert_true(roster_sign(&t, keys.admin_sk));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_only_lists),
	    cmocka_unit_test(test_recipients),
	    cmocka_unit_test(test_admin_key),
	    cmocka_unit_test(test_slots_for),
	    cmocka_unit_test(test_sign_needs_the_team_key),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
