#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "seal.h"

#define KEYRING_MAGIC "clinic-staff-keyring-v1"
#define SALT_BYTES crypto_pwhash_argon2id_SALTBYTES
#define BOX_BYTES (crypto_secretbox_MACBYTES + crypto_box_SECRETKEYBYTES)
#define KEY_ID_HEX 16
/* Far more than KEYRING_MAX_KEYS lines can need; a bigger file is not ours. */
#define KEYRING_FILE_MAX (64 * 1024)

/* Limits a file may ask for: enough for any setting we write, and bounded
 * so that a damaged file cannot make us allocate gigabytes. */
#define OPSLIMIT_FLOOR crypto_pwhash_argon2id_OPSLIMIT_MIN
#define OPSLIMIT_CEILING crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE
#define MEMLIMIT_FLOOR crypto_pwhash_argon2id_MEMLIMIT_MIN
#define MEMLIMIT_CEILING crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE

_Static_assert(sizeof(((struct keyring_entry *)0)->key_id) == SEAL_KEY_ID_LEN, "key id size");
_Static_assert(crypto_secretbox_KEYBYTES == 32, "secretbox key size");

struct parsed_entry {
	char key_id[SEAL_KEY_ID_LEN];
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
	unsigned char nonce[crypto_secretbox_NONCEBYTES];
	unsigned char box[BOX_BYTES];
};

struct parsed_file {
	unsigned char salt[SALT_BYTES];
	unsigned long long opslimit;
	size_t memlimit;
	size_t count;
	struct parsed_entry entries[KEYRING_MAX_KEYS];
};

static void empty_keyring(struct keyring *kr)
{
	kr->count = 0;
	kr->entries = NULL;
}

void keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	if (kr->entries) {
		sodium_memzero(kr->entries, kr->count * sizeof *kr->entries);
		sodium_free(kr->entries);
	}
	empty_keyring(kr);
}

const struct keyring_entry *keyring_find(const struct keyring *kr, const char *key_id)
{
	if (!kr || !key_id)
		return NULL;
	for (size_t i = 0; i < kr->count; i++)
		if (strcmp(kr->entries[i].key_id, key_id) == 0)
			return &kr->entries[i];
	return NULL;
}

const struct keyring_entry *keyring_newest(const struct keyring *kr)
{
	if (!kr || kr->count == 0)
		return NULL;
	return &kr->entries[kr->count - 1];
}

const char *keyring_status_text(enum keyring_status status)
{
	switch (status) {
	case KEYRING_OK:
		return "The key file is in order.";
	case KEYRING_MISSING:
		return "No key file at that path: run `enquiries init` first, or pass --config for "
		       "the right site.";
	case KEYRING_EXISTS:
		return "A key file already exists at that path, so nothing was changed: the key in "
		       "it is still needed to open the enquiries sealed to it.";
	case KEYRING_BAD_PASSPHRASE:
		return "The passphrase is not right. Try again, or ask whoever set up the key.";
	case KEYRING_DAMAGED:
		return "The key file is damaged or is not a clinic key file. Put back the copy "
		       "from your backup: without it, the enquiries sealed to it cannot be opened.";
	case KEYRING_FAILED:
		return "The key file could not be read or written. Check that the disk is not "
		       "full and that you are allowed to use that folder, then try again.";
	}
	return "Something unexpected went wrong with the key file.";
}

/* The checks every entry point starts with; false with errno set. */
static bool ready(bool arguments_ok)
{
	if (!arguments_ok) {
		errno = EINVAL;
		return false;
	}
	if (sodium_init() < 0) {
		errno = EIO;
		return false;
	}
	return true;
}

/* --- deriving the file key ---------------------------------------------- */

static void creation_limits(unsigned long long *opslimit, size_t *memlimit)
{
	const char *fast = getenv("CLINIC_PWHASH_FAST");
	if (fast && strcmp(fast, "1") == 0) {
		*opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
		*memlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN;
	} else {
		*opslimit = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		*memlimit = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
	}
}

/* Returns the secretbox key in sodium_malloc'd memory, or NULL (errno set). */
static unsigned char *derive_key(const char *passphrase, const unsigned char salt[SALT_BYTES],
                                 unsigned long long opslimit, size_t memlimit)
{
	unsigned char *key = sodium_malloc(crypto_secretbox_KEYBYTES);
	if (!key)
		return NULL;
	if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase), salt,
	                  opslimit, memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(key);
		errno = ENOMEM; /* the only way valid limits fail */
		return NULL;
	}
	return key;
}

/* --- parsing ----------------------------------------------------------- */

