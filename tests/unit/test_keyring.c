#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "keyring.h"
#include "seal.h"
#include "unseal.h"

#define PASSPHRASE "correct horse battery staple"

/* The reason a keyring call gives when it fails. */
static char err[512];

static char dir[] = "/tmp/test_keyring.XXXXXX";
static char path[512];

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0 || !mkdtemp(dir) || setenv("CLINIC_PWHASH_FAST", "1", 1) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/staff.keyring", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

static void remove_dir_contents(void)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char p[1024];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	closedir(d);
}

static int clean(void **state)
{
	(void)state;
	remove_dir_contents();
	return 0;
}

static int count_dir_entries(void)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static char *read_text(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	char *text = calloc(1, 128 * 1024);
	assert_non_null(text);
	*len = fread(text, 1, 128 * 1024 - 1, f);
	fclose(f);
	return text;
}

static void write_text(const char *p, const char *text, size_t len)
{
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void assert_mode_0600(void)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

/* The secret key really belongs to the public key, and the id to both. */
static void assert_entry_consistent(const struct keyring_entry *e)
{
	unsigned char derived[crypto_box_PUBLICKEYBYTES];
	assert_int_equal(crypto_scalarmult_base(derived, e->sk), 0);
	assert_memory_equal(derived, e->pk, sizeof derived);
	char id[SEAL_KEY_ID_LEN];
	seal_key_id(e->pk, id);
	assert_string_equal(id, e->key_id);
}

static void assert_same_entries(const struct keyring *a, const struct keyring *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_string_equal(a->entries[i].key_id, b->entries[i].key_id);
		assert_memory_equal(a->entries[i].pk, b->entries[i].pk, crypto_box_PUBLICKEYBYTES);
		assert_memory_equal(a->entries[i].sk, b->entries[i].sk, crypto_box_SECRETKEYBYTES);
	}
}

static void test_create_and_load(void **state)
{
	(void)state;
	mode_t old_umask = umask(0); /* 0600 must not depend on the umask */
	struct keyring created;
	assert_int_equal(keyring_create(path, PASSPHRASE, &created, err, sizeof err), KEYRING_OK);
	umask(old_umask);
	assert_int_equal(created.count, 1);
	assert_entry_consistent(&created.entries[0]);
	assert_mode_0600();
	assert_int_equal(count_dir_entries(), 1); /* no temporary file left */

	size_t len = 0;
	char *text = read_text(path, &len);
	assert_true(strncmp(text, "clinic-staff-keyring-v1 ", 24) == 0);
	/* The fast limits are recorded so that loading uses them. */
	assert_non_null(strstr(text, " 1 8192\n"));
	assert_null(strstr(text, PASSPHRASE));
	char sk_hex[2 * crypto_box_SECRETKEYBYTES + 1];
	sodium_bin2hex(sk_hex, sizeof sk_hex, created.entries[0].sk, crypto_box_SECRETKEYBYTES);
	assert_null(strstr(text, sk_hex));
	free(text);

	struct keyring loaded;
	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_OK);
	assert_same_entries(&created, &loaded);
	assert_ptr_equal(keyring_newest(&loaded), &loaded.entries[0]);
	assert_ptr_equal(keyring_find(&loaded, created.entries[0].key_id), &loaded.entries[0]);
	assert_null(keyring_find(&loaded, "0000000000000000"));
	assert_null(keyring_find(&loaded, ""));

	keyring_free(&created);
	keyring_free(&loaded);
	assert_int_equal(loaded.count, 0);
	assert_null(loaded.entries);
	assert_null(keyring_newest(&loaded));
	keyring_free(&loaded); /* harmless twice */
}

static void test_load_uses_recorded_limits(void **state)
{
	(void)state;
	struct keyring created, loaded;
	assert_int_equal(keyring_create(path, PASSPHRASE, &created, err, sizeof err), KEYRING_OK);
	/* Without the variable new files would use the moderate limits; this
	 * one still opens with the limits it was made with. */
	assert_int_equal(unsetenv("CLINIC_PWHASH_FAST"), 0);
	enum keyring_status status = keyring_load(path, PASSPHRASE, &loaded, err, sizeof err);
	assert_int_equal(setenv("CLINIC_PWHASH_FAST", "1", 1), 0);
	assert_int_equal(status, KEYRING_OK);
	assert_same_entries(&created, &loaded);
	keyring_free(&created);
	keyring_free(&loaded);
}

