#include "keys.h"

#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "keyring.h"
#include "passphrase.h"
#include "say.h"
#include "seal.h"

#define PASSPHRASE_MIN 8
#define PASSPHRASE_TRIES 3

/* A passphrase typed on the terminal after prompt, or NULL once the reason is said. */
static char *ask_terminal(const char *prompt)
{
	char err[SENTENCE_MAX];
	char *secret = passphrase_ask(prompt, err, sizeof err);
	say_failure(secret != NULL, err);
	return secret;
}

/* The passphrase in the file at path, or NULL once the reason is said. */
static char *read_secret_file(const char *path)
{
	char err[SENTENCE_MAX];
	char *secret = passphrase_from_file(path, err, sizeof err);
	say_failure(secret != NULL, err);
	return secret;
}

/* The keyring's passphrase, from --passphrase-file or the terminal; NULL once the reason is
 * said. */
static char *current_passphrase(struct session *ses)
{
	const char *file = ses->opt->value[OPT_PASSPHRASE_FILE];
	ses->interactive = file == NULL;
	return file ? read_secret_file(file) : ask_terminal("Passphrase: ");
}

/* Whether a new passphrase is long enough; if not, says so. */
static bool long_enough(const char *secret)
{
	if (strlen(secret) >= PASSPHRASE_MIN)
		return true;
	say_error("A new passphrase must be at least %d characters long; a few words are better "
	          "still.",
	          PASSPHRASE_MIN);
	return false;
}

/* A new passphrase from file, or asked twice on the terminal. */
static char *new_passphrase(const char *file)
{
	if (file) {
		char *secret = read_secret_file(file);
		if (secret && !long_enough(secret)) {
			passphrase_free(secret);
			return NULL;
		}
		return secret;
	}
	for (int attempt = 1; attempt <= PASSPHRASE_TRIES; attempt++) {
		char *first = ask_terminal("New passphrase: ");
		if (!first)
			return NULL;
		if (!long_enough(first)) {
			passphrase_free(first);
			continue;
		}
		char *again = ask_terminal("The same passphrase again: ");
		if (!again) {
			passphrase_free(first);
			return NULL;
		}
		bool same = strlen(first) == strlen(again) &&
		            sodium_memcmp(first, again, strlen(first)) == 0;
		passphrase_free(again);
		if (same)
			return first;
		passphrase_free(first);
		say_error("The two passphrases were not the same. Please type them again.");
	}
	say_error("No new passphrase was set. Nothing was changed.");
	return NULL;
}

/* Says what went wrong with the keyring at path; detail is the failed
 * call's err. */
static void report_keyring(enum keyring_status status, const char *path, bool from_file,
                           const char *detail)
{
	char sentence[SENTENCE_MAX];
	keyring_report(status, path, from_file, detail, sentence, sizeof sentence);
	say_error("%s", sentence);
}

bool keys_unlock(struct session *ses)
{
	const char *path = ses->cfg.secret_key;
	if (!session_configured(ses, path, "secret_key", "where the keyring is"))
		return false;
	for (int attempt = 1; attempt <= PASSPHRASE_TRIES; attempt++) {
		char *secret = current_passphrase(ses);
		if (!secret)
			return false;
		char why[SENTENCE_MAX];
		enum keyring_status status =
		    keyring_load(path, secret, &ses->keyring, why, sizeof why);
		if (status == KEYRING_OK) {
			ses->passphrase = secret;
			return true;
		}
		passphrase_free(secret);
		if (status == KEYRING_BAD_PASSPHRASE && ses->interactive &&
		    attempt < PASSPHRASE_TRIES) {
			say_error("That passphrase does not open the keyring. Please try again.");
			continue;
		}
		report_keyring(status, path, !ses->interactive, why);
		return false;
	}
	return false;
}

/* Writes the public key of entry where the configuration says; false once the reason is said. */
static bool write_public_key(struct session *ses, const struct keyring_entry *entry)
{
	struct public_key key;
	memcpy(key.pk, entry->pk, sizeof key.pk);
	seal_key_id(key.pk, key.key_id);
	char err[512];
	if (keyring_write_public_key(ses->cfg.public_key, &key, err, sizeof err))
		return true;
	say_error("%s.", err);
	return false;
}

