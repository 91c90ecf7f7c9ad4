#include "forms.h"

#include <stdlib.h>
#include <string.h>

#define PHONE_CHOICE "phone"

static const struct field_choice contact_methods[] = {
    {"email", "Email", NULL},
    {PHONE_CHOICE, "Phone", NULL},
    {NULL, NULL, NULL},
};

static const struct field_choice voicemail_choices[] = {
    {"yes", "Yes, you can leave a voicemail that names the clinic", "Yes"},
    {"no", "No, please don't leave a voicemail", "No"},
    {NULL, NULL, NULL},
};

static const struct field_choice interests[] = {
    {"dit", "Dynamic Interpersonal Therapy", NULL},
    {"other-therapy", "Another therapy", NULL},
    {"pilates", "Pilates", NULL},
    {"not-sure", "Not sure yet", NULL},
    {NULL, NULL, NULL},
};

/* A ticked box sends "yes"; "no" is never sent, but reads as it says. */
static const struct field_choice ticked[] = {
    {"yes", "Yes", NULL},
    {"no", "No", NULL},
    {NULL, NULL, NULL},
};

static const struct form_field_def fields[FORM_FIELD__MAX] = {
    [FORM_FIELD_NAME] = {{"name", "Your name", FIELD_TEXT, true, 100, NULL}, "Name", 0},
    [FORM_FIELD_EMAIL] = {{"email", "Your email address", FIELD_EMAIL, true, 254, NULL},
                          "Email",
                          1},
    [FORM_FIELD_PHONE] = {{"phone", "Your phone number", FIELD_PHONE, false, 32, NULL}, "Phone", 2},
    [FORM_FIELD_CONTACT_METHOD] = {{"contact_method", "How you would like us to contact you",
                                    FIELD_CHOICE, true, 0, contact_methods},
                                   "Preferred contact",
                                   3},
    [FORM_FIELD_VOICEMAIL] = {{"voicemail", "Whether we may leave a voicemail", FIELD_CHOICE, true,
                               0, voicemail_choices},
                              "Voicemail allowed",
                              4},
    [FORM_FIELD_INTEREST] = {{"interest", "What you are interested in", FIELD_CHOICE, true, 0,
                              interests},
                             "Interested in",
                             5},
    [FORM_FIELD_REASON] = {{"reason", "What brings you here", FIELD_MULTILINE, true, 5000, NULL},
                           "What brings them",
                           7},
    [FORM_FIELD_AVAILABILITY] = {{"availability", "When you are usually free", FIELD_MULTILINE,
                                  false, 500, NULL},
                                 "Availability",
                                 6},
    [FORM_FIELD_MESSAGE] = {{"message", "Your message", FIELD_MULTILINE, true, 5000, NULL},
                            "Message",
                            8},
    [FORM_FIELD_CONSENT] = {{"consent", "Consent", FIELD_CHECKBOX, true, 0, ticked},
                            "Consent given",
                            9},
    [FORM_FIELD_TOKEN] = {{FORM_TOKEN_FIELD, "Form token", FIELD_IGNORED, false, 0, NULL},
                          NULL,
                          -1},
    [FORM_FIELD_HONEYPOT] =
        {{FORM_HONEYPOT_FIELD, "Leave this empty", FIELD_IGNORED, false, 0, NULL}, NULL, -1},
};

#define RULE(field) (&fields[FORM_FIELD_##field].rule)

static const struct field_rule *const contact_rules[] = {
    RULE(NAME), RULE(EMAIL), RULE(PHONE), RULE(MESSAGE), RULE(CONSENT), RULE(TOKEN), RULE(HONEYPOT),
};

static const struct field_rule *const start_rules[] = {
    RULE(NAME),      RULE(EMAIL),    RULE(PHONE),    RULE(CONTACT_METHOD),
    RULE(VOICEMAIL), RULE(INTEREST), RULE(REASON),   RULE(AVAILABILITY),
    RULE(CONSENT),   RULE(TOKEN),    RULE(HONEYPOT),
};

