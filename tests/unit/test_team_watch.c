#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "roster.h"
#include "log.h"
#include "team_watch.h"
#include "tempdir.h"

static char dir[64];
static char path[128];
static unsigned char admin_pk[32], admin_sk[64], other_pk[32], other_sk[64];
static unsigned char recovery_pk[32], member_box[32], member_sign[32];

/* What the enquiry database would remember, kept in memory. */
struct memory {
	uint32_t highest;
	unsigned char digest[TEAM_DIGEST_BYTES];
	int calls;
	bool fail;
};

static enum team_memory remember(void *arg, uint32_t version,
                                 const unsigned char digest[TEAM_DIGEST_BYTES], uint32_t *known,
                                 char *err, size_t errlen)
{
	struct memory *m = arg;
	m->calls++;
	*known = m->highest;
	if (m->fail) {
		snprintf(err, errlen, "the database is locked");
		return TEAM_MEMORY_FAILED;
	}
	if (version < m->highest)
		return TEAM_MEMORY_OLDER;
	if (version == m->highest && memcmp(digest, m->digest, TEAM_DIGEST_BYTES) != 0)
		return TEAM_MEMORY_OTHER;
	m->highest = version;
	memcpy(m->digest, digest, TEAM_DIGEST_BYTES);
	return TEAM_MEMORY_OK;
}

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0 || !tempdir_make(dir, sizeof dir, "test_team_watch"))
		return -1;
	snprintf(path, sizeof path, "%s/team.signed", dir);
	crypto_sign_keypair(admin_pk, admin_sk);
	crypto_sign_keypair(other_pk, other_sk);
	unsigned char sk[64];
	crypto_box_keypair(recovery_pk, sk);
	crypto_box_keypair(member_box, sk);
	crypto_sign_keypair(member_sign, sk);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tempdir_remove(dir);
	return 0;
}

enum signing { SIGNED, OTHER_KEY, UNSIGNED, TAMPERED };

/* Puts a team file of version at path (a new file, renamed into place). */
static void publish(uint32_t version, const char *date, enum signing how)
{
	struct team t;
	memset(&t, 0, sizeof t);
	t.version = version;
	snprintf(t.date, sizeof t.date, "%s", date);
	memcpy(t.admin_pk, how == OTHER_KEY ? other_pk : admin_pk, 32);
	memcpy(t.recovery_pk, recovery_pk, 32);
	t.slots = 8;
	t.count = 1;
	snprintf(t.members[0].name, sizeof t.members[0].name, "anna");
	t.members[0].lead = true;
	t.members[0].since = 1;
	memcpy(t.members[0].box_pk, member_box, 32);
	memcpy(t.members[0].sign_pk, member_sign, 32);
	if (how != UNSIGNED)
		assert_true(roster_sign(&t, how == OTHER_KEY ? other_sk : admin_sk));
	struct buf text;
	buf_init(&text, TEAM_FILE_MAX);
	assert_true(team_encode(&t, &text));
	if (how == TAMPERED)
		text.data[strstr(text.data, "member anna") - text.data + 7] = 'b'; /* "bnna" */
	char temp[160];
	snprintf(temp, sizeof temp, "%s.new", path);
	FILE *f = fopen(temp, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text.data, 1, text.len, f), text.len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(temp, path), 0);
	buf_free(&text);
}

static void test_follows_the_file(void **state)
{
	(void)state;
	struct memory memory = {0};
	struct team_watch w;
	char hex[65], err[300];
	sodium_bin2hex(hex, sizeof hex, admin_pk, 32);
	assert_true(team_watch_init(&w, path, hex, remember, &memory, err, sizeof err));

	/* No file yet: no team, and the reason. */
	unlink(path);
	assert_null(team_watch_current(&w));
	assert_non_null(strstr(w.why, "cannot be read"));

	publish(2, "2026-11-27T10:00:00Z", SIGNED);
	const struct team *t = team_watch_current(&w);
	assert_non_null(t);
	assert_int_equal(t->version, 2);
	assert_int_equal(memory.calls, 1);
	/* Unchanged: not read again. */
	assert_non_null(team_watch_current(&w));
	assert_int_equal(memory.calls, 1);

	publish(3, "2026-11-28T10:00:00Z", SIGNED);
	t = team_watch_current(&w);
	assert_non_null(t);
	assert_int_equal(t->version, 3);
	assert_int_equal(memory.highest, 3);

	/* An older file, though well signed: never used again. */
	publish(2, "2026-11-27T10:00:00Z", SIGNED);
	assert_null(team_watch_current(&w));
	assert_non_null(strstr(w.why, "older"));
	assert_null(team_watch_current(&w));

	/* Another file under the version in use. */
	publish(3, "2026-11-29T10:00:00Z", SIGNED);
	assert_null(team_watch_current(&w));
	assert_non_null(strstr(w.why, "same version"));

	publish(4, "2026-11-30T10:00:00Z", OTHER_KEY);
	assert_null(team_watch_current(&w));
	assert_non_null(strstr(w.why, "another team key"));

	publish(4, "2026-11-30T10:00:00Z", TAMPERED);
	assert_null(team_watch_current(&w));
	assert_non_null(strstr(w.why, "altered"));

	publish(4, "2026-11-30T10:00:00Z", UNSIGNED);
	assert_null(team_watch_current(&w));
	assert_non_null(strstr(w.why, "not signed"));
	assert_int_equal(memory.highest, 3);

	publish(4, "2026-11-30T10:00:00Z", SIGNED);
	t = team_watch_current(&w);
	assert_non_null(t);
	assert_int_equal(t->version, 4);
	team_watch_free(&w);
}

