/*
 * options: the staff tool's command line, read with getopt_long.
 *
 *   enquiries [OPTION]... COMMAND [WORD]... [OPTION]...
 *
 * An option is long, "--name VALUE" or "--name=VALUE" (-h is --help), given
 * at most once, anywhere on the line; "--" ends them. A name is never
 * abbreviated: what is not exactly an option's name is no option. Which
 * options and words a command takes is the command table's business
 * (enquiries.c); this is their syntax, the help text and the words of a
 * usage error.
 */
#ifndef CLINIC_OPTIONS_H
#define CLINIC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define OPTIONS_DEFAULT_CONFIG "/etc/clinic/site.conf"
/* What --status takes besides the statuses themselves. */
#define OPTIONS_ALL_STATUSES "all"

enum option_id {
	OPT_CONFIG,
	OPT_DB,
	OPT_PASSPHRASE_FILE,
	OPT_NEW_PASSPHRASE_FILE,
	OPT_STATUS,
	OPT_KIND,
	OPT_SINCE,
	OPT_JSON,
	OPT_FORMAT,
	OPT_OLDER_THAN,
	OPT_DRY_RUN,
	OPT_KEYRING,
	OPT_NAME,
	OPT_LEAD,
	OPT_ONLY,
	OPT_PAPER_KEY_FILE,
	OPT_HELP,
	OPT__MAX
};

#define OPTION_BIT(id) (1u << (id))
#define OPTIONS_MAX_WORDS 4 /* after the command */

struct options {
	const char *value[OPT__MAX]; /* NULL for an option without a value */
	unsigned given;              /* OPTION_BIT of each option given */
	const char *command;         /* the first word, or NULL */
	const char *args[OPTIONS_MAX_WORDS];
	size_t nargs;
};

/* Reads argv into o: EXIT_OK, or EXIT_USAGE once the mistake is said. */
int options_parse(int argc, char **argv, struct options *o);

/* Whether the command line gave the option id. */
bool options_has(const struct options *o, enum option_id id);

/* The option's name, without its dashes. */
const char *options_name(enum option_id id);

/* Says the sentence and how to get help; returns EXIT_USAGE. */
int options_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Appends the --help text. */
void options_usage(struct buf *out);

/* The kinds --kind takes, as a sentence offers them: "contact or start". */
void options_kinds(char *out, size_t len);

/* The statuses, as a sentence offers them: "new or handled", or with all
 * "new, handled or all". */
void options_statuses(char *out, size_t len, bool with_all);

/* The statuses mark sets, furthest along first, as a usage line offers
 * them ("handled|new") or as a sentence does ("handled or new"). */
void options_marks(char *out, size_t len, bool as_sentence);

/* What a person typed as a reference, as the store keeps it (any case,
 * dash optional); anything else as typed, to be looked up and not found. */
void options_ref(const char *typed, char *out, size_t len);

#endif
