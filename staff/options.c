#include "options.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "forms.h"
#include "ref.h"
#include "say.h"
#include "store.h"

/* getopt_long hands back an option as its id from here on, clear of the
 * characters it uses itself (1 for a word, '?', ':'). */
#define OPTION_VAL 256

static const struct option long_options[OPT__MAX + 1] = {
    [OPT_CONFIG] = {"config", required_argument, NULL, OPTION_VAL + OPT_CONFIG},
    [OPT_DB] = {"db", required_argument, NULL, OPTION_VAL + OPT_DB},
    [OPT_PASSPHRASE_FILE] = {"passphrase-file", required_argument, NULL,
                             OPTION_VAL + OPT_PASSPHRASE_FILE},
    [OPT_NEW_PASSPHRASE_FILE] = {"new-passphrase-file", required_argument, NULL,
                                 OPTION_VAL + OPT_NEW_PASSPHRASE_FILE},
    [OPT_STATUS] = {"status", required_argument, NULL, OPTION_VAL + OPT_STATUS},
    [OPT_KIND] = {"kind", required_argument, NULL, OPTION_VAL + OPT_KIND},
    [OPT_SINCE] = {"since", required_argument, NULL, OPTION_VAL + OPT_SINCE},
    [OPT_JSON] = {"json", no_argument, NULL, OPTION_VAL + OPT_JSON},
    [OPT_FORMAT] = {"format", required_argument, NULL, OPTION_VAL + OPT_FORMAT},
    [OPT_OLDER_THAN] = {"older-than", required_argument, NULL, OPTION_VAL + OPT_OLDER_THAN},
    [OPT_DRY_RUN] = {"dry-run", no_argument, NULL, OPTION_VAL + OPT_DRY_RUN},
    [OPT_KEYRING] = {"keyring", required_argument, NULL, OPTION_VAL + OPT_KEYRING},
    [OPT_NAME] = {"name", required_argument, NULL, OPTION_VAL + OPT_NAME},
    [OPT_LEAD] = {"lead", no_argument, NULL, OPTION_VAL + OPT_LEAD},
    [OPT_ONLY] = {"only", required_argument, NULL, OPTION_VAL + OPT_ONLY},
    [OPT_PAPER_KEY_FILE] = {"paper-key-file", required_argument, NULL,
                            OPTION_VAL + OPT_PAPER_KEY_FILE},
    [OPT_HELP] = {"help", no_argument, NULL, OPTION_VAL + OPT_HELP},
    [OPT__MAX] = {NULL, 0, NULL, 0},
};

bool options_has(const struct options *o, enum option_id id)
{
	return (o->given & OPTION_BIT(id)) != 0;
}

const char *options_name(enum option_id id)
{
	return long_options[id < OPT__MAX ? id : OPT_HELP].name;
}

int options_usage_error(const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	say_error("%s Run `enquiries --help` to see how to use it.", text);
	return EXIT_USAGE;
}

/* Takes word as the command or the next word after it. */
static int add_word(struct options *o, const char *word)
{
	if (!o->command)
		o->command = word;
	else if (o->nargs < OPTIONS_MAX_WORDS)
		o->args[o->nargs++] = word;
	else
		return options_usage_error("There are too many words after the command %s.",
		                           o->command);
	return EXIT_OK;
}

/* The length of the name in "--name" or "--name=value". */
static size_t typed_name_length(const char *typed)
{
	return strcspn(typed + 2, "=");
}

/* Whether typed ("--name", "--name=value") names id exactly: getopt_long
 * would take a prefix of the name for it. */
static bool typed_exactly(const char *typed, enum option_id id)
{
	size_t n = typed_name_length(typed);
	return strncmp(typed, "--", 2) == 0 && strlen(long_options[id].name) == n &&
	       strncmp(typed + 2, long_options[id].name, n) == 0;
}

