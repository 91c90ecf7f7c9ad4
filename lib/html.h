/*
 * html: escaping writers. Everything that reaches a page goes through one of
 * these unless it is HTML we produced ourselves (cmark output of the clinic's
 * own Markdown, with raw HTML disabled).
 */
#ifndef CLINIC_HTML_H
#define CLINIC_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Text for an element body or a double- or single-quoted attribute value:
 * & < > " ' become entities. Bytes are otherwise copied as they are. */
bool html_escape(struct buf *out, const char *s, size_t n);

/* The inside of a JSON string that may sit in a <script> data block:
 * " \ and control characters escaped as JSON requires, and < > & U+2028
 * U+2029 as \uXXXX so the text can never close the script element. */
bool json_escape(struct buf *out, const char *s, size_t n);

/* A URL query component (application/x-www-form-urlencoded): unreserved
 * bytes copied, space as '+', everything else %XX. */
bool url_escape(struct buf *out, const char *s, size_t n);

#endif
