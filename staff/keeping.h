/*
 * keeping: the commands that keep the enquiries without opening them, and
 * so need no passphrase.
 *
 *   mark     record that an enquiry has been dealt with (or not)
 *   stats    how many there are, by form, status and day
 *   purge    delete those older than the retention period
 *   backup   copy the database, still sealed
 *   notify   email the staff when new enquiries came in since the last notice
 */
#ifndef CLINIC_KEEPING_H
#define CLINIC_KEEPING_H

#include "session.h"

/* The commands: each returns the exit status, having said what it did. */
int keeping_mark(struct session *ses);
int keeping_purge(struct session *ses);
int keeping_stats(struct session *ses);
int keeping_backup(struct session *ses);
int keeping_notify(struct session *ses);

#endif
