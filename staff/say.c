#include "say.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "terminal.h"

bool say_output(struct buf *b)
{
	bool too_big = b->failed;
	int error = too_big ? 0 : write_all(STDOUT_FILENO, b->data ? b->data : "", b->len);
	bool ok = !too_big && error == 0;
	buf_wipe(b);
	buf_init(b, OUTPUT_LIMIT);
	if (!ok) {
		const char *why = too_big ? "an enquiry was too large to print" : strerror(error);
		char line[300];
		int n = snprintf(line, sizeof line, "enquiries: Could not write the output (%s).\n",
		                 why);
		(void)write_all(STDERR_FILENO, line, n > 0 ? (size_t)n : 0);
	}
	return ok;
}

void say_error(const char *fmt, ...)
{
	struct buf text, line;
	buf_init(&text, SENTENCE_MAX);
	buf_init(&line, 256 * 1024);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	buf_puts(&line, "enquiries: ");
	terminal_put_safe(&line, text.data ? text.data : "", text.len, TERMINAL_NEWLINES_KEEP);
	buf_putc(&line, '\n');
	if (!line.failed)
		(void)write_all(STDERR_FILENO, line.data, line.len);
	buf_wipe(&text);
	buf_wipe(&line);
}

bool say(const char *fmt, ...)
{
	struct buf text, line;
	buf_init(&text, SENTENCE_MAX);
	buf_init(&line, OUTPUT_LIMIT);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	terminal_put_safe(&line, text.data ? text.data : "", text.len, TERMINAL_NEWLINES_KEEP);
	buf_putc(&line, '\n');
	buf_wipe(&text);
	return say_output(&line);
}

const char *say_plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

bool say_failure(bool ok, const char *err)
{
	if (!ok)
		say_error("%s", err);
	return ok;
}
