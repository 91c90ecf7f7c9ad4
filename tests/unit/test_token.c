#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "token.h"

#define NOW ((time_t)1790000000) /* 2026 */
#define MIN_AGE 3
#define MAX_AGE (4 * 3600)
#define TOKEN_LEN 54 /* base64url of 8 + 32 bytes, no padding */

static unsigned char key[TOKEN_KEY_BYTES];
static char dir[] = "/tmp/test_token.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0 || !mkdtemp(dir))
		return -1;
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (unsigned char)(i * 7 + 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

static enum token_status check_at(const char *kind, const char *token, time_t now)
{
	return token_check(key, kind, token, now, MIN_AGE, MAX_AGE);
}

static void test_round_trip(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	token_make(key, "contact", NOW, token);
	assert_int_equal(strlen(token), TOKEN_LEN);
	for (const char *p = token; *p; p++)
		assert_true(
		    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		           *p) != NULL);
	assert_int_equal(check_at("contact", token, NOW + 10), TOKEN_OK);

	char other[TOKEN_TEXT_MAX];
	token_make(key, "start", NOW, other);
	assert_string_not_equal(token, other);
	assert_int_equal(check_at("start", other, NOW + 10), TOKEN_OK);
}

/* The token is exactly base64url(BE64(issued) || crypto_auth(BE64(issued) ||
 * kind)), so anything else holding the key (the test harness) can make one. */
