/*
 * team: the signed team file, the list of who may read enquiries.
 *
 * The practice lead keeps the team with the staff tool and signs it with the
 * team key (Ed25519, kept off the server). The web server is given the file
 * and, in site.conf, the team key's public half (team_admin_key); contact.fcgi
 * seals an enquiry only to the members of a file that verifies against that
 * pinned key and whose version never goes back.
 *
 * The file is text with exactly one spelling per team, at most TEAM_FILE_MAX
 * bytes, every line ending in one LF and fields separated by one space:
 *
 *   clinic-team-v1
 *   version V               1 to 4294967295; only ever goes up
 *   date YYYY-MM-DDThh:mm:ssZ   when it was signed, UTC
 *   admin HEX64             the Ed25519 team key that signs the file
 *   recovery HEX64          the X25519 public half of the paper recovery key
 *   slots N                 key slots in every enquiry: members + 1 to 64
 *   member NAME ROLE SINCE BOX SIGN ONLY      0 to TEAM_MAX_MEMBERS lines
 *   signature HEX128        Ed25519 over every byte before this line
 *
 * HEX is lowercase; numbers are decimal without leading zeros. A file
 * without its signature line is an unsigned team: the lead's working copy
 * (the roster) is kept that way, and it is never used to seal.
 *
 * member lines are in strictly increasing byte order of NAME, which is
 * [a-z][a-z0-9_-]{0,31}. ROLE is "lead" or "member". SINCE is the version
 * whose file first held these keys (1 to V). BOX is the member's X25519
 * public key (enquiries are sealed to it), SIGN their Ed25519 public key.
 * ONLY is what the member receives: "*" for everything, or a comma-separated
 * list, sorted and without repeats, of at most TEAM_MAX_RULES rules: FORM
 * (every enquiry sent through that form) or FORM:CHOICE (those whose
 * interest field is CHOICE). FORM is [a-z]{1,15} and CHOICE [a-z0-9-]{1,31};
 * a form named alone is not named again with a choice. A lead has "*".
 *
 * The recovery key and the members' BOX keys are all different and none is
 * all zeros or of small order; the SIGN keys and the admin key are all
 * different valid Ed25519 points. Every signed object of the clinic starts
 * with a line naming its kind and version, so a signature over one kind can
 * never pass as another.
 */
#ifndef CLINIC_TEAM_H
#define CLINIC_TEAM_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TEAM_FILE_MAX (32 * 1024)
#define TEAM_MAX_SLOTS 64
#define TEAM_MAX_MEMBERS (TEAM_MAX_SLOTS - 1)
#define TEAM_MAX_RULES 8
#define TEAM_NAME_MAX 32
#define TEAM_FORM_MAX 15
#define TEAM_CHOICE_MAX 31
#define TEAM_DATE_LEN 20 /* "2026-11-27T10:00:00Z" */
#define TEAM_ADMIN_KEY_HEX (2 * crypto_sign_PUBLICKEYBYTES)

struct team_rule {
	char form[TEAM_FORM_MAX + 1];
	char choice[TEAM_CHOICE_MAX + 1]; /* "": every enquiry from the form */
};

struct team_member {
	char name[TEAM_NAME_MAX + 1];
	bool lead;
	uint32_t since;
	unsigned char box_pk[crypto_box_PUBLICKEYBYTES];
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
	size_t nrules; /* 0: receives everything ("*") */
	struct team_rule rules[TEAM_MAX_RULES];
};

struct team {
	uint32_t version;
	char date[TEAM_DATE_LEN + 1];
	unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char recovery_pk[crypto_box_PUBLICKEYBYTES];
	unsigned slots;
	size_t count;
	struct team_member members[TEAM_MAX_MEMBERS];
	bool is_signed; /* the file had its signature line */
	unsigned char signature[crypto_sign_BYTES];
};

enum team_status {
	TEAM_OK = 0,
	TEAM_MALFORMED,     /* not a team file in the one spelling above */
	TEAM_UNSIGNED,      /* no signature line */
	TEAM_OTHER_KEY,     /* signed by a team key other than the pinned one */
	TEAM_BAD_SIGNATURE, /* the signature does not match the bytes: altered */
	TEAM_NO_LEAD,       /* well signed, but nobody receives everything */
	TEAM_STATUS__MAX
};

/* A few words for the status ("is not signed"), to follow "version N". */
const char *team_status_text(enum team_status status);

/* Parses text into t, signed or not, without checking the signature. On
 * failure writes what is wrong (with its line) into err; t is then zeroed. */
bool team_parse(const char *text, size_t len, struct team *t, char *err, size_t errlen);

/* Parses text and checks that the pinned admin key signed exactly these
 * bytes and that the team has a lead: the only way to a team that seals.
 * Whenever the result is not TEAM_OK, err says why, to follow "the team
 * file PATH: " ("version 4 is not signed", "it is not a team file (...)"). */
enum team_status team_verify(const char *text, size_t len,
                             const unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES],
                             struct team *t, char *err, size_t errlen);

/* Whether t obeys every rule above; err says which it breaks. */
bool team_check(const struct team *t, char *err, size_t errlen);

/* Appends the file for t: its body, then the signature line if is_signed.
 * False (nothing appended) if t breaks any rule above. */
bool team_encode(const struct team *t, struct buf *out);

/* Appends the body alone: the bytes the signature is made over. */
bool team_encode_body(const struct team *t, struct buf *out);

/* The pinned key as site.conf spells it (64 lowercase hex digits) into pk. */
bool team_admin_key_parse(const char *text, unsigned char pk[crypto_sign_PUBLICKEYBYTES]);

/* Whether name, rule text ("start:pilates") and an ONLY list are spelled as
 * the file allows; team_parse_only fills rules and *nrules (0 for "*"). */
bool team_name_valid(const char *name);
bool team_parse_only(const char *text, size_t len, struct team_rule rules[TEAM_MAX_RULES],
                     size_t *nrules);

/* Whether a public key may be in a team: an X25519 key that is not all zeros
 * nor of small order; a valid Ed25519 point. */
bool team_box_key_usable(const unsigned char pk[crypto_box_PUBLICKEYBYTES]);
bool team_sign_key_usable(const unsigned char pk[crypto_sign_PUBLICKEYBYTES]);

const struct team_member *team_find(const struct team *t, const char *name);
bool team_has_lead(const struct team *t);

/* Whether member m receives an enquiry from form whose interest is choice
 * (NULL or "" when the form has none). */
bool team_member_receives(const struct team_member *m, const char *form, const char *choice);

/* The box keys an enquiry is sealed to: every lead and every member whose
 * rules cover it (in the file's order), then the recovery key, last. Returns
 * how many (at most t->slots), or 0 when the team has no lead. */
size_t team_recipients(const struct team *t, const char *form, const char *choice,
                       const unsigned char *to[TEAM_MAX_SLOTS]);

/* The smallest slot count for n members: a multiple of 8, at least n + 1. */
unsigned team_slots_for(size_t members);

#endif