struct cursor {
	const char *p;
	const char *end;
};

static bool expect_text(struct cursor *c, const char *text)
{
	size_t n = strlen(text);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, text, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool is_lower_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* Exactly 2*n lowercase hex digits into out. */
static bool expect_hex(struct cursor *c, unsigned char *out, size_t n)
{
	if ((size_t)(c->end - c->p) < 2 * n)
		return false;
	for (size_t i = 0; i < 2 * n; i++)
		if (!is_lower_hex(c->p[i]))
			return false;
	size_t bin_len = 0;
	if (sodium_hex2bin(out, n, c->p, 2 * n, NULL, &bin_len, NULL) != 0 || bin_len != n)
		return false;
	c->p += 2 * n;
	return true;
}

/* A decimal from min to max without sign or leading zeros. */
static bool expect_number(struct cursor *c, unsigned long long min, unsigned long long max,
                          unsigned long long *value)
{
	const char *start = c->p;
	unsigned long long v = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned digit = (unsigned)(*c->p - '0');
		if (digit > max || v > (max - digit) / 10)
			return false;
		v = v * 10 + digit;
		c->p++;
	}
	size_t digits = (size_t)(c->p - start);
	if (digits == 0 || (digits > 1 && *start == '0') || v < min)
		return false;
	*value = v;
	return true;
}

static bool parse_keyring(const char *text, size_t len, struct parsed_file *f)
{
	struct cursor c = {text, text + len};
	unsigned long long memlimit = 0;
	if (!expect_text(&c, KEYRING_MAGIC " ") || !expect_hex(&c, f->salt, SALT_BYTES) ||
	    !expect_text(&c, " ") ||
	    !expect_number(&c, OPSLIMIT_FLOOR, OPSLIMIT_CEILING, &f->opslimit) ||
	    !expect_text(&c, " ") ||
	    !expect_number(&c, MEMLIMIT_FLOOR, MEMLIMIT_CEILING, &memlimit) ||
	    !expect_text(&c, "\n"))
		return false;
	f->memlimit = (size_t)memlimit;

	f->count = 0;
	while (c.p < c.end) {
		if (f->count == KEYRING_MAX_KEYS)
			return false;
		struct parsed_entry *e = &f->entries[f->count];
		unsigned char id[KEY_ID_HEX / 2];
		const char *id_text = c.p;
		if (!expect_hex(&c, id, sizeof id) || !expect_text(&c, " ") ||
		    !expect_hex(&c, e->pk, sizeof e->pk) || !expect_text(&c, " ") ||
		    !expect_hex(&c, e->nonce, sizeof e->nonce) || !expect_text(&c, " ") ||
		    !expect_hex(&c, e->box, sizeof e->box) || !expect_text(&c, "\n"))
			return false;
		seal_key_id(e->pk, e->key_id);
		if (strlen(e->key_id) != KEY_ID_HEX || memcmp(e->key_id, id_text, KEY_ID_HEX) != 0)
			return false;
		for (size_t i = 0; i < f->count; i++)
			if (strcmp(f->entries[i].key_id, e->key_id) == 0)
				return false;
		f->count++;
	}
	return f->count > 0;
}

static enum keyring_status read_keyring_file(const char *path, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? KEYRING_MISSING : KEYRING_FAILED;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return KEYRING_FAILED;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KEYRING_FILE_MAX) {
		close(fd);
		return KEYRING_DAMAGED;
	}
	char *data = malloc(KEYRING_FILE_MAX + 1);
	if (!data) {
		close(fd);
		errno = ENOMEM;
		return KEYRING_FAILED;
	}
	size_t n = 0;
	while (n <= KEYRING_FILE_MAX) {
		ssize_t r = read(fd, data + n, KEYRING_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved_errno = errno;
			free(data);
			close(fd);
			errno = saved_errno;
			return KEYRING_FAILED;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > KEYRING_FILE_MAX) {
		free(data);
		return KEYRING_DAMAGED;
	}
	*text = data;
	*len = n;
	return KEYRING_OK;
}

enum keyring_status keyring_load(const char *path, const char *passphrase, struct keyring *out)
{
	empty_keyring(out);
	if (!ready(path && passphrase))
		return KEYRING_FAILED;
	char *text = NULL;
	size_t len = 0;
	enum keyring_status status = read_keyring_file(path, &text, &len);
	if (status != KEYRING_OK)
		return status;
	struct parsed_file *f = malloc(sizeof *f);
	if (!f) {
		free(text);
		errno = ENOMEM;
		return KEYRING_FAILED;
	}
	bool parsed = parse_keyring(text, len, f);
	free(text);
	if (!parsed) {
		free(f);
		return KEYRING_DAMAGED;
	}

