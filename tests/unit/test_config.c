/* config: defaults, parsing, every kind of error, relative paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char path[64];
static char err[512];

/* Writes text to a fresh file under /tmp; its name is left in path. */
static void write_config(const char *text)
{
	snprintf(path, sizeof path, "/tmp/test_config.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

static void remove_config(void)
{
	assert_int_equal(unlink(path), 0);
}

/* Loads text as a config file and returns whether that worked. */
static bool load(const char *text, struct config *cfg)
{
	write_config(text);
	memset(err, 0, sizeof err);
	bool ok = config_load(path, cfg, err, sizeof err);
	remove_config();
	return ok;
}

/* Asserts text is refused with a reason naming the file, the line and what. */
static void assert_refused(const char *text, int line, const char *what)
{
	struct config cfg;
	if (load(text, &cfg))
		fail_msg("accepted: %s", text);
	char where[96];
	snprintf(where, sizeof where, "%s:%d:", path, line);
	if (!strstr(err, where) || !strstr(err, what))
		fail_msg("reason '%s' lacks '%s' or '%s'", err, where, what);
	/* A failed load leaves nothing to free, and freeing again is harmless. */
	assert_null(cfg.content_db);
	assert_null(cfg.clinic_name);
	config_free(&cfg);
}

static void defaults_are_complete(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.contact_workers, 12);
	assert_int_equal(cfg.max_body, 32768);
	assert_int_equal(cfg.max_query, 1024);
	assert_int_equal(cfg.token_min_age, 3);
	assert_int_equal(cfg.token_max_age, 4 * 3600);
	assert_int_equal(cfg.rate_limit_posts, 5);
	assert_int_equal(cfg.rate_limit_window, 3600);
	assert_int_equal(cfg.retention_days, 90);
	assert_string_equal(cfg.clinic_name, "The Clinic");
	assert_string_equal(cfg.sendmail, "/usr/sbin/sendmail");
	assert_string_equal(cfg.site_language, "en-GB");
	assert_string_equal(cfg.clinic_country, "GB");
	/* Unset strings are empty, never NULL, so callers need no checks. */
	const char *empty[] = {
	    cfg.content_db,       cfg.enquiry_db,       cfg.public_key,
	    cfg.secret_key,       cfg.token_key,        cfg.pages_listen,
	    cfg.contact_listen,   cfg.log_file,         cfg.site_origin,
	    cfg.clinic_phone,     cfg.clinic_email,     cfg.notify_to,
	    cfg.opening_hours,    cfg.data_controller,  cfg.privacy_contact,
	    cfg.ico_registration, cfg.security_contact, cfg.clinic_street_address,
	    cfg.clinic_locality,  cfg.clinic_postcode,  cfg.team_file,
	    cfg.team_admin_key,   cfg.team_key,         cfg.team_roster};
	for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
		assert_non_null(empty[i]);
		assert_string_equal(empty[i], "");
	}
	config_free(&cfg);
	assert_null(cfg.clinic_name);
}

static void an_empty_file_gives_the_defaults(void **state)
{
	(void)state;
	struct config cfg;
	assert_true(load("", &cfg));
	assert_int_equal(cfg.workers, 2);
	assert_string_equal(cfg.clinic_name, "The Clinic");
	config_free(&cfg);
}

