#include "terminal.h"

#include <locale.h>
#include <string.h>
#include <wchar.h>

#include "utf8.h"

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */
#define ELLIPSIS "\xE2\x80\xA6"    /* U+2026 */

static bool measure_widths;

bool terminal_drives(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C ||
	       cp == 0x200E || cp == 0x200F || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

void terminal_put_safe(struct buf *out, const char *s, size_t n, enum terminal_newlines newlines)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp = 0;
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (len == 0) {
			buf_puts(out, REPLACEMENT);
			i++;
			continue;
		}
		if (cp == '\t' || (cp == '\n' && newlines == TERMINAL_NEWLINES_SPACE))
			buf_putc(out, ' ');
		else if (cp == '\n' && newlines == TERMINAL_NEWLINES_KEEP)
			buf_putc(out, '\n');
		else if (terminal_drives(cp))
			buf_puts(out, REPLACEMENT);
		else
			buf_append(out, s + i, len);
		i += len;
	}
}

bool terminal_measure_widths(void)
{
	/* Only LC_CTYPE: dates and messages stay as they are. */
	const char *names[] = {"C.UTF-8", "C.utf8", "en_GB.UTF-8", "en_US.UTF-8"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (setlocale(LC_CTYPE, names[i])) {
			measure_widths = true;
			return true;
		}
	}
	return false;
}

/* The columns of the code point at s (safe text), and its length in *len. */
static int next_width(const char *s, size_t n, size_t *len)
{
	uint32_t cp = 0;
	*len = utf8_decode(s, n, &cp);
	if (*len == 0)
		*len = 1;
	if (!measure_widths)
		return 1;
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

/* The columns n bytes of safe text take on screen. */
static int text_width(const char *safe, size_t n)
{
	int width = 0;
	size_t i = 0, len;
	while (i < n) {
		width += next_width(safe + i, n - i, &len);
		i += len;
	}
	return width;
}

void terminal_put_fitted(struct buf *out, const char *safe, size_t n, int columns, bool pad)
{
	int room = text_width(safe, n) <= columns ? columns : columns - 1;
	int used = 0;
	size_t i = 0, len;
	while (i < n) {
		int w = next_width(safe + i, n - i, &len);
		if (used + w > room)
			break;
		buf_append(out, safe + i, len);
		used += w;
		i += len;
	}
	if (i < n) {
		buf_puts(out, ELLIPSIS);
		used++;
	}
	while (pad && used++ < columns)
		buf_putc(out, ' ');
}

/* Scratch space for safe text has out's limit: what does not fit there could
 * not have been appended to out either. */
static void finish_scratch(struct buf *scratch, struct buf *out)
{
	if (scratch->failed)
		out->failed = true;
	buf_wipe(scratch);
}

void terminal_put_column(struct buf *out, const char *s, size_t n, int columns, bool pad)
{
	struct buf safe;
	buf_init(&safe, out->limit);
	terminal_put_safe(&safe, s, n, TERMINAL_NEWLINES_SPACE);
	/* Runs of white space would only waste a column's few places. */
	size_t j = 0;
	for (size_t i = 0; i < safe.len; i++)
		if (safe.data[i] != ' ' || (j > 0 && safe.data[j - 1] != ' '))
			safe.data[j++] = safe.data[i];
	while (j > 0 && safe.data[j - 1] == ' ')
		j--;
	terminal_put_fitted(out, safe.data ? safe.data : "", j, columns, pad);
	finish_scratch(&safe, out);
}

/* Appends one line of safe text, word-wrapped to width, each piece indented. */
static void put_wrapped_line(struct buf *out, const char *s, size_t n, const char *indent,
                             int width)
{
	if (n == 0) {
		buf_putc(out, '\n');
		return;
	}
	buf_puts(out, indent);
	int column = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		size_t end = i;
		while (end < n && s[end] != ' ')
			end++;
		int word = text_width(s + i, end - i);
		if (column > 0 && column + 1 + word > width) {
			buf_putc(out, '\n');
			buf_puts(out, indent);
			column = 0;
		} else if (column > 0) {
			buf_putc(out, ' ');
			column++;
		}
		/* A word wider than the line is broken where it must be. */
		while (i < end) {
			size_t len;
			int w = next_width(s + i, end - i, &len);
			if (column > 0 && column + w > width) {
				buf_putc(out, '\n');
				buf_puts(out, indent);
				column = 0;
			}
			buf_append(out, s + i, len);
			column += w;
			i += len;
		}
	}
	buf_putc(out, '\n');
}

void terminal_put_wrapped(struct buf *out, const char *s, size_t n, const char *indent, int width)
{
	struct buf safe;
	buf_init(&safe, out->limit);
	terminal_put_safe(&safe, s, n, TERMINAL_NEWLINES_KEEP);
	const char *text = safe.data ? safe.data : "";
	size_t end_of_text = safe.len;
	while (end_of_text > 0 && text[end_of_text - 1] == '\n')
		end_of_text--;
	size_t start = 0;
	while (start <= end_of_text) {
		const char *newline = memchr(text + start, '\n', end_of_text - start);
		size_t end = newline ? (size_t)(newline - text) : end_of_text;
		put_wrapped_line(out, text + start, end - start, indent, width);
		start = end + 1;
	}
	finish_scratch(&safe, out);
}
