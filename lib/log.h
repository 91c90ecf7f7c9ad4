/*
 * log: one line per event, to stderr or the configured file.
 *
 * Messages name what failed and what to do; they never carry personal data
 * (no form fields, no addresses, no query strings): callers pass only
 * program facts such as paths, status codes and library error strings.
 */
#ifndef CLINIC_LOG_H
#define CLINIC_LOG_H

#include <stdbool.h>

/* name is the program name put on every line; path NULL or "" means stderr. */
bool log_open(const char *name, const char *path);
/* One line each, at error or at info level. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
