#include "export.h"

#include <stdint.h>
#include <string.h>

#include "html.h"
#include "terminal.h"
#include "utf8.h"

void export_csv_cell(struct buf *out, const char *s, size_t n, bool to_terminal)
{
	struct buf safe;
	buf_init(&safe, out->limit);
	if (to_terminal) {
		terminal_put_safe(&safe, s, n, TERMINAL_NEWLINES_KEEP);
		s = safe.data ? safe.data : "";
		n = safe.len;
		if (safe.failed)
			out->failed = true;
	}
	bool formula = n > 0 && memchr("=+-@\t\r", s[0], 6) != NULL;
	bool quote = formula;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (quote)
		buf_putc(out, '"');
	if (formula)
		buf_putc(out, '\'');
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			buf_append(out, s + start, i + 1 - start);
			buf_putc(out, '"');
			start = i + 1;
		}
	}
	buf_append(out, s + start, n - start);
	if (quote)
		buf_putc(out, '"');
	buf_wipe(&safe);
}

void export_json_string(struct buf *out, const char *s, size_t n)
{
	buf_putc(out, '"');
	size_t run = 0, i = 0;
	while (i < n) {
		uint32_t cp = 0;
		size_t len = utf8_decode(s + i, n - i, &cp);
		/* json_escape() takes care of C0 controls, quotes and backslashes. */
		if (len > 0 && (cp < 0x20 || !terminal_drives(cp))) {
			i += len;
			continue;
		}
		json_escape(out, s + run, i - run);
		buf_printf(out, "\\u%04X", len > 0 ? (unsigned)cp : 0xFFFDu);
		i += len > 0 ? len : 1;
		run = i;
	}
	json_escape(out, s + run, n - run);
	buf_putc(out, '"');
}