static void a_valid_file_sets_every_kind_of_value(void **state)
{
	(void)state;
	struct config cfg;
	const char *text = "# The clinic's settings\n"
	                   "\n"
	                   "content_db = /srv/clinic/content.db\n"
	                   "   workers=8   \n"
	                   "\tmax_body\t=\t65536\r\n"
	                   "clinic_name = Harbour Street Therapy & Counselling\n"
	                   "clinic_phone = +44 20 7946 0000\n"
	                   "pages_listen = unix:run/pages.sock\n"
	                   "site_origin = https://clinic.example\n"
	                   "token_min_age = 0\n"
	                   "retention_days = 3650\n"
	                   "notify_to = intake@clinic.example";
	assert_true(load(text, &cfg));
	assert_string_equal(cfg.content_db, "/srv/clinic/content.db");
	assert_int_equal(cfg.workers, 8);
	assert_int_equal(cfg.max_body, 65536);
	assert_string_equal(cfg.clinic_name, "Harbour Street Therapy & Counselling");
	assert_string_equal(cfg.clinic_phone, "+44 20 7946 0000");
	/* Listen addresses are text, not paths: they are not resolved. */
	assert_string_equal(cfg.pages_listen, "unix:run/pages.sock");
	assert_string_equal(cfg.site_origin, "https://clinic.example");
	assert_int_equal(cfg.token_min_age, 0);
	assert_int_equal(cfg.retention_days, 3650);
	/* The last line needs no newline. */
	assert_string_equal(cfg.notify_to, "intake@clinic.example");
	/* Untouched settings keep their defaults. */
	assert_int_equal(cfg.rate_limit_posts, 5);
	assert_string_equal(cfg.sendmail, "/usr/sbin/sendmail");
	config_free(&cfg);
}

static void values_keep_inner_spaces_hashes_and_equals(void **state)
{
	(void)state;
	struct config cfg;
	assert_true(load("clinic_name = A # not a comment = still the name  \n"
	                 "clinic_email =\n",
	                 &cfg));
	assert_string_equal(cfg.clinic_name, "A # not a comment = still the name");
	assert_string_equal(cfg.clinic_email, "");
	config_free(&cfg);
}

static void comments_and_blank_lines_are_ignored(void **state)
{
	(void)state;
	struct config cfg;
	assert_true(load("#workers = 99\n"
	                 "   # no_such_key = 1\n"
	                 "\t\n"
	                 "\n"
	                 "#\n"
	                 "workers = 3\n"
	                 "# workers = 4\n",
	                 &cfg));
	assert_int_equal(cfg.workers, 3);
	config_free(&cfg);
}

static void unknown_keys_are_refused(void **state)
{
	(void)state;
	assert_refused("workers = 2\nworker = 3\n", 2, "unknown setting 'worker'");
	assert_refused("Workers = 3\n", 1, "unknown setting");
	assert_refused("\n\n = 3\n", 3, "unknown setting ''");
	assert_refused("workers 3\n", 1, "key = value");
}

static void repeated_keys_are_refused(void **state)
{
	(void)state;
	assert_refused("workers = 2\n# again\nworkers = 2\n", 3, "'workers' is set twice");
	assert_refused("clinic_name = A\nclinic_name = B\n", 2, "set twice");
}

