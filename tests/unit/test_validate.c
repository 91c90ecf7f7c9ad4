/* validate: every rule of the table, strict UTF-8 and control characters,
 * lengths in code points, trimming and CR LF, emails and phones, choices and
 * checkboxes, and submissions that did not come from our form. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "urlencoded.h"
#include "utf8.h"
#include "validate.h"

static const struct field_choice methods[] = {
    {"email", "Email", NULL},
    {"phone", "Phone", NULL},
    {NULL, NULL, NULL},
};

static const struct field_rule rules[] = {
    {"name", "Your name", FIELD_TEXT, true, 10, NULL},
    {"email", "Your email address", FIELD_EMAIL, true, 254, NULL},
    {"phone", "Your phone number", FIELD_PHONE, false, 32, NULL},
    {"message", "Your message", FIELD_MULTILINE, true, 5000, NULL},
    {"contact_method", "How you would like us to contact you", FIELD_CHOICE, true, 0, methods},
    {"consent", "Consent", FIELD_CHECKBOX, true, 0, NULL},
    {"token", "Form token", FIELD_IGNORED, false, 0, NULL},
    {"news2", "News", FIELD_CHECKBOX, false, 0, NULL},
};
enum { NAME, EMAIL, PHONE, MESSAGE, METHOD, CONSENT, TOKEN, NEWS, NRULES };
static const struct field_rule *const rule_list[NRULES] = {
    &rules[NAME],   &rules[EMAIL],   &rules[PHONE], &rules[MESSAGE],
    &rules[METHOD], &rules[CONSENT], &rules[TOKEN], &rules[NEWS],
};

/* A complete, valid submission, each value %-encoded. */
static const char *const defaults[NRULES][2] = {
    {"name", "Alex"},
    {"email", "alex%40example.org"},
    {"phone", "07700+900123"},
    {"message", "Hello"},
    {"contact_method", "email"},
    {"consent", "yes"},
    {"token", "abc"},
    {"news2", NULL},
};

/* Validates raw urlencoded text against the table. */
static enum validate_status check_body(const char *body, struct validation *v)
{
	struct urlencoded f;
	assert_int_equal(urlencoded_decode(body, strlen(body), 64, &f), URLENCODED_OK);
	enum validate_status status = validate_form(rule_list, NRULES, &f, v);
	urlencoded_free(&f);
	assert_int_equal(v->count, NRULES);
	assert_non_null(v->values);
	assert_non_null(v->errors);
	for (size_t i = 0; i < NRULES; i++)
		assert_non_null(v->values[i]);
	return status;
}

/* The default submission with one field's encoded value replaced (NULL
 * leaves the field out). */
static enum validate_status check_with(size_t field, const char *encoded, struct validation *v)
{
	struct buf body;
	buf_init(&body, 1 << 20);
	for (size_t i = 0; i < NRULES; i++) {
		const char *value = i == field ? encoded : defaults[i][1];
		if (value)
			buf_printf(&body, "%s%s=%s", body.len ? "&" : "", defaults[i][0], value);
	}
	assert_false(body.failed);
	enum validate_status status = check_body(body.data ? body.data : "", v);
	buf_free(&body);
	return status;
}

/* Expects exactly one error, on field, and returns its words. */
static const char *only_error(const struct validation *v, size_t field)
{
	for (size_t i = 0; i < NRULES; i++)
		if (i != field)
			assert_null(v->errors[i]);
	assert_non_null(v->errors[field]);
	return v->errors[field];
}

static void refused_with(size_t field, const char *encoded, const char *words)
{
	struct validation v;
	assert_int_equal(check_with(field, encoded, &v), VALIDATE_FIELD_ERRORS);
	const char *error = only_error(&v, field);
	if (!strstr(error, words))
		fail_msg("%s=%s: error \"%s\" lacks \"%s\"", defaults[field][0], encoded, error,
		         words);
	validation_free(&v);
}

