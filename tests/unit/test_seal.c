#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "keyring.h"
#include "unseal.h"

#define LIMIT (4 * 1024 * 1024)

static char dir[] = "/tmp/test_seal.XXXXXX";

struct pair {
	struct public_key pub;
	unsigned char sk[crypto_box_SECRETKEYBYTES];
};

static void make_pair(struct pair *p)
{
	assert_int_equal(crypto_box_keypair(p->pub.pk, p->sk), 0);
	seal_key_id(p->pub.pk, p->pub.key_id);
}

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0 || !mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

static size_t sealed_length(const struct pair *p, size_t len)
{
	unsigned char *plain = calloc(1, len ? len : 1);
	assert_non_null(plain);
	struct buf sealed;
	buf_init(&sealed, LIMIT);
	assert_true(seal_message(&p->pub, plain, len, &sealed));
	size_t n = sealed.len;
	buf_free(&sealed);
	free(plain);
	return n;
}

static void round_trip(const struct pair *p, const void *plain, size_t len)
{
	struct buf sealed, opened;
	buf_init(&sealed, LIMIT);
	buf_init(&opened, LIMIT);
	assert_true(seal_message(&p->pub, plain, len, &sealed));
	assert_int_equal(sealed.len, seal_bucket(len) + crypto_box_SEALBYTES);
	if (len >= 8)
		assert_null(memmem(sealed.data, sealed.len, plain, 8));
	assert_true(unseal_message(p->pub.pk, p->sk, sealed.data, sealed.len, &opened));
	assert_int_equal(opened.len, len);
	assert_memory_equal(opened.data, plain, len);
	buf_free(&sealed);
	buf_wipe(&opened);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct pair p;
	make_pair(&p);
	round_trip(&p, "", 0);
	round_trip(&p, "hello, this is private", 22);
	/* Bytes that look like the padding itself must survive unpadding. */
	round_trip(&p, "text\x80", 5);
	round_trip(&p, "text\x80\0\0\0", 8);
	round_trip(&p, "\0\0\0", 3);
	unsigned char *big = malloc(5000);
	assert_non_null(big);
	for (size_t i = 0; i < 5000; i++)
		big[i] = (unsigned char)(i * 13);
	round_trip(&p, big, 1023);
	round_trip(&p, big, 1024);
	round_trip(&p, big, 5000);
	memset(big, 0x80, 2047);
	round_trip(&p, big, 2047);
	free(big);
}

static void test_sealing_is_randomised(void **state)
{
	(void)state;
	struct pair p;
	make_pair(&p);
	struct buf a, b;
	buf_init(&a, LIMIT);
	buf_init(&b, LIMIT);
	assert_true(seal_message(&p.pub, "same", 4, &a));
	assert_true(seal_message(&p.pub, "same", 4, &b));
	assert_int_equal(a.len, b.len);
	assert_memory_not_equal(a.data, b.data, a.len);
	buf_free(&a);
	buf_free(&b);
}

static void test_buckets(void **state)
{
	(void)state;
	assert_int_equal(seal_bucket(0), 1024);
	assert_int_equal(seal_bucket(10), 1024);
	assert_int_equal(seal_bucket(1023), 1024);
	assert_int_equal(seal_bucket(1024), 2048);
	assert_int_equal(seal_bucket(2047), 2048);
	assert_int_equal(seal_bucket(2048), 4096);
	assert_int_equal(seal_bucket(65536), 131072);
	assert_int_equal(seal_bucket(SIZE_MAX), 0);

	struct pair p;
	make_pair(&p);
	/* Someone who can read the database cannot tell a short note from a
	 * long one within a bucket. */
	assert_int_equal(sealed_length(&p, 10), sealed_length(&p, 900));
	assert_int_equal(sealed_length(&p, 0), 1024 + crypto_box_SEALBYTES);
	assert_int_equal(sealed_length(&p, 1023), 1024 + crypto_box_SEALBYTES);
	assert_int_equal(sealed_length(&p, 1024), 2048 + crypto_box_SEALBYTES);
	assert_int_equal(sealed_length(&p, 3000), 4096 + crypto_box_SEALBYTES);
}

