/* forms: the two form tables, checked against the validator they feed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
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
			const struct field_rule *r = spec->rules[i];
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
				assert_string_not_equal(spec->rules[j]->name, r->name);
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
		if (strcmp(spec->rules[i]->name, "reason") == 0)
			assert_string_equal(v.values[i], "Low mood\nlately");
		if (strcmp(spec->rules[i]->name, "name") == 0)
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
			assert_string_equal(spec->rules[i]->name, "consent");
		}
	assert_int_equal(errors, 1);
	validation_free(&v);
	assert_int_equal(
	    check("contact", "name=A&email=a%40b.org&message=Hi&consent=yes&extra=1", &v),
	    VALIDATE_UNKNOWN_FIELD);
	validation_free(&v);
}

/* Each field is defined once: every form's rules point into the one table,
 * and what the staff tool reads an enquiry by is consistent. */
static void the_field_table_is_the_one_vocabulary(void **state)
{
	(void)state;
	bool column_taken[FORM_EXPORT_COLUMNS] = {false};
	size_t kept = 0;
	for (size_t i = 0; i < FORM_FIELD__MAX; i++) {
		const struct form_field_def *f = form_field((enum form_field)i);
		assert_ptr_equal(form_field_find(f->rule.name), f);
		bool ignored = f->rule.type == FIELD_IGNORED;
		/* Kept fields have a heading and a column; the token and the
		 * honeypot have neither. */
		assert_int_equal(f->heading == NULL, ignored);
		assert_int_equal(f->export_column < 0, ignored);
		if (ignored)
			continue;
		kept++;
		assert_true(f->export_column < FORM_EXPORT_COLUMNS);
		assert_false(column_taken[f->export_column]);
		column_taken[f->export_column] = true;
		assert_ptr_equal(form_export_column((size_t)f->export_column), f);
		/* Each field is in some form, by pointer into this table. */
		bool used = false;
		for (size_t k = 0; k < FORM__MAX; k++)
			used |=
			    form_spec_rule(form_spec((enum form_kind)k), f->rule.name) == &f->rule;
		assert_true(used);
	}
	assert_int_equal(kept, FORM_EXPORT_COLUMNS);
	assert_null(form_export_column(FORM_EXPORT_COLUMNS));
	assert_null(form_field_find("nonexistent"));
	/* The export's column order, as spreadsheets already know it. */
	const char *columns[] = {"name",      "email",    "phone",        "contact_method",
	                         "voicemail", "interest", "availability", "reason",
	                         "message",   "consent"};
	for (size_t c = 0; c < FORM_EXPORT_COLUMNS; c++)
		assert_string_equal(form_export_column(c)->rule.name, columns[c]);
	/* A preview is what they wrote to us: the message, or why they came. */
	assert_int_equal(form_preview_field(0), FORM_FIELD_MESSAGE);
	assert_int_equal(form_preview_field(1), FORM_FIELD_REASON);
	assert_int_equal(form_preview_field(2), FORM_FIELD__MAX);

	for (size_t k = 0; k < FORM__MAX; k++) {
		enum form_kind found;
		assert_true(form_kind_find(form_spec((enum form_kind)k)->kind, &found));
		assert_int_equal(found, k);
		assert_ptr_equal(form_spec_find(form_spec(found)->kind), form_spec(found));
	}
	enum form_kind found;
	assert_false(form_kind_find("thanks", &found));
	assert_false(form_kind_find(NULL, &found));
}

static void summaries_read_choices_briefly(void **state)
{
	(void)state;
	const struct field_rule *voicemail = &form_field(FORM_FIELD_VOICEMAIL)->rule;
	assert_string_equal(form_value_brief(voicemail, "yes"), "Yes");
	assert_string_equal(form_value_brief(voicemail, "no"), "No");
	assert_string_equal(form_choice_label(voicemail, "yes"),
	                    "Yes, you can leave a voicemail that names the clinic");
	const struct field_rule *consent = &form_field(FORM_FIELD_CONSENT)->rule;
	assert_string_equal(form_value_brief(consent, "yes"), "Yes");
	assert_string_equal(form_value_brief(consent, "no"), "No");
	assert_null(form_value_brief(consent, "maybe"));
	const struct field_rule *interest = &form_field(FORM_FIELD_INTEREST)->rule;
	assert_string_equal(form_value_brief(interest, "dit"), "Dynamic Interpersonal Therapy");
	const struct field_rule *method = &form_field(FORM_FIELD_CONTACT_METHOD)->rule;
	assert_string_equal(form_value_brief(method, "phone"), "Phone");
	assert_null(form_value_brief(&form_field(FORM_FIELD_NAME)->rule, "Sam"));
}

static void a_phone_is_needed_to_be_called(void **state)
{
	(void)state;
	struct validation v;
	const char *base = "name=A&email=a%40b.org&voicemail=no&interest=dit&reason=Hi&"
	                   "consent=yes&token=x&website=";
	char body[256];
	snprintf(body, sizeof body, "%s&contact_method=phone&phone=", base);
	assert_int_equal(check("start", body, &v), VALIDATE_OK);
	const struct form_spec *start = form_spec_find("start");
	form_check_together(start, &v);
	size_t errors = 0;
	for (size_t i = 0; i < start->count; i++)
		if (v.errors[i]) {
			errors++;
			assert_string_equal(start->rules[i]->name, "phone");
			assert_string_equal(v.errors[i], "Enter a phone number so that we can call "
			                                 "you, or choose email");
		}
	assert_int_equal(errors, 1);
	validation_free(&v);

	snprintf(body, sizeof body, "%s&contact_method=email&phone=", base);
	assert_int_equal(check("start", body, &v), VALIDATE_OK);
	form_check_together(start, &v);
	for (size_t i = 0; i < start->count; i++)
		assert_null(v.errors[i]);
	validation_free(&v);

	/* The contact form has no such rule. */
	assert_int_equal(check("contact", "name=A&email=a%40b.org&message=Hi&consent=yes", &v),
	                 VALIDATE_OK);
	form_check_together(form_spec_find("contact"), &v);
	for (size_t i = 0; i < v.count; i++)
		assert_null(v.errors[i]);
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
	    cmocka_unit_test(the_field_table_is_the_one_vocabulary),
	    cmocka_unit_test(summaries_read_choices_briefly),
	    cmocka_unit_test(a_phone_is_needed_to_be_called),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
