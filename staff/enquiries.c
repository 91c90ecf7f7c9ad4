/*
 * enquiries: the staff's tool for reading and keeping the sealed enquiries.
 *
 * This file is the list of commands and what each takes; the commands live
 * by their usage headings in reading.c (they open enquiries), keeping.c
 * (they do not) and keys.c, on the ground of session.h (the run), options.h
 * (the command line) and say.h (what the person is told). See enquiries.1.
 */
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "keeping.h"
#include "keys.h"
#include "options.h"
#include "reading.h"
#include "recovery.h"
#include "say.h"
#include "session.h"
#include "team_admin.h"
#include "terminal.h"

#define GLOBAL_OPTIONS                                                                             \
	(OPTION_BIT(OPT_CONFIG) | OPTION_BIT(OPT_DB) | OPTION_BIT(OPT_KEYRING) |                   \
	 OPTION_BIT(OPT_PASSPHRASE_FILE) | OPTION_BIT(OPT_HELP))
#define FILTER_OPTIONS (OPTION_BIT(OPT_STATUS) | OPTION_BIT(OPT_KIND) | OPTION_BIT(OPT_SINCE))

/* The --help text on fd; EXIT_OK, or EXIT_FAILED if it could not be written. */
static int write_usage(int fd)
{
	struct buf text;
	buf_init(&text, 16384);
	options_usage(&text);
	bool ok = !text.failed && write_all(fd, text.data, text.len) == 0;
	buf_free(&text);
	return ok ? EXIT_OK : EXIT_FAILED;
}

/* The help command: the usage text on standard output. */
static int help(struct session *ses)
{
	(void)ses;
	return write_usage(STDOUT_FILENO);
}

struct command {
	const char *name;
	int (*run)(struct session *ses);
	unsigned options;       /* OPTION_BITs allowed beyond the global ones */
	size_t nargs;           /* the words after the name (at most: TAKES_ITS_OWN checks them) */
	const char *args_usage; /* the words after the name; MARKS for mark's statuses */
	bool needs_config;
};

/* A command with words of its own (team, recover): it checks them itself. */
#define TAKES_ITS_OWN OPTIONS_MAX_WORDS

#define MARKS "MARKS"

static const struct command commands[] = {
    {"list", reading_list, FILTER_OPTIONS | OPTION_BIT(OPT_JSON), 0, "", true},
    {"show", reading_show, 0, 1, " REF", true},
    {"export", reading_export, FILTER_OPTIONS | OPTION_BIT(OPT_FORMAT), 0, "", true},
    {"mark", keeping_mark, 0, 2, " REF " MARKS, true},
    {"purge", keeping_purge, OPTION_BIT(OPT_OLDER_THAN) | OPTION_BIT(OPT_DRY_RUN), 0, "", true},
    {"stats", keeping_stats, 0, 0, "", true},
    {"verify", reading_verify, 0, 0, "", true},
    {"backup", keeping_backup, 0, 1, " FILE", true},
    {"notify", keeping_notify, 0, 0, "", true},
    {"init", keys_init, OPTION_BIT(OPT_NAME), 0, "", true},
    {"passwd", keys_passwd, OPTION_BIT(OPT_NEW_PASSPHRASE_FILE), 0, "", true},
    {"rotate", keys_rotate, 0, 0, "", true},
    {"team", team_admin_run, OPTION_BIT(OPT_LEAD) | OPTION_BIT(OPT_ONLY), TAKES_ITS_OWN,
     " init|add|remove|list|publish ...", true},
    {"recover", recovery_run,
     OPTION_BIT(OPT_PAPER_KEY_FILE) | FILTER_OPTIONS | OPTION_BIT(OPT_JSON) |
         OPTION_BIT(OPT_FORMAT),
     TAKES_ITS_OWN, " --paper-key-file FILE list|show REF|export ...", true},
    {"help", help, 0, 0, "", false},
};

/* The command called name, or NULL. */
static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Says how cmd is used when its words are wrong; returns EXIT_USAGE. */
static int wrong_words(const struct command *cmd)
{
	char words[128];
	const char *marks = strstr(cmd->args_usage, MARKS);
	if (marks) {
		char statuses[64];
		options_marks(statuses, sizeof statuses, false);
		snprintf(words, sizeof words, "%.*s%s", (int)(marks - cmd->args_usage),
		         cmd->args_usage, statuses);
	} else {
		snprintf(words, sizeof words, "%s", cmd->args_usage);
	}
	return options_usage_error("Use it like this: enquiries %s%s.", cmd->name, words);
}

/* Checks what the command line asks against the command table, loads the
 * configuration and runs the command: its exit status. */
static int run(int argc, char **argv, struct session *ses, struct options *opt)
{
	int code = options_parse(argc, argv, opt);
	if (code != EXIT_OK)
		return code;
	if (!opt->command)
		return options_has(opt, OPT_HELP) ? help(ses)
		                                  : (write_usage(STDERR_FILENO), EXIT_USAGE);
	if (options_has(opt, OPT_HELP))
		return help(ses);
	const struct command *cmd = find_command(opt->command);
	if (!cmd)
		return options_usage_error("There is no command \"%s\".", opt->command);
	for (int id = 0; id < OPT__MAX; id++)
		if (options_has(opt, (enum option_id)id) &&
		    !(OPTION_BIT(id) & (GLOBAL_OPTIONS | cmd->options)))
			return options_usage_error("The command %s does not take --%s.", cmd->name,
			                           options_name((enum option_id)id));
	if (cmd->nargs == TAKES_ITS_OWN ? opt->nargs == 0 : opt->nargs != cmd->nargs)
		return wrong_words(cmd);
	if (cmd->needs_config) {
		const char *path =
		    opt->value[OPT_CONFIG] ? opt->value[OPT_CONFIG] : OPTIONS_DEFAULT_CONFIG;
		char err[600];
		if (!config_load(path, &ses->cfg, err, sizeof err)) {
			config_free(&ses->cfg);
			say_error("%s.%s", err,
			          opt->value[OPT_CONFIG]
			              ? ""
			              : " Name the site configuration with --config FILE.");
			return EXIT_FAILED;
		}
		ses->cfg_loaded = true;
		ses->db_path = opt->value[OPT_DB] ? opt->value[OPT_DB] : ses->cfg.enquiry_db;
		ses->keyring_path =
		    opt->value[OPT_KEYRING] ? opt->value[OPT_KEYRING] : ses->cfg.secret_key;
	}
	return cmd->run(ses);
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		say_error("The cryptography library could not start, so nothing was done.");
		return EXIT_FAILED;
	}
	terminal_measure_widths();
	struct options opt;
	struct session ses = {.opt = &opt};
	int code = run(argc, argv, &ses, &opt);
	session_end(&ses);
	return code;
}
