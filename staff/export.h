/*
 * export: the formats enquiries leave the staff tool in, for a spreadsheet or
 * another program.
 *
 * A CSV cell follows RFC 4180: quoted when it holds a comma, a quote, CR or
 * LF, with quotes doubled. A cell that a spreadsheet would take for a formula
 * (starting with = + - @, a tab or CR) is quoted with a leading apostrophe,
 * so that it stays text. A JSON string gives every value back exactly, but
 * escapes, beyond what html.h's json_escape() does, whatever could drive a
 * terminal (terminal.h), so the output is safe to look at; JSON text is
 * UTF-8, so a byte that is not valid UTF-8 becomes U+FFFD. Appends that do not
 * fit are left in out->failed (buf.h).
 */
#ifndef CLINIC_EXPORT_H
#define CLINIC_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* One cell, without the separator. With to_terminal the text is first made
 * safe (terminal_put_safe, newlines kept): for a person, not a spreadsheet. */
void export_csv_cell(struct buf *out, const char *s, size_t n, bool to_terminal);

/* One JSON string, quotes included. */
void export_json_string(struct buf *out, const char *s, size_t n);

#endif
