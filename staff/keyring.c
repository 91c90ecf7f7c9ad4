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
#include "team.h"

/* The first word of each kind's file, indexed by enum keyring_kind. */
static const char *const magics[] = {
    [KEYRING_CLINIC] = "clinic-staff-keyring-v1",
    [KEYRING_MEMBER] = "clinic-staff-keyring-v2",
    [KEYRING_TEAM] = "clinic-team-key-v1",
};
#define KINDS (sizeof magics / sizeof magics[0])
#define SIGN_PREFIX "sign "
#define SALT_BYTES crypto_pwhash_argon2id_SALTBYTES
#define BOX_BYTES (crypto_secretbox_MACBYTES + crypto_box_SECRETKEYBYTES)
#define SIGN_BOX_BYTES (crypto_secretbox_MACBYTES + crypto_sign_SECRETKEYBYTES)
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
_Static_assert(sizeof(((struct keyring *)0)->name) == TEAM_NAME_MAX + 1, "name size");
_Static_assert(crypto_secretbox_KEYBYTES == 32, "secretbox key size");

struct parsed_entry {
	char key_id[SEAL_KEY_ID_LEN];
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
	unsigned char nonce[crypto_secretbox_NONCEBYTES];
	unsigned char box[BOX_BYTES];
};

struct parsed_file {
	enum keyring_kind kind;
	char name[TEAM_NAME_MAX + 1];
	unsigned char salt[SALT_BYTES];
	unsigned long long opslimit;
	size_t memlimit;
	size_t count;
	struct parsed_entry entries[KEYRING_MAX_KEYS];
	unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sign_nonce[crypto_secretbox_NONCEBYTES];
	unsigned char sign_box[SIGN_BOX_BYTES];
};

/* Makes kr empty, without freeing anything. */
static void empty_keyring(struct keyring *kr)
{
	memset(kr, 0, sizeof *kr);
}

/* Wipes and frees count entries (NULL is fine). */
static void free_entries(struct keyring_entry *entries, size_t count)
{
	if (!entries)
		return;
	sodium_memzero(entries, count * sizeof *entries);
	sodium_free(entries);
}

/* Wipes and frees a signer (NULL is fine). */
static void free_signer(struct keyring_signer *signer)
{
	if (!signer)
		return;
	sodium_memzero(signer, sizeof *signer);
	sodium_free(signer);
}

void keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	free_entries(kr->entries, kr->count);
	free_signer(kr->signer);
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

void keyring_report(enum keyring_status status, const char *path, bool from_file,
                    const char *detail, char *out, size_t len)
{
	switch (status) {
	case KEYRING_OK:
		snprintf(out, len, "The keyring %s is in order.", path);
		return;
	case KEYRING_MISSING:
		snprintf(out, len,
		         "There is no keyring at %s. Make one with `enquiries init`, or check "
		         "secret_key in the configuration.",
		         path);
		return;
	case KEYRING_EXISTS:
		snprintf(
		    out, len,
		    "A keyring already exists at %s, so nothing was changed. Its keys are "
		    "needed to read the enquiries sealed to them: to change the passphrase use "
		    "`enquiries passwd`, to make a new key use `enquiries rotate`.",
		    path);
		return;
	case KEYRING_BAD_PASSPHRASE:
		snprintf(out, len,
		         from_file ? "The passphrase in the passphrase file does not open the "
		                     "keyring %s. Nothing was changed."
		                   : "That passphrase does not open the keyring %s. Nothing was "
		                     "changed.",
		         path);
		return;
	case KEYRING_DAMAGED:
		snprintf(out, len,
		         "The keyring %s is damaged or is not a clinic keyring. Put back the copy "
		         "from your backup: without it the enquiries sealed to its keys cannot be "
		         "opened.",
		         path);
		return;
	case KEYRING_FAILED:
		break;
	}
	snprintf(out, len,
	         "Could not read or write the keyring %s (%s). Check that the disk is not full "
	         "and that you may use that folder, then try again.",
	         path, detail && detail[0] ? detail : "for a reason not known");
}

/* The checks every entry point starts with; false with the reason in err. */
static bool ready(bool arguments_ok, char *err, size_t errlen)
{
	if (!arguments_ok) {
		snprintf(err, errlen,
		         "a keyring was asked for without a path, a passphrase or keys");
		return false;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "the cryptography library did not start");
		return false;
	}
	return true;
}