static void accepted_as(size_t field, const char *encoded, const char *value)
{
	struct validation v;
	enum validate_status status = check_with(field, encoded, &v);
	if (status != VALIDATE_OK)
		fail_msg("%s=%s: status %d, error \"%s\"", defaults[field][0], encoded, status,
		         v.errors[field] ? v.errors[field] : "(none)");
	assert_string_equal(v.values[field], value);
	validation_free(&v);
}

/* A string of count copies of s (each %-encoded). */
static char *repeat(const char *s, size_t count, const char *prefix, const char *suffix)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b, prefix);
	for (size_t i = 0; i < count; i++)
		buf_puts(&b, s);
	buf_puts(&b, suffix);
	assert_false(b.failed);
	return buf_take(&b);
}

static void a_complete_form_is_valid(void **state)
{
	(void)state;
	struct validation v;
	assert_int_equal(check_with(NRULES, NULL, &v), VALIDATE_OK);
	const char *want[NRULES] = {
	    "Alex", "alex@example.org", "07700 900123", "Hello", "email", "yes", "", ""};
	for (size_t i = 0; i < NRULES; i++) {
		assert_null(v.errors[i]);
		assert_string_equal(v.values[i], want[i]);
	}
	validation_free(&v);
	assert_int_equal(v.count, 0);
	assert_null(v.values);
	assert_null(v.errors);
	validation_free(&v);
}

static void missing_and_blank_fields_are_asked_for_by_label(void **state)
{
	(void)state;
	struct validation v;
	assert_int_equal(check_body("token=x", &v), VALIDATE_FIELD_ERRORS);
	assert_string_equal(v.errors[NAME], "Enter your name");
	assert_string_equal(v.errors[EMAIL], "Enter your email address");
	assert_null(v.errors[PHONE]);
	assert_string_equal(v.errors[MESSAGE], "Enter your message");
	assert_string_equal(v.errors[METHOD], "Choose how you would like us to contact you");
	assert_string_equal(v.errors[CONSENT], "Tick the box to say we may keep your enquiry");
	assert_null(v.errors[TOKEN]);
	assert_null(v.errors[NEWS]);
	for (size_t i = 0; i < NRULES; i++)
		assert_string_equal(v.values[i], "");
	validation_free(&v);

	/* Blank after trimming is missing too. */
	refused_with(NAME, "+%20%09+", "Enter your name");
	refused_with(NAME, "", "Enter your name");
	refused_with(MESSAGE, "%0D%0A+%0A%0D%09", "Enter your message");
	refused_with(EMAIL, "+", "Enter your email address");
	refused_with(METHOD, "", "Choose how you would like us to contact you");
	/* Optional fields may be empty or absent. */
	accepted_as(PHONE, NULL, "");
	accepted_as(PHONE, "", "");
	accepted_as(PHONE, "+++", "");
}

static void lengths_count_code_points_at_both_boundaries(void **state)
{
	(void)state;
	/* é is 2 bytes, 𝒜 is 4: ten of either fit a 10-character name. */
	const char *wide[] = {"%C3%A9", "%F0%9D%92%9C", "a"};
	for (size_t i = 0; i < 3; i++) {
		char *ten = repeat(wide[i], 10, "", "");
		char *eleven = repeat(wide[i], 11, "", "");
		char *padded = repeat(wide[i], 10, "++%09", "%20+");
		struct validation v;
		assert_int_equal(check_with(NAME, ten, &v), VALIDATE_OK);
		assert_int_equal(utf8_length(v.values[NAME], strlen(v.values[NAME])), 10);
		validation_free(&v);
		refused_with(NAME, eleven, "Your name is too long");
		refused_with(NAME, eleven, "10 characters");
		refused_with(NAME, eleven, "(it is 11)");
		assert_int_equal(check_with(NAME, padded, &v), VALIDATE_OK);
		validation_free(&v);
		free(ten);
		free(eleven);
		free(padded);
	}

	char *at_limit = repeat("a", 4998, "", "%E2%82%AC%C3%A9");
	char *over = repeat("a", 4998, "", "%E2%82%AC%C3%A9b");
	char *far_over = repeat("%F0%9D%92%9C", 5123, "", "");
	struct validation v;
	assert_int_equal(check_with(MESSAGE, at_limit, &v), VALIDATE_OK);
	validation_free(&v);
	refused_with(MESSAGE, over,
	             "Your message is too long: please keep it to 5000 characters or fewer "
	             "(it is 5001)");
	refused_with(MESSAGE, far_over, "(it is 5123)");
	free(at_limit);
	free(over);
	free(far_over);

	/* A CR LF pair counts once, as the LF it becomes. */
	char *crlf = repeat("a", 4998, "", "%0D%0Ab");
	assert_int_equal(check_with(MESSAGE, crlf, &v), VALIDATE_OK);
	assert_int_equal(strlen(v.values[MESSAGE]), 5000);
	validation_free(&v);
	free(crlf);
}

