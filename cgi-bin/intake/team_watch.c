#include "team_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "shared.h"

/* The last line any worker logged, as a digest: the same change is said once. */
struct team_watch_said {
	pthread_mutex_t lock;
	unsigned char digest[crypto_generichash_BYTES];
};

/* Logs line (an error or not) unless it is the last line any worker logged. */
static void say_once(struct team_watch *w, bool error, const char *line)
{
	unsigned char digest[crypto_generichash_BYTES];
	crypto_generichash(digest, sizeof digest, (const unsigned char *)line, strlen(line), NULL,
	                   0);
	bool new_line = true;
	if (w->said && shared_mutex_lock(&w->said->lock)) {
		new_line = memcmp(digest, w->said->digest, sizeof digest) != 0;
		memcpy(w->said->digest, digest, sizeof digest);
		pthread_mutex_unlock(&w->said->lock);
	}
	if (!new_line)
		return;
	if (error)
		log_error("%s", line);
	else
		log_info("%s", line);
}

bool team_watch_init(struct team_watch *w, const char *path, const char *admin_key,
                     team_remember_fn remember, void *remember_arg, char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	if (!team_admin_key_parse(admin_key, w->admin_pk)) {
		snprintf(err, errlen,
		         "team_admin_key in the configuration must be the 64 hex digits that "
		         "`enquiries team init` printed");
		return false;
	}
	w->path = strdup(path ? path : "");
	w->team = malloc(sizeof *w->team);
	w->said = shared_map(sizeof *w->said);
	if (w->said && !shared_mutex_init(&w->said->lock)) {
		munmap(w->said, sizeof *w->said);
		w->said = NULL;
	}
	if (!w->path || !w->team || !w->said || !remember) {
		snprintf(err, errlen, "out of memory while setting up the team file");
		team_watch_free(w);
		return false;
	}
	w->remember = remember;
	w->remember_arg = remember_arg;
	w->retry = true;
	snprintf(w->why, sizeof w->why, "the team file %s has not been read yet", w->path);
	return true;
}

void team_watch_free(struct team_watch *w)
{
	free(w->path);
	free(w->team);
	if (w->said)
		munmap(w->said, sizeof *w->said);
	memset(w, 0, sizeof *w);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Reads the whole file into text (TEAM_FILE_MAX + 1 bytes), noting what it
 * was in *st; false with a sentence in w->why. */
static bool read_file(struct team_watch *w, char *text, size_t *len, struct stat *st)
{
	int fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(w->why, sizeof w->why, "the team file %s cannot be opened: %s", w->path,
		         strerror(errno));
		return false;
	}
	bool ok = fstat(fd, st) == 0 && S_ISREG(st->st_mode);
	size_t n = 0;
	while (ok && n <= TEAM_FILE_MAX) {
		ssize_t r = read(fd, text + n, TEAM_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ok = r == 0;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	if (!ok || n > TEAM_FILE_MAX) {
		snprintf(w->why, sizeof w->why,
		         "the team file %s is not a regular file that can be read, of at most %d "
		         "bytes",
		         w->path, TEAM_FILE_MAX);
		return false;
	}
	*len = n;
	return true;
}

static const char *memory_text(enum team_memory verdict)
{
	switch (verdict) {
	case TEAM_MEMORY_OK:
		return "is in order";
	case TEAM_MEMORY_OLDER:
		return "is older than one already used";
	case TEAM_MEMORY_OTHER:
		return "is not the file that was used under that same version";
	case TEAM_MEMORY_FAILED:
		break;
	}
	return "could not be checked";
}

/* Reads, verifies and remembers the file; the verified team into w->team,
 * or false with w->why. */
static bool load(struct team_watch *w, struct stat *st)
{
	char *text = malloc(TEAM_FILE_MAX + 1);
	size_t len = 0;
	if (!text) {
		snprintf(w->why, sizeof w->why, "out of memory while reading the team file");
		w->retry = true;
		return false;
	}
	bool ok = read_file(w, text, &len, st);
	char err[400];
	if (ok && team_verify(text, len, w->admin_pk, w->team, err, sizeof err) != TEAM_OK) {
		snprintf(w->why, sizeof w->why, "the team file %s: %s", w->path, err);
		ok = false;
	}
	if (ok) {
		unsigned char digest[TEAM_DIGEST_BYTES];
		crypto_generichash(digest, sizeof digest, (const unsigned char *)text, len, NULL,
		                   0);
		uint32_t known = 0;
		err[0] = '\0';
		enum team_memory verdict =
		    w->remember(w->remember_arg, w->team->version, digest, &known, err, sizeof err);
		if (verdict != TEAM_MEMORY_OK) {
			if (verdict == TEAM_MEMORY_FAILED)
				snprintf(w->why, sizeof w->why,
				         "the version of the team file %s could not be checked: %s",
				         w->path, err);
			else
				snprintf(w->why, sizeof w->why,
				         "the team file %s: version %lu %s (version %lu)", w->path,
				         (unsigned long)w->team->version, memory_text(verdict),
				         (unsigned long)known);
			w->retry = verdict == TEAM_MEMORY_FAILED;
			ok = false;
		}
	}
	free(text);
	return ok;
}

const struct team *team_watch_current(struct team_watch *w)
{
	struct stat st;
	bool present = stat(w->path, &st) == 0;
	int stat_errno = errno;
	if (!present)
		memset(&st, 0, sizeof st); /* compares equal to the last look if still missing */
	if (w->seen && !w->retry && same_file(&st, &w->file))
		return w->why[0] ? NULL : w->team;
	bool was_using = w->seen && !w->why[0];
	uint32_t was_version = was_using ? w->team->version : 0;
	w->seen = true;
	w->retry = false;
	if (!present) {
		w->file = st;
		snprintf(w->why, sizeof w->why, "the team file %s cannot be read: %s", w->path,
		         strerror(stat_errno));
	} else if (load(w, &st)) {
		/* st is now what was read, which the next look compares with. */
		w->file = st;
		w->why[0] = '\0';
		if (!was_using || was_version != w->team->version) {
			char line[600];
			snprintf(line, sizeof line,
			         "sealing to team version %lu (%zu %s, %u key slots) from %s",
			         (unsigned long)w->team->version, w->team->count,
			         w->team->count == 1 ? "member" : "members", w->team->slots,
			         w->path);
			say_once(w, false, line);
		}
		return w->team;
	} else {
		w->file = st;
	}
	char line[600];
	snprintf(line, sizeof line, "%s; posts are refused (503) until it is fixed", w->why);
	say_once(w, true, line);
	return NULL;
}
