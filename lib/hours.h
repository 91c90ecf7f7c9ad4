/*
 * hours: the clinic's opening hours, as the config states them.
 *
 * The text is a list of rules separated by commas or semicolons, each a day
 * or a range of days (Mo Tu We Th Fr Sa Su) and a time range in 24-hour
 * HH:MM, as schema.org's openingHours writes them:
 *
 *     Mo-Fr 09:00-17:00, Sa 10:00-13:00
 *
 * Empty text means no hours are stated. The footer shows them in words and
 * the home page's structured data as OpeningHoursSpecification.
 */
#ifndef CLINIC_HOURS_H
#define CLINIC_HOURS_H

#include <stdbool.h>
#include <stddef.h>

#define HOURS_MAX_RULES 14

struct hours_rule {
	unsigned first_day, last_day; /* 0 is Monday; first_day <= last_day */
	char opens[6], closes[6];     /* "HH:MM"; opens < closes */
};

struct hours {
	struct hours_rule rules[HOURS_MAX_RULES];
	size_t count;
};

/* Parses text into out. On error returns false with what is wrong, as a
 * phrase that follows the setting's name ("must be ..."), in err. */
bool hours_parse(const char *text, struct hours *out, char *err, size_t errlen);

/* "Monday" for 0 ... "Sunday" for 6. */
const char *hours_day_name(unsigned day);

#endif