/* --- deriving the file key ---------------------------------------------- */

/* The Argon2id limits a new or rewritten keyring is made with. */
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

/* Returns the secretbox key in sodium_malloc'd memory, or NULL with the
 * reason in err. */
static unsigned char *derive_key(const char *passphrase, const unsigned char salt[SALT_BYTES],
                                 unsigned long long opslimit, size_t memlimit, char *err,
                                 size_t errlen)
{
	unsigned char *key = sodium_malloc(crypto_secretbox_KEYBYTES);
	/* With valid limits, memory is the only way crypto_pwhash fails. */
	if (!key || crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase),
	                          salt, opslimit, memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(key);
		snprintf(err, errlen, "out of memory while deriving a key from the passphrase");
		return NULL;
	}
	return key;
}

/* --- parsing ----------------------------------------------------------- */

struct cursor {
	const char *p;
	const char *end;
};

/* Moves c past text if it comes next; false if it does not. */
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

/* The kind whose magic and a space start c, moving past them; false if none. */
static bool expect_magic(struct cursor *c, enum keyring_kind *kind)
{
	for (size_t k = 0; k < KINDS; k++) {
		struct cursor try = *c;
		if (expect_text(&try, magics[k]) && expect_text(&try, " ")) {
			*c = try;
			*kind = (enum keyring_kind)k;
			return true;
		}
	}
	return false;
}

/* A member's name up to the end of the line into name. */
static bool expect_name(struct cursor *c, char name[TEAM_NAME_MAX + 1])
{
	const char *start = c->p;
	while (c->p < c->end && *c->p != '\n' && c->p - start <= TEAM_NAME_MAX)
		c->p++;
	size_t n = (size_t)(c->p - start);
	if (n == 0 || n > TEAM_NAME_MAX)
		return false;
	memcpy(name, start, n);
	name[n] = '\0';
	return team_name_valid(name);
}

/* One "<key_id> <pk> <nonce> <box>" line into f's next entry. */
static bool expect_entry(struct cursor *c, struct parsed_file *f)
{
	if (f->count == KEYRING_MAX_KEYS)
		return false;
	struct parsed_entry *e = &f->entries[f->count];
	unsigned char id[KEY_ID_HEX / 2];
	const char *id_text = c->p;
	if (!expect_hex(c, id, sizeof id) || !expect_text(c, " ") ||
	    !expect_hex(c, e->pk, sizeof e->pk) || !expect_text(c, " ") ||
	    !expect_hex(c, e->nonce, sizeof e->nonce) || !expect_text(c, " ") ||
	    !expect_hex(c, e->box, sizeof e->box) || !expect_text(c, "\n"))
		return false;
	seal_key_id(e->pk, e->key_id);
	if (strlen(e->key_id) != KEY_ID_HEX || memcmp(e->key_id, id_text, KEY_ID_HEX) != 0)
		return false;
	for (size_t i = 0; i < f->count; i++)
		if (strcmp(f->entries[i].key_id, e->key_id) == 0)
			return false;
	f->count++;
	return true;
}

/* Reads a keyring file's text into f; false for anything not exactly in its form. */
static bool parse_keyring(const char *text, size_t len, struct parsed_file *f)
{
	struct cursor c = {text, text + len};
	unsigned long long memlimit = 0;
	memset(f->name, 0, sizeof f->name);
	if (!expect_magic(&c, &f->kind) || !expect_hex(&c, f->salt, SALT_BYTES) ||
	    !expect_text(&c, " ") ||
	    !expect_number(&c, OPSLIMIT_FLOOR, OPSLIMIT_CEILING, &f->opslimit) ||
	    !expect_text(&c, " ") ||
	    !expect_number(&c, MEMLIMIT_FLOOR, MEMLIMIT_CEILING, &memlimit))
		return false;
	if (f->kind == KEYRING_MEMBER && (!expect_text(&c, " ") || !expect_name(&c, f->name)))
		return false;
	if (!expect_text(&c, "\n"))
		return false;
	f->memlimit = (size_t)memlimit;

	f->count = 0;
	while (f->kind != KEYRING_TEAM && c.p < c.end &&
	       !((size_t)(c.end - c.p) >= sizeof SIGN_PREFIX - 1 &&
	         memcmp(c.p, SIGN_PREFIX, sizeof SIGN_PREFIX - 1) == 0))
		if (!expect_entry(&c, f))
			return false;
	if ((f->kind == KEYRING_TEAM) != (f->count == 0))
		return false;
	if (f->kind != KEYRING_CLINIC &&
	    (!expect_text(&c, SIGN_PREFIX) || !expect_hex(&c, f->sign_pk, sizeof f->sign_pk) ||
	     !expect_text(&c, " ") || !expect_hex(&c, f->sign_nonce, sizeof f->sign_nonce) ||
	     !expect_text(&c, " ") || !expect_hex(&c, f->sign_box, sizeof f->sign_box) ||
	     !expect_text(&c, "\n")))
		return false;
	return c.p == c.end;
}

