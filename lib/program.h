/*
 * program: the command line every FastCGI program shares.
 *
 *   NAME --config FILE [--listen ADDRESS] [--workers N]
 *
 * Loads the config, opens the log and libsodium. On failure prints one
 * sentence to stderr and returns false; main then exits 1.
 */
#ifndef CLINIC_PROGRAM_H
#define CLINIC_PROGRAM_H

#include <stdbool.h>

#include "config.h"

struct program_args {
	const char *config_path;
	const char *listen; /* from --listen, or NULL */
	long workers;       /* from --workers, or 0 */
};

/* Reads the command line into args, loads cfg, opens the log as name and
 * starts libsodium; false once the reason is said. */
bool program_start(int argc, char **argv, const char *name, struct config *cfg,
                   struct program_args *args);

#endif
