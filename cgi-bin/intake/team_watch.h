/*
 * team_watch: the team file as contact.fcgi uses it, verified when it is
 * first read and again whenever it changes, and never going back.
 *
 * Each post asks team_watch_current for the team to seal to. That costs one
 * stat() of the file: when it is not the file verified last (another inode,
 * size, modification or change time), it is read again (at most
 * TEAM_FILE_MAX bytes), verified against the pinned team key (team_verify),
 * and its version and digest (BLAKE2b-256 of the bytes) are put to the
 * remember function, which the program backs with the enquiry database: a
 * version lower than the highest ever used, or another file under that same
 * version, is refused, even after a restart. Until the file on disk passes
 * all of that, there is no team: the caller refuses the post (503) and
 * nothing is sealed to an unverified key. A change of state is logged in one
 * line that says why, once for all the workers (they share a note of the
 * last line said); a failure to remember (the database busy or broken) is
 * tried again at the next post.
 */
#ifndef CLINIC_TEAM_WATCH_H
#define CLINIC_TEAM_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "team.h"

struct team_watch_said; /* shared by the workers: the last line logged */

enum team_memory {
	TEAM_MEMORY_OK = 0, /* the version is the highest yet (now remembered) or the same file */
	TEAM_MEMORY_OLDER,  /* a higher version was used before */
	TEAM_MEMORY_OTHER,  /* another file was used under this same version */
	TEAM_MEMORY_FAILED, /* could not be checked now: err says why */
};

#define TEAM_DIGEST_BYTES 32

/* Checks version (with the file's digest) against the highest one used and
 * remembers it; *known is the highest version known before. */
typedef enum team_memory (*team_remember_fn)(void *arg, uint32_t version,
                                             const unsigned char digest[TEAM_DIGEST_BYTES],
                                             uint32_t *known, char *err, size_t errlen);

struct team_watch {
	char *path;
	unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES];
	team_remember_fn remember;
	void *remember_arg;
	struct team *team; /* the verified team in use, or NULL */
	bool seen;         /* the file below was looked at */
	bool retry;        /* the last look failed for a reason that may pass */
	struct stat file;  /* what the file was at the last look */
	char why[512];     /* while there is no team: why, in a sentence for the log */
	struct team_watch_said *said;
};

/* Sets w up for the file at path, pinned to the team key spelled admin_key
 * (64 hex digits), before the workers fork (their note of what was logged
 * is shared memory). False with a sentence in err for a bad key or no
 * memory: a configuration error, for the program to stop on. */
bool team_watch_init(struct team_watch *w, const char *path, const char *admin_key,
                     team_remember_fn remember, void *remember_arg, char *err, size_t errlen);

/* The team to seal to now, or NULL (w->why says why). */
const struct team *team_watch_current(struct team_watch *w);

void team_watch_free(struct team_watch *w);

#endif
