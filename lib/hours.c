#include "hours.h"

#include <stdio.h>
#include <string.h>

static const char *const day_codes[7] = {"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"};
static const char *const day_names[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};

const char *hours_day_name(unsigned day)
{
	return day < 7 ? day_names[day] : "";
}

/* Reads a two-letter day code at *p, advancing past it; false if none
 * ("Monday" is not "Mo" followed by rubbish). */
static bool read_day(const char **p, unsigned *day)
{
	char after = (*p)[0] && (*p)[1] ? (*p)[2] : '\0';
	if ((after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z'))
		return false;
	for (unsigned i = 0; i < 7; i++)
		if (strncmp(*p, day_codes[i], 2) == 0) {
			*day = i;
			*p += 2;
			return true;
		}
	return false;
}

/* Reads "HH:MM" (00:00 to 24:00) at *p into out, advancing past it. */
static bool read_time(const char **p, char out[6])
{
	const char *s = *p;
	for (int i = 0; i < 5; i++)
		if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
			return false;
	int hour = (s[0] - '0') * 10 + (s[1] - '0');
	int minute = (s[3] - '0') * 10 + (s[4] - '0');
	if (hour > 24 || minute > 59 || (hour == 24 && minute != 0))
		return false;
	memcpy(out, s, 5);
	out[5] = '\0';
	*p += 5;
	return true;
}

static void skip_spaces(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

bool hours_parse(const char *text, struct hours *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const char *p = text;
	skip_spaces(&p);
	while (*p) {
		if (out->count == HOURS_MAX_RULES) {
			snprintf(err, errlen, "must have at most %d rules", HOURS_MAX_RULES);
			return false;
		}
		struct hours_rule *r = &out->rules[out->count];
		if (!read_day(&p, &r->first_day)) {
			snprintf(err, errlen,
			         "must start each rule with a day (Mo Tu We Th Fr Sa Su), "
			         "as in \"Mo-Fr 09:00-17:00, Sa 10:00-13:00\"");
			return false;
		}
		r->last_day = r->first_day;
		if (*p == '-') {
			p++;
			if (!read_day(&p, &r->last_day) || r->last_day < r->first_day) {
				snprintf(err, errlen,
				         "must give days in order, Monday first: \"Mo-Fr\"");
				return false;
			}
		}
		skip_spaces(&p);
		if (!read_time(&p, r->opens) || *p++ != '-' || !read_time(&p, r->closes) ||
		    strcmp(r->opens, r->closes) >= 0) {
			snprintf(err, errlen,
			         "must give each rule's times as HH:MM-HH:MM, opening before "
			         "closing, as in \"Mo-Fr 09:00-17:00\"");
			return false;
		}
		out->count++;
		skip_spaces(&p);
		if (*p == ',' || *p == ';') {
			p++;
			skip_spaces(&p);
			if (!*p) {
				snprintf(err, errlen, "must not end with a separator");
				return false;
			}
		} else if (*p) {
			snprintf(err, errlen, "must separate rules with commas");
			return false;
		}
	}
	return true;
}
