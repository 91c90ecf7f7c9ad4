#include "program.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Says how to run the program name, on standard error. */
static void usage(const char *name)
{
	fprintf(stderr, "usage: %s --config FILE [--listen unix:PATH|HOST:PORT] [--workers N]\n",
	        name);
}

bool program_start(int argc, char **argv, const char *name, struct config *cfg,
                   struct program_args *args)
{
	memset(args, 0, sizeof *args);
	for (int i = 1; i < argc; i++) {
		bool has_value = i + 1 < argc;
		if (strcmp(argv[i], "--config") == 0 && has_value) {
			args->config_path = argv[++i];
		} else if (strcmp(argv[i], "--listen") == 0 && has_value) {
			args->listen = argv[++i];
		} else if (strcmp(argv[i], "--workers") == 0 && has_value) {
			char *end;
			args->workers = strtol(argv[++i], &end, 10);
			if (*end || args->workers < 1 || args->workers > 64) {
				fprintf(stderr, "%s: --workers takes a number from 1 to 64\n",
				        name);
				return false;
			}
		} else {
			usage(name);
			return false;
		}
	}
	if (!args->config_path) {
		const char *from_env = getenv("CLINIC_CONFIG");
		args->config_path = from_env ? from_env : "/etc/clinic/site.conf";
	}
	char err[512];
	if (!config_load(args->config_path, cfg, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", name, err);
		return false;
	}
	if (args->workers)
		cfg->workers = args->workers;
	if (!log_open(name, cfg->log_file)) {
		fprintf(stderr, "%s: cannot open the log file %s\n", name, cfg->log_file);
		return false;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "%s: libsodium could not start\n", name);
		return false;
	}
	return true;
}
