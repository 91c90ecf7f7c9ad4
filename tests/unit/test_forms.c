/* forms: the two form tables, checked against the validator they feed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "urlencoded.h"
#include "forms.h"
#include "validate.h"

static void both_forms_exist_and_nothing_else(void **state)
{
	(void)state;
	assert_non_null(form_spec_find("contact"));
	assert_non_null(form_spec_find("start"));
	assert_null(form_spec_find("thanks"));
	assert_null(form_spec_find(""));
}

static void every_rule_is_well_formed(void **state)
{
	(void)state;
	const char *kinds[] = {"contact", "start"};
	for (size_t k = 0; k < 2; k++) {
		const struct form_spec *spec = form_spec_find(kinds[k]);
		bool has_token = false, has_honeypot = false, has_consent = false;
		for (size_t i = 0; i < spec->count; i++) {
			const struct field_rule *r = &spec->rules[i];
			assert_true(strspn(r->name, "abcdefghijklmnopqrstuvwxyz_") ==
			            strlen(r->name));
			assert_non_null(r->label);
			if (r->type == FIELD_CHOICE) {
				assert_non_null(r->choices);
				assert_non_null(r->choices[0].value);
			}
			if (r->type == FIELD_TEXT || r->type == FIELD_MULTILINE ||
			    r->type == FIELD_EMAIL || r->type == FIELD_PHONE)
				assert_true(r->max_chars > 0);
			has_token |=
			    strcmp(r->name, FORM_TOKEN_FIELD) == 0 && r->type == FIELD_IGNORED;
			has_honeypot |=
			    strcmp(r->name, FORM_HONEYPOT_FIELD) == 0 && r->type == FIELD_IGNORED;
			has_consent |= strcmp(r->name, "consent") == 0 && r->required &&
			               r->type == FIELD_CHECKBOX;
			for (size_t j = 0; j < i; j++)
				assert_string_not_equal(spec->rules[j].name, r->name);
		}
		assert_true(has_token && has_honeypot && has_consent);
	}
}

static void choice_labels(void **state)
{
	(void)state;
	const struct form_spec *start = form_spec_find("start");
	const struct field_rule *interest = form_spec_rule(start, "interest");
	assert_non_null(interest);
	assert_string_equal(form_choice_label(interest, "dit"), "Dynamic Interpersonal Therapy");
	assert_string_equal(form_choice_label(interest, "not-sure"), "Not sure yet");
	assert_null(form_choice_label(interest, "DIT"));
	assert_null(form_choice_label(form_spec_rule(start, "name"), "x"));
	assert_null(form_spec_rule(start, "nonexistent"));
}

static enum validate_status check(const char *kind, const char *body, struct validation *v)
{
	struct urlencoded f;
	assert_int_equal(urlencoded_decode(body, strlen(body), 32, &f), URLENCODED_OK);
	const struct form_spec *spec = form_spec_find(kind);
	enum validate_status status = validate_form(spec->rules, spec->count, &f, v);
	urlencoded_free(&f);
	return status;
}

static void a_complete_start_form_is_valid(void **state)
{
	(void)state;
	struct validation v;
	assert_int_equal(
	    check("start",
	          "name=Sam+%C3%89xample&email=sam%40example.org&phone=07700+900123&"
	          "contact_method=phone&voicemail=no&interest=dit&reason=Low+mood%0D%0A"
	          "lately&availability=&consent=yes&token=abc&website=",
	          &v),
	    VALIDATE_OK);
	const struct form_spec *spec = form_spec_find("start");
	for (size_t i = 0; i < spec->count; i++) {
		assert_null(v.errors[i]);
		if (strcmp(spec->rules[i].name, "reason") == 0)
			assert_string_equal(v.values[i], "Low mood\nlately");
		if (strcmp(spec->rules[i].name, "name") == 0)
			assert_string_equal(v.values[i], "Sam \xc3\x89xample");
	}
	validation_free(&v);
}

static void a_contact_form_with_no_consent_is_not(void **state)
{
	(void)state;
	struct validation v;
	assert_int_equal(check("contact", "name=A&email=a%40b.org&message=Hi&token=x", &v),
	                 VALIDATE_FIELD_ERRORS);
	const struct form_spec *spec = form_spec_find("contact");
	size_t errors = 0;
	for (size_t i = 0; i < spec->count; i++)
		if (v.errors[i]) {
			errors++;
			assert_string_equal(spec->rules[i].name, "consent");
		}
	assert_int_equal(errors, 1);
	validation_free(&v);
	assert_int_equal(
	    check("contact", "name=A&email=a%40b.org&message=Hi&consent=yes&extra=1", &v),
	    VALIDATE_UNKNOWN_FIELD);
	validation_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(both_forms_exist_and_nothing_else),
	    cmocka_unit_test(every_rule_is_well_formed),
	    cmocka_unit_test(choice_labels),
	    cmocka_unit_test(a_complete_start_form_is_valid),
	    cmocka_unit_test(a_contact_form_with_no_consent_is_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