static void test_layout_matches_crypto_auth(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	token_make(key, "start", NOW, token);

	unsigned char message[8 + 5];
	uint64_t issued = (uint64_t)NOW;
	for (int i = 7; i >= 0; i--, issued >>= 8)
		message[i] = (unsigned char)(issued & 0xff);
	memcpy(message + 8, "start", 5);
	unsigned char expected[8 + crypto_auth_BYTES];
	memcpy(expected, message, 8);
	crypto_auth(expected + 8, message, sizeof message, key);

	char expected_text[TOKEN_TEXT_MAX];
	sodium_bin2base64(expected_text, sizeof expected_text, expected, sizeof expected,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_string_equal(token, expected_text);
}

static void test_age_boundaries(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	token_make(key, "contact", NOW, token);
	assert_int_equal(check_at("contact", token, NOW), TOKEN_TOO_FAST);
	assert_int_equal(check_at("contact", token, NOW + MIN_AGE - 1), TOKEN_TOO_FAST);
	assert_int_equal(check_at("contact", token, NOW + MIN_AGE), TOKEN_OK);
	assert_int_equal(check_at("contact", token, NOW + MAX_AGE), TOKEN_OK);
	assert_int_equal(check_at("contact", token, NOW + MAX_AGE + 1), TOKEN_EXPIRED);
	assert_int_equal(check_at("contact", token, NOW + 400 * 86400), TOKEN_EXPIRED);
	/* With no minimum age, a token checked the second it was made is fine. */
	assert_int_equal(token_check(key, "contact", token, NOW, 0, MAX_AGE), TOKEN_OK);
}

static void test_future(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	token_make(key, "contact", NOW, token);
	/* A clock a few seconds behind is not an attack... */
	assert_int_equal(check_at("contact", token, NOW - 1), TOKEN_TOO_FAST);
	assert_int_equal(check_at("contact", token, NOW - 5), TOKEN_TOO_FAST);
	assert_int_equal(token_check(key, "contact", token, NOW - 5, 0, MAX_AGE), TOKEN_TOO_FAST);
	/* ...but a token from further in the future was not made by this server. */
	assert_int_equal(check_at("contact", token, NOW - 6), TOKEN_FORGED);
	assert_int_equal(check_at("contact", token, NOW - 86400), TOKEN_FORGED);
}

static void test_other_form_kind(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	token_make(key, "contact", NOW, token);
	assert_int_equal(check_at("start", token, NOW + 10), TOKEN_FORGED);
	assert_int_equal(check_at("contac", token, NOW + 10), TOKEN_FORGED);
	assert_int_equal(check_at("contact ", token, NOW + 10), TOKEN_FORGED);
	assert_int_equal(check_at("", token, NOW + 10), TOKEN_FORGED);
	assert_int_equal(check_at(NULL, token, NOW + 10), TOKEN_FORGED);
}

static void test_other_key(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	unsigned char other_key[TOKEN_KEY_BYTES];
	memcpy(other_key, key, sizeof other_key);
	other_key[31] ^= 1;
	token_make(other_key, "contact", NOW, token);
	assert_int_equal(check_at("contact", token, NOW + 10), TOKEN_FORGED);
}

/* Flips one base64 character; the two chosen both decode. */
static void flip_char(char *token, size_t i)
{
	token[i] = token[i] == 'A' ? 'B' : 'A';
}

static void test_forged_mac(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	token_make(key, "contact", NOW, token);
	/* Every character but the last carries 6 bits of time or MAC. */
	for (size_t i = 0; i < TOKEN_LEN - 1; i++) {
		char forged[TOKEN_TEXT_MAX];
		memcpy(forged, token, sizeof forged);
		flip_char(forged, i);
		assert_int_equal(check_at("contact", forged, NOW + 10), TOKEN_FORGED);
	}
}

/* Moving the issued time back (to get past the minimum age) breaks the MAC. */
static void test_altered_time(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	token_make(key, "contact", NOW, token);
	unsigned char bin[40];
	size_t bin_len = 0;
	assert_int_equal(sodium_base642bin(bin, sizeof bin, token, strlen(token), NULL, &bin_len,
	                                   NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	                 0);
	assert_int_equal(bin_len, sizeof bin);
	bin[7] -= 60;
	char altered[TOKEN_TEXT_MAX];
	sodium_bin2base64(altered, sizeof altered, bin, sizeof bin,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_int_equal(check_at("contact", altered, NOW + 1), TOKEN_FORGED);
}

static void test_truncated_and_extended(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	token_make(key, "contact", NOW, token);
	for (size_t len = 1; len < TOKEN_LEN; len++) {
		char cut[TOKEN_TEXT_MAX];
		memcpy(cut, token, len);
		cut[len] = '\0';
		assert_int_equal(check_at("contact", cut, NOW + 10), TOKEN_FORGED);
	}
	char longer[TOKEN_TEXT_MAX + 8];
	snprintf(longer, sizeof longer, "%sA", token);
	assert_int_equal(check_at("contact", longer, NOW + 10), TOKEN_FORGED);
	snprintf(longer, sizeof longer, "%s=", token);
	assert_int_equal(check_at("contact", longer, NOW + 10), TOKEN_FORGED);
	snprintf(longer, sizeof longer, "%s\n", token);
	assert_int_equal(check_at("contact", longer, NOW + 10), TOKEN_FORGED);
	snprintf(longer, sizeof longer, " %s", token);
	assert_int_equal(check_at("contact", longer, NOW + 10), TOKEN_FORGED);
}

static void test_garbage(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_MAX];
	token_make(key, "contact", NOW, token);

	/* The same bytes in standard base64 are not the same token. */
	char standard[TOKEN_TEXT_MAX];
	memcpy(standard, token, sizeof standard);
	for (char *p = standard; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	if (strcmp(standard, token) != 0)
		assert_int_equal(check_at("contact", standard, NOW + 10), TOKEN_FORGED);

	char stars[TOKEN_LEN + 1];
	memset(stars, '*', TOKEN_LEN);
	stars[TOKEN_LEN] = '\0';
	assert_int_equal(check_at("contact", stars, NOW + 10), TOKEN_FORGED);

	char zeros[TOKEN_LEN + 1];
	memset(zeros, 'A', TOKEN_LEN);
	zeros[TOKEN_LEN] = '\0';
	assert_int_equal(check_at("contact", zeros, NOW + 10), TOKEN_FORGED);

	/* Right length, with the unused low bits of the last character set. */
	char noncanonical[TOKEN_TEXT_MAX];
	memcpy(noncanonical, token, sizeof noncanonical);
	noncanonical[TOKEN_LEN - 1] = noncanonical[TOKEN_LEN - 1] == 'B' ? 'C' : 'B';
	assert_int_equal(check_at("contact", noncanonical, NOW + 10), TOKEN_FORGED);

	char huge[4096];
	memset(huge, 'A', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	assert_int_equal(check_at("contact", huge, NOW + 10), TOKEN_FORGED);

	assert_int_equal(check_at("contact", "not a token", NOW + 10), TOKEN_FORGED);
	assert_int_equal(check_at("contact", "\xff\xfe", NOW + 10), TOKEN_FORGED);
}

static void test_empty(void **state)
{
	(void)state;
	assert_int_equal(check_at("contact", "", NOW), TOKEN_MISSING);
	assert_int_equal(check_at("contact", NULL, NOW), TOKEN_MISSING);
}

/* --- key files --------------------------------------------------------- */

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

#define HEX64 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static bool load_text(const char *text, unsigned char out[TOKEN_KEY_BYTES], char *err,
                      size_t errlen)
{
	char path[256];
	snprintf(path, sizeof path, "%s/token.key", dir);
	write_file(path, text, strlen(text));
	bool ok = token_key_load(path, out, err, errlen);
	unlink(path);
	return ok;
}

static void test_key_load_valid(void **state)
{
	(void)state;
	unsigned char loaded[TOKEN_KEY_BYTES];
	unsigned char expected[TOKEN_KEY_BYTES];
	for (size_t i = 0; i < sizeof expected; i++)
		expected[i] = (unsigned char)i;
	char err[256] = "";

	memset(loaded, 0xaa, sizeof loaded);
	assert_true(load_text(HEX64 "\n", loaded, err, sizeof err));
	assert_memory_equal(loaded, expected, sizeof expected);

	memset(loaded, 0xaa, sizeof loaded);
	assert_true(load_text(HEX64, loaded, err, sizeof err));
	assert_memory_equal(loaded, expected, sizeof expected);
}

static void test_key_load_malformed(void **state)
{
	(void)state;
	const char *bad[] = {
	    "",
	    "\n",
	    HEX64 "\n\n",
	    HEX64 "\r\n",
	    HEX64 " ",
	    " " HEX64,
	    HEX64 "00",
	    HEX64 "0",
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",
	    "00 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "token_key = " HEX64,
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		unsigned char loaded[TOKEN_KEY_BYTES];
		char err[512] = "";
		assert_false(load_text(bad[i], loaded, err, sizeof err));
		assert_non_null(strstr(err, dir));
		assert_non_null(strstr(err, "64 hex digits"));
	}

	/* A NUL inside the file. */
	char path[256];
	snprintf(path, sizeof path, "%s/token.key", dir);
	char with_nul[] = HEX64;
	with_nul[10] = '\0';
	write_file(path, with_nul, 64);
	unsigned char loaded[TOKEN_KEY_BYTES];
	char err[512] = "";
	assert_false(token_key_load(path, loaded, err, sizeof err));
	unlink(path);
}

static void test_key_load_missing(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof path, "%s/absent.key", dir);
	unsigned char loaded[TOKEN_KEY_BYTES];
	char err[512] = "";
	assert_false(token_key_load(path, loaded, err, sizeof err));
	assert_non_null(strstr(err, path));

	err[0] = '\0';
	assert_false(token_key_load(dir, loaded, err, sizeof err));
	assert_non_null(strstr(err, dir));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_layout_matches_crypto_auth),
	    cmocka_unit_test(test_age_boundaries),
	    cmocka_unit_test(test_future),
	    cmocka_unit_test(test_other_form_kind),
	    cmocka_unit_test(test_other_key),
	    cmocka_unit_test(test_forged_mac),
	    cmocka_unit_test(test_altered_time),
	    cmocka_unit_test(test_truncated_and_extended),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_key_load_valid),
	    cmocka_unit_test(test_key_load_malformed),
	    cmocka_unit_test(test_key_load_missing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