static void test_tries_the_memory_again(void **state)
{
	(void)state;
	struct memory memory = {.fail = true};
	struct team_watch w;
	char hex[65], err[300];
	sodium_bin2hex(hex, sizeof hex, admin_pk, 32);
	assert_true(team_watch_init(&w, path, hex, remember, &memory, err, sizeof err));
	publish(7, "2026-11-27T10:00:00Z", SIGNED);
	assert_null(team_watch_current(&w));
	assert_non_null(strstr(w.why, "database is locked"));
	memory.fail = false;
	/* The same file: asked again, since the reason could pass. */
	const struct team *t = team_watch_current(&w);
	assert_non_null(t);
	assert_int_equal(t->version, 7);
	assert_int_equal(memory.calls, 2);
	team_watch_free(&w);
}

static void test_bad_pinned_key(void **state)
{
	(void)state;
	struct memory memory = {0};
	struct team_watch w;
	char err[300] = "";
	assert_false(team_watch_init(&w, path, "not a key", remember, &memory, err, sizeof err));
	assert_non_null(strstr(err, "team_admin_key"));
	assert_false(team_watch_init(&w, path, "", remember, &memory, err, sizeof err));
}

static void test_not_a_regular_file(void **state)
{
	(void)state;
	struct memory memory = {0};
	struct team_watch w;
	char hex[65], err[300];
	sodium_bin2hex(hex, sizeof hex, admin_pk, 32);
	assert_true(team_watch_init(&w, dir, hex, remember, &memory, err, sizeof err));
	assert_null(team_watch_current(&w));
	assert_non_null(strstr(w.why, "regular file"));
	team_watch_free(&w);
}

/* Lines of the file at p that hold needle. */
static int count_lines(const char *p, const char *needle)
{
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	char line[2048];
	int n = 0;
	while (fgets(line, sizeof line, f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void test_workers_say_a_change_once(void **state)
{
	(void)state;
	char log_path[160];
	snprintf(log_path, sizeof log_path, "%s/contact.log", dir);
	assert_true(log_open("test", log_path));
	struct memory memory = {0};
	struct team_watch first, second;
	char hex[65], err[300];
	sodium_bin2hex(hex, sizeof hex, admin_pk, 32);
	assert_true(team_watch_init(&first, path, hex, remember, &memory, err, sizeof err));
	/* A second worker forked from the same start shares the note. */
	second = first;
	second.team = malloc(sizeof *second.team);
	second.path = strdup(first.path);
	publish(8, "2026-12-01T10:00:00Z", SIGNED);
	assert_non_null(team_watch_current(&first));
	assert_non_null(team_watch_current(&second));
	publish(9, "2026-12-02T10:00:00Z", UNSIGNED);
	assert_null(team_watch_current(&first));
	assert_null(team_watch_current(&second));
	assert_int_equal(count_lines(log_path, "team version 8"), 1);
	assert_int_equal(count_lines(log_path, "version 9 is not signed"), 1);
	free(second.team);
	free(second.path);
	team_watch_free(&first);
	assert_true(log_open("test", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_follows_the_file),
	    cmocka_unit_test(test_tries_the_memory_again),
	    cmocka_unit_test(test_bad_pinned_key),
	    cmocka_unit_test(test_not_a_regular_file),
	    cmocka_unit_test(test_workers_say_a_change_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
