/* hours: the opening hours as the config states them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "hours.h"

static void rules_are_read_in_order(void **state)
{
	(void)state;
	struct hours h;
	char err[160];
	assert_true(
	    hours_parse("Mo-Fr 09:00-17:00, Sa 10:00-13:00;Su 00:00-24:00", &h, err, sizeof err));
	assert_int_equal(h.count, 3);
	assert_int_equal(h.rules[0].first_day, 0);
	assert_int_equal(h.rules[0].last_day, 4);
	assert_string_equal(h.rules[0].opens, "09:00");
	assert_string_equal(h.rules[0].closes, "17:00");
	assert_int_equal(h.rules[1].first_day, 5);
	assert_int_equal(h.rules[1].last_day, 5);
	assert_string_equal(h.rules[2].closes, "24:00");
	assert_string_equal(hours_day_name(0), "Monday");
	assert_string_equal(hours_day_name(6), "Sunday");
	assert_string_equal(hours_day_name(7), "");
}

static void nothing_stated_is_no_hours(void **state)
{
	(void)state;
	struct hours h;
	char err[160];
	assert_true(hours_parse("", &h, err, sizeof err));
	assert_int_equal(h.count, 0);
	assert_true(hours_parse("   ", &h, err, sizeof err));
	assert_int_equal(h.count, 0);
}

static void mistakes_are_refused_with_a_reason(void **state)
{
	(void)state;
	struct {
		const char *text, *expect;
	} cases[] = {
	    {"Monday 09:00-17:00", "start each rule with a day"},
	    {"mo-fr 09:00-17:00", "start each rule with a day"},
	    {"Fr-Mo 09:00-17:00", "in order"},
	    {"Mo-Xx 09:00-17:00", "in order"},
	    {"Mo 9:00-17:00", "HH:MM-HH:MM"},
	    {"Mo 09:00", "HH:MM-HH:MM"},
	    {"Mo 09:00-25:00", "HH:MM-HH:MM"},
	    {"Mo 09:60-17:00", "HH:MM-HH:MM"},
	    {"Mo 24:30-24:45", "HH:MM-HH:MM"},
	    {"Mo 17:00-09:00", "opening before closing"},
	    {"Mo 09:00-09:00", "opening before closing"},
	    {"Mo 09:00-17:00,", "end with a separator"},
	    {"Mo 09:00-17:00 Tu 09:00-17:00", "separate rules with commas"},
	    {"Mo 09:00-17:00, Mo 09:00-17:00, Mo 09:00-17:00, Mo 09:00-17:00, Mo 09:00-17:00, "
	     "Mo 09:00-17:00, Mo 09:00-17:00, Mo 09:00-17:00, Mo 09:00-17:00, Mo 09:00-17:00, "
	     "Mo 09:00-17:00, Mo 09:00-17:00, Mo 09:00-17:00, Mo 09:00-17:00, Mo 09:00-17:00",
	     "at most"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hours h;
		char err[160] = "";
		if (hours_parse(cases[i].text, &h, err, sizeof err))
			fail_msg("accepted '%s'", cases[i].text);
		if (!strstr(err, cases[i].expect))
			fail_msg("'%s': '%s' does not say '%s'", cases[i].text, err,
			         cases[i].expect);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rules_are_read_in_order),
	    cmocka_unit_test(nothing_stated_is_no_hours),
	    cmocka_unit_test(mistakes_are_refused_with_a_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