/* Reads the whole file at path into *text (free it); DAMAGED if it is no
 * regular file or is larger than any keyring. */
static enum keyring_status read_keyring_file(const char *path, char **text, size_t *len, char *err,
                                             size_t errlen)
{
	*text = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int error = errno;
		snprintf(err, errlen, "%s", strerror(error));
		return error == ENOENT ? KEYRING_MISSING : KEYRING_FAILED;
	}
	enum keyring_status status = KEYRING_FAILED;
	char *data = NULL;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KEYRING_FILE_MAX) {
		snprintf(err, errlen, "it is not a file of a keyring's size");
		status = KEYRING_DAMAGED;
		goto fail;
	}
	data = malloc(KEYRING_FILE_MAX + 1);
	if (!data) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	size_t n = 0;
	while (n <= KEYRING_FILE_MAX) {
		ssize_t r = read(fd, data + n, KEYRING_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > KEYRING_FILE_MAX) {
		snprintf(err, errlen, "it grew larger than any keyring while it was read");
		status = KEYRING_DAMAGED;
		goto fail;
	}
	close(fd);
	*text = data;
	*len = n;
	return KEYRING_OK;
fail:
	free(data);
	close(fd);
	return status;
}

/* Opens f's Ed25519 key with key into signer, checking it against its public
 * key; first says it is the first entry, whose failure means the passphrase. */
static enum keyring_status open_signer(const struct parsed_file *f, const unsigned char *key,
                                       struct keyring_signer *signer, bool first, char *err,
                                       size_t errlen)
{
	memcpy(signer->pk, f->sign_pk, sizeof signer->pk);
	if (crypto_secretbox_open_easy(signer->sk, f->sign_box, sizeof f->sign_box, f->sign_nonce,
	                               key) != 0) {
		snprintf(err, errlen, "the signing key of the keyring does not open");
		return first ? KEYRING_BAD_PASSPHRASE : KEYRING_DAMAGED;
	}
	unsigned char derived_pk[crypto_sign_PUBLICKEYBYTES];
	if (crypto_sign_ed25519_sk_to_pk(derived_pk, signer->sk) != 0 ||
	    sodium_memcmp(derived_pk, signer->pk, sizeof derived_pk) != 0) {
		snprintf(err, errlen,
		         "the signing key of the keyring does not match its public key");
		return KEYRING_DAMAGED;
	}
	return KEYRING_OK;
}

/* Opens every entry of f with key into entries, checking each secret key
 * against its public key. */
static enum keyring_status open_entries(const struct parsed_file *f, const unsigned char *key,
                                        struct keyring_entry *entries, char *err, size_t errlen)
{
	for (size_t i = 0; i < f->count; i++) {
		const struct parsed_entry *p = &f->entries[i];
		struct keyring_entry *e = &entries[i];
		memcpy(e->key_id, p->key_id, sizeof e->key_id);
		memcpy(e->pk, p->pk, sizeof e->pk);
		if (crypto_secretbox_open_easy(e->sk, p->box, sizeof p->box, p->nonce, key) != 0) {
			/* Every entry is sealed under the same key: if the first will not
			 * open, the passphrase is wrong; if a later one will not, the file
			 * was altered. */
			snprintf(err, errlen, "key %zu of the keyring does not open", i + 1);
			return i == 0 ? KEYRING_BAD_PASSPHRASE : KEYRING_DAMAGED;
		}
		unsigned char derived_pk[crypto_box_PUBLICKEYBYTES];
		if (crypto_scalarmult_base(derived_pk, e->sk) != 0 ||
		    sodium_memcmp(derived_pk, e->pk, sizeof derived_pk) != 0) {
			snprintf(err, errlen,
			         "key %zu of the keyring does not match its public key", i + 1);
			return KEYRING_DAMAGED;
		}
	}
	return KEYRING_OK;
}

