/*
 * utf8: strict UTF-8, as Unicode's table 3-7 has it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. Used wherever untrusted text is judged
 * or measured (form fields, search words, content, the staff's terminal).
 */
#ifndef CLINIC_UTF8_H
#define CLINIC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether the n bytes at s are valid UTF-8 (NUL is a valid code point). */
bool utf8_valid(const char *s, size_t n);

/* Decodes the one UTF-8 sequence at s into *cp and returns its length, or 0
 * if the bytes there are not one (an overlong form, a surrogate, a value
 * above U+10FFFF, a stray or missing continuation byte, or n == 0). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Number of code points in valid UTF-8. */
size_t utf8_length(const char *s, size_t n);

#endif