static void test_wrong_key_pair(void **state)
{
	(void)state;
	struct pair p, other;
	make_pair(&p);
	make_pair(&other);
	struct buf sealed, opened;
	buf_init(&sealed, LIMIT);
	buf_init(&opened, LIMIT);
	assert_true(seal_message(&p.pub, "secret", 6, &sealed));
	assert_false(unseal_message(other.pub.pk, other.sk, sealed.data, sealed.len, &opened));
	/* The right secret key with the wrong public key fails too. */
	assert_false(unseal_message(other.pub.pk, p.sk, sealed.data, sealed.len, &opened));
	assert_false(unseal_message(p.pub.pk, other.sk, sealed.data, sealed.len, &opened));
	assert_int_equal(opened.len, 0);
	buf_free(&sealed);
	buf_free(&opened);
}

static void test_altered_fails(void **state)
{
	(void)state;
	struct pair p;
	make_pair(&p);
	struct buf sealed, opened;
	buf_init(&sealed, LIMIT);
	buf_init(&opened, LIMIT);
	assert_true(seal_message(&p.pub, "secret", 6, &sealed));
	unsigned char *copy = malloc(sealed.len);
	assert_non_null(copy);
	/* Every byte: the ephemeral key, the MAC and the padded body. */
	for (size_t i = 0; i < sealed.len; i++) {
		memcpy(copy, sealed.data, sealed.len);
		copy[i] ^= 0x01;
		assert_false(unseal_message(p.pub.pk, p.sk, copy, sealed.len, &opened));
	}
	assert_int_equal(opened.len, 0);

	for (size_t len = 0; len < sealed.len; len += len < 64 ? 1 : 97)
		assert_false(unseal_message(p.pub.pk, p.sk, sealed.data, len, &opened));
	assert_false(unseal_message(p.pub.pk, p.sk, sealed.data, sealed.len - 1, &opened));
	assert_false(unseal_message(p.pub.pk, p.sk, NULL, 0, &opened));
	assert_int_equal(opened.len, 0);
	free(copy);
	buf_free(&sealed);
	buf_free(&opened);
}

/* Seals raw bytes without the bucket padding, as a careless sealer might. */
static void seal_raw(const struct pair *p, const unsigned char *padded, size_t len,
                     struct buf *sealed)
{
	unsigned char *c = malloc(len + crypto_box_SEALBYTES);
	assert_non_null(c);
	assert_int_equal(crypto_box_seal(c, padded, len, p->pub.pk), 0);
	assert_true(buf_append(sealed, c, len + crypto_box_SEALBYTES));
	free(c);
}

static void test_bad_padding_rejected(void **state)
{
	(void)state;
	struct pair p;
	make_pair(&p);
	struct buf sealed, opened;
	buf_init(&opened, LIMIT);
	unsigned char body[2048];

	/* No padding marker at all. */
	buf_init(&sealed, LIMIT);
	memset(body, 'x', sizeof body);
	seal_raw(&p, body, 1024, &sealed);
	assert_false(unseal_message(p.pub.pk, p.sk, sealed.data, sealed.len, &opened));
	buf_free(&sealed);

	/* A short message padded to a bigger bucket than its own. */
	buf_init(&sealed, LIMIT);
	size_t padded_len = 0;
	memcpy(body, "short", 5);
	assert_int_equal(sodium_pad(&padded_len, body, 5, 2048, sizeof body), 0);
	assert_int_equal(padded_len, 2048);
	seal_raw(&p, body, padded_len, &sealed);
	assert_false(unseal_message(p.pub.pk, p.sk, sealed.data, sealed.len, &opened));
	buf_free(&sealed);

	/* Properly padded, but not to a bucket size. */
	buf_init(&sealed, LIMIT);
	assert_int_equal(sodium_pad(&padded_len, body, 5, 512, sizeof body), 0);
	seal_raw(&p, body, padded_len, &sealed);
	assert_false(unseal_message(p.pub.pk, p.sk, sealed.data, sealed.len, &opened));
	buf_free(&sealed);

	assert_int_equal(opened.len, 0);
	buf_free(&opened);
}

