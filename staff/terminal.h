/*
 * terminal: text that is safe to print to a terminal.
 *
 * An enquiry is typed by anyone, and a terminal obeys what it is sent: an
 * escape sequence can move the cursor, recolour or retitle the window or fill
 * the clipboard, a carriage return can overwrite a line, a bidi control can
 * reorder what a person reads. Untrusted text therefore goes through
 * terminal_put_safe(): each code point that can drive a terminal (C0 and C1
 * controls, ESC, DEL, bidi controls, line and paragraph separators) and each
 * byte that is not part of valid UTF-8 becomes U+FFFD, a tab a space. The
 * layout helpers measure safe text by its width on screen. Appends that do
 * not fit are left in out->failed (buf.h).
 */
#ifndef CLINIC_TERMINAL_H
#define CLINIC_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum terminal_newlines {
	TERMINAL_NEWLINES_REPLACE, /* a newline is as suspect as any other control */
	TERMINAL_NEWLINES_KEEP,    /* the body of a message */
	TERMINAL_NEWLINES_SPACE,   /* a one-line preview of a message */
};

/* Whether printing the code point cp could drive a terminal (see above). */
bool terminal_drives(uint32_t cp);

/* Appends s (any bytes) as safe text. */
void terminal_put_safe(struct buf *out, const char *s, size_t n, enum terminal_newlines newlines);

/* Switches LC_CTYPE to a UTF-8 locale, so that wide and zero-width characters
 * are measured as they show; until then, or without one, every code point
 * counts as one column. Returns whether one was found. */
bool terminal_measure_widths(void);

/* Appends safe text cut to fit columns (an ellipsis marks a cut), padded with
 * spaces to columns when pad is set. */
void terminal_put_fitted(struct buf *out, const char *safe, size_t n, int columns, bool pad);

/* Appends untrusted text as one line fitted to columns: made safe, newlines
 * made spaces, runs of spaces made one, the ends trimmed. */
void terminal_put_column(struct buf *out, const char *s, size_t n, int columns, bool pad);

/* Appends untrusted text as paragraphs: made safe with its newlines kept (the
 * trailing ones dropped), each line word-wrapped to width columns, each piece
 * after indent; an empty line stays empty. */
void terminal_put_wrapped(struct buf *out, const char *s, size_t n, const char *indent, int width);

#endif