enum keyring_status keyring_load(const char *path, const char *passphrase, struct keyring *out,
                                 char *err, size_t errlen)
{
	empty_keyring(out);
	if (!ready(path && passphrase, err, errlen))
		return KEYRING_FAILED;
	char *text = NULL;
	size_t len = 0;
	enum keyring_status status = read_keyring_file(path, &text, &len, err, errlen);
	if (status != KEYRING_OK)
		return status;
	struct parsed_file *f = malloc(sizeof *f);
	bool parsed = f && parse_keyring(text, len, f);
	free(text);
	unsigned char *key = NULL;
	struct keyring_entry *entries = NULL;
	struct keyring_signer *signer = NULL;
	status = KEYRING_FAILED;
	if (!f) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!parsed) {
		snprintf(err, errlen, "it is not in the form of a keyring");
		status = KEYRING_DAMAGED;
		goto fail;
	}
	key = derive_key(passphrase, f->salt, f->opslimit, f->memlimit, err, errlen);
	if (!key)
		goto fail;
	entries = f->count ? sodium_allocarray(f->count, sizeof *entries) : NULL;
	signer = f->kind != KEYRING_CLINIC ? sodium_malloc(sizeof *signer) : NULL;
	if ((f->count && !entries) || (f->kind != KEYRING_CLINIC && !signer)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	status = open_entries(f, key, entries, err, errlen);
	if (status == KEYRING_OK && signer)
		status = open_signer(f, key, signer, f->count == 0, err, errlen);
	if (status != KEYRING_OK)
		goto fail;
	out->kind = f->kind;
	memcpy(out->name, f->name, sizeof out->name);
	out->count = f->count;
	out->entries = entries;
	out->signer = signer;
	sodium_free(key);
	free(f);
	return KEYRING_OK;
fail:
	free_entries(entries, f ? f->count : 0);
	free_signer(signer);
	sodium_free(key);
	free(f);
	return status;
}

/* --- writing ----------------------------------------------------------- */

/* Appends n bytes as lowercase hex. */
static void append_hex(struct buf *b, const unsigned char *bin, size_t n)
{
	char hex[2 * SIGN_BOX_BYTES + 1];
	if (2 * n + 1 > sizeof hex) {
		b->failed = true;
		return;
	}
	sodium_bin2hex(hex, sizeof hex, bin, n);
	buf_puts(b, hex);
}

/* Formats the whole file, each secret key under a fresh nonce. */
static bool format_keyring(const char *passphrase, const struct keyring *kr, struct buf *out,
                           char *err, size_t errlen)
{
	unsigned char salt[SALT_BYTES];
	unsigned long long opslimit = 0;
	size_t memlimit = 0;
	randombytes_buf(salt, sizeof salt);
	creation_limits(&opslimit, &memlimit);
	unsigned char *key = derive_key(passphrase, salt, opslimit, memlimit, err, errlen);
	if (!key)
		return false;

	buf_printf(out, "%s ", magics[kr->kind]);
	append_hex(out, salt, sizeof salt);
	buf_printf(out, " %llu %zu", opslimit, memlimit);
	if (kr->kind == KEYRING_MEMBER)
		buf_printf(out, " %s", kr->name);
	buf_putc(out, '\n');
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
	if (kr->signer && !out->failed) {
		unsigned char nonce[crypto_secretbox_NONCEBYTES];
		unsigned char box[SIGN_BOX_BYTES];
		randombytes_buf(nonce, sizeof nonce);
		if (crypto_secretbox_easy(box, kr->signer->sk, sizeof kr->signer->sk, nonce, key) !=
		    0)
			out->failed = true;
		buf_puts(out, SIGN_PREFIX);
		append_hex(out, kr->signer->pk, sizeof kr->signer->pk);
		buf_putc(out, ' ');
		append_hex(out, nonce, sizeof nonce);
		buf_putc(out, ' ');
		append_hex(out, box, sizeof box);
		buf_putc(out, '\n');
	}
	sodium_free(key);
	if (out->failed)
		snprintf(err, errlen, "out of memory while writing out the keys");
	return !out->failed;
}