static const struct form_spec specs[FORM__MAX] = {
    [FORM_CONTACT] = {"contact", "Contact us",
                      "Ask the clinic a question or tell us what you would like to know. You "
                      "can also call or email us.",
                      "contact", contact_rules, sizeof contact_rules / sizeof contact_rules[0]},
    [FORM_START] = {"start", "Start your journey",
                    "Tell us a little about yourself and what you are looking for, and we will "
                    "get in touch. Share only what you feel comfortable sharing.",
                    "start", start_rules, sizeof start_rules / sizeof start_rules[0]},
};

/* What a one-line preview shows: what they wrote to us, whichever form. */
static const enum form_field preview_fields[] = {FORM_FIELD_MESSAGE, FORM_FIELD_REASON};

const struct form_spec *form_spec(enum form_kind kind)
{
	return &specs[kind < FORM__MAX ? kind : 0];
}

bool form_kind_find(const char *name, enum form_kind *out)
{
	for (size_t i = 0; name && i < FORM__MAX; i++)
		if (strcmp(specs[i].kind, name) == 0) {
			*out = (enum form_kind)i;
			return true;
		}
	return false;
}

const struct form_spec *form_spec_find(const char *kind)
{
	enum form_kind found;
	return form_kind_find(kind, &found) ? &specs[found] : NULL;
}

const struct field_rule *form_spec_rule(const struct form_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->count; i++)
		if (strcmp(spec->rules[i]->name, name) == 0)
			return spec->rules[i];
	return NULL;
}

const struct form_field_def *form_field(enum form_field field)
{
	return &fields[field < FORM_FIELD__MAX ? field : 0];
}

const struct form_field_def *form_field_find(const char *name)
{
	for (size_t i = 0; i < FORM_FIELD__MAX; i++)
		if (strcmp(fields[i].rule.name, name) == 0)
			return &fields[i];
	return NULL;
}

const struct form_field_def *form_export_column(size_t column)
{
	for (size_t i = 0; i < FORM_FIELD__MAX; i++)
		if (fields[i].export_column >= 0 && (size_t)fields[i].export_column == column)
			return &fields[i];
	return NULL;
}

enum form_field form_preview_field(size_t i)
{
	return i < sizeof preview_fields / sizeof preview_fields[0] ? preview_fields[i]
	                                                            : FORM_FIELD__MAX;
}

/* The choice of rule whose value is value, or NULL. */
static const struct field_choice *find_choice(const struct field_rule *rule, const char *value)
{
	if (!rule->choices)
		return NULL;
	for (const struct field_choice *c = rule->choices; c->value; c++)
		if (strcmp(c->value, value) == 0)
			return c;
	return NULL;
}

const char *form_choice_label(const struct field_rule *rule, const char *value)
{
	const struct field_choice *c = find_choice(rule, value);
	return c ? c->label : NULL;
}

const char *form_value_brief(const struct field_rule *rule, const char *value)
{
	const struct field_choice *c = find_choice(rule, value);
	return c ? (c->brief ? c->brief : c->label) : NULL;
}

/* Where field is among spec's rules, or spec->count when it is not. */
static size_t rule_index(const struct form_spec *spec, enum form_field field)
{
	for (size_t i = 0; i < spec->count; i++)
		if (spec->rules[i] == &fields[field].rule)
			return i;
	return spec->count;
}

void form_check_together(const struct form_spec *spec, struct validation *v)
{
	size_t method = rule_index(spec, FORM_FIELD_CONTACT_METHOD);
	size_t phone = rule_index(spec, FORM_FIELD_PHONE);
	if (method == spec->count || phone == spec->count || v->count != spec->count)
		return;
	if (strcmp(v->values[method], PHONE_CHOICE) == 0 && v->values[phone][0] == '\0' &&
	    !v->errors[phone])
		/* validation_free frees every message, so this one is a copy too. */
		v->errors[phone] = strdup("Enter a phone number so that we can call you, or "
		                          "choose email");
}