static void invalid_utf8_is_refused_and_never_echoed(void **state)
{
	(void)state;
	const char *bad[] = {
	    "Al%FFex",            /* never in UTF-8 */
	    "Al%C0%AFex",         /* overlong / */
	    "Al%C1%BF",           /* overlong, 2 bytes */
	    "Al%E0%80%AF",        /* overlong, 3 bytes */
	    "Al%E0%9F%BF",        /* overlong U+07FF */
	    "Al%F0%80%80%AF",     /* overlong, 4 bytes */
	    "Al%F0%8F%BF%BF",     /* overlong U+FFFF */
	    "Al%ED%A0%80ex",      /* high surrogate */
	    "Al%ED%BF%BF",        /* low surrogate */
	    "%ED%A0%BD%ED%B8%80", /* a surrogate pair, CESU-8 style */
	    "Al%F4%90%80%80",     /* above U+10FFFF */
	    "Al%F5%80%80%80",     /* lead byte past F4 */
	    "Al%E2%82",           /* cut short at the end */
	    "Al%E2%82ex",         /* cut short before ASCII */
	    "Al%80ex",            /* a lone continuation byte */
	    "Al%C3%A9%A9",        /* one continuation too many */
	    "%F8%88%80%80%80",    /* five-byte form */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t fields[] = {NAME, MESSAGE, EMAIL, PHONE, METHOD};
		for (size_t k = 0; k < 5; k++) {
			struct validation v;
			assert_int_equal(check_with(fields[k], bad[i], &v), VALIDATE_FIELD_ERRORS);
			const char *error = only_error(&v, fields[k]);
			if (!strstr(error, "contains characters we cannot read"))
				fail_msg("%s: \"%s\"", bad[i], error);
			assert_string_equal(v.values[fields[k]], "");
			validation_free(&v);
		}
	}
	refused_with(NAME, "%FF", "Your name contains characters we cannot read");
}

static void control_characters_are_refused(void **state)
{
	(void)state;
	const char *controls[] = {"Al%07ex",    "Al%1B%5B31mex", "Al%09ex", "Al%7Fex",
	                          "Al%C2%9Bex", "Al%C2%80ex",    "Al%0Bex", "Al%00ex"};
	for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++) {
		refused_with(NAME, controls[i], "Your name contains a hidden control character");
		refused_with(MESSAGE, controls[i],
		             "Your message contains a hidden control character");
		refused_with(EMAIL, controls[i], "control character");
		refused_with(PHONE, controls[i], "control character");
	}
	/* One-line fields say so about a line break inside them. */
	refused_with(NAME, "Alex%0AExample", "Your name must be on one line");
	refused_with(NAME, "Alex%0DExample", "must be on one line");
	refused_with(EMAIL, "alex%40example.org%0ABcc%3A+x%40example.org", "on one line");
	/* What was typed is shown again as it was; a NUL cannot be, so it goes. */
	struct validation v;
	assert_int_equal(check_with(NAME, "Al%07ex", &v), VALIDATE_FIELD_ERRORS);
	assert_string_equal(v.values[NAME], "Al\aex");
	validation_free(&v);
	assert_int_equal(check_with(NAME, "Al%00ex%00", &v), VALIDATE_FIELD_ERRORS);
	assert_string_equal(v.values[NAME], "Alex");
	validation_free(&v);
	/* Characters that look odd but are not controls are fine. */
	accepted_as(NAME, "%C2%A0Al%C2%A0ex",
	            "\xc2\xa0"
	            "Al\xc2\xa0"
	            "ex");
}