static void test_refuses_bad_input(void **state)
{
	(void)state;
	struct public_key zero;
	memset(&zero, 0, sizeof zero);
	struct buf sealed;
	buf_init(&sealed, LIMIT);
	assert_false(seal_message(&zero, "x", 1, &sealed));
	assert_false(seal_message(NULL, "x", 1, &sealed));
	struct pair p;
	make_pair(&p);
	assert_false(seal_message(&p.pub, NULL, 1, &sealed));
	assert_int_equal(sealed.len, 0);

	/* The output buffer's limit is respected. */
	struct buf small;
	buf_init(&small, 1000);
	assert_false(seal_message(&p.pub, "x", 1, &small));
	buf_free(&small);
	buf_free(&sealed);
}

static void test_key_id(void **state)
{
	(void)state;
	struct pair a, b;
	make_pair(&a);
	make_pair(&b);
	assert_int_equal(strlen(a.pub.key_id), 16);
	assert_int_equal(strspn(a.pub.key_id, "0123456789abcdef"), 16);
	char again[SEAL_KEY_ID_LEN];
	seal_key_id(a.pub.pk, again);
	assert_string_equal(again, a.pub.key_id);
	assert_string_not_equal(a.pub.key_id, b.pub.key_id);

	/* BLAKE2b with an 8-byte output over the public key. */
	unsigned char id[8];
	crypto_generichash(id, sizeof id, a.pub.pk, sizeof a.pub.pk, NULL, 0);
	char hex[17];
	sodium_bin2hex(hex, sizeof hex, id, sizeof id);
	assert_string_equal(hex, a.pub.key_id);
}

/* --- public key files --------------------------------------------------- */

