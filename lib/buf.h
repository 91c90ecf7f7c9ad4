/*
 * buf: a growable byte buffer with a hard size limit.
 *
 * Appends past the limit fail and set a sticky `failed` flag, so a caller can
 * build a whole response and check once at the end. The contents are always
 * NUL-terminated (the NUL is not counted in len).
 */
#ifndef CLINIC_BUF_H
#define CLINIC_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit;
	bool failed;
};

/* Starts b empty, to hold at most limit bytes; nothing is allocated yet. */
void buf_init(struct buf *b, size_t limit);
/* The appends: false (and b->failed set) past the limit or out of memory,
 * or once b has failed. */
bool buf_append(struct buf *b, const void *bytes, size_t n);
bool buf_puts(struct buf *b, const char *s);
bool buf_putc(struct buf *b, char c);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Appends n words as a sentence offers them, each between quote marks
 * (quote may be ""): "a", "b" or "c". */
bool buf_put_alternatives(struct buf *b, const char *const *words, size_t n, const char *quote);
/* Empties b, keeping its memory (not wiped: see buf_wipe) and clearing failed. */
void buf_reset(struct buf *b);
/* Zeroes every byte ever held (sodium_memzero), then frees. For plaintext. */
void buf_wipe(struct buf *b);
void buf_free(struct buf *b);
/* Hands the storage to the caller (NUL-terminated; NULL only if out of
 * memory) and empties b. */
char *buf_take(struct buf *b);

#endif
