#include "buf.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
	b->failed = false;
}

/* Makes room for extra more bytes and a NUL; false (and b->failed) past the limit or out of
 * memory. */
static bool buf_reserve(struct buf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (extra > b->limit || b->len > b->limit - extra) {
		b->failed = true;
		return false;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	/* Grow by copying, so a wiped buffer leaves no stale plaintext behind. */
	char *grown = malloc(cap);
	if (!grown) {
		b->failed = true;
		return false;
	}
	if (b->data) {
		memcpy(grown, b->data, b->len + 1);
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

bool buf_append(struct buf *b, const void *bytes, size_t n)
{
	if (!buf_reserve(b, n))
		return false;
	if (n)
		memcpy(b->data + b->len, bytes, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

bool buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

bool buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

bool buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0 || !buf_reserve(b, (size_t)n)) {
		b->failed = true;
		return false;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return true;
}

bool buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return ok;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

void buf_wipe(struct buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->cap);
	buf_free(b);
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->limit);
}

bool buf_put_alternatives(struct buf *b, const char *const *words, size_t n, const char *quote)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s%s%s",
		           i == 0       ? ""
		           : i + 1 == n ? " or "
		                        : ", ",
		           quote, words[i], quote);
	return !b->failed;
}

char *buf_take(struct buf *b)
{
	char *data = b->data;
	if (!data) {
		/* Never held a byte (or failed before the first): an empty string. */
		data = malloc(1);
		if (data)
			data[0] = '\0';
	}
	buf_init(b, b->limit);
	return data;
}
