/* blanks: config facts named in a page's Markdown, checked and filled. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "blanks.h"
#include "config.h"

static void every_blank_is_filled_from_the_config_and_escaped(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	free(cfg.clinic_name);
	cfg.clinic_name = strdup("Smith & <Jones>");
	free(cfg.privacy_contact);
	cfg.privacy_contact = strdup("dpo@clinic.example");
	cfg.retention_days = 47;
	cfg.rate_limit_window = 7200;
	struct buf out;
	buf_init(&out, 4096);
	assert_true(blanks_fill(&cfg,
	                        "<p>{{clinic_name}} keeps it {{retention_days}} days; "
	                        "write to {{privacy_contact}} within {{rate_limit_window}}. "
	                        "ICO: {{ico_registration}}. {{unknown}} {{</p>",
	                        &out));
	assert_string_equal(out.data,
	                    "<p>Smith &amp; &lt;Jones&gt; keeps it 47 days; write to <a "
	                    "href=\"mailto:dpo@clinic.example\">dpo@clinic.example</a> within 2 "
	                    "hours. ICO: (not yet stated). {{unknown}} {{</p>");
	buf_free(&out);
	config_free(&cfg);
}

/* Unset: the data controller is the clinic, requests go to its email. */
static void controller_and_contact_fall_back_to_the_clinic(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	free(cfg.clinic_email);
	cfg.clinic_email = strdup("hello@clinic.example");
	char scratch[64];
	assert_string_equal(blank_text(&cfg, BLANK_DATA_CONTROLLER, scratch, sizeof scratch),
	                    "The Clinic");
	assert_string_equal(blank_text(&cfg, BLANK_PRIVACY_CONTACT, scratch, sizeof scratch),
	                    "hello@clinic.example");
	cfg.rate_limit_window = 60;
	assert_string_equal(blank_text(&cfg, BLANK_RATE_LIMIT_WINDOW, scratch, sizeof scratch),
	                    "1 minute");
	cfg.rate_limit_window = 86400 * 2;
	assert_string_equal(blank_text(&cfg, BLANK_RATE_LIMIT_WINDOW, scratch, sizeof scratch),
	                    "2 days");
	cfg.rate_limit_window = 61;
	assert_string_equal(blank_text(&cfg, BLANK_RATE_LIMIT_WINDOW, scratch, sizeof scratch),
	                    "61 seconds");
	config_free(&cfg);
}

static void a_check_finds_the_first_unknown_blank_and_its_line(void **state)
{
	(void)state;
	int line = 0;
	char err[256];
	const char *good = "A {{clinic_name}}\nB {{retention_days}}{{clinic_phone}}\n";
	assert_true(blanks_check(good, strlen(good), &line, err, sizeof err));
	const char *bad = "A {{clinic_name}}\n\nB {{retention_dayz}}\n";
	assert_false(blanks_check(bad, strlen(bad), &line, err, sizeof err));
	assert_int_equal(line, 3);
	assert_non_null(strstr(err, "unknown blank '{{retention_dayz}}'"));
	assert_non_null(strstr(err, "retention_days")); /* the known ones are listed */
	const char *open = "A\nB {{clinic_name\n}}\n";
	assert_false(blanks_check(open, strlen(open), &line, err, sizeof err));
	assert_int_equal(line, 2);
	assert_int_equal(blank_find("clinic_name", 11), BLANK_CLINIC_NAME);
	assert_int_equal(blank_find("clinic_nam", 10), BLANK__MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_blank_is_filled_from_the_config_and_escaped),
	    cmocka_unit_test(controller_and_contact_fall_back_to_the_clinic),
	    cmocka_unit_test(a_check_finds_the_first_unknown_blank_and_its_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
