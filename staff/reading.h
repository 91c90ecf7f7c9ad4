/*
 * reading: the commands that open enquiries, and so ask for the passphrase.
 *
 *   list     one line per enquiry, oldest first (--json for a program)
 *   show     the whole of one enquiry
 *   export   every field of every enquiry, as CSV or JSON
 *   verify   check that every enquiry opens and matches its record
 *
 * Everything that came out of an envelope or the database is untrusted:
 * what is printed goes through terminal.h, and each enquiry's plaintext is
 * wiped as soon as it has been written out. An enquiry that does not open,
 * or contradicts its record, is shown as such and makes the command fail.
 */
#ifndef CLINIC_READING_H
#define CLINIC_READING_H

#include "session.h"

/* The commands: each returns the exit status, having said what it did. */
int reading_list(struct session *ses);
int reading_show(struct session *ses);
int reading_export(struct session *ses);
int reading_verify(struct session *ses);

#endif
