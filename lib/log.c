#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char program[32] = "clinic";
static int log_fd = STDERR_FILENO;

bool log_open(const char *name, const char *path)
{
	snprintf(program, sizeof program, "%s", name);
	if (!path || !*path)
		return true;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return false;
	log_fd = fd;
	return true;
}

/* Writes one line: the UTC time, the program, its pid, level and the message. */
static void log_line(const char *level, const char *fmt, va_list ap)
{
	char line[1024];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	n += snprintf(line + n, sizeof line - (size_t)n, "%s[%d] %s: ", program, (int)getpid(),
	              level);
	if (n < (int)sizeof line)
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	size_t len = strnlen(line, sizeof line - 2);
	line[len++] = '\n';
	/* One write() per line keeps lines from several workers whole. */
	ssize_t ignored = write(log_fd, line, len);
	(void)ignored;
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("error", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("info", fmt, ap);
	va_end(ap);
}
