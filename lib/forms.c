#include "forms.h"

#include <string.h>

static const struct field_choice contact_methods[] = {
    {"email", "Email"},
    {"phone", "Phone"},
    {NULL, NULL},
};

static const struct field_choice voicemail_choices[] = {
    {"yes", "Yes, you can leave a voicemail that names the clinic"},
    {"no", "No, please don't leave a voicemail"},
    {NULL, NULL},
};

static const struct field_choice interests[] = {
    {"dit", "Dynamic Interpersonal Therapy"},
    {"other-therapy", "Another therapy"},
    {"pilates", "Pilates"},
    {"not-sure", "Not sure yet"},
    {NULL, NULL},
};

#define HIDDEN_FIELDS                                                                              \
	{FORM_TOKEN_FIELD, "Form token", FIELD_IGNORED, false, 0, NULL},                           \
	{                                                                                          \
		FORM_HONEYPOT_FIELD, "Leave this empty", FIELD_IGNORED, false, 0, NULL             \
	}

static const struct field_rule contact_rules[] = {
    {"name", "Your name", FIELD_TEXT, true, 100, NULL},
    {"email", "Your email address", FIELD_EMAIL, true, 254, NULL},
    {"phone", "Your phone number", FIELD_PHONE, false, 32, NULL},
    {"message", "Your message", FIELD_MULTILINE, true, 5000, NULL},
    {"consent", "Consent", FIELD_CHECKBOX, true, 0, NULL},
    HIDDEN_FIELDS,
};

static const struct field_rule start_rules[] = {
    {"name", "Your name", FIELD_TEXT, true, 100, NULL},
    {"email", "Your email address", FIELD_EMAIL, true, 254, NULL},
    {"phone", "Your phone number", FIELD_PHONE, false, 32, NULL},
    {"contact_method", "How you would like us to contact you", FIELD_CHOICE, true, 0,
     contact_methods},
    {"voicemail", "Whether we may leave a voicemail", FIELD_CHOICE, true, 0, voicemail_choices},
    {"interest", "What you are interested in", FIELD_CHOICE, true, 0, interests},
    {"reason", "What brings you here", FIELD_MULTILINE, true, 5000, NULL},
    {"availability", "When you are usually free", FIELD_MULTILINE, false, 500, NULL},
    {"consent", "Consent", FIELD_CHECKBOX, true, 0, NULL},
    HIDDEN_FIELDS,
};

static const struct form_spec specs[] = {
    {"contact", "Contact us", "contact", contact_rules,
     sizeof contact_rules / sizeof contact_rules[0]},
    {"start", "Start your journey", "start", start_rules,
     sizeof start_rules / sizeof start_rules[0]},
};

const struct form_spec *form_spec_find(const char *kind)
{
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
		if (strcmp(specs[i].kind, kind) == 0)
			return &specs[i];
	return NULL;
}

const struct field_rule *form_spec_rule(const struct form_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->count; i++)
		if (strcmp(spec->rules[i].name, name) == 0)
			return &spec->rules[i];
	return NULL;
}

const char *form_choice_label(const struct field_rule *rule, const char *value)
{
	if (!rule->choices)
		return NULL;
	for (const struct field_choice *c = rule->choices; c->value; c++)
		if (strcmp(c->value, value) == 0)
			return c->label;
	return NULL;
}
