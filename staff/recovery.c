#include "recovery.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "paperkey.h"
#include "reading.h"
#include "say.h"
#include "seal.h"

/* Reads the paper key typed into path, into locked memory (wipe and free
 * it); NULL once the reason is said. */
static char *read_paper_key(const char *path, size_t *len)
{
	char *text = sodium_malloc(PAPERKEY_INPUT_MAX + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t n = 0;
	bool ok = text && fd >= 0;
	while (ok && n <= PAPERKEY_INPUT_MAX) {
		ssize_t r = read(fd, text + n, PAPERKEY_INPUT_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ok = r == 0;
			break;
		}
		n += (size_t)r;
	}
	int error = errno;
	if (fd >= 0)
		close(fd);
	if (ok && n <= PAPERKEY_INPUT_MAX) {
		*len = n;
		return text;
	}
	if (!text)
		say_error("Could not read the paper key: out of memory.");
	else if (!ok)
		say_error("Could not read the paper key file %s: %s.", path, strerror(error));
	else
		say_error("The file %s is far longer than a paper key.", path);
	if (text) {
		sodium_memzero(text, PAPERKEY_INPUT_MAX + 1);
		sodium_free(text);
	}
	return NULL;
}

/* Puts the recovery key from the paper key file in ses's keyring; false
 * once the reason is said. */
static bool unlock_with_paper(struct session *ses, const char *path)
{
	size_t len = 0;
	char *typed = read_paper_key(path, &len);
	if (!typed)
		return false;
	struct keyring_entry *entry = sodium_allocarray(1, sizeof *entry);
	char err[SENTENCE_MAX];
	int group = 0;
	enum paperkey_status status = PAPERKEY_BAD_LENGTH;
	if (entry)
		status = paperkey_decode(typed, len, entry->sk, &group, err, sizeof err);
	sodium_memzero(typed, PAPERKEY_INPUT_MAX + 1);
	sodium_free(typed);
	if (!entry) {
		say_error("Could not read the paper key: out of memory.");
		return false;
	}
	bool ok = status == PAPERKEY_OK && crypto_scalarmult_base(entry->pk, entry->sk) == 0;
	if (status != PAPERKEY_OK)
		say_error("%s Nothing was opened.", err);
	if (ok && ses->team &&
	    sodium_memcmp(entry->pk, ses->team->recovery_pk, sizeof entry->pk) != 0) {
		say_error(
		    "The paper key is typed without a mistake, but it is not the recovery key "
		    "of this team (the team file %s names another). Check that it is this "
		    "clinic's paper. Nothing was opened.",
		    ses->cfg.team_file);
		ok = false;
	}
	if (!ok) {
		sodium_memzero(entry, sizeof *entry);
		sodium_free(entry);
		return false;
	}
	seal_key_id(entry->pk, entry->key_id);
	keyring_free(&ses->keyring);
	ses->keyring.kind = KEYRING_CLINIC;
	ses->keyring.count = 1;
	ses->keyring.entries = entry;
	ses->recovery = true;
	return true;
}

/* What each recover command takes: its words after "recover", and its options. */
static const struct {
	const char *name;
	int (*run)(struct session *ses);
	size_t words;
	unsigned options;
} recover_commands[] = {
    {"list", reading_list, 1,
     OPTION_BIT(OPT_STATUS) | OPTION_BIT(OPT_KIND) | OPTION_BIT(OPT_SINCE) | OPTION_BIT(OPT_JSON)},
    {"show", reading_show, 2, 0},
    {"export", reading_export, 1,
     OPTION_BIT(OPT_STATUS) | OPTION_BIT(OPT_KIND) | OPTION_BIT(OPT_SINCE) |
         OPTION_BIT(OPT_FORMAT)},
};

int recovery_run(struct session *ses)
{
	const struct options *o = ses->opt;
	const char *path = o->value[OPT_PAPER_KEY_FILE];
	for (size_t i = 0; i < sizeof recover_commands / sizeof recover_commands[0]; i++) {
		if (o->nargs == 0 || strcmp(o->args[0], recover_commands[i].name) != 0)
			continue;
		if (o->nargs != recover_commands[i].words)
			return options_usage_error("Use it like this: enquiries recover "
			                           "--paper-key-file FILE list|show REF|export.");
		unsigned reading = OPTION_BIT(OPT_STATUS) | OPTION_BIT(OPT_KIND) |
		                   OPTION_BIT(OPT_SINCE) | OPTION_BIT(OPT_JSON) |
		                   OPTION_BIT(OPT_FORMAT);
		for (int id = 0; id < OPT__MAX; id++)
			if ((OPTION_BIT(id) & reading) && options_has(o, (enum option_id)id) &&
			    !(OPTION_BIT(id) & recover_commands[i].options))
				return options_usage_error("recover %s does not take --%s.",
				                           recover_commands[i].name,
				                           options_name((enum option_id)id));
		if (!path)
			return options_usage_error("recover needs --paper-key-file FILE, the file "
			                           "the paper key is typed into.");
		if (!session_load_team(ses) || !unlock_with_paper(ses, path))
			return EXIT_FAILED;
		return recover_commands[i].run(ses);
	}
	return options_usage_error("Use it like this: enquiries recover --paper-key-file FILE "
	                           "list|show REF|export.");
}