	unsigned char *key = derive_key(passphrase, f->salt, f->opslimit, f->memlimit);
	struct keyring_entry *entries = key ? sodium_allocarray(f->count, sizeof *entries) : NULL;
	if (!entries) {
		int saved_errno = errno;
		if (key)
			sodium_free(key);
		free(f);
		errno = saved_errno ? saved_errno : ENOMEM;
		return KEYRING_FAILED;
	}
	status = KEYRING_OK;
	for (size_t i = 0; status == KEYRING_OK && i < f->count; i++) {
		const struct parsed_entry *p = &f->entries[i];
		struct keyring_entry *e = &entries[i];
		memcpy(e->key_id, p->key_id, sizeof e->key_id);
		memcpy(e->pk, p->pk, sizeof e->pk);
		if (crypto_secretbox_open_easy(e->sk, p->box, sizeof p->box, p->nonce, key) != 0) {
			/* Every entry is sealed under the same key: if the first will not
			 * open, the passphrase is wrong; if a later one will not, the file
			 * was altered. */
			status = i == 0 ? KEYRING_BAD_PASSPHRASE : KEYRING_DAMAGED;
			break;
		}
		unsigned char derived_pk[crypto_box_PUBLICKEYBYTES];
		if (crypto_scalarmult_base(derived_pk, e->sk) != 0 ||
		    sodium_memcmp(derived_pk, e->pk, sizeof derived_pk) != 0)
			status = KEYRING_DAMAGED;
	}
	sodium_free(key);
	if (status != KEYRING_OK) {
		sodium_memzero(entries, f->count * sizeof *entries);
		sodium_free(entries);
		free(f);
		return status;
	}
	out->count = f->count;
	out->entries = entries;
	free(f);
	return KEYRING_OK;
}

/* --- writing ----------------------------------------------------------- */

static void append_hex(struct buf *b, const unsigned char *bin, size_t n)
{
	char hex[2 * BOX_BYTES + 1];
	if (2 * n + 1 > sizeof hex) {
		b->failed = true;
		return;
	}
	sodium_bin2hex(hex, sizeof hex, bin, n);
	buf_puts(b, hex);
}

/* Formats the whole file, each secret key under a fresh nonce. */
static bool format_keyring(const char *passphrase, const struct keyring *kr, struct buf *out)
{
	unsigned char salt[SALT_BYTES];
	unsigned long long opslimit = 0;
	size_t memlimit = 0;
	randombytes_buf(salt, sizeof salt);
	creation_limits(&opslimit, &memlimit);
	unsigned char *key = derive_key(passphrase, salt, opslimit, memlimit);
	if (!key)
		return false;

	buf_puts(out, KEYRING_MAGIC " ");
	append_hex(out, salt, sizeof salt);
	buf_printf(out, " %llu %zu\n", opslimit, memlimit);
	for (size_t i = 0; i < kr->count; i++) {
		const struct keyring_entry *e = &kr->entries[i];
		unsigned char nonce[crypto_secretbox_NONCEBYTES];
		unsigned char box[BOX_BYTES];
		char key_id[SEAL_KEY_ID_LEN];
		randombytes_buf(nonce, sizeof nonce);
		seal_key_id(e->pk, key_id);
		if (crypto_secretbox_easy(box, e->sk, sizeof e->sk, nonce, key) != 0) {
			out->failed = true;
			break;
		}
		buf_printf(out, "%s ", key_id);
		append_hex(out, e->pk, sizeof e->pk);
		buf_putc(out, ' ');
		append_hex(out, nonce, sizeof nonce);
		buf_putc(out, ' ');
		append_hex(out, box, sizeof box);
		buf_putc(out, '\n');
	}
	sodium_free(key);
	if (out->failed)
		errno = ENOMEM;
	return !out->failed;
}

/* *placed tells whether path now holds kr, even when a later step (making the
 * rename durable) failed, so callers can keep memory in step with the file. */
static enum keyring_status write_keyring(const char *path, const char *passphrase,
                                         const struct keyring *kr, bool replace, bool *placed)
{
	*placed = false;
	if (!ready(path && passphrase && kr && kr->count > 0 && kr->count <= KEYRING_MAX_KEYS &&
	           kr->entries))
		return KEYRING_FAILED;
	struct buf text;
	buf_init(&text, KEYRING_FILE_MAX);
	if (!format_keyring(passphrase, kr, &text)) {
		int saved_errno = errno;
		buf_free(&text);
		errno = saved_errno;
		return KEYRING_FAILED;
	}

	enum file_status written = file_replace(path, text.data, text.len, 0600, replace);
	int saved_errno = errno;
	buf_free(&text);
	errno = saved_errno;
	*placed = written == FILE_OK || written == FILE_NOT_DURABLE;
	if (written == FILE_OK)
		return KEYRING_OK;
	return written == FILE_EXISTS ? KEYRING_EXISTS : KEYRING_FAILED;
}

