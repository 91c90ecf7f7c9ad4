#include "keys.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "identity.h"
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

char *keys_new_passphrase(const char *file)
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

void keys_report(enum keyring_status status, const char *path, bool from_file, const char *detail)
{
	char sentence[SENTENCE_MAX];
	keyring_report(status, path, from_file, detail, sentence, sizeof sentence);
	say_error("%s", sentence);
}

bool keys_unlock(struct session *ses)
{
	return keys_unlock_file(ses, ses->keyring_path, "secret_key", &ses->keyring);
}

bool keys_unlock_file(struct session *ses, const char *path, const char *setting,
                      struct keyring *into)
{
	if (!session_configured(ses, path, setting, "where the keyring is"))
		return false;
	for (int attempt = 1; attempt <= PASSPHRASE_TRIES; attempt++) {
		char *secret = current_passphrase(ses);
		if (!secret)
			return false;
		char why[SENTENCE_MAX];
		enum keyring_status status = keyring_load(path, secret, into, why, sizeof why);
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
		keys_report(status, path, !ses->interactive, why);
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

/* Writes the identity file of ses's member keyring (its name, its newest
 * X25519 key, its signing key) beside the keyring, and its fingerprint into
 * fingerprint; false once the reason is said. */
static bool write_identity(struct session *ses, char *written, size_t written_len,
                           char fingerprint[IDENTITY_FINGERPRINT_LEN + 1])
{
	const struct keyring_entry *newest = keyring_newest(&ses->keyring);
	struct identity id;
	memset(&id, 0, sizeof id);
	snprintf(id.name, sizeof id.name, "%s", ses->keyring.name);
	memcpy(id.box_pk, newest->pk, sizeof id.box_pk);
	memcpy(id.sign_pk, ses->keyring.signer->pk, sizeof id.sign_pk);
	identity_fingerprint(id.box_pk, id.sign_pk, fingerprint);
	const char *slash = strrchr(ses->keyring_path, '/');
	int dir_len = slash ? (int)(slash - ses->keyring_path) + 1 : 0;
	snprintf(written, written_len, "%.*s%s.identity", dir_len, ses->keyring_path, id.name);
	struct buf line;
	buf_init(&line, IDENTITY_FILE_MAX);
	char why[512] = "";
	/* Anyone may read it: it holds public keys only. */
	bool ok = identity_encode(&id, &line) && file_replace(written, line.data, line.len, 0644,
	                                                      true, why, sizeof why) == FILE_OK;
	buf_free(&line);
	if (!ok)
		say_error(
		    "The keyring %s is in order, but its identity file %s could not be written "
		    "(%s). Fix that, then run `enquiries init --name %s` again to write it.",
		    ses->keyring_path, written, why[0] ? why : "out of memory", id.name);
	return ok;
}

/* init --name: makes the member's keyring, or makes the clinic's keyring
 * theirs, and writes their identity file. */
static int init_member(struct session *ses, const char *name)
{
	if (!team_name_valid(name))
		return options_usage_error("A name in the team is small letters, digits, - and _, "
		                           "starting with a letter, at most 32 in all: not \"%s\".",
		                           name);
	const char *path = ses->keyring_path;
	if (!session_configured(ses, path, "secret_key", "where the keyring is"))
		return EXIT_FAILED;
	struct stat st;
	const char *file = ses->opt->value[OPT_PASSPHRASE_FILE];
	char why[SENTENCE_MAX];
	const char *made;
	if (lstat(path, &st) == 0) {
		/* An existing keyring: the clinic's becomes the member's, keys and all. */
		if (!keys_unlock(ses))
			return EXIT_FAILED;
		if (ses->keyring.kind == KEYRING_TEAM ||
		    (ses->keyring.kind == KEYRING_MEMBER && strcmp(ses->keyring.name, name) != 0)) {
			say_error(
			    "The keyring %s is %s, so nothing was changed. Give another file with "
			    "--keyring for %s's own keyring.",
			    path,
			    ses->keyring.kind == KEYRING_TEAM ? "the team key" : "someone else's",
			    name);
			return EXIT_FAILED;
		}
		if (ses->keyring.kind == KEYRING_CLINIC) {
			enum keyring_status status = keyring_make_member(
			    path, ses->passphrase, name, &ses->keyring, why, sizeof why);
			if (status != KEYRING_OK) {
				keys_report(status, path, file != NULL, why);
				return EXIT_FAILED;
			}
			made = "Made the keyring %s %s's: its keys stay in it, so every enquiry "
			       "sealed "
			       "to them still opens. ";
		} else {
			made = "The keyring %s is already %s's. ";
		}
	} else {
		char *secret = keys_new_passphrase(file);
		if (!secret)
			return EXIT_FAILED;
		enum keyring_status status =
		    keyring_create_member(path, secret, name, &ses->keyring, why, sizeof why);
		passphrase_free(secret);
		if (status != KEYRING_OK) {
			keys_report(status, path, file != NULL, why);
			return EXIT_FAILED;
		}
		made = "Made the keyring %s for %s. ";
	}
	char identity[4096], fingerprint[IDENTITY_FINGERPRINT_LEN + 1];
	if (!write_identity(ses, identity, sizeof identity, fingerprint))
		return EXIT_FAILED;
	char first[SENTENCE_MAX];
	snprintf(first, sizeof first, made, path, name);
	return say("%sIts public half is in %s.\n"
	           "Fingerprint: %s\n"
	           "Send %s to the practice lead (it holds public keys only) and read them the "
	           "fingerprint over the phone, so that they know the file is yours. Keep the "
	           "passphrase safe and a backup of the keyring: without both, nothing sealed to "
	           "you can be read.",
	           first, identity, fingerprint, identity)
	           ? EXIT_OK
	           : EXIT_FAILED;
}

int keys_init(struct session *ses)
{
	if (options_has(ses->opt, OPT_NAME))
		return init_member(ses, ses->opt->value[OPT_NAME]);
	const char *path = ses->keyring_path;
	if (!session_configured(ses, path, "secret_key", "where the keyring is") ||
	    !session_configured(ses, ses->cfg.public_key, "public_key",
	                        "where the public key goes"))
		return EXIT_FAILED;
	struct stat st;
	/* Refuse before asking for a passphrase; keyring_create refuses again
	 * atomically. */
	if (lstat(path, &st) == 0) {
		keys_report(KEYRING_EXISTS, path, false, "");
		return EXIT_FAILED;
	}
	const char *file = ses->opt->value[OPT_PASSPHRASE_FILE];
	char *secret = keys_new_passphrase(file);
	if (!secret)
		return EXIT_FAILED;
	char why[SENTENCE_MAX];
	enum keyring_status status = keyring_create(path, secret, &ses->keyring, why, sizeof why);
	passphrase_free(secret);
	if (status != KEYRING_OK) {
		keys_report(status, path, file != NULL, why);
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
	char *secret = keys_new_passphrase(ses->opt->value[OPT_NEW_PASSPHRASE_FILE]);
	if (!secret)
		return EXIT_FAILED;
	char why[SENTENCE_MAX];
	enum keyring_status status =
	    keyring_save(ses->keyring_path, secret, &ses->keyring, why, sizeof why);
	passphrase_free(secret);
	if (status != KEYRING_OK) {
		keys_report(status, ses->keyring_path, false, why);
		return EXIT_FAILED;
	}
	return say("Changed the passphrase of %s. The keys in it are the same, so every enquiry "
	           "can still be read.",
	           ses->keyring_path)
	           ? EXIT_OK
	           : EXIT_FAILED;
}

/* Adds a key pair to the unlocked keyring; false once the reason is said. */
static bool add_key(struct session *ses)
{
	char why[SENTENCE_MAX];
	enum keyring_status status =
	    keyring_rotate(ses->keyring_path, ses->passphrase, &ses->keyring, why, sizeof why);
	if (status != KEYRING_OK)
		keys_report(status, ses->keyring_path, false, why);
	return status == KEYRING_OK;
}

/* rotate for a member: the new key goes to the lead in the identity file. */
static int rotate_member(struct session *ses)
{
	if (!add_key(ses))
		return EXIT_FAILED;
	char identity[4096], fingerprint[IDENTITY_FINGERPRINT_LEN + 1];
	if (!write_identity(ses, identity, sizeof identity, fingerprint))
		return EXIT_FAILED;
	return say("Made the new key %s and wrote it to %s (fingerprint %s). Give that file to "
	           "the practice lead again: enquiries are sealed to the new key once they add it "
	           "to the team and publish. The keyring holds %zu keys and older enquiries stay "
	           "readable.",
	           keyring_newest(&ses->keyring)->key_id, identity, fingerprint, ses->keyring.count)
	           ? EXIT_OK
	           : EXIT_FAILED;
}

int keys_rotate(struct session *ses)
{
	if (!keys_unlock(ses))
		return EXIT_FAILED;
	if (ses->keyring.kind == KEYRING_TEAM) {
		say_error(
		    "The keyring %s is the team key, which makes no keys for enquiries. Nothing "
		    "was changed.",
		    ses->keyring_path);
		return EXIT_FAILED;
	}
	if (ses->keyring.kind == KEYRING_MEMBER)
		return rotate_member(ses);
	if (!session_configured(ses, ses->cfg.public_key, "public_key",
	                        "where the public key goes") ||
	    !add_key(ses))
		return EXIT_FAILED;
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
