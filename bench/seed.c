/*
 * seed: set-up helpers for `make bench`, built on the same lib code the site
 * uses, so what it makes is exactly what the site makes.
 *
 *     seed keys KEYRING PUBLIC_KEY PASSPHRASE_FILE
 *         makes the staff key pair (as `enquiries init` does), with the
 *         interactive Argon2id limits unless CLINIC_PWHASH_FAST=1;
 *     seed enquiries DB PUBLIC_KEY COUNT
 *         seals COUNT enquiries (envelope_encode + seal_message) and commits
 *         each with store_insert, received over the last 60 days, oldest first;
 *     seed unlock KEYRING PASSPHRASE_FILE
 *         times opening the keyring (the passphrase derivation every staff
 *         command that reads an enquiry pays once) and prints {"unlock_ms": ...};
 *     seed open DB KEYRING PASSPHRASE_FILE
 *         the floor for reading every enquiry: unlocks, then opens and decodes
 *         each row (unseal_message + envelope_decode) and writes nothing out; prints
 *         {"rows": N, "unlock_ms": ..., "open_ms": ...}.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "envelope.h"
#include "forms.h"
#include "keyring.h"
#include "seal.h"
#include "unseal.h"
#include "ref.h"
#include "store.h"

#define MAX_COUNT 1000000
#define SPREAD_DAYS 60

static bool read_passphrase(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "seed: cannot open %s: %s\n", path, strerror(errno));
		return false;
	}
	bool ok = fgets(out, (int)len, f) != NULL;
	fclose(f);
	if (!ok) {
		fprintf(stderr, "seed: %s is empty\n", path);
		return false;
	}
	out[strcspn(out, "\r\n")] = '\0';
	return true;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Says what went wrong with the keyring at path; returns 1. */
static int keyring_failed(enum keyring_status status, const char *path, const char *detail)
{
	char sentence[1024];
	keyring_report(status, path, true, detail, sentence, sizeof sentence);
	fprintf(stderr, "seed: %s\n", sentence);
	return 1;
}

static int make_keys(const char *keyring_path, const char *public_path, const char *pass_path)
{
	char passphrase[512];
	if (!read_passphrase(pass_path, passphrase, sizeof passphrase))
		return 1;
	struct keyring kr;
	char err[512];
	enum keyring_status status = keyring_create(keyring_path, passphrase, &kr, err, sizeof err);
	sodium_memzero(passphrase, sizeof passphrase);
	if (status != KEYRING_OK)
		return keyring_failed(status, keyring_path, err);
	struct public_key pk;
	const struct keyring_entry *newest = keyring_newest(&kr);
	memcpy(pk.pk, newest->pk, sizeof pk.pk);
	seal_key_id(pk.pk, pk.key_id);
	keyring_free(&kr);
	if (!keyring_write_public_key(public_path, &pk, err, sizeof err)) {
		fprintf(stderr, "seed: %s\n", err);
		return 1;
	}
	return 0;
}

static void fill_envelope(struct envelope *e, const char *kind, const char *ref, const char *key_id,
                          time_t when)
{
	memset(e, 0, sizeof *e);
	e->version = ENVELOPE_VERSION;
	snprintf(e->kind, sizeof e->kind, "%s", kind);
	snprintf(e->ref, sizeof e->ref, "%s", ref);
	snprintf(e->key_id, sizeof e->key_id, "%s", key_id);
	envelope_stamp(e, (struct timespec){.tv_sec = when});
}

static bool add(struct envelope *e, const char *name, const char *value)
{
	return envelope_add(e, name, value, strlen(value));
}

static bool add_fields(struct envelope *e, long i, bool contact)
{
	char name[64], email[64];
	snprintf(name, sizeof name, "Bench Person %06ld", i);
	snprintf(email, sizeof email, "person%06ld@example.org", i);
	bool ok = add(e, "name", name) && add(e, "email", email) && add(e, "phone", "07700 900123");
	if (contact)
		return ok &&
		       add(e, "message",
		           "I would like to ask about therapy for myself. I have read about "
		           "Dynamic Interpersonal Therapy and wonder whether it could help with "
		           "what I have been going through at work and at home this year.") &&
		       add(e, "consent", "yes");
	return ok && add(e, "contact_method", "email") && add(e, "voicemail", "no") &&
	       add(e, "interest", "dit") &&
	       add(e, "reason",
	           "I have been feeling low for some months and my GP suggested talking "
	           "therapy. I would like to know how to start and what it involves.") &&
	       add(e, "availability", "Weekday evenings after six") && add(e, "consent", "yes");
}