/* Appends a fresh key pair to a copy of kr's entries; *grown is the new array. */
static enum keyring_status add_key_pair(const struct keyring *kr, struct keyring_entry **grown)
{
	*grown = NULL;
	if (kr->count >= KEYRING_MAX_KEYS) {
		errno = ENOSPC;
		return KEYRING_FAILED;
	}
	struct keyring_entry *entries = sodium_allocarray(kr->count + 1, sizeof *entries);
	if (!entries) {
		errno = ENOMEM;
		return KEYRING_FAILED;
	}
	if (kr->count)
		memcpy(entries, kr->entries, kr->count * sizeof *entries);
	struct keyring_entry *fresh = &entries[kr->count];
	if (crypto_box_keypair(fresh->pk, fresh->sk) != 0) {
		sodium_memzero(entries, (kr->count + 1) * sizeof *entries);
		sodium_free(entries);
		errno = EIO;
		return KEYRING_FAILED;
	}
	seal_key_id(fresh->pk, fresh->key_id);
	*grown = entries;
	return KEYRING_OK;
}

enum keyring_status keyring_create(const char *path, const char *passphrase, struct keyring *out)
{
	empty_keyring(out);
	if (!ready(path && passphrase))
		return KEYRING_FAILED;
	/* Checked here too so that we do not spend a second deriving a key for
	 * nothing; the final no-replace move is what makes the refusal safe. */
	struct stat st;
	if (lstat(path, &st) == 0)
		return KEYRING_EXISTS;
	if (errno != ENOENT)
		return KEYRING_FAILED;

	struct keyring fresh = {0, NULL};
	struct keyring_entry *entries = NULL;
	enum keyring_status status = add_key_pair(&fresh, &entries);
	if (status != KEYRING_OK)
		return status;
	fresh.count = 1;
	fresh.entries = entries;
	bool placed = false;
	status = write_keyring(path, passphrase, &fresh, false, &placed);
	if (placed) {
		*out = fresh;
		return status;
	}
	int saved_errno = errno;
	keyring_free(&fresh);
	errno = saved_errno;
	return status;
}

enum keyring_status keyring_rotate(const char *path, const char *passphrase, struct keyring *kr)
{
	if (!ready(kr && (kr->count == 0 || kr->entries)))
		return KEYRING_FAILED;
	struct keyring_entry *entries = NULL;
	enum keyring_status status = add_key_pair(kr, &entries);
	if (status != KEYRING_OK)
		return status;
	struct keyring grown = {kr->count + 1, entries};
	bool placed = false;
	status = write_keyring(path, passphrase, &grown, true, &placed);
	int saved_errno = errno;
	if (placed) {
		keyring_free(kr);
		*kr = grown;
	} else {
		/* The file is unchanged, so kr stays as it was. */
		keyring_free(&grown);
	}
	errno = saved_errno;
	return status;
}

enum keyring_status keyring_save(const char *path, const char *passphrase, const struct keyring *kr)
{
	bool placed = false;
	return write_keyring(path, passphrase, kr, true, &placed);
}

bool keyring_write_public_key(const char *path, const struct public_key *key, char *err,
                              size_t errlen)
{
	char line[SEAL_PUBLIC_KEY_LINE_SIZE];
	if (!seal_public_key_line(key, line)) {
		snprintf(err, errlen, "cannot write the staff public key %s: the key is invalid",
		         path);
		return false;
	}
	/* Anyone may read a public key. */
	switch (file_replace(path, line, strlen(line), 0644, true)) {
	case FILE_OK:
		return true;
	case FILE_NO_TEMP:
		if (errno == ENAMETOOLONG)
			snprintf(err, errlen,
			         "cannot write the staff public key %s: the path is too long",
			         path);
		else
			snprintf(err, errlen, "cannot create a file next to %s: %s", path,
			         strerror(errno));
		return false;
	case FILE_NOT_DURABLE:
		snprintf(err, errlen,
		         "wrote the staff public key %s but could not sync its folder: %s", path,
		         strerror(errno));
		return false;
	case FILE_EXISTS:
	case FILE_NOT_WRITTEN:
		break;
	}
	snprintf(err, errlen, "cannot write the staff public key %s: %s", path, strerror(errno));
	return false;
}
