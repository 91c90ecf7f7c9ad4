/*
 * say: what the staff tool tells the person at the keyboard, and how it ends.
 *
 * Staff are not programmers: every message is a whole sentence that says
 * what happened and what to do, and any failure exits non-zero. Anything
 * interpolated may come from an enquiry, a file or the database, so it goes
 * through terminal.h first; what goes to standard output may hold
 * plaintext, so it is wiped once written.
 */
#ifndef CLINIC_SAY_H
#define CLINIC_SAY_H

#include <stdbool.h>

#include "buf.h"

#define EXIT_OK 0
#define EXIT_FAILED 1 /* something went wrong, said on standard error */
#define EXIT_USAGE 2  /* not a command line the tool takes */

#define SENTENCE_MAX (64 * 1024)
#define OUTPUT_LIMIT (16u << 20) /* what one enquiry's output may take */

/* Writes b to standard output and wipes it (it may hold plaintext), leaving
 * it empty with OUTPUT_LIMIT; false (said) if it could not be written. */
bool say_output(struct buf *b);

/* A sentence for the person at the keyboard, on standard error. */
void say_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A sentence of the tool's own on standard output; false (said) if it could
 * not be written. */
bool say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* one or many, as n asks. */
const char *say_plural(long n, const char *one, const char *many);

/* Says err on standard error when ok is false (a library's sentence for a
 * call that failed); returns ok. */
bool say_failure(bool ok, const char *err);

#endif
