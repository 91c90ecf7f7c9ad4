#include "html.h"

#include <stdio.h>
#include <string.h>

/* Each writer copies runs of harmless bytes in one append, so escaping costs a
 * single pass and few reallocations. */

/* The entity that stands for c in HTML text, or NULL if c needs none. */
static const char *html_entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

bool html_escape(struct buf *out, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		const char *entity = html_entity((unsigned char)s[i]);
		if (!entity)
			continue;
		if (!buf_append(out, s + run, i - run) || !buf_puts(out, entity))
			return false;
		run = i + 1;
	}
	return buf_append(out, s + run, n - run);
}

/* Writes the escape for the byte at s[i] into esc and returns how many input
 * bytes it replaces, or 0 if the byte is copied as it is. */
static size_t json_escape_at(const unsigned char *s, size_t n, size_t i, char esc[8])
{
	unsigned char c = s[i];
	switch (c) {
	case '"':
		strcpy(esc, "\\\"");
		return 1;
	case '\\':
		strcpy(esc, "\\\\");
		return 1;
	case '\b':
		strcpy(esc, "\\b");
		return 1;
	case '\f':
		strcpy(esc, "\\f");
		return 1;
	case '\n':
		strcpy(esc, "\\n");
		return 1;
	case '\r':
		strcpy(esc, "\\r");
		return 1;
	case '\t':
		strcpy(esc, "\\t");
		return 1;
	case '<':
	case '>':
	case '&':
		snprintf(esc, 8, "\\u%04x", c);
		return 1;
	default:
		break;
	}
	if (c < 0x20) {
		snprintf(esc, 8, "\\u%04x", c);
		return 1;
	}
	/* U+2028 and U+2029 (E2 80 A8/A9) end a line in older JavaScript. */
	if (c == 0xE2 && n - i >= 3 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
		strcpy(esc, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
		return 3;
	}
	return 0;
}

bool json_escape(struct buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, i = 0;
	while (i < n) {
		char esc[8];
		size_t used = json_escape_at(u, n, i, esc);
		if (!used) {
			i++;
			continue;
		}
		if (!buf_append(out, s + run, i - run) || !buf_puts(out, esc))
			return false;
		i += used;
		run = i;
	}
	return buf_append(out, s + run, n - run);
}

/* Whether c is left as it is in a URL (RFC 3986's unreserved). */
static bool url_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

bool url_escape(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (url_unreserved(c))
			continue;
		char esc[3] = {'+'};
		size_t esc_len = 1;
		if (c != ' ') {
			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			esc_len = 3;
		}
		if (!buf_append(out, s + run, i - run) || !buf_append(out, esc, esc_len))
			return false;
		run = i + 1;
	}
	return buf_append(out, s + run, n - run);
}
