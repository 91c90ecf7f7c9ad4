#include "team.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAGIC_LINE "clinic-team-v1\n"
#define VERSION_DIGITS_MAX 10 /* 4294967295 */
#define SIGNATURE_HEX (2 * crypto_sign_BYTES)

_Static_assert(TEAM_MAX_SLOTS <= 255, "the slot count travels in one byte");

static const char *const status_texts[TEAM_STATUS__MAX] = {
    [TEAM_OK] = "is in order",
    [TEAM_MALFORMED] = "is not a team file",
    [TEAM_UNSIGNED] = "is not signed",
    [TEAM_OTHER_KEY] = "is signed by another team key than the one site.conf pins",
    [TEAM_BAD_SIGNATURE] = "does not match its signature (it was altered)",
    [TEAM_NO_LEAD] = "names no lead",
};

const char *team_status_text(enum team_status status)
{
	return (unsigned)status < TEAM_STATUS__MAX ? status_texts[status] : "is unusable";
}

/* --- the spelling of small things ----------------------------------------- */

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool valid_name(const char *s, size_t n)
{
	if (n == 0 || n > TEAM_NAME_MAX || !is_lower(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

bool team_name_valid(const char *name)
{
	return name && valid_name(name, strlen(name));
}

static bool valid_form(const char *s, size_t n)
{
	if (n == 0 || n > TEAM_FORM_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower(s[i]))
			return false;
	return true;
}

static bool valid_choice(const char *s, size_t n)
{
	if (n == 0 || n > TEAM_CHOICE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* Compares rules in the order their spellings sort ("start" < "start:dit"). */
static int compare_rules(const struct team_rule *a, const struct team_rule *b)
{
	char sa[TEAM_FORM_MAX + TEAM_CHOICE_MAX + 2], sb[sizeof sa];
	snprintf(sa, sizeof sa, "%s%s%s", a->form, a->choice[0] ? ":" : "", a->choice);
	snprintf(sb, sizeof sb, "%s%s%s", b->form, b->choice[0] ? ":" : "", b->choice);
	return strcmp(sa, sb);
}

/* The rules of one list obey the file's rules: spelled, sorted, no repeat,
 * no form both alone and with a choice. */
static bool valid_rules(const struct team_rule *rules, size_t n)
{
	if (n > TEAM_MAX_RULES)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct team_rule *r = &rules[i];
		size_t form_len = strnlen(r->form, sizeof r->form);
		size_t choice_len = strnlen(r->choice, sizeof r->choice);
		if (form_len == sizeof r->form || choice_len == sizeof r->choice ||
		    !valid_form(r->form, form_len) ||
		    (choice_len && !valid_choice(r->choice, choice_len)))
			return false;
		if (i > 0 && compare_rules(&rules[i - 1], r) >= 0)
			return false;
		for (size_t j = 0; j < n; j++)
			if (j != i && strcmp(rules[j].form, r->form) == 0 &&
			    (!rules[j].choice[0] || !r->choice[0]))
				return false;
	}
	return true;
}

bool team_parse_only(const char *text, size_t len, struct team_rule rules[TEAM_MAX_RULES],
                     size_t *nrules)
{
	*nrules = 0;
	if (len == 1 && text[0] == '*')
		return true;
	memset(rules, 0, TEAM_MAX_RULES * sizeof *rules);
	size_t n = 0, p = 0;
	while (p <= len) {
		size_t start = p;
		while (p < len && text[p] != ',')
			p++;
		const char *rule = text + start;
		size_t rule_len = p - start;
		const char *colon = memchr(rule, ':', rule_len);
		size_t form_len = colon ? (size_t)(colon - rule) : rule_len;
		size_t choice_len = colon ? rule_len - form_len - 1 : 0;
		if (n == TEAM_MAX_RULES || !valid_form(rule, form_len) ||
		    (colon && !valid_choice(colon + 1, choice_len)))
			return false;
		memcpy(rules[n].form, rule, form_len);
		if (colon)
			memcpy(rules[n].choice, colon + 1, choice_len);
		n++;
		p++; /* past the comma, or past the end */
	}
	if (!valid_rules(rules, n))
		return false;
	*nrules = n;
	return true;
}

static bool valid_date(const char *s, size_t n)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
	if (n != TEAM_DATE_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pattern[i] == 'd' ? !is_digit(s[i]) : s[i] != pattern[i])
			return false;
	struct tm tm = {0};
	tm.tm_year =
	    (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
	tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
	tm.tm_hour = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_min = (s[14] - '0') * 10 + (s[15] - '0');
	tm.tm_sec = (s[17] - '0') * 10 + (s[18] - '0');
	struct tm check = tm;
	/* timegm normalises an impossible date or time: a change means one. */
	return timegm(&tm) != (time_t)-1 && tm.tm_year == check.tm_year &&
	       tm.tm_mon == check.tm_mon && tm.tm_mday == check.tm_mday &&
	       tm.tm_hour == check.tm_hour && tm.tm_min == check.tm_min &&
	       tm.tm_sec == check.tm_sec;
}

/* An X25519 public key that a sealed box can be made to: not all zeros and
 * not of small order (the shared secret would then be known to all). */
bool team_box_key_usable(const unsigned char pk[crypto_box_PUBLICKEYBYTES])
{
	static const unsigned char scalar[crypto_scalarmult_SCALARBYTES] = {1, 2, 3, 4, 5, 6, 7};
	unsigned char q[crypto_scalarmult_BYTES];
	bool ok =
	    !sodium_is_zero(pk, crypto_box_PUBLICKEYBYTES) && crypto_scalarmult(q, scalar, pk) == 0;
	sodium_memzero(q, sizeof q);
	return ok;
}

bool team_sign_key_usable(const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	return crypto_core_ed25519_is_valid_point(pk) == 1;
}

bool team_check(const struct team *t, char *err, size_t errlen)
{
	if (t->version == 0) {
		snprintf(err, errlen, "the version must be 1 or more");
		return false;
	}
	if (!valid_date(t->date, strnlen(t->date, sizeof t->date))) {
		snprintf(err, errlen,
		         "the date is not a real UTC time written YYYY-MM-DDThh:mm:ssZ");
		return false;
	}
	if (!team_sign_key_usable(t->admin_pk)) {
		snprintf(err, errlen, "the admin key is not a valid Ed25519 public key");
		return false;
	}
	if (!team_box_key_usable(t->recovery_pk)) {
		snprintf(err, errlen, "the recovery key is not a usable X25519 public key");
		return false;
	}
	if (t->count > TEAM_MAX_MEMBERS || t->slots < t->count + 1 || t->slots > TEAM_MAX_SLOTS ||
	    t->slots < 2) {
		snprintf(err, errlen, "slots must be from the number of members + 1 (and 2) to %d",
		         TEAM_MAX_SLOTS);
		return false;
	}
	for (size_t i = 0; i < t->count; i++) {
		const struct team_member *m = &t->members[i];
		size_t name_len = strnlen(m->name, sizeof m->name);
		if (name_len == sizeof m->name || !valid_name(m->name, name_len)) {
			snprintf(err, errlen, "member %zu: a name is [a-z][a-z0-9_-]{0,31}", i + 1);
			return false;
		}
		if (i > 0 && strcmp(t->members[i - 1].name, m->name) >= 0) {
			snprintf(err, errlen,
			         "member %s: members are listed once each, in order of name",
			         m->name);
			return false;
		}
		if (m->since == 0 || m->since > t->version) {
			snprintf(err, errlen, "member %s: since must be from 1 to the version",
			         m->name);
			return false;
		}
		if (m->lead && m->nrules) {
			snprintf(err, errlen, "member %s: a lead receives everything (\"*\")",
			         m->name);
			return false;
		}
		if (!valid_rules(m->rules, m->nrules)) {
			snprintf(err, errlen,
			         "member %s: the list of what they receive is malformed", m->name);
			return false;
		}
		if (!team_box_key_usable(m->box_pk) || !team_sign_key_usable(m->sign_pk)) {
			snprintf(err, errlen, "member %s: a public key is not usable", m->name);
			return false;
		}
		bool repeated = sodium_memcmp(m->box_pk, t->recovery_pk, sizeof m->box_pk) == 0 ||
		                sodium_memcmp(m->sign_pk, t->admin_pk, sizeof m->sign_pk) == 0;
		for (size_t j = 0; j < i && !repeated; j++)
			repeated =
			    sodium_memcmp(m->box_pk, t->members[j].box_pk, sizeof m->box_pk) == 0 ||
			    sodium_memcmp(m->sign_pk, t->members[j].sign_pk, sizeof m->sign_pk) ==
			        0;
		if (repeated) {
			snprintf(err, errlen, "member %s: a key of theirs is already in the team",
			         m->name);
			return false;
		}
	}
	return true;
}

/* --- parsing ------------------------------------------------------------- */

struct cursor {
	const char *text;
	size_t len;
	size_t pos;
	int lines;   /* read so far */
	int current; /* the number of the line being read, from 1 */
};

/* The next line without its LF into *s, *n; false at the end or if the last
 * line has no LF. */
static bool next_line(struct cursor *c, const char **s, size_t *n)
{
	c->current = c->lines + 1;
	if (c->pos >= c->len)
		return false;
	const char *start = c->text + c->pos;
	const char *lf = memchr(start, '\n', c->len - c->pos);
	if (!lf)
		return false;
	*s = start;
	*n = (size_t)(lf - start);
	c->pos += *n + 1;
	c->lines++;
	return true;
}

/* Splits a line at single spaces into at most max words; false for an empty
 * word (two spaces, or one at either end) or too many words. */
static bool split_words(const char *s, size_t n, const char **words, size_t *lens, size_t max,
                        size_t *count)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		if (i == start || k == max)
			return false;
		words[k] = s + start;
		lens[k] = i - start;
		k++;
		start = i + 1;
	}
	*count = k;
	return true;
}

static bool word_is(const char *w, size_t n, const char *expected)
{
	return n == strlen(expected) && memcmp(w, expected, n) == 0;
}

static bool parse_u32(const char *s, size_t n, uint32_t *value)
{
	if (n == 0 || n > VERSION_DIGITS_MAX || (n > 1 && s[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*value = (uint32_t)v;
	return true;
}

static bool parse_hex(const char *s, size_t n, unsigned char *out, size_t out_len)
{
	if (n != 2 * out_len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	size_t bin_len = 0;
	return sodium_hex2bin(out, out_len, s, n, NULL, &bin_len, NULL) == 0 && bin_len == out_len;
}

/* "KEYWORD VALUE" with the expected keyword; *value is the rest. */
static bool keyword_line(struct cursor *c, const char *keyword, const char **value, size_t *n)
{
	const char *s;
	size_t len;
	size_t kw = strlen(keyword);
	if (!next_line(c, &s, &len) || len <= kw + 1 || memcmp(s, keyword, kw) != 0 || s[kw] != ' ')
		return false;
	*value = s + kw + 1;
	*n = len - kw - 1;
	return true;
}

#define MEMBER_WORDS 7

static bool parse_member(const char *s, size_t n, struct team_member *m)
{
	const char *w[MEMBER_WORDS];
	size_t wl[MEMBER_WORDS], count = 0;
	if (!split_words(s, n, w, wl, MEMBER_WORDS, &count) || count != MEMBER_WORDS ||
	    !word_is(w[0], wl[0], "member") || !valid_name(w[1], wl[1]))
		return false;
	memcpy(m->name, w[1], wl[1]);
	m->name[wl[1]] = '\0';
	if (word_is(w[2], wl[2], "lead"))
		m->lead = true;
	else if (!word_is(w[2], wl[2], "member"))
		return false;
	return parse_u32(w[3], wl[3], &m->since) &&
	       parse_hex(w[4], wl[4], m->box_pk, sizeof m->box_pk) &&
	       parse_hex(w[5], wl[5], m->sign_pk, sizeof m->sign_pk) &&
	       team_parse_only(w[6], wl[6], m->rules, &m->nrules);
}

static bool fail_line(const struct cursor *c, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "line %d: %s", c->current, what);
	return false;
}

static bool parse(const char *text, size_t len, struct team *t, char *err, size_t errlen)
{
	if (len > TEAM_FILE_MAX) {
		snprintf(err, errlen, "it is larger than any team file can be (%d bytes)",
		         TEAM_FILE_MAX);
		return false;
	}
	struct cursor c = {text, len, 0, 0, 1};
	const char *v;
	size_t n;
	if (len < sizeof MAGIC_LINE - 1 || memcmp(text, MAGIC_LINE, sizeof MAGIC_LINE - 1) != 0)
		return fail_line(&c, err, errlen, "a team file starts with \"clinic-team-v1\"");
	c.pos = sizeof MAGIC_LINE - 1;
	c.lines = 1;
	if (!keyword_line(&c, "version", &v, &n) || !parse_u32(v, n, &t->version) ||
	    t->version == 0)
		return fail_line(&c, err, errlen, "expected \"version N\", N from 1");
	if (!keyword_line(&c, "date", &v, &n) || !valid_date(v, n))
		return fail_line(&c, err, errlen,
		                 "expected \"date YYYY-MM-DDThh:mm:ssZ\", a real UTC time");
	memcpy(t->date, v, n);
	t->date[n] = '\0';
	if (!keyword_line(&c, "admin", &v, &n) || !parse_hex(v, n, t->admin_pk, sizeof t->admin_pk))
		return fail_line(&c, err, errlen, "expected \"admin\" and 64 lowercase hex digits");
	if (!keyword_line(&c, "recovery", &v, &n) ||
	    !parse_hex(v, n, t->recovery_pk, sizeof t->recovery_pk))
		return fail_line(&c, err, errlen,
		                 "expected \"recovery\" and 64 lowercase hex digits");
	uint32_t slots = 0;
	if (!keyword_line(&c, "slots", &v, &n) || !parse_u32(v, n, &slots) ||
	    slots > TEAM_MAX_SLOTS)
		return fail_line(&c, err, errlen, "expected \"slots N\", N at most 64");
	t->slots = slots;

	for (;;) {
		const char *s;
		if (!next_line(&c, &s, &n))
			break;
		if (n > 10 && memcmp(s, "signature ", 10) == 0) {
			if (!parse_hex(s + 10, n - 10, t->signature, sizeof t->signature))
				return fail_line(&c, err, errlen,
				                 "a signature is 128 lowercase hex digits");
			t->is_signed = true;
			break;
		}
		if (t->count == TEAM_MAX_MEMBERS)
			return fail_line(&c, err, errlen, "too many members");
		if (!parse_member(s, n, &t->members[t->count]))
			return fail_line(
			    &c, err, errlen,
			    "expected \"member NAME lead|member SINCE BOX SIGN ONLY\"");
		t->count++;
	}
	if (c.pos != len)
		return fail_line(&c, err, errlen,
		                 t->is_signed ? "nothing may follow the signature"
		                              : "every line ends with a line feed");
	return team_check(t, err, errlen);
}

bool team_parse(const char *text, size_t len, struct team *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (!text || sodium_init() < 0) {
		snprintf(err, errlen, "nothing to read");
		return false;
	}
	if (parse(text, len, t, err, errlen))
		return true;
	memset(t, 0, sizeof *t);
	return false;
}

/* The length of the signed part: everything before the signature line. */
static size_t signed_length(size_t len)
{
	return len - (sizeof "signature \n" - 1 + SIGNATURE_HEX);
}

enum team_status team_verify(const char *text, size_t len,
                             const unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES],
                             struct team *t, char *err, size_t errlen)
{
	char why[200];
	if (!team_parse(text, len, t, why, sizeof why)) {
		snprintf(err, errlen, "it is not a team file (%s)", why);
		return TEAM_MALFORMED;
	}
	enum team_status status = TEAM_OK;
	if (!t->is_signed)
		status = TEAM_UNSIGNED;
	else if (sodium_memcmp(t->admin_pk, admin_pk, crypto_sign_PUBLICKEYBYTES) != 0)
		status = TEAM_OTHER_KEY;
	else if (crypto_sign_verify_detached(t->signature, (const unsigned char *)text,
	                                     signed_length(len), admin_pk) != 0)
		status = TEAM_BAD_SIGNATURE;
	else if (!team_has_lead(t))
		status = TEAM_NO_LEAD;
	if (status == TEAM_OK)
		return TEAM_OK;
	snprintf(err, errlen, "version %lu %s", (unsigned long)t->version,
	         team_status_text(status));
	memset(t, 0, sizeof *t);
	return status;
}

/* --- writing --------------------------------------------------------------- */

static void put_hex(struct buf *out, const unsigned char *bin, size_t n)
{
	char hex[2 * crypto_sign_BYTES + 1];
	sodium_bin2hex(hex, sizeof hex, bin, n);
	buf_puts(out, hex);
}

static void put_only(struct buf *out, const struct team_member *m)
{
	if (m->nrules == 0) {
		buf_putc(out, '*');
		return;
	}
	for (size_t i = 0; i < m->nrules; i++) {
		if (i)
			buf_putc(out, ',');
		buf_puts(out, m->rules[i].form);
		if (m->rules[i].choice[0])
			buf_printf(out, ":%s", m->rules[i].choice);
	}
}

static bool encode_body(const struct team *t, struct buf *out)
{
	buf_puts(out, MAGIC_LINE);
	buf_printf(out, "version %lu\ndate %s\nadmin ", (unsigned long)t->version, t->date);
	put_hex(out, t->admin_pk, sizeof t->admin_pk);
	buf_puts(out, "\nrecovery ");
	put_hex(out, t->recovery_pk, sizeof t->recovery_pk);
	buf_printf(out, "\nslots %u\n", t->slots);
	for (size_t i = 0; i < t->count; i++) {
		const struct team_member *m = &t->members[i];
		buf_printf(out, "member %s %s %lu ", m->name, m->lead ? "lead" : "member",
		           (unsigned long)m->since);
		put_hex(out, m->box_pk, sizeof m->box_pk);
		buf_putc(out, ' ');
		put_hex(out, m->sign_pk, sizeof m->sign_pk);
		buf_putc(out, ' ');
		put_only(out, m);
		buf_putc(out, '\n');
	}
	return !out->failed;
}

bool team_encode_body(const struct team *t, struct buf *out)
{
	char why[200];
	size_t start = out->len;
	if (!team_check(t, why, sizeof why))
		return false;
	if (encode_body(t, out))
		return true;
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return false;
}

bool team_encode(const struct team *t, struct buf *out)
{
	char why[200];
	if (!team_check(t, why, sizeof why))
		return false;
	size_t start = out->len;
	bool ok = encode_body(t, out);
	if (ok && t->is_signed) {
		buf_puts(out, "signature ");
		put_hex(out, t->signature, sizeof t->signature);
		ok = buf_putc(out, '\n');
	}
	if (!ok || out->len - start > TEAM_FILE_MAX) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return false;
	}
	return true;
}

bool team_admin_key_parse(const char *text, unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	if (!text || sodium_init() < 0 ||
	    !parse_hex(text, strlen(text), pk, crypto_sign_PUBLICKEYBYTES) ||
	    !team_sign_key_usable(pk)) {
		if (pk)
			memset(pk, 0, crypto_sign_PUBLICKEYBYTES);
		return false;
	}
	return true;
}

/* --- who receives what ------------------------------------------------------ */

const struct team_member *team_find(const struct team *t, const char *name)
{
	for (size_t i = 0; name && i < t->count; i++)
		if (strcmp(t->members[i].name, name) == 0)
			return &t->members[i];
	return NULL;
}

bool team_has_lead(const struct team *t)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->members[i].lead)
			return true;
	return false;
}

bool team_member_receives(const struct team_member *m, const char *form, const char *choice)
{
	if (m->lead || m->nrules == 0)
		return true;
	if (!form)
		return false;
	for (size_t i = 0; i < m->nrules; i++) {
		const struct team_rule *r = &m->rules[i];
		if (strcmp(r->form, form) != 0)
			continue;
		if (!r->choice[0] || (choice && strcmp(r->choice, choice) == 0))
			return true;
	}
	return false;
}

size_t team_recipients(const struct team *t, const char *form, const char *choice,
                       const unsigned char *to[TEAM_MAX_SLOTS])
{
	if (!team_has_lead(t) || t->count >= TEAM_MAX_SLOTS)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < t->count; i++)
		if (team_member_receives(&t->members[i], form, choice))
			to[n++] = t->members[i].box_pk;
	to[n++] = t->recovery_pk;
	return n;
}

unsigned team_slots_for(size_t members)
{
	size_t slots = (members + 1 + 7) / 8 * 8;
	return (unsigned)(slots > TEAM_MAX_SLOTS ? TEAM_MAX_SLOTS : slots);
}
