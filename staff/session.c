#include "session.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

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

void session_end(struct session *ses)
{
	keyring_free(&ses->keyring);
	passphrase_free(ses->passphrase);
	ses->passphrase = NULL;
	if (ses->cfg_loaded)
		config_free(&ses->cfg);
	ses->cfg_loaded = false;
}