static void test_sealed_message_opens_with_loaded_key(void **state)
{
	(void)state;
	struct keyring kr;
	assert_int_equal(keyring_create(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	struct public_key pub;
	memcpy(pub.pk, keyring_newest(&kr)->pk, sizeof pub.pk);
	seal_key_id(pub.pk, pub.key_id);
	keyring_free(&kr);

	struct buf sealed, opened;
	buf_init(&sealed, 1 << 20);
	buf_init(&opened, 1 << 20);
	assert_true(seal_message(&pub, "I need to talk to someone", 25, &sealed));

	assert_int_equal(keyring_load(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	const struct keyring_entry *e = keyring_find(&kr, pub.key_id);
	assert_non_null(e);
	assert_true(unseal_message(e->pk, e->sk, sealed.data, sealed.len, &opened));
	assert_int_equal(opened.len, 25);
	assert_memory_equal(opened.data, "I need to talk to someone", 25);
	keyring_free(&kr);
	buf_free(&sealed);
	buf_wipe(&opened);
}

static void test_refuses_overwrite(void **state)
{
	(void)state;
	struct keyring first, second;
	assert_int_equal(keyring_create(path, PASSPHRASE, &first, err, sizeof err), KEYRING_OK);
	size_t before_len = 0;
	char *before = read_text(path, &before_len);

	assert_int_equal(keyring_create(path, "another passphrase", &second, err, sizeof err),
	                 KEYRING_EXISTS);
	assert_int_equal(second.count, 0);
	assert_null(second.entries);
	size_t after_len = 0;
	char *after = read_text(path, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(before);
	free(after);
	keyring_free(&first);

	/* Whatever is at the path, even a file that is not a keyring. */
	char other[600];
	snprintf(other, sizeof other, "%s/notes.txt", dir);
	write_text(other, "precious", 8);
	assert_int_equal(keyring_create(other, PASSPHRASE, &second, err, sizeof err),
	                 KEYRING_EXISTS);
	size_t len = 0;
	char *text = read_text(other, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(text, "precious", 8);
	free(text);

	/* A dangling symbolic link counts as something there. */
	char link_path[600];
	snprintf(link_path, sizeof link_path, "%s/link.keyring", dir);
	assert_int_equal(symlink("/nonexistent/target", link_path), 0);
	assert_int_equal(keyring_create(link_path, PASSPHRASE, &second, err, sizeof err),
	                 KEYRING_EXISTS);
	assert_int_equal(count_dir_entries(), 3);
}

static void test_wrong_passphrase(void **state)
{
	(void)state;
	struct keyring kr;
	assert_int_equal(keyring_create(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	keyring_free(&kr);
	const char *wrong[] = {"correct horse battery stapler", "Correct horse battery staple", "",
	                       "correct horse battery staple\n"};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		assert_int_equal(keyring_load(path, wrong[i], &kr, err, sizeof err),
		                 KEYRING_BAD_PASSPHRASE);
		assert_int_equal(kr.count, 0);
		assert_null(kr.entries);
	}
	assert_int_equal(keyring_load(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	keyring_free(&kr);
}

static void test_missing(void **state)
{
	(void)state;
	struct keyring kr;
	assert_int_equal(keyring_load(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_MISSING);
	assert_int_equal(kr.count, 0);
	char nested[600];
	snprintf(nested, sizeof nested, "%s/absent/staff.keyring", dir);
	assert_int_equal(keyring_load(nested, PASSPHRASE, &kr, err, sizeof err), KEYRING_MISSING);
	assert_int_equal(keyring_create(nested, PASSPHRASE, &kr, err, sizeof err), KEYRING_FAILED);
	assert_non_null(strstr(err, strerror(ENOENT)));
}

/* Loads text written at path. */
static enum keyring_status load_text(const char *text, size_t len)
{
	write_text(path, text, len);
	struct keyring kr;
	enum keyring_status status = keyring_load(path, PASSPHRASE, &kr, err, sizeof err);
	if (status != KEYRING_OK) {
		assert_int_equal(kr.count, 0);
		assert_null(kr.entries);
	}
	keyring_free(&kr);
	return status;
}

static enum keyring_status load_edited(const char *original, size_t len, size_t at, size_t remove,
                                       const char *insert)
{
	char *edited = malloc(len + strlen(insert) + 1);
	assert_non_null(edited);
	memcpy(edited, original, at);
	memcpy(edited + at, insert, strlen(insert));
	memcpy(edited + at + strlen(insert), original + at + remove, len - at - remove);
	size_t edited_len = len - remove + strlen(insert);
	enum keyring_status status = load_text(edited, edited_len);
	free(edited);
	return status;
}

static void test_damaged(void **state)
{
	(void)state;
	struct keyring kr;
	assert_int_equal(keyring_create(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	assert_int_equal(keyring_rotate(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	keyring_free(&kr);
	size_t len = 0;
	char *good = read_text(path, &len);
	assert_int_equal(load_text(good, len), KEYRING_OK);

	const char *line2 = strchr(good, '\n') + 1;
	const char *line3 = strchr(line2, '\n') + 1;
	size_t header_len = (size_t)(line2 - good);
	size_t line2_at = header_len;
	size_t line3_at = (size_t)(line3 - good);
	size_t box3_at = (size_t)(strrchr(good, ' ') - good) + 1; /* last entry's secretbox */
	size_t nonce3_at = box3_at - 1 - 48;
	size_t pk2_at = line2_at + 17;
	const char *numbers = strchr(good + 24, ' ') + 1; /* after the salt */
	size_t numbers_at = (size_t)(numbers - good);

	assert_int_equal(load_text("", 0), KEYRING_DAMAGED);
	assert_int_equal(load_text("hello\n", 6), KEYRING_DAMAGED);
	assert_int_equal(load_text(good, header_len), KEYRING_DAMAGED); /* no keys */
	assert_int_equal(load_text(good, len - 1), KEYRING_DAMAGED);    /* no final newline */
	assert_int_equal(load_text(good, len - 10), KEYRING_DAMAGED);
	assert_int_equal(load_text(good, line3_at - 1), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, 0, 1, "C"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, 22, 1, "2"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, len, 0, "x"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, len, 0, "\n"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, line2_at, 0, "\n"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, line2_at, 0, " "), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, line3_at - 1, 1, "\r\n"), KEYRING_DAMAGED);
	/* limits out of bounds or not written canonically */
	assert_int_equal(load_edited(good, len, numbers_at, 1, "0"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, numbers_at, 0, "0"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, numbers_at, 1, "5"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, numbers_at + 2, 4, "8191"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, numbers_at + 2, 4, "99999999999999999999999"),
	                 KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, numbers_at + 2, 4, "1073741825"), KEYRING_DAMAGED);
	/* hex that is uppercase, short or not hex */
	assert_int_equal(load_edited(good, len, line2_at, 1, good[line2_at] == 'a' ? "b" : "a"),
	                 KEYRING_DAMAGED); /* the key id no longer matches */
	assert_int_equal(load_edited(good, len, pk2_at, 1, good[pk2_at] == 'a' ? "b" : "a"),
	                 KEYRING_DAMAGED); /* the public key no longer matches its id */
	assert_int_equal(load_edited(good, len, box3_at, 1, "g"), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, box3_at, 1, ""), KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, 24, 1, "G"), KEYRING_DAMAGED);
	/* a later key that does not open under the key that opened the first */
	assert_int_equal(load_edited(good, len, box3_at, 1, good[box3_at] == '0' ? "1" : "0"),
	                 KEYRING_DAMAGED);
	assert_int_equal(load_edited(good, len, nonce3_at, 1, good[nonce3_at] == '0' ? "1" : "0"),
	                 KEYRING_DAMAGED);
	/* the same key twice */
	char *doubled = malloc(len + (line3_at - line2_at));
	assert_non_null(doubled);
	memcpy(doubled, good, line3_at);
	memcpy(doubled + line3_at, good + line2_at, line3_at - line2_at);
	assert_int_equal(load_text(doubled, line3_at + (line3_at - line2_at)), KEYRING_DAMAGED);
	free(doubled);

	/* Far too big to be a keyring. */
	size_t huge_len = 70 * 1024;
	char *huge = malloc(huge_len);
	assert_non_null(huge);
	memset(huge, 'a', huge_len);
	memcpy(huge, good, len);
	assert_int_equal(load_text(huge, huge_len), KEYRING_DAMAGED);
	free(huge);

	/* A directory is not a keyring either. */
	struct keyring out;
	assert_int_equal(keyring_load(dir, PASSPHRASE, &out, err, sizeof err), KEYRING_DAMAGED);

	/* The first key's box is where a wrong passphrase shows, so an altered
	 * first box cannot be told from one: it reads as a wrong passphrase. */
	size_t box2_at = line3_at - 1 - 96;
	assert_int_equal(load_edited(good, len, box2_at, 1, good[box2_at] == '0' ? "1" : "0"),
	                 KEYRING_BAD_PASSPHRASE);
	free(good);
}

static void test_rotate(void **state)
{
	(void)state;
	struct keyring kr;
	assert_int_equal(keyring_create(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	struct keyring_entry first = kr.entries[0];

	assert_int_equal(keyring_rotate(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	assert_int_equal(kr.count, 2);
	assert_memory_equal(&kr.entries[0], &first, sizeof first);
	const struct keyring_entry *newest = keyring_newest(&kr);
	assert_ptr_equal(newest, &kr.entries[1]);
	assert_string_not_equal(newest->key_id, first.key_id);
	assert_entry_consistent(newest);
	assert_mode_0600();
	struct keyring_entry second = *newest;

	assert_int_equal(keyring_rotate(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	assert_int_equal(kr.count, 3);
	assert_int_equal(count_dir_entries(), 1);

	struct keyring loaded;
	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_OK);
	assert_same_entries(&kr, &loaded);
	assert_non_null(keyring_find(&loaded, first.key_id));
	assert_memory_equal(keyring_find(&loaded, first.key_id)->sk, first.sk, sizeof first.sk);
	assert_memory_equal(keyring_find(&loaded, second.key_id)->sk, second.sk, sizeof second.sk);
	assert_string_equal(keyring_newest(&loaded)->key_id, kr.entries[2].key_id);
	for (size_t i = 0; i < loaded.count; i++)
		assert_entry_consistent(&loaded.entries[i]);
	keyring_free(&loaded);

	/* Each secret key has its own nonce. */
	size_t len = 0;
	char *text = read_text(path, &len);
	char nonces[3][49];
	const char *line = strchr(text, '\n') + 1;
	for (int i = 0; i < 3; i++) {
		memcpy(nonces[i], line + 17 + 65, 48);
		nonces[i][48] = '\0';
		line = strchr(line, '\n') + 1;
	}
	assert_string_not_equal(nonces[0], nonces[1]);
	assert_string_not_equal(nonces[1], nonces[2]);
	assert_string_not_equal(nonces[0], nonces[2]);
	free(text);

	memset(&first, 0, sizeof first);
	memset(&second, 0, sizeof second);
	keyring_free(&kr);
}

static void test_rotate_failure_keeps_keyring(void **state)
{
	(void)state;
	struct keyring kr;
	assert_int_equal(keyring_create(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	char id[17];
	strcpy(id, kr.entries[0].key_id);
	char nowhere[600];
	snprintf(nowhere, sizeof nowhere, "%s/absent/staff.keyring", dir);
	assert_int_equal(keyring_rotate(nowhere, PASSPHRASE, &kr, err, sizeof err), KEYRING_FAILED);
	assert_int_equal(kr.count, 1);
	assert_string_equal(kr.entries[0].key_id, id);
	keyring_free(&kr);
}

static void test_save_new_passphrase(void **state)
{
	(void)state;
	struct keyring kr;
	assert_int_equal(keyring_create(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	assert_int_equal(keyring_rotate(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	size_t len = 0;
	char *before = read_text(path, &len);

	mode_t old_umask = umask(0);
	enum keyring_status status = keyring_save(path, "a new passphrase", &kr, err, sizeof err);
	umask(old_umask);
	assert_int_equal(status, KEYRING_OK);
	assert_mode_0600();
	assert_int_equal(count_dir_entries(), 1);

	char *after = read_text(path, &len);
	/* A new salt, so the header line changed. */
	assert_true(strncmp(before, after, (size_t)(strchr(before, '\n') - before)) != 0);
	free(before);
	free(after);

	struct keyring loaded;
	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err),
	                 KEYRING_BAD_PASSPHRASE);
	assert_int_equal(keyring_load(path, "a new passphrase", &loaded, err, sizeof err),
	                 KEYRING_OK);
	assert_same_entries(&kr, &loaded);
	keyring_free(&loaded);

	/* Saving refuses an empty keyring: it could never be opened again. */
	struct keyring empty = {.count = 0, .entries = NULL};
	assert_int_equal(keyring_save(path, PASSPHRASE, &empty, err, sizeof err), KEYRING_FAILED);
	assert_int_equal(keyring_load(path, "a new passphrase", &loaded, err, sizeof err),
	                 KEYRING_OK);
	keyring_free(&loaded);
	keyring_free(&kr);
}

/* What a person is told for each status: whole sentences, one of their
 * own for each, naming the keyring, and the failed call's reason where the
 * status alone says too little. */
static void test_reports(void **state)
{
	(void)state;
	char text[1024];
	keyring_report(KEYRING_BAD_PASSPHRASE, "/k", false, "", text, sizeof text);
	assert_string_equal(text, "That passphrase does not open the keyring /k. Nothing was "
	                          "changed.");
	keyring_report(KEYRING_BAD_PASSPHRASE, "/k", true, "", text, sizeof text);
	assert_string_equal(text, "The passphrase in the passphrase file does not open the "
	                          "keyring /k. Nothing was changed.");
	keyring_report(KEYRING_MISSING, "/k", false, "", text, sizeof text);
	assert_non_null(strstr(text, "enquiries init"));
	keyring_report(KEYRING_FAILED, "/k", false, "No space left on device", text, sizeof text);
	assert_non_null(strstr(text, "(No space left on device)"));
	enum keyring_status all[] = {KEYRING_OK,      KEYRING_MISSING,
	                             KEYRING_EXISTS,  KEYRING_BAD_PASSPHRASE,
	                             KEYRING_DAMAGED, KEYRING_FAILED};
	size_t n = sizeof all / sizeof all[0];
	char texts[6][1024];
	for (size_t i = 0; i < n; i++) {
		keyring_report(all[i], "/some/staff.keyring", false, "why", texts[i],
		               sizeof texts[i]);
		assert_true(strlen(texts[i]) > 10);
		assert_int_equal(texts[i][strlen(texts[i]) - 1], '.');
		assert_non_null(strstr(texts[i], "/some/staff.keyring"));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(texts[i], texts[j]);
	}
	keyring_report((enum keyring_status)99, "/k", false, "", text, sizeof text);
	assert_true(strlen(text) > 10);

	/* A keyring can hold only so many keys: the reason says so. */
	struct keyring kr;
	assert_int_equal(keyring_create(path, PASSPHRASE, &kr, err, sizeof err), KEYRING_OK);
	struct keyring full = {.count = KEYRING_MAX_KEYS, .entries = kr.entries};
	assert_int_equal(keyring_rotate(path, PASSPHRASE, &full, err, sizeof err), KEYRING_FAILED);
	assert_non_null(strstr(err, "the most it can"));
	assert_ptr_equal(full.entries, kr.entries);
	keyring_free(&kr);
}

/* The signing key really belongs to its public key. */
static void assert_signer_consistent(const struct keyring_signer *signer)
{
	assert_non_null(signer);
	unsigned char derived[crypto_sign_PUBLICKEYBYTES];
	assert_int_equal(crypto_sign_ed25519_sk_to_pk(derived, signer->sk), 0);
	assert_memory_equal(derived, signer->pk, sizeof derived);
}

static void test_member_keyring(void **state)
{
	(void)state;
	struct keyring created, loaded;
	assert_int_equal(
	    keyring_create_member(path, PASSPHRASE, "dr-smith", &created, err, sizeof err),
	    KEYRING_OK);
	assert_int_equal(created.kind, KEYRING_MEMBER);
	assert_string_equal(created.name, "dr-smith");
	assert_int_equal(created.count, 1);
	assert_signer_consistent(created.signer);
	assert_mode_0600();
	size_t len;
	char *text = read_text(path, &len);
	assert_memory_equal(text, "clinic-staff-keyring-v2 ", 24);
	assert_non_null(strstr(text, " dr-smith\n"));
	assert_non_null(strstr(text, "\nsign "));
	free(text);

	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_OK);
	assert_int_equal(loaded.kind, KEYRING_MEMBER);
	assert_string_equal(loaded.name, "dr-smith");
	assert_same_entries(&created, &loaded);
	assert_memory_equal(loaded.signer->sk, created.signer->sk, crypto_sign_SECRETKEYBYTES);

	/* A new X25519 key keeps the name and the signing key. */
	assert_int_equal(keyring_rotate(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_OK);
	keyring_free(&loaded);
	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_OK);
	assert_int_equal(loaded.count, 2);
	assert_string_equal(loaded.name, "dr-smith");
	assert_memory_equal(loaded.signer->pk, created.signer->pk, crypto_sign_PUBLICKEYBYTES);
	assert_int_equal(keyring_load(path, "not the passphrase", &loaded, err, sizeof err),
	                 KEYRING_BAD_PASSPHRASE);
	assert_int_equal(keyring_create_member(path, PASSPHRASE, "other", &loaded, err, sizeof err),
	                 KEYRING_EXISTS);
	assert_null(loaded.signer);
	keyring_free(&created);
	char other[600];
	snprintf(other, sizeof other, "%s/bad-name.keyring", dir);
	assert_int_equal(
	    keyring_create_member(other, PASSPHRASE, "Not A Name", &loaded, err, sizeof err),
	    KEYRING_FAILED);
}

static void test_clinic_keyring_becomes_a_members(void **state)
{
	(void)state;
	struct keyring clinic, loaded;
	assert_int_equal(keyring_create(path, PASSPHRASE, &clinic, err, sizeof err), KEYRING_OK);
	assert_int_equal(keyring_rotate(path, PASSPHRASE, &clinic, err, sizeof err), KEYRING_OK);
	assert_int_equal(clinic.kind, KEYRING_CLINIC);
	assert_null(clinic.signer);
	struct keyring before;
	assert_int_equal(keyring_load(path, PASSPHRASE, &before, err, sizeof err), KEYRING_OK);
	assert_int_equal(keyring_make_member(path, PASSPHRASE, "anna", &clinic, err, sizeof err),
	                 KEYRING_OK);
	assert_int_equal(clinic.kind, KEYRING_MEMBER);
	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_OK);
	assert_int_equal(loaded.kind, KEYRING_MEMBER);
	assert_string_equal(loaded.name, "anna");
	/* Every old key stays, so what was sealed to them still opens. */
	assert_same_entries(&before, &loaded);
	assert_signer_consistent(loaded.signer);
	/* Only a clinic keyring becomes a member's. */
	assert_int_equal(keyring_make_member(path, PASSPHRASE, "ben", &loaded, err, sizeof err),
	                 KEYRING_FAILED);
	keyring_free(&loaded);
	keyring_free(&before);
	keyring_free(&clinic);
}

static void test_team_key(void **state)
{
	(void)state;
	struct keyring team, loaded;
	assert_int_equal(keyring_create_team(path, PASSPHRASE, &team, err, sizeof err), KEYRING_OK);
	assert_int_equal(team.kind, KEYRING_TEAM);
	assert_int_equal(team.count, 0);
	assert_null(team.entries);
	assert_signer_consistent(team.signer);
	size_t len;
	char *text = read_text(path, &len);
	assert_memory_equal(text, "clinic-team-key-v1 ", 19);
	free(text);
	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_OK);
	assert_int_equal(loaded.kind, KEYRING_TEAM);
	assert_memory_equal(loaded.signer->sk, team.signer->sk, crypto_sign_SECRETKEYBYTES);
	/* Its one key is the first entry: a wrong passphrase is told as one. */
	assert_int_equal(keyring_load(path, "not the passphrase", &loaded, err, sizeof err),
	                 KEYRING_BAD_PASSPHRASE);
	assert_int_equal(keyring_rotate(path, PASSPHRASE, &team, err, sizeof err), KEYRING_FAILED);
	/* A new passphrase keeps the key. */
	assert_int_equal(keyring_save(path, "a new passphrase", &team, err, sizeof err),
	                 KEYRING_OK);
	assert_int_equal(keyring_load(path, "a new passphrase", &loaded, err, sizeof err),
	                 KEYRING_OK);
	assert_memory_equal(loaded.signer->pk, team.signer->pk, crypto_sign_PUBLICKEYBYTES);
	keyring_free(&loaded);
	keyring_free(&team);
}

/* Replaces the first occurrence of from in the file at path with to. */
static void edit_file(const char *from, const char *to)
{
	size_t len;
	char *text = read_text(path, &len);
	char *at = strstr(text, from);
	assert_non_null(at);
	char *edited = calloc(1, len + strlen(to) + 1);
	size_t before = (size_t)(at - text);
	memcpy(edited, text, before);
	memcpy(edited + before, to, strlen(to));
	memcpy(edited + before + strlen(to), at + strlen(from), len - before - strlen(from));
	write_text(path, edited, len - strlen(from) + strlen(to));
	free(edited);
	free(text);
}

static void test_kinds_are_strict(void **state)
{
	(void)state;
	struct keyring kr, loaded;
	assert_int_equal(keyring_create_member(path, PASSPHRASE, "anna", &kr, err, sizeof err),
	                 KEYRING_OK);
	size_t len;
	char *original = read_text(path, &len);
	const char *edits[][2] = {
	    {" anna\n", "\n"},      /* a member's keyring without a name */
	    {" anna\n", " Anna\n"}, /* a name not spelled as team.h says */
	    {"clinic-staff-keyring-v2", "clinic-staff-keyring-v1"}, /* v1 with a name */
	    {"clinic-staff-keyring-v2", "clinic-team-key-v1"},      /* a team key with box keys */
	    {"\nsign ", "\nsigns "},
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		write_text(path, original, len);
		edit_file(edits[i][0], edits[i][1]);
		if (keyring_load(path, PASSPHRASE, &loaded, err, sizeof err) != KEYRING_DAMAGED)
			fail_msg("took the edit \"%s\" -> \"%s\"", edits[i][0], edits[i][1]);
	}
	/* Without its sign line, or with two. */
	write_text(path, original, (size_t)(strstr(original, "sign ") - original));
	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_DAMAGED);
	char *twice = calloc(1, 2 * len);
	memcpy(twice, original, len);
	const char *sign_line = strstr(original, "sign ");
	memcpy(twice + len, sign_line, len - (size_t)(sign_line - original));
	write_text(path, twice, len + len - (size_t)(sign_line - original));
	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_DAMAGED);
	/* A signing key altered: the file is damaged, not the passphrase wrong. */
	write_text(path, original, len);
	char *box = strrchr(original, ' ') + 10;
	*box = *box == 'a' ? 'b' : 'a';
	write_text(path, original, len);
	assert_int_equal(keyring_load(path, PASSPHRASE, &loaded, err, sizeof err), KEYRING_DAMAGED);
	free(twice);
	free(original);
	keyring_free(&kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_create_and_load, clean),
	    cmocka_unit_test_teardown(test_load_uses_recorded_limits, clean),
	    cmocka_unit_test_teardown(test_sealed_message_opens_with_loaded_key, clean),
	    cmocka_unit_test_teardown(test_refuses_overwrite, clean),
	    cmocka_unit_test_teardown(test_wrong_passphrase, clean),
	    cmocka_unit_test_teardown(test_missing, clean),
	    cmocka_unit_test_teardown(test_damaged, clean),
	    cmocka_unit_test_teardown(test_rotate, clean),
	    cmocka_unit_test_teardown(test_rotate_failure_keeps_keyring, clean),
	    cmocka_unit_test_teardown(test_save_new_passphrase, clean),
	    cmocka_unit_test_teardown(test_reports, clean),
	    cmocka_unit_test_teardown(test_member_keyring, clean),
	    cmocka_unit_test_teardown(test_clinic_keyring_becomes_a_members, clean),
	    cmocka_unit_test_teardown(test_team_key, clean),
	    cmocka_unit_test_teardown(test_kinds_are_strict, clean),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