static void path_in_dir(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static size_t read_file(const char *path, char *out, size_t n)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t r = read(fd, out, n - 1);
	assert_true(r >= 0);
	out[r] = '\0';
	close(fd);
	return (size_t)r;
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

static void test_public_key_file_round_trip(void **state)
{
	(void)state;
	struct pair p;
	make_pair(&p);
	char path[256];
	path_in_dir(path, sizeof path, "staff.pub");
	char err[512] = "";
	mode_t old_umask = umask(077);
	bool saved = keyring_write_public_key(path, &p.pub, err, sizeof err);
	umask(old_umask);
	assert_true(saved);

	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(count_dir_entries(), 1); /* no temporary file left */

	char text[512];
	size_t len = read_file(path, text, sizeof text);
	char pk_hex[65];
	sodium_bin2hex(pk_hex, sizeof pk_hex, p.pub.pk, sizeof p.pub.pk);
	char expected[512];
	snprintf(expected, sizeof expected, "clinic-staff-key-v1 %s %s\n", p.pub.key_id, pk_hex);
	assert_int_equal(len, strlen(expected));
	assert_string_equal(text, expected);

	struct public_key loaded;
	assert_true(seal_public_key_load(path, &loaded, err, sizeof err));
	assert_memory_equal(loaded.pk, p.pub.pk, sizeof loaded.pk);
	assert_string_equal(loaded.key_id, p.pub.key_id);

	/* Saving again replaces the file. */
	struct pair q;
	make_pair(&q);
	assert_true(keyring_write_public_key(path, &q.pub, err, sizeof err));
	assert_true(seal_public_key_load(path, &loaded, err, sizeof err));
	assert_string_equal(loaded.key_id, q.pub.key_id);
	assert_int_equal(count_dir_entries(), 1);

	/* Without the final newline is fine too. */
	text[len - 1] = '\0';
	write_file(path, text, len - 1);
	assert_true(seal_public_key_load(path, &loaded, err, sizeof err));
	assert_string_equal(loaded.key_id, p.pub.key_id);
	unlink(path);
}

static void test_public_key_file_malformed(void **state)
{
	(void)state;
	struct pair p;
	make_pair(&p);
	char pk_hex[65];
	sodium_bin2hex(pk_hex, sizeof pk_hex, p.pub.pk, sizeof p.pub.pk);
	char upper_hex[65];
	for (size_t i = 0; i < 65; i++)
		upper_hex[i] =
		    (pk_hex[i] >= 'a' && pk_hex[i] <= 'f') ? (char)(pk_hex[i] - 32) : pk_hex[i];
	unsigned char zero_pk[32] = {0};
	char zero_id[17];
	seal_key_id(zero_pk, zero_id);

	char variants[16][256];
	size_t n = 0;
	snprintf(variants[n++], 256, "%s", "");
	snprintf(variants[n++], 256, "%s", "\n");
	snprintf(variants[n++], 256, "clinic-staff-key-v2 %s %s\n", p.pub.key_id, pk_hex);
	snprintf(variants[n++], 256, "clinic-staff-key-v1  %s %s\n", p.pub.key_id, pk_hex);
	snprintf(variants[n++], 256, "clinic-staff-key-v1 %s %s\n", "0000000000000000", pk_hex);
	snprintf(variants[n++], 256, "clinic-staff-key-v1 %s %s\n", p.pub.key_id, upper_hex);
	snprintf(variants[n++], 256, "clinic-staff-key-v1 %s %.62s\n", p.pub.key_id, pk_hex);
	snprintf(variants[n++], 256, "clinic-staff-key-v1 %s %s00\n", p.pub.key_id, pk_hex);
	snprintf(variants[n++], 256, "clinic-staff-key-v1 %s %s\r\n", p.pub.key_id, pk_hex);
	snprintf(variants[n++], 256, "clinic-staff-key-v1 %s %s\n\n", p.pub.key_id, pk_hex);
	snprintf(variants[n++], 256, "clinic-staff-key-v1 %s\n", pk_hex);
	snprintf(variants[n++], 256, "clinic-staff-key-v1 %s %s", p.pub.key_id, pk_hex + 1);
	snprintf(variants[n++], 256, "%s %s\n", p.pub.key_id, pk_hex);
	snprintf(variants[n++], 256,
	         "clinic-staff-key-v1 %s "
	         "0000000000000000000000000000000000000000000000000000000000000000\n",
	         zero_id);
	snprintf(variants[n++], 256, "clinic-staff-key-v1 %s %s\nextra\n", p.pub.key_id, pk_hex);

	char path[256];
	path_in_dir(path, sizeof path, "bad.pub");
	for (size_t i = 0; i < n; i++) {
		write_file(path, variants[i], strlen(variants[i]));
		struct public_key loaded;
		char err[512] = "";
		assert_false(seal_public_key_load(path, &loaded, err, sizeof err));
		assert_non_null(strstr(err, path));
		assert_true(sodium_is_zero(loaded.pk, sizeof loaded.pk));
	}
	unlink(path);

	struct public_key loaded;
	char err[512] = "";
	path_in_dir(path, sizeof path, "absent.pub");
	assert_false(seal_public_key_load(path, &loaded, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_false(seal_public_key_load(dir, &loaded, err, sizeof err));

	path_in_dir(path, sizeof path, "no/such/dir/staff.pub");
	err[0] = '\0';
	assert_false(keyring_write_public_key(path, &p.pub, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_int_equal(count_dir_entries(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_sealing_is_randomised),
	    cmocka_unit_test(test_buckets),
	    cmocka_unit_test(test_wrong_key_pair),
	    cmocka_unit_test(test_altered_fails),
	    cmocka_unit_test(test_bad_padding_rejected),
	    cmocka_unit_test(test_refuses_bad_input),
	    cmocka_unit_test(test_key_id),
	    cmocka_unit_test(test_public_key_file_round_trip),
	    cmocka_unit_test(test_public_key_file_malformed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