int keys_init(struct session *ses)
{
	const char *path = ses->cfg.secret_key;
	if (!session_configured(ses, path, "secret_key", "where the keyring is") ||
	    !session_configured(ses, ses->cfg.public_key, "public_key",
	                        "where the public key goes"))
		return EXIT_FAILED;
	struct stat st;
	/* Refuse before asking for a passphrase; keyring_create refuses again
	 * atomically. */
	if (lstat(path, &st) == 0) {
		report_keyring(KEYRING_EXISTS, path, false, "");
		return EXIT_FAILED;
	}
	const char *file = ses->opt->value[OPT_PASSPHRASE_FILE];
	char *secret = new_passphrase(file);
	if (!secret)
		return EXIT_FAILED;
	char why[SENTENCE_MAX];
	enum keyring_status status = keyring_create(path, secret, &ses->keyring, why, sizeof why);
	passphrase_free(secret);
	if (status != KEYRING_OK) {
		report_keyring(status, path, file != NULL, why);
		return EXIT_FAILED;
	}
	const struct keyring_entry *newest = keyring_newest(&ses->keyring);
	if (!newest || !write_public_key(ses, newest)) {
		say_error("The keyring %s was made, but the public key could not be written. Fix "
		          "the problem above, then run `enquiries rotate` to write it.",
		          path);
		return EXIT_FAILED;
	}
	return say("Made the keyring %s with the key %s, and wrote its public key to %s.\n"
	           "Keep the passphrase safe and keep a backup of the keyring: without both, no "
	           "enquiry can be read.",
	           path, newest->key_id, ses->cfg.public_key)
	           ? EXIT_OK
	           : EXIT_FAILED;
}

int keys_passwd(struct session *ses)
{
	if (!keys_unlock(ses))
		return EXIT_FAILED;
	char *secret = new_passphrase(ses->opt->value[OPT_NEW_PASSPHRASE_FILE]);
	if (!secret)
		return EXIT_FAILED;
	char why[SENTENCE_MAX];
	enum keyring_status status =
	    keyring_save(ses->cfg.secret_key, secret, &ses->keyring, why, sizeof why);
	passphrase_free(secret);
	if (status != KEYRING_OK) {
		report_keyring(status, ses->cfg.secret_key, false, why);
		return EXIT_FAILED;
	}
	return say("Changed the passphrase of %s. The keys in it are the same, so every enquiry "
	           "can still be read.",
	           ses->cfg.secret_key)
	           ? EXIT_OK
	           : EXIT_FAILED;
}

int keys_rotate(struct session *ses)
{
	if (!session_configured(ses, ses->cfg.public_key, "public_key",
	                        "where the public key goes"))
		return EXIT_FAILED;
	if (!keys_unlock(ses))
		return EXIT_FAILED;
	char why[SENTENCE_MAX];
	enum keyring_status status =
	    keyring_rotate(ses->cfg.secret_key, ses->passphrase, &ses->keyring, why, sizeof why);
	if (status != KEYRING_OK) {
		report_keyring(status, ses->cfg.secret_key, false, why);
		return EXIT_FAILED;
	}
	const struct keyring_entry *newest = keyring_newest(&ses->keyring);
	if (!newest || !write_public_key(ses, newest)) {
		say_error(
		    "A new key was added to the keyring, but the public key file could not be "
		    "written, so new enquiries are still sealed to the old key. Fix the problem "
		    "above and run `enquiries rotate` again.");
		return EXIT_FAILED;
	}
	return say("Made the new key %s and wrote it to %s. New enquiries are sealed to it once "
	           "the contact form program has been restarted; the keyring holds %zu keys and "
	           "older enquiries stay readable.",
	           newest->key_id, ses->cfg.public_key, ses->keyring.count)
	           ? EXIT_OK
	           : EXIT_FAILED;
}