static void numbers_out_of_range_or_malformed_are_refused(void **state)
{
	(void)state;
	const char *bad[] = {
	    "workers = 0\n",
	    "workers = 65\n",
	    "workers = -1\n",
	    "workers =\n",
	    "workers = 4 # four\n",
	    "workers = 4x\n",
	    "workers = 0x10\n",
	    "workers = 3.0\n",
	    "workers = 99999999999999999999999\n",
	    "max_body = 1023\n",
	    "max_body = 1048577\n",
	    "token_min_age = -1\n",
	    "token_max_age = 59\n",
	    "retention_days = 3651\n",
	    "rate_limit_window = 86401\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_refused(bad[i], 1, "must be a whole number");
	assert_refused("workers = 65\n", 1, "from 1 to 64");

	struct config cfg;
	assert_true(load("workers = 64\nmax_body = 1024\ntoken_max_age = 604800\n", &cfg));
	assert_int_equal(cfg.workers, 64);
	assert_int_equal(cfg.max_body, 1024);
	assert_int_equal(cfg.token_max_age, 604800);
	config_free(&cfg);
}

/* The footer and the home page's structured data read them: a typo must
 * stop the programs at start, naming the line, not vanish from the page. */
static void opening_hours_are_checked(void **state)
{
	(void)state;
	struct config cfg;
	assert_true(load("opening_hours = Mo-Fr 09:00-17:00, Sa 10:00-13:00\n", &cfg));
	assert_string_equal(cfg.opening_hours, "Mo-Fr 09:00-17:00, Sa 10:00-13:00");
	config_free(&cfg);
	assert_true(load("opening_hours =\n", &cfg));
	config_free(&cfg);
	assert_refused("clinic_name = X\nopening_hours = Monday 9-5\n", 2, "'opening_hours' must");
	assert_refused("opening_hours = Fr-Mo 09:00-17:00\n", 1, "in order");
	assert_refused("opening_hours = Mo 17:00-09:00\n", 1, "opening before closing");
}

static void relative_paths_are_taken_from_the_config_directory(void **state)
{
	(void)state;
	struct config cfg;
	assert_true(load("content_db = var/content.db\n"
	                 "enquiry_db = ./enquiries.db\n"
	                 "public_key = /etc/clinic/staff.pub\n"
	                 "log_file =\n"
	                 "sendmail = ../bin/sendmail\n"
	                 "team_file = team.signed\n"
	                 "team_admin_key = 0a1b\n",
	                 &cfg));
	assert_string_equal(cfg.team_file, "/tmp/team.signed");
	assert_string_equal(cfg.team_admin_key, "0a1b"); /* text, not a path */
	/* mkstemp put the file in /tmp, so that is the base. */
	assert_string_equal(cfg.content_db, "/tmp/var/content.db");
	assert_string_equal(cfg.enquiry_db, "/tmp/./enquiries.db");
	assert_string_equal(cfg.public_key, "/etc/clinic/staff.pub");
	/* Empty stays empty (it means "use stderr"), not "/tmp/". */
	assert_string_equal(cfg.log_file, "");
	assert_string_equal(cfg.sendmail, "/tmp/../bin/sendmail");
	config_free(&cfg);
}

static void a_config_named_without_a_directory_keeps_paths_relative(void **state)
{
	(void)state;
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof cwd));
	write_config("content_db = content.db\n");
	assert_int_equal(chdir("/tmp"), 0);
	struct config cfg;
	bool ok = config_load(path + strlen("/tmp/"), &cfg, err, sizeof err);
	assert_int_equal(chdir(cwd), 0);
	remove_config();
	assert_true(ok);
	assert_string_equal(cfg.content_db, "content.db");
	config_free(&cfg);
}

static void long_lines_are_refused_not_split(void **state)
{
	(void)state;
	/* A line that fits is fine. */
	char text[6000];
	int n = snprintf(text, sizeof text, "clinic_name = ");
	memset(text + n, 'a', 3000);
	strcpy(text + n + 3000, "\n");
	struct config cfg;
	assert_true(load(text, &cfg));
	assert_int_equal(strlen(cfg.clinic_name), 3000);
	config_free(&cfg);
	/* One longer than the reader's line must not be read as two lines, the
	 * second of which could be anything the writer of the value chose. */
	n = snprintf(text, sizeof text, "workers = 2\nclinic_name = ");
	memset(text + n, 'a', 4100);
	strcpy(text + n + 4100, "workers = 64\n");
	assert_refused(text, 2, "too long");
}

static void a_missing_file_is_named(void **state)
{
	(void)state;
	struct config cfg;
	assert_false(
	    config_load("/tmp/test_config.does-not-exist/clinic.conf", &cfg, err, sizeof err));
	assert_non_null(strstr(err, "/tmp/test_config.does-not-exist/clinic.conf"));
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_are_complete),
	    cmocka_unit_test(an_empty_file_gives_the_defaults),
	    cmocka_unit_test(a_valid_file_sets_every_kind_of_value),
	    cmocka_unit_test(values_keep_inner_spaces_hashes_and_equals),
	    cmocka_unit_test(comments_and_blank_lines_are_ignored),
	    cmocka_unit_test(unknown_keys_are_refused),
	    cmocka_unit_test(repeated_keys_are_refused),
	    cmocka_unit_test(numbers_out_of_range_or_malformed_are_refused),
	    cmocka_unit_test(opening_hours_are_checked),
	    cmocka_unit_test(relative_paths_are_taken_from_the_config_directory),
	    cmocka_unit_test(a_config_named_without_a_directory_keeps_paths_relative),
	    cmocka_unit_test(long_lines_are_refused_not_split),
	    cmocka_unit_test(a_missing_file_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
