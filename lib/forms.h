/*
 * forms: the site's two enquiry forms, as tables of what each accepts, and
 * the words the staff tool reads an enquiry by. This is the vocabulary of an
 * enquiry, defined once: its kinds, its fields, their labels and order.
 *
 * "contact" is Contact Us; "start" is Start your journey (a self-referral).
 * Both also carry the signed token (FORM_TOKEN_FIELD) and a honeypot field
 * (FORM_HONEYPOT_FIELD) that people never see and must leave empty.
 */
#ifndef CLINIC_FORMS_H
#define CLINIC_FORMS_H

#include <stdbool.h>
#include <stddef.h>

#include "validate.h"

#define FORM_TOKEN_FIELD "token"
#define FORM_HONEYPOT_FIELD "website"

/* The kinds of enquiry: one per form. */
enum form_kind { FORM_CONTACT, FORM_START, FORM__MAX };

/* Every field of either form, in the order the staff tool shows an
 * enquiry's fields (one-line answers first, then free text, each in this
 * order). */
enum form_field {
	FORM_FIELD_NAME,
	FORM_FIELD_EMAIL,
	FORM_FIELD_PHONE,
	FORM_FIELD_CONTACT_METHOD,
	FORM_FIELD_VOICEMAIL,
	FORM_FIELD_INTEREST,
	FORM_FIELD_REASON,
	FORM_FIELD_AVAILABILITY,
	FORM_FIELD_MESSAGE,
	FORM_FIELD_CONSENT,
	FORM_FIELD_TOKEN,    /* not kept */
	FORM_FIELD_HONEYPOT, /* not kept */
	FORM_FIELD__MAX
};

/* The fields an enquiry keeps: each has a heading and an export column. */
#define FORM_EXPORT_COLUMNS 10

/* One field: what it allows, and how the staff tool reads it. Free text
 * (rule.type FIELD_MULTILINE) is shown as wrapped paragraphs. */
struct form_field_def {
	struct field_rule rule;
	const char *heading; /* how the staff tool names it: "Name"; NULL: not kept */
	int export_column;   /* its column among an export's fields; -1: not kept */
};

struct form_spec {
	const char *kind;                      /* "contact" or "start": also the template's name */
	const char *title;                     /* the page title */
	const char *description;               /* what search engines and link previews show */
	const char *section;                   /* the nav section flag */
	const struct field_rule *const *rules; /* the form's fields, in page order */
	size_t count;
};

/* The form of kind. */
const struct form_spec *form_spec(enum form_kind kind);

/* The form served at /KIND, or NULL. */
const struct form_spec *form_spec_find(const char *kind);

/* The kind whose name is name; false when there is none. */
bool form_kind_find(const char *name, enum form_kind *out);

/* The rule called name in spec, or NULL. */
const struct field_rule *form_spec_rule(const struct form_spec *spec, const char *name);

/* The field. */
const struct form_field_def *form_field(enum form_field field);

/* The field called name (in either form), or NULL. */
const struct form_field_def *form_field_find(const char *name);

/* The kept field exported in column (0 to FORM_EXPORT_COLUMNS - 1), or NULL. */
const struct form_field_def *form_export_column(size_t column);

/* The fields a one-line preview of an enquiry is taken from, in order: the
 * first that is not empty. FORM_FIELD__MAX past the last. */
enum form_field form_preview_field(size_t i);

/* The label of a choice value ("dit" -> "Dynamic Interpersonal Therapy"), or
 * NULL if the field has no such choice. */
const char *form_choice_label(const struct field_rule *rule, const char *value);

/* How a summary reads a choice or a ticked box ("yes" -> "Yes"), or NULL if
 * the field has no such value. */
const char *form_value_brief(const struct field_rule *rule, const char *value);

/* The rules that take several fields together, once each field is checked:
 * a phone number is needed when that is how to be reached. Adds the message
 * to v (validation_free frees it). */
void form_check_together(const struct form_spec *spec, struct validation *v);

#endif
