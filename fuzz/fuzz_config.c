/*
 * The site config file, read by every program with --config.
 *
 * The input is written to an in-memory file (memfd) and loaded through its
 * /proc/self/fd path, so config_load runs exactly as on a real file.
 *
 * Checked: a load either fails with a message naming the file, or gives a
 * config whose numbers are within the ranges of config.c's table and whose
 * relative paths were resolved against the file's folder; the config frees
 * completely either way (the leak checker sees to that).
 */
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "hours.h"

#include "fuzz.h"

#define INPUT_LIMIT (64 * 1024)

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Empty stays empty; anything else is absolute once resolved. */
static void check_path(const char *path)
{
	FUZZ_CHECK(path != NULL);
	FUZZ_CHECK(path[0] == '\0' || path[0] == '/');
	FUZZ_CHECK(strchr(path, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_LIMIT)
		return 0;
	int fd = memfd_create("site.conf", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write_all(fd, data, size));
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

	struct config cfg;
	char err[512] = "";
	if (config_load(path, &cfg, err, sizeof err)) {
		FUZZ_CHECK(cfg.workers >= 1 && cfg.workers <= 64);
		FUZZ_CHECK(cfg.max_body >= 1024 && cfg.max_body <= 1048576);
		FUZZ_CHECK(cfg.max_query >= 64 && cfg.max_query <= 65536);
		FUZZ_CHECK(cfg.token_min_age >= 0 && cfg.token_min_age <= 3600);
		FUZZ_CHECK(cfg.token_max_age >= 60 && cfg.token_max_age <= 7 * 86400);
		FUZZ_CHECK(cfg.rate_limit_posts >= 1 && cfg.rate_limit_posts <= 1000000000);
		FUZZ_CHECK(cfg.rate_limit_window >= 1 && cfg.rate_limit_window <= 86400);
		FUZZ_CHECK(cfg.retention_days >= 1 && cfg.retention_days <= 3650);
		/* Accepted hours are hours the footer and the clinic's data can use. */
		struct hours hours;
		char why[160];
		FUZZ_CHECK(hours_parse(cfg.opening_hours, &hours, why, sizeof why));
		for (size_t i = 0; i < hours.count; i++)
			FUZZ_CHECK(hours.rules[i].first_day <= hours.rules[i].last_day &&
			           hours.rules[i].last_day < 7 &&
			           strcmp(hours.rules[i].opens, hours.rules[i].closes) < 0);
		const char *paths[] = {cfg.content_db, cfg.enquiry_db, cfg.public_key,
		                       cfg.secret_key, cfg.token_key,  cfg.log_file,
		                       cfg.sendmail};
		for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
			check_path(paths[i]);
		const char *texts[] = {cfg.pages_listen, cfg.contact_listen, cfg.site_origin,
		                       cfg.clinic_name,  cfg.clinic_phone,   cfg.clinic_email,
		                       cfg.notify_to,    cfg.opening_hours,  cfg.site_language};
		for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
			FUZZ_CHECK(texts[i] != NULL);
			/* Values are one trimmed line. */
			FUZZ_CHECK(strchr(texts[i], '\n') == NULL);
			size_t n = strlen(texts[i]);
			if (n)
				FUZZ_CHECK(texts[i][0] != ' ' && texts[i][n - 1] != ' ');
		}
		config_free(&cfg);
	} else {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(strstr(err, path) != NULL);
	}
	close(fd);
	return 0;
}