/* *placed tells whether path now holds kr, even when a later step (making the
 * rename durable) failed, so callers can keep memory in step with the file. */
static enum keyring_status write_keyring(const char *path, const char *passphrase,
                                         const struct keyring *kr, bool replace, bool *placed,
                                         char *err, size_t errlen)
{
	*placed = false;
	bool shaped = kr && kr->count <= KEYRING_MAX_KEYS && (kr->count == 0 || kr->entries) &&
	              (kr->kind == KEYRING_TEAM) == (kr->count == 0) &&
	              (kr->kind == KEYRING_CLINIC) == (kr->signer == NULL) &&
	              (kr->kind != KEYRING_MEMBER || team_name_valid(kr->name));
	if (!ready(path && passphrase && shaped, err, errlen))
		return KEYRING_FAILED;
	struct buf text;
	buf_init(&text, KEYRING_FILE_MAX);
	enum file_status written = FILE_NOT_WRITTEN;
	if (format_keyring(passphrase, kr, &text, err, errlen))
		written = file_replace(path, text.data, text.len, 0600, replace, err, errlen);
	buf_free(&text);
	*placed = written == FILE_OK || written == FILE_NOT_DURABLE;
	if (written == FILE_OK)
		return KEYRING_OK;
	return written == FILE_EXISTS ? KEYRING_EXISTS : KEYRING_FAILED;
}

/* Appends a fresh key pair to a copy of kr's entries; *grown is the new array. */
static enum keyring_status add_key_pair(const struct keyring *kr, struct keyring_entry **grown,
                                        char *err, size_t errlen)
{
	*grown = NULL;
	if (kr->count >= KEYRING_MAX_KEYS) {
		snprintf(err, errlen, "it already holds %d keys, the most it can",
		         KEYRING_MAX_KEYS);
		return KEYRING_FAILED;
	}
	struct keyring_entry *entries = sodium_allocarray(kr->count + 1, sizeof *entries);
	if (!entries) {
		snprintf(err, errlen, "out of memory");
		return KEYRING_FAILED;
	}
	if (kr->count)
		memcpy(entries, kr->entries, kr->count * sizeof *entries);
	struct keyring_entry *fresh = &entries[kr->count];
	if (crypto_box_keypair(fresh->pk, fresh->sk) != 0) {
		sodium_memzero(entries, (kr->count + 1) * sizeof *entries);
		sodium_free(entries);
		snprintf(err, errlen, "no key pair could be made");
		return KEYRING_FAILED;
	}
	seal_key_id(fresh->pk, fresh->key_id);
	*grown = entries;
	return KEYRING_OK;
}

/* A fresh Ed25519 key pair in locked memory, or NULL with err. */
static struct keyring_signer *new_signer(char *err, size_t errlen)
{
	struct keyring_signer *signer = sodium_malloc(sizeof *signer);
	if (!signer || crypto_sign_keypair(signer->pk, signer->sk) != 0) {
		free_signer(signer);
		snprintf(err, errlen, "no signing key pair could be made");
		return NULL;
	}
	return signer;
}

/* Writes a new keyring of kind (with one X25519 key pair unless the team
 * key, and a signing key unless a clinic keyring) at path, never over a
 * file, into out. */
