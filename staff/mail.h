/*
 * mail: handing a message to the local mail system.
 *
 * The message is headers, a blank line and a body, written to `sendmail -t
 * -oi` on its standard input: the recipients come from the To header, and a
 * line holding only a dot does not end the message early. An address that
 * goes into a header must be plain, so that it cannot add a header or
 * another recipient.
 */
#ifndef CLINIC_MAIL_H
#define CLINIC_MAIL_H

#include <stdbool.h>
#include <stddef.h>

/* One address: an @, no first '-' (sendmail would take it for an option),
 * and no controls, spaces, DEL, commas or angle brackets. */
bool mail_address_plain(const char *address);

/* Runs sendmail with message on its standard input and waits for it. False,
 * with a whole sentence in err, unless it took the whole message and exited 0. */
bool mail_send(const char *sendmail, const char *message, size_t len, char *err, size_t errlen);

#endif