/* Reads one option getopt_long returned as c, from the element typed. */
static int take_option(struct options *o, int c, const char *typed)
{
	bool long_form = strncmp(typed, "--", 2) == 0;
	if (c == 'h' && strcmp(typed, "-h") != 0)
		c = '?'; /* -h among other letters: no option of ours */
	if (c == 'h')
		c = OPTION_VAL + OPT_HELP;
	int id = (c == '?' || c == ':') ? optopt - OPTION_VAL : c - OPTION_VAL;
	bool known = id >= 0 && id < OPT__MAX && long_form && typed_exactly(typed, id);
	if (c == OPTION_VAL + OPT_HELP && !long_form)
		known = true;
	if (!known && long_form)
		return options_usage_error("There is no option --%.*s.",
		                           (int)typed_name_length(typed), typed + 2);
	if (!known)
		return options_usage_error("There is no option %s.", typed);
	if (c == ':')
		return options_usage_error("The option --%s needs a value after it.",
		                           long_options[id].name);
	if (c == '?')
		return options_usage_error("The option --%s takes no value.",
		                           long_options[id].name);
	if (options_has(o, id))
		return options_usage_error("The option --%s was given twice.",
		                           long_options[id].name);
	o->given |= OPTION_BIT(id);
	o->value[id] = optarg;
	return EXIT_OK;
}

int options_parse(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	opterr = 0;
	optind = 0; /* getopt_long starts afresh, at argv[1] */
	/* "-": words come back in order, as 1, so that a mistake is said where
	 * it is; ":": a missing value comes back as ':'. */
	for (;;) {
		/* The element getopt_long reads next: an option and its value
		 * begin there, and a cluster of letters stays there. */
		int next = optind > 0 ? optind : 1;
		const char *typed = next < argc ? argv[next] : "";
		int c = getopt_long(argc, argv, "-:h", long_options, NULL);
		if (c == -1)
			break;
		int code = c == 1 ? add_word(o, optarg) : take_option(o, c, typed);
		if (code != EXIT_OK)
			return code;
	}
	/* After "--", every element is a word. */
	for (; optind < argc; optind++)
		if (add_word(o, argv[optind]) != EXIT_OK)
			return EXIT_USAGE;
	return EXIT_OK;
}

/* The kinds, in the table's order. */
static void kind_words(const char *words[FORM__MAX])
{
	for (size_t i = 0; i < FORM__MAX; i++)
		words[i] = form_spec((enum form_kind)i)->kind;
}

/* The statuses, in the table's order, then "all". */
static void status_words(const char *words[ROW_STATUS__MAX + 1])
{
	for (size_t i = 0; i < ROW_STATUS__MAX; i++)
		words[i] = store_row_status_name((enum store_row_status)i);
	words[ROW_STATUS__MAX] = OPTIONS_ALL_STATUSES;
}

/* names as a usage line offers them: "contact|start". */
static void put_choices(struct buf *out, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? "|" : "", names[i]);
}

/* n words into out, as a sentence offers them or as a usage line does. */
static void join_words(char *out, size_t len, const char *const *words, size_t n, bool as_sentence)
{
	struct buf list;
	buf_init(&list, len);
	if (as_sentence)
		buf_put_alternatives(&list, words, n, "");
	else
		put_choices(&list, words, n);
	snprintf(out, len, "%s", list.data ? list.data : "");
	buf_free(&list);
}

void options_kinds(char *out, size_t len)
{
	const char *kinds[FORM__MAX];
	kind_words(kinds);
	join_words(out, len, kinds, FORM__MAX, true);
}

void options_statuses(char *out, size_t len, bool with_all)
{
	const char *statuses[ROW_STATUS__MAX + 1];
	status_words(statuses);
	join_words(out, len, statuses, ROW_STATUS__MAX + with_all, true);
}

void options_marks(char *out, size_t len, bool as_sentence)
{
	/* Furthest along first: marking is mostly marking handled. */
	const char *marks[ROW_STATUS__MAX];
	for (size_t i = 0; i < ROW_STATUS__MAX; i++)
		marks[i] = store_row_status_name((enum store_row_status)(ROW_STATUS__MAX - 1 - i));
	join_words(out, len, marks, ROW_STATUS__MAX, as_sentence);
}

