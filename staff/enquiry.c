#include "enquiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "seal.h"
#include "unseal.h"

#define PLAIN_LIMIT (4u << 20)  /* more than ENVELOPE_MAX_FIELDS full values */
#define SEALED_LIMIT (8u << 20) /* the largest padded bucket that can hold them */

static bool unseal(const struct keyring *kr, const struct store_row *row, struct envelope *env,
                   char *problem, size_t len)
{
	memset(env, 0, sizeof *env);
	const struct keyring_entry *key = keyring_find(kr, row->key_id);
	if (!key) {
		snprintf(problem, len, "is sealed to a key this keyring does not hold (key id %s)",
		         row->key_id);
		return false;
	}
	if (row->sealed_len > SEALED_LIMIT) {
		snprintf(problem, len, "is larger than any enquiry can be, so it was not opened");
		return false;
	}
	struct buf plain;
	buf_init(&plain, PLAIN_LIMIT);
	if (!unseal_message(key->pk, key->sk, row->sealed, row->sealed_len, &plain)) {
		buf_wipe(&plain);
		snprintf(problem, len,
		         "could not be opened: the stored bytes were altered or belong to another "
		         "key");
		return false;
	}
	char why[200] = "";
	bool ok = envelope_decode(plain.data ? plain.data : "", plain.len, env, why, sizeof why);
	buf_wipe(&plain);
	if (!ok) {
		envelope_wipe(env);
		snprintf(problem, len,
		         "was opened, but what is inside is not a readable enquiry (%s)", why);
	}
	return ok;
}

/* Whether the envelope says the same as the row about itself. */
static bool matches(const struct store_row *row, const struct envelope *env, char *problem,
                    size_t len)
{
	if (strcmp(env->ref, row->ref) != 0)
		snprintf(problem, len, "says it is %s inside, not %s", env->ref, row->ref);
	else if (strcmp(env->kind, row->kind) != 0)
		snprintf(problem, len, "is a \"%s\" form inside, but its record says \"%s\"",
		         env->kind, row->kind);
	else if (strlen(env->received) < 10 || strncmp(env->received, row->day, 10) != 0)
		snprintf(problem, len, "was received at %s, but its record gives the day %s",
		         env->received, row->day);
	else if (strcmp(env->key_id, row->key_id) != 0)
		snprintf(problem, len, "names the key %s inside, but its record names %s",
		         env->key_id, row->key_id);
	else
		return true;
	return false;
}

enum enquiry_status enquiry_open(const struct keyring *kr, const struct store_row *row,
                                 struct envelope *env, char *problem, size_t len)
{
	if (!unseal(kr, row, env, problem, len))
		return ENQUIRY_UNOPENED;
	return matches(row, env, problem, len) ? ENQUIRY_OK : ENQUIRY_CONTRADICTS;
}

bool enquiry_received_time(const char *received, time_t *out)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	const char *s = received;
	size_t n = strlen(s);
	if (n != sizeof pattern - 1 && n != sizeof pattern - 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		char want = (n == sizeof pattern - 5 && i == n - 1) ? 'Z' : pattern[i];
		if (want == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != want)
			return false;
	}
	struct tm tm = {0};
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	struct tm check = tm;
	time_t t = timegm(&tm);
	/* timegm normalises impossible dates and times: a change means one. */
	if (t == (time_t)-1 || tm.tm_year != check.tm_year || tm.tm_mon != check.tm_mon ||
	    tm.tm_mday != check.tm_mday || tm.tm_hour != check.tm_hour ||
	    tm.tm_min != check.tm_min || tm.tm_sec != check.tm_sec)
		return false;
	*out = t;
	return true;
}