static enum keyring_status create(const char *path, const char *passphrase, enum keyring_kind kind,
                                  const char *name, struct keyring *out, char *err, size_t errlen)
{
	empty_keyring(out);
	if (!ready(path && passphrase && (kind != KEYRING_MEMBER || team_name_valid(name)), err,
	           errlen))
		return KEYRING_FAILED;
	/* Checked here too so that we do not spend a second deriving a key for
	 * nothing; the final no-replace move is what makes the refusal safe. */
	struct stat st;
	if (lstat(path, &st) == 0) {
		snprintf(err, errlen, "a file of that name already exists");
		return KEYRING_EXISTS;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s", strerror(errno));
		return KEYRING_FAILED;
	}

	struct keyring fresh;
	empty_keyring(&fresh);
	fresh.kind = kind;
	if (kind == KEYRING_MEMBER)
		snprintf(fresh.name, sizeof fresh.name, "%s", name);
	enum keyring_status status = KEYRING_OK;
	if (kind != KEYRING_TEAM) {
		status = add_key_pair(&fresh, &fresh.entries, err, errlen);
		fresh.count = fresh.entries ? 1 : 0;
	}
	if (status == KEYRING_OK && kind != KEYRING_CLINIC) {
		fresh.signer = new_signer(err, errlen);
		status = fresh.signer ? KEYRING_OK : KEYRING_FAILED;
	}
	bool placed = false;
	if (status == KEYRING_OK)
		status = write_keyring(path, passphrase, &fresh, false, &placed, err, errlen);
	if (placed)
		*out = fresh;
	else
		keyring_free(&fresh);
	return status;
}

enum keyring_status keyring_create(const char *path, const char *passphrase, struct keyring *out,
                                   char *err, size_t errlen)
{
	return create(path, passphrase, KEYRING_CLINIC, NULL, out, err, errlen);
}

enum keyring_status keyring_create_member(const char *path, const char *passphrase,
                                          const char *name, struct keyring *out, char *err,
                                          size_t errlen)
{
	return create(path, passphrase, KEYRING_MEMBER, name, out, err, errlen);
}

enum keyring_status keyring_create_team(const char *path, const char *passphrase,
                                        struct keyring *out, char *err, size_t errlen)
{
	return create(path, passphrase, KEYRING_TEAM, NULL, out, err, errlen);
}

enum keyring_status keyring_make_member(const char *path, const char *passphrase, const char *name,
                                        struct keyring *kr, char *err, size_t errlen)
{
	if (!ready(kr && kr->kind == KEYRING_CLINIC && team_name_valid(name), err, errlen))
		return KEYRING_FAILED;
	struct keyring member = *kr;
	member.kind = KEYRING_MEMBER;
	snprintf(member.name, sizeof member.name, "%s", name);
	member.signer = new_signer(err, errlen);
	if (!member.signer)
		return KEYRING_FAILED;
	bool placed = false;
	enum keyring_status status =
	    write_keyring(path, passphrase, &member, true, &placed, err, errlen);
	if (placed) {
		/* The same entries, now with a name and a signing key. */
		*kr = member;
	} else {
		free_signer(member.signer);
	}
	return status;
}

enum keyring_status keyring_rotate(const char *path, const char *passphrase, struct keyring *kr,
                                   char *err, size_t errlen)
{
	if (!ready(kr && kr->kind != KEYRING_TEAM && (kr->count == 0 || kr->entries), err, errlen))
		return KEYRING_FAILED;
	struct keyring_entry *entries = NULL;
	enum keyring_status status = add_key_pair(kr, &entries, err, errlen);
	if (status != KEYRING_OK)
		return status;
	struct keyring grown = *kr;
	grown.count = kr->count + 1;
	grown.entries = entries;
	bool placed = false;
	status = write_keyring(path, passphrase, &grown, true, &placed, err, errlen);
	if (placed) {
		free_entries(kr->entries, kr->count);
		kr->entries = entries;
		kr->count = grown.count;
	} else {
		/* The file is unchanged, so kr stays as it was. */
		free_entries(entries, grown.count);
	}
	return status;
}

enum keyring_status keyring_save(const char *path, const char *passphrase, const struct keyring *kr,
                                 char *err, size_t errlen)
{
	bool placed = false;
	return write_keyring(path, passphrase, kr, true, &placed, err, errlen);
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
	char why[256];
	switch (file_replace(path, line, strlen(line), 0644, true, why, sizeof why)) {
	case FILE_OK:
		return true;
	case FILE_NOT_DURABLE:
		snprintf(err, errlen, "wrote the staff public key %s but %s", path, why);
		return false;
	case FILE_EXISTS:
	case FILE_NO_TEMP:
	case FILE_NOT_WRITTEN:
		break;
	}
	snprintf(err, errlen, "cannot write the staff public key %s: %s", path, why);
	return false;
}
