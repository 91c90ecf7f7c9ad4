#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "passphrase.h"
#include "say.h"

bool session_configured(const struct session *ses, const char *value, const char *key,
                        const char *what)
{
	if (value && value[0])
		return true;
	say_error("The configuration %s does not say %s: add a line `%s = ...` to it.",
	          ses->opt->value[OPT_CONFIG] ? ses->opt->value[OPT_CONFIG]
	                                      : OPTIONS_DEFAULT_CONFIG,
	          what, key);
	return false;
}

struct store *session_open_store(struct session *ses, enum store_mode mode)
{
	if (!session_configured(ses, ses->db_path, "enquiry_db", "where the enquiry database is"))
		return NULL;
	/* Only the contact form program makes the database: a mistyped path
	 * must not leave an empty one behind. */
	struct stat st;
	if (stat(ses->db_path, &st) != 0) {
		say_error("There is no enquiry database at %s (%s). Check enquiry_db in the "
		          "configuration, or --db.",
		          ses->db_path, strerror(errno));
		return NULL;
	}
	struct store *s = NULL;
	if (store_open(ses->db_path, mode, &s) != STORE_OK) {
		say_error("Could not open the enquiries: %s.", store_error(s));
		store_close(s);
		return NULL;
	}
	return s;
}

void session_no_enquiry(const char *ref)
{
	say_error("There is no enquiry with the reference %s. `enquiries list` shows them all.",
	          ref);
}

bool session_load_team(struct session *ses)
{
	if (ses->team || !ses->cfg.team_file[0])
		return true;
	unsigned char admin_pk[crypto_sign_PUBLICKEYBYTES];
	if (!team_admin_key_parse(ses->cfg.team_admin_key, admin_pk)) {
		say_error("The configuration names the team file %s but no team_admin_key to check "
		          "it with: add the line `team_admin_key = ...` that `enquiries team init` "
		          "printed.",
		          ses->cfg.team_file);
		return false;
	}
	char err[512];
	char *text = NULL;
	size_t len = 0;
	if (!file_read_all(ses->cfg.team_file, TEAM_FILE_MAX, &text, &len, err, sizeof err)) {
		say_error("Could not read the team file: %s.", err);
		return false;
	}
	struct team *team = malloc(sizeof *team);
	enum team_status status =
	    team ? team_verify(text, len, admin_pk, team, err, sizeof err) : TEAM_MALFORMED;
	free(text);
	if (status != TEAM_OK) {
		say_error("The team file %s is not used: %s. Get the team file the practice lead "
		          "published, or ask them to publish it again.",
		          ses->cfg.team_file, team ? err : "out of memory");
		free(team);
		return false;
	}
	ses->team = team;
	return true;
}

void session_end(struct session *ses)
{
	free(ses->team);
	ses->team = NULL;
	keyring_free(&ses->keyring);
	passphrase_free(ses->passphrase);
	ses->passphrase = NULL;
	if (ses->cfg_loaded)
		config_free(&ses->cfg);
	ses->cfg_loaded = false;
}
