/*
 * forms: the site's two enquiry forms, as tables of what each accepts.
 *
 * "contact" is Contact Us; "start" is Start your journey (a self-referral).
 * Both also carry the signed token (FORM_TOKEN_FIELD) and a honeypot field
 * (FORM_HONEYPOT_FIELD) that people never see and must leave empty.
 */
#ifndef CLINIC_FORMS_H
#define CLINIC_FORMS_H

#include <stddef.h>

#include "validate.h"

#define FORM_TOKEN_FIELD "token"
#define FORM_HONEYPOT_FIELD "website"

struct form_spec {
	const char *kind;    /* "contact" or "start": also the template's name */
	const char *title;   /* the page title */
	const char *section; /* the nav section flag */
	const struct field_rule *rules;
	size_t count;
};

/* The form served at /KIND, or NULL. */
const struct form_spec *form_spec_find(const char *kind);

/* The rule called name in spec, or NULL. */
const struct field_rule *form_spec_rule(const struct form_spec *spec, const char *name);

/* The label of a choice value ("dit" -> "Dynamic Interpersonal Therapy"), or
 * NULL if the field has no such choice. */
const char *form_choice_label(const struct field_rule *rule, const char *value);

#endif