static int make_enquiries(const char *db_path, const char *public_path, long count)
{
	char err[512];
	struct public_key pk;
	if (!seal_public_key_load(public_path, &pk, err, sizeof err)) {
		fprintf(stderr, "seed: %s\n", err);
		return 1;
	}
	struct store *store = NULL;
	if (store_open(db_path, STORE_READ_WRITE, &store) != STORE_OK) {
		fprintf(stderr, "seed: %s\n", store_error(store));
		store_close(store);
		return 1;
	}
	time_t now = time(NULL);
	time_t first = now - (time_t)SPREAD_DAYS * 86400;
	int rc = 0;
	for (long i = 0; i < count && rc == 0; i++) {
		bool contact = i % 2 == 0;
		const char *kind = form_spec(contact ? FORM_CONTACT : FORM_START)->kind;
		time_t when =
		    first + (time_t)((double)SPREAD_DAYS * 86400.0 * (double)i / (double)count);
		char day[STORE_DAY_SIZE];
		store_day(when, day);
		enum store_status status = STORE_DUPLICATE;
		for (int attempt = 0; attempt < 3 && status == STORE_DUPLICATE; attempt++) {
			char ref[REF_SIZE];
			ref_new(ref);
			struct envelope e;
			fill_envelope(&e, kind, ref, pk.key_id, when);
			struct buf plain, sealed;
			buf_init(&plain, 1024 * 1024);
			buf_init(&sealed, 2 * 1024 * 1024);
			bool ok = add_fields(&e, i, contact) && envelope_encode(&e, &plain) &&
			          seal_message(&pk, plain.data, plain.len, &sealed);
			envelope_wipe(&e);
			buf_wipe(&plain);
			if (ok)
				status = store_insert(store, ref, kind, day, pk.key_id, sealed.data,
				                      sealed.len);
			else
				status = STORE_FAILED;
			buf_free(&sealed);
		}
		if (status != STORE_OK) {
			fprintf(stderr, "seed: enquiry %ld: %s\n", i, store_error(store));
			rc = 1;
		}
	}
	store_close(store);
	return rc;
}

static int time_unlock(const char *keyring_path, const char *pass_path)
{
	char passphrase[512];
	if (!read_passphrase(pass_path, passphrase, sizeof passphrase))
		return 1;
	struct keyring kr;
	double before = now_seconds();
	char err[512];
	enum keyring_status status = keyring_load(keyring_path, passphrase, &kr, err, sizeof err);
	double after = now_seconds();
	sodium_memzero(passphrase, sizeof passphrase);
	if (status != KEYRING_OK)
		return keyring_failed(status, keyring_path, err);
	keyring_free(&kr);
	printf("{\"unlock_ms\": %.1f}\n", (after - before) * 1000.0);
	return 0;
}

struct opener {
	const struct keyring *kr;
	long rows;
	bool failed;
};

static bool open_row(void *arg, const struct store_row *row)
{
	struct opener *o = arg;
	const struct keyring_entry *key = keyring_find(o->kr, row->key_id);
	struct buf plain;
	buf_init(&plain, 2 * 1024 * 1024);
	struct envelope e;
	char err[256];
	bool opened = key && unseal_message(key->pk, key->sk, row->sealed, row->sealed_len, &plain);
	bool ok = opened && envelope_decode(plain.data, plain.len, &e, err, sizeof err);
	if (opened) /* decoding initialised e, even if it failed */
		envelope_wipe(&e);
	buf_wipe(&plain);
	if (!ok) {
		fprintf(stderr, "seed: enquiry %s could not be opened\n", row->ref);
		o->failed = true;
		return false;
	}
	o->rows++;
	return true;
}

static int time_open(const char *db_path, const char *keyring_path, const char *pass_path)
{
	char passphrase[512];
	if (!read_passphrase(pass_path, passphrase, sizeof passphrase))
		return 1;
	struct store *store = NULL;
	if (store_open(db_path, STORE_READ_ONLY, &store) != STORE_OK) {
		fprintf(stderr, "seed: %s\n", store_error(store));
		store_close(store);
		sodium_memzero(passphrase, sizeof passphrase);
		return 1;
	}
	struct keyring kr;
	double started = now_seconds();
	char why[512];
	enum keyring_status status = keyring_load(keyring_path, passphrase, &kr, why, sizeof why);
	double unlocked = now_seconds();
	sodium_memzero(passphrase, sizeof passphrase);
	if (status != KEYRING_OK) {
		store_close(store);
		return keyring_failed(status, keyring_path, why);
	}
	struct opener o = {.kr = &kr};
	enum store_status walked = store_each(store, NULL, open_row, &o);
	double opened = now_seconds();
	keyring_free(&kr);
	if (walked != STORE_OK || o.failed) {
		if (walked != STORE_OK)
			fprintf(stderr, "seed: %s\n", store_error(store));
		store_close(store);
		return 1;
	}
	store_close(store);
	printf("{\"rows\": %ld, \"unlock_ms\": %.1f, \"open_ms\": %.1f}\n", o.rows,
	       (unlocked - started) * 1000.0, (opened - unlocked) * 1000.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "seed: libsodium did not start\n");
		return 1;
	}
	if (argc == 5 && strcmp(argv[1], "keys") == 0)
		return make_keys(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "enquiries") == 0) {
		long count = atol(argv[4]);
		if (count < 1 || count > MAX_COUNT) {
			fprintf(stderr, "seed: COUNT must be 1..%d\n", MAX_COUNT);
			return 2;
		}
		return make_enquiries(argv[2], argv[3], count);
	}
	if (argc == 4 && strcmp(argv[1], "unlock") == 0)
		return time_unlock(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "open") == 0)
		return time_open(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: seed keys KEYRING PUBLIC_KEY PASSPHRASE_FILE\n"
	                "       seed enquiries DB PUBLIC_KEY COUNT\n"
	                "       seed unlock KEYRING PASSPHRASE_FILE\n"
	                "       seed open DB KEYRING PASSPHRASE_FILE\n");
	return 2;
}
