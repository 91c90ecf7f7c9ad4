/*
 * validate: checking decoded form fields against a table of what is allowed.
 *
 * Each form is described by a table of field rules. A submission is
 * structurally bad (the request did not come from our form: an unknown field,
 * a field twice, a name with odd bytes) or it has field errors a person can
 * fix, reported per field in plain words.
 *
 * Length limits count Unicode code points, not bytes. Every value must be
 * valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF) with no
 * control characters; FIELD_MULTILINE also allows CR and LF (a CR LF pair or
 * a lone CR is normalised to LF in the cleaned value). Leading and trailing
 * white space is trimmed before checking. A required field that is empty
 * after trimming is missing.
 */
#ifndef CLINIC_VALIDATE_H
#define CLINIC_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "urlencoded.h"

enum field_type {
	FIELD_TEXT,      /* one line of text */
	FIELD_MULTILINE, /* free text with newlines */
	FIELD_EMAIL,     /* local@domain.tld, no spaces, one @, a dot in the domain */
	FIELD_PHONE,     /* digits, spaces, + at the start, ( ) - . ; 7 to 15 digits */
	FIELD_CHOICE,    /* exactly one of choices[] (the submitted value) */
	FIELD_CHECKBOX,  /* present with value "yes", or absent */
	FIELD_IGNORED,   /* allowed and not stored (form token, honeypot) */
};

struct field_choice {
	const char *value; /* what the form submits */
	const char *label; /* what a person reads on the form */
	const char *brief; /* what a summary shows ("Yes"); NULL: the label */
};

struct field_rule {
	const char *name;  /* form field name */
	const char *label; /* how the page names it in an error: "Your name" */
	enum field_type type;
	bool required;
	size_t max_chars; /* 0 for CHOICE and CHECKBOX */
	/* CHOICE: what may be chosen; CHECKBOX: how its value reads. Ends with
	 * an entry whose value is NULL. */
	const struct field_choice *choices;
};

enum validate_status {
	VALIDATE_OK = 0,
	VALIDATE_FIELD_ERRORS,   /* see errors[]: re-show the form (422) */
	VALIDATE_UNKNOWN_FIELD,  /* not our form: 400 */
	VALIDATE_REPEATED_FIELD, /* not our form: 400 */
	VALIDATE_NO_MEMORY,
};

struct validation {
	size_t count;        /* == number of rules */
	char **values;       /* cleaned value per rule ("" if absent; "yes" for a ticked box) */
	const char **errors; /* NULL or a message per rule, e.g. "Enter your email address" */
};

/* Checks f against *rules[0..nrules). Always fills out (values are kept even
 * when there are errors, so the form can show them again); free with
 * validation_free. */
enum validate_status validate_form(const struct field_rule *const *rules, size_t nrules,
                                   const struct urlencoded *f, struct validation *out);

/* Wipes and frees the cleaned values, and frees the messages (each is
 * allocated, so a caller adding a message of its own strdup()s it). */
void validation_free(struct validation *v);

#endif