void options_usage(struct buf *out)
{
	const char *kinds[FORM__MAX], *statuses[ROW_STATUS__MAX + 1];
	kind_words(kinds);
	status_words(statuses);
	char marks[64];
	options_marks(marks, sizeof marks, false);

	buf_puts(out, "Usage: enquiries [--config FILE] [--db FILE] [--keyring FILE]\n"
	              "                 [--passphrase-file FILE] COMMAND ...\n"
	              "\n"
	              "Reading enquiries (these ask for the passphrase):\n"
	              "  list [--status ");
	put_choices(out, statuses, ROW_STATUS__MAX + 1);
	buf_puts(out, "] [--kind ");
	put_choices(out, kinds, FORM__MAX);
	buf_puts(out,
	         "] [--since YYYY-MM-DD] [--json]\n"
	         "                      one line per enquiry, oldest first\n"
	         "  show REF            the whole of one enquiry\n"
	         "  export --format csv|json [--status ...] [--kind ...] [--since ...]\n"
	         "                      every field of every enquiry, for a spreadsheet or "
	         "program\n"
	         "  verify              check that every enquiry opens and matches its record\n"
	         "  recover --paper-key-file FILE list|show REF|export ...\n"
	         "                      the same with the team's paper recovery key\n"
	         "\n"
	         "Keeping them (no passphrase needed):\n"
	         "  mark REF ");
	buf_puts(out, marks);
	/* The descriptions line up after the longest usage. */
	for (size_t used = strlen(marks) + 11; used < 25; used++)
		buf_putc(out, ' ');
	buf_puts(
	    out,
	    "record that an enquiry has been dealt with (or not)\n"
	    "  stats                  how many there are, by form, status and day\n"
	    "  purge [--older-than DAYS] [--dry-run]\n"
	    "                         delete enquiries older than DAYS (default: "
	    "retention_days)\n"
	    "  backup FILE            copy the database, still sealed, to a new FILE\n"
	    "  notify                 email notify_to if new enquiries came in since the last "
	    "notice\n"
	    "\n"
	    "Keys:\n"
	    "  init --name NAME    make your own keyring and NAME.identity to join the team\n"
	    "  init                without a team: the clinic's one keyring and public key\n"
	    "  passwd [--new-passphrase-file FILE]   change the passphrase\n"
	    "  rotate              make a new key for new enquiries (old ones stay readable)\n"
	    "\n"
	    "The team (the practice lead; init and publish ask for the team key's passphrase):\n"
	    "  team init           make the team key, the roster and the paper recovery key\n"
	    "  team add NAME FILE [--lead] [--only FORM[:CHOICE],...]\n"
	    "                      put NAME.identity in the team, receiving everything or\n"
	    "                      only those forms or choices (e.g. --only start:pilates)\n"
	    "  team remove NAME    take NAME out of the team\n"
	    "  team list           who is in the team and what each receives\n"
	    "  team publish FILE   sign the team and write it to FILE, for team_file\n"
	    "\n"
	    "Options:\n"
	    "  --config FILE           the site configuration (default " OPTIONS_DEFAULT_CONFIG
	    ")\n"
	    "  --db FILE               work on this database instead of enquiry_db (e.g. a "
	    "copy)\n"
	    "  --keyring FILE          use this keyring instead of secret_key (your own)\n"
	    "  --passphrase-file FILE  read the passphrase from the first line of FILE\n"
	    "                          instead of asking for it\n"
	    "  --help                  this text\n"
	    "\n"
	    "See `man enquiries` for more.\n");
}

void options_ref(const char *typed, char *out, size_t len)
{
	char ref[REF_SIZE];
	snprintf(out, len, "%s", ref_parse(typed, ref) ? ref : typed);
}