static void line_breaks_are_normalised_and_ends_trimmed(void **state)
{
	(void)state;
	accepted_as(MESSAGE, "Line+one%0D%0ALine+two%0DLine+three%0ALast",
	            "Line one\nLine two\nLine three\nLast");
	accepted_as(MESSAGE, "a%0D%0D%0Ab%0A%0A%0D%0Ac", "a\n\nb\n\n\nc");
	accepted_as(MESSAGE, "%0D%0A%0D%0A++Indented%0D%0A++++more++%0D%0A%0D%0A%09",
	            "Indented\n    more");
	accepted_as(NAME, "++Pat+Lee++", "Pat Lee");
	accepted_as(NAME, "%09Alex%0D%0A", "Alex");
	accepted_as(NAME, "A++++x", "A    x");
	accepted_as(EMAIL, "++padded%40example.org++", "padded@example.org");
	accepted_as(METHOD, "+phone%0A", "phone");
}

static void email_addresses_are_checked_practically(void **state)
{
	(void)state;
	const char *good[][2] = {
	    {"first.last%2Btag%40sub.example.co.uk", "first.last+tag@sub.example.co.uk"},
	    {"a%40b.co", "a@b.co"},
	    {"o%27brien%40example.ie", "o'brien@example.ie"},
	    {"x%40my-domain.example", "x@my-domain.example"},
	    {"user%40xn--mller-kva.de", "user@xn--mller-kva.de"},
	    {"j%C3%B6rg%40m%C3%BCller.de", "j\xc3\xb6rg@m\xc3\xbcller.de"},
	    {"a%40b2.c3", "a@b2.c3"},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		accepted_as(EMAIL, good[i][0], good[i][1]);
	const char *bad[] = {
	    "alex",
	    "alex%40",
	    "%40example.org",
	    "alex%40example",
	    "alex+example%40example.org",
	    "alex%40%40example.org",
	    "alex%40exa+mple.org",
	    "alex%40example.org%2C+bob%40example.org",
	    "%3Calex%40example.org%3E",
	    "Alex+%3Calex%40example.org%3E",
	    "alex%40-example.org",
	    "alex%40example-.org",
	    "alex%40example..org",
	    "alex%40.example.org",
	    "alex%40example.org.",
	    "alex%40exa_mple.org",
	    "alex%40exa%2Fmple.org",
	    "a%401.2.3.4",
	    "%22alex%22%40example.org",
	    "javascript%3Aalert(1)%2F%2F%40x",
	    "alex%40example.o%E2%80%8Frg%3E",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused_with(EMAIL, bad[i], "Enter an email address like name@example.com");
	/* The address is kept as typed so it can be corrected. */
	struct validation v;
	assert_int_equal(check_with(EMAIL, "alex+example%40example.org", &v),
	                 VALIDATE_FIELD_ERRORS);
	assert_string_equal(v.values[EMAIL], "alex example@example.org");
	validation_free(&v);

	/* 254 bytes is the most an address may have; a label at most 63. */
	char *local64 = repeat("a", 64, "", "%40");
	char *at_limit = repeat("c", 57, local64, "");
	char *label63 = repeat("b", 63, "", ".");
	char *label64 = repeat("b", 64, "", ".");
	char buffer[1024];
	snprintf(buffer, sizeof buffer, "%s%s%s%s.org", local64, label63, label63,
	         at_limit + strlen(local64));
	assert_int_equal(strlen(buffer), 254 + 2);
	assert_int_equal(check_with(EMAIL, buffer, &v), VALIDATE_OK);
	assert_int_equal(strlen(v.values[EMAIL]), 254);
	validation_free(&v);
	snprintf(buffer, sizeof buffer, "%s%s%sd%s.org", local64, label63, label63,
	         at_limit + strlen(local64));
	refused_with(EMAIL, buffer, "Your email address is too long");
	snprintf(buffer, sizeof buffer, "%s%sorg", local64, label64);
	refused_with(EMAIL, buffer, "Enter an email address");
	snprintf(buffer, sizeof buffer, "a%sexample.org", local64);
	refused_with(EMAIL, buffer, "Enter an email address");
	free(local64);
	free(at_limit);
	free(label63);
	free(label64);
}

static void email_bytes_are_limited_even_when_characters_fit(void **state)
{
	(void)state;
	static const struct field_rule roomy_email = {
	    "email", "Your email address", FIELD_EMAIL, true, 1000, NULL};
	static const struct field_rule *const roomy[] = {&roomy_email};
	/* 130 two-byte letters: 130 characters, but 260 bytes before the @. */
	char *long_local = repeat("%C3%A9", 130, "", "%40example.org");
	char *long_domain = repeat("%C3%A9", 130, "a%40", ".org");
	const char *bodies[] = {long_local, long_domain};
	for (size_t i = 0; i < 2; i++) {
		struct urlencoded f;
		struct buf body;
		buf_init(&body, 1 << 16);
		buf_printf(&body, "email=%s", bodies[i]);
		assert_int_equal(urlencoded_decode(body.data, body.len, 4, &f), URLENCODED_OK);
		struct validation v;
		assert_int_equal(validate_form(roomy, 1, &f, &v), VALIDATE_FIELD_ERRORS);
		assert_string_equal(v.errors[0], "Enter an email address like name@example.com");
		validation_free(&v);
		urlencoded_free(&f);
		buf_free(&body);
	}
	free(long_local);
	free(long_domain);
}

static void phone_numbers_are_checked(void **state)
{
	(void)state;
	const char *good[][2] = {
	    {"07700+900123", "07700 900123"},
	    {"%2B44+(0)20+7946+0000", "+44 (0)20 7946 0000"},
	    {"020-7946-0000", "020-7946-0000"},
	    {"020.7946.0000", "020.7946.0000"},
	    {"1234567", "1234567"},
	    {"123456789012345", "123456789012345"},
	    {"+%2B447700900123+", "+447700900123"},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		accepted_as(PHONE, good[i][0], good[i][1]);
	const char *bad[] = {
	    "12345",
	    "123456",
	    "call+me",
	    "07700+900123+ext+4",
	    "1234567890123456",
	    "07700%2B900123",
	    "0770O+900123",
	    "%2B",
	    "%2B%2B447700900123",
	    "07700%2F900123",
	    "%EF%BC%90%EF%BC%97%EF%BC%97%EF%BC%900000000",
	    "07700_900123",
	    "%2B44+7700+900123+0000000000000000",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct validation v;
		assert_int_equal(check_with(PHONE, bad[i], &v), VALIDATE_FIELD_ERRORS);
		const char *error = only_error(&v, PHONE);
		if (!strstr(error, "phone number") && !strstr(error, "too long"))
			fail_msg("phone %s: \"%s\"", bad[i], error);
		validation_free(&v);
	}
	refused_with(PHONE, "12345", "Enter a phone number of 7 to 15 digits");
	/* The character limit still applies to a valid-looking number. */
	refused_with(PHONE, "1+2+3+4+5+6+7+8+9+0+1+2+3+4+5+(+)", "too long");
}

static void choices_come_only_from_the_table(void **state)
{
	(void)state;
	accepted_as(METHOD, "email", "email");
	accepted_as(METHOD, "phone", "phone");
	const char *bad[] = {"Email",         "Phone",          "PHONE",
	                     "email%2Cphone", "carrier-pigeon", "%3Cb%3Eemail%3C%2Fb%3E",
	                     "emai",          "emaill"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused_with(METHOD, bad[i], "Choose how you would like us to contact you");
	/* Kept so the page can decide what to show; escaping is its job. */
	struct validation v;
	assert_int_equal(check_with(METHOD, "%3Cb%3Eemail%3C%2Fb%3E", &v), VALIDATE_FIELD_ERRORS);
	assert_string_equal(v.values[METHOD], "<b>email</b>");
	validation_free(&v);

	static const struct field_choice none[] = {{NULL, NULL, NULL}};
	static const struct field_rule pick = {"pick", "Pick one", FIELD_CHOICE, false, 0, none};
	static const struct field_rule other = {"other", "Other", FIELD_CHOICE, false, 0, NULL};
	static const struct field_rule *const odd[] = {&pick, &other};
	struct urlencoded f;
	assert_int_equal(urlencoded_decode("pick=x&other=y", 14, 4, &f), URLENCODED_OK);
	assert_int_equal(validate_form(odd, 2, &f, &v), VALIDATE_FIELD_ERRORS);
	assert_string_equal(v.errors[0], "Choose pick one");
	assert_non_null(v.errors[1]);
	validation_free(&v);
	urlencoded_free(&f);
}

static void a_checkbox_is_yes_or_absent(void **state)
{
	(void)state;
	accepted_as(CONSENT, "yes", "yes");
	const char *bad[] = {"",    "no",  "on",     "true",   "yes+please",
	                     "YES", "Yes", "%20yes", "yes%00", "1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct validation v;
		assert_int_equal(check_with(CONSENT, bad[i], &v), VALIDATE_FIELD_ERRORS);
		assert_string_equal(only_error(&v, CONSENT),
		                    "Tick the box to say we may keep your enquiry");
		assert_string_equal(v.values[CONSENT], "");
		validation_free(&v);
	}
	/* An optional box may be left unticked, but not sent with another value. */
	accepted_as(NEWS, NULL, "");
	accepted_as(NEWS, "yes", "yes");
	struct validation v;
	assert_int_equal(check_with(NEWS, "on", &v), VALIDATE_FIELD_ERRORS);
	assert_non_null(only_error(&v, NEWS));
	validation_free(&v);
}

static void ignored_fields_are_neither_checked_nor_kept(void **state)
{
	(void)state;
	const char *anything[] = {"", "%FF%FE", "%00%07", "%3Cscript%3E", NULL};
	for (size_t i = 0; i < sizeof anything / sizeof anything[0]; i++)
		accepted_as(TOKEN, anything[i], "");
	char *long_token = repeat("x", 100000, "", "");
	accepted_as(TOKEN, long_token, "");
	free(long_token);
}

static void unknown_fields_mean_not_our_form(void **state)
{
	(void)state;
	const char *extra[] = {"age=42",    "Name=x",      "na%00me=x", "name%00=x",
	                       "%FFname=x", "=x",          "nam=x",     "names=x",
	                       "name+=x",   "n%C3%A4me=x", "NAME",      "token2=x"};
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		char body[256];
		snprintf(body, sizeof body,
		         "name=Alex&email=a%%40b.org&message=Hi&"
		         "contact_method=email&consent=yes&%s",
		         extra[i]);
		struct validation v;
		if (check_body(body, &v) != VALIDATE_UNKNOWN_FIELD)
			fail_msg("%s was accepted", extra[i]);
		/* Values are still there for whoever wants them. */
		assert_string_equal(v.values[NAME], "Alex");
		validation_free(&v);
	}
	/* A field name in the table but with bytes outside [a-z0-9_]: "news2"
	 * matches, "news-2" cannot. */
	struct validation v;
	assert_int_equal(check_with(NRULES, NULL, &v), VALIDATE_OK);
	validation_free(&v);
	assert_int_equal(check_body("news-2=yes", &v), VALIDATE_UNKNOWN_FIELD);
	validation_free(&v);
}

static void repeated_fields_mean_not_our_form(void **state)
{
	(void)state;
	const char *twice[] = {"name=Other", "token=x", "consent=yes", "news2=yes&news2=yes",
	                       "message="};
	for (size_t i = 0; i < sizeof twice / sizeof twice[0]; i++) {
		char body[256];
		snprintf(body, sizeof body,
		         "name=Alex&email=a%%40b.org&message=Hi&"
		         "contact_method=email&consent=yes&token=t&%s",
		         twice[i]);
		struct validation v;
		if (check_body(body, &v) != VALIDATE_REPEATED_FIELD)
			fail_msg("%s twice was accepted", twice[i]);
		/* The first one is what counts. */
		assert_string_equal(v.values[NAME], "Alex");
		validation_free(&v);
	}
	struct validation v;
	assert_int_equal(check_body("name=a&name=b&bogus=1", &v), VALIDATE_UNKNOWN_FIELD);
	validation_free(&v);
}

static void hostile_text_is_kept_verbatim(void **state)
{
	(void)state;
	/* Escaping belongs to the template: here the words stay as typed. */
	accepted_as(MESSAGE,
	            "%3Cscript%3Ealert(1)%3C%2Fscript%3E%3C%2Ftextarea%3E%22%27%26amp%3B%7B%7B"
	            "token%7D%7D",
	            "<script>alert(1)</script></textarea>\"'&amp;{{token}}");
	accepted_as(NAME, "%22%3E%3Cimg%3E", "\"><img>");
	struct validation v;
	assert_int_equal(check_with(EMAIL, "javascript%3Aalert(1)%2F%2F%40x", &v),
	                 VALIDATE_FIELD_ERRORS);
	assert_string_equal(v.values[EMAIL], "javascript:alert(1)//@x");
	validation_free(&v);
}

static void errors_are_owned_by_the_validation(void **state)
{
	(void)state;
	/* The contact program replaces a NULL error with its own strdup'd
	 * message; validation_free must free that like the others. */
	struct validation v;
	assert_int_equal(check_with(PHONE, NULL, &v), VALIDATE_OK);
	v.errors[PHONE] = strdup("Enter a phone number so that we can call you");
	assert_non_null(v.errors[PHONE]);
	validation_free(&v);

	static const struct field_rule x = {"x", "X", FIELD_TEXT, false, 1, NULL};
	static const struct field_rule *const nothing[1] = {&x};
	struct urlencoded empty = {NULL, 0};
	assert_int_equal(validate_form(nothing, 0, &empty, &v), VALIDATE_OK);
	assert_int_equal(v.count, 0);
	validation_free(&v);
	assert_int_equal(validate_form(nothing, 1, &empty, &v), VALIDATE_OK);
	assert_string_equal(v.values[0], "");
	validation_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_complete_form_is_valid),
	    cmocka_unit_test(missing_and_blank_fields_are_asked_for_by_label),
	    cmocka_unit_test(lengths_count_code_points_at_both_boundaries),
	    cmocka_unit_test(invalid_utf8_is_refused_and_never_echoed),
	    cmocka_unit_test(control_characters_are_refused),
	    cmocka_unit_test(line_breaks_are_normalised_and_ends_trimmed),
	    cmocka_unit_test(email_addresses_are_checked_practically),
	    cmocka_unit_test(email_bytes_are_limited_even_when_characters_fit),
	    cmocka_unit_test(phone_numbers_are_checked),
	    cmocka_unit_test(choices_come_only_from_the_table),
	    cmocka_unit_test(a_checkbox_is_yes_or_absent),
	    cmocka_unit_test(ignored_fields_are_neither_checked_nor_kept),
	    cmocka_unit_test(unknown_fields_mean_not_our_form),
	    cmocka_unit_test(repeated_fields_mean_not_our_form),
	    cmocka_unit_test(hostile_text_is_kept_verbatim),
	    cmocka_unit_test(errors_are_owned_by_the_validation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
