/* terminal: text that cannot drive a terminal, measured and laid out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "terminal.h"
#include "utf8.h"

#define LIMIT (1 << 20)
#define FFFD "\xEF\xBF\xBD"
#define ELLIPSIS "\xE2\x80\xA6"

static struct buf out;

static int fresh(void **state)
{
	(void)state;
	buf_init(&out, LIMIT);
	return 0;
}

static int done(void **state)
{
	(void)state;
	buf_free(&out);
	return 0;
}

static const char *text(void)
{
	assert_false(out.failed);
	return out.data ? out.data : "";
}

static void safe(const char *s, size_t n, enum terminal_newlines newlines, const char *want)
{
	buf_reset(&out);
	terminal_put_safe(&out, s, n, newlines);
	assert_string_equal(text(), want);
}

#define SAFE(in, want) safe(in, sizeof(in) - 1, TERMINAL_NEWLINES_REPLACE, want)

/* Encodes cp (valid, not a surrogate) as UTF-8 into b; returns the length. */
static size_t encode(uint32_t cp, char b[4])
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (char)(0xF0 | cp >> 18);
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static void what_drives_a_terminal(void **state)
{
	(void)state;
	uint32_t drives[] = {0x00,   0x07,   0x08,   0x0A,   0x0D,   0x1B,   0x1F,
	                     0x7F,   0x80,   0x9B,   0x9F,   0x061C, 0x200E, 0x200F,
	                     0x2028, 0x2029, 0x202A, 0x202E, 0x2066, 0x2069};
	uint32_t harmless[] = {0x20,   0x7E,   0xA0,   0xE9,   0x061B, 0x061D, 0x200D, 0x2010,
	                       0x2027, 0x202F, 0x2065, 0x206A, 0xFFFD, 0x4F1F, 0x1F331};
	for (size_t i = 0; i < sizeof drives / sizeof drives[0]; i++)
		assert_true(terminal_drives(drives[i]));
	for (size_t i = 0; i < sizeof harmless / sizeof harmless[0]; i++)
		assert_false(terminal_drives(harmless[i]));
}

static void controls_and_escapes_become_the_replacement_character(void **state)
{
	(void)state;
	SAFE("clear \x1b[2J\x1b]0;pwned\x07", "clear " FFFD "[2J" FFFD "]0;pwned" FFFD);
	SAFE("cr\roverwrite", "cr" FFFD "overwrite");
	SAFE("del\x7f", "del" FFFD);
	SAFE("tab\there", "tab here");
	SAFE("csi \xc2\x9b"
	     "31m",
	     "csi " FFFD "31m");
	SAFE("Mallory \xe2\x80\xae"
	     "evil\xe2\x80\xac",
	     "Mallory " FFFD "evil" FFFD);
	SAFE("a\xe2\x80\xa8z", "a" FFFD "z");
	SAFE("", "");
	safe("nul\0byte", 8, TERMINAL_NEWLINES_REPLACE, "nul" FFFD "byte");
}

static void newlines_are_replaced_kept_or_spaced_as_asked(void **state)
{
	(void)state;
	safe("one\ntwo", 7, TERMINAL_NEWLINES_REPLACE, "one" FFFD "two");
	safe("one\ntwo", 7, TERMINAL_NEWLINES_KEEP, "one\ntwo");
	safe("one\ntwo", 7, TERMINAL_NEWLINES_SPACE, "one two");
	/* A CR is never a newline, in any mode. */
	safe("a\r\nb", 4, TERMINAL_NEWLINES_KEEP, "a" FFFD "\nb");
}

static void each_byte_of_invalid_utf8_becomes_one_replacement(void **state)
{
	(void)state;
	SAFE("\xff\xfe", FFFD FFFD);
	SAFE("\xc0\xaf", FFFD FFFD);                   /* overlong '/' */
	SAFE("\xed\xa0\x80", FFFD FFFD FFFD);          /* a surrogate */
	SAFE("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* above U+10FFFF */
	SAFE("cut \xe2\x80", "cut " FFFD FFFD);        /* a sequence cut short */
	SAFE("\x80lone", FFFD "lone");
	SAFE("Caf\xc3\xa9 \xe5\xbc\xa0 \xf0\x9f\x8c\xb1",
	     "Caf\xc3\xa9 \xe5\xbc\xa0 \xf0\x9f\x8c\xb1");
}

/* Whatever the bytes, the output is valid UTF-8 holding nothing that drives
 * a terminal but the newlines it was told to keep. */
static void no_input_gets_anything_through(void **state)
{
	(void)state;
	srand(4711);
	char in[64];
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand() % (int)sizeof in);
		for (size_t i = 0; i < n; i++) {
			/* Mostly bytes near the interesting ranges. */
			static const unsigned char bias[] = {0x1b, 0x0a, 0x0d, 0x7f, 0xc2,
			                                     0x9b, 0xe2, 0x80, 0xae, 0xa8};
			in[i] = (char)(rand() % 3 ? rand() % 256 : bias[rand() % 10]);
		}
		enum terminal_newlines mode = (enum terminal_newlines)(round % 3);
		buf_reset(&out);
		terminal_put_safe(&out, in, n, mode);
		const char *s = text();
		assert_true(utf8_valid(s, out.len));
		size_t i = 0;
		while (i < out.len) {
			uint32_t cp;
			size_t len = utf8_decode(s + i, out.len - i, &cp);
			assert_true(len > 0);
			if (cp == '\n')
				assert_int_equal(mode, TERMINAL_NEWLINES_KEEP);
			else
				assert_false(terminal_drives(cp));
			i += len;
		}
	}
	/* Every code point that drives a terminal, alone, is replaced. */
	for (uint32_t cp = 0; cp < 0x2100; cp++) {
		if (!terminal_drives(cp) || cp == '\t' || cp == '\n')
			continue;
		char b[4];
		size_t n = encode(cp, b);
		safe(b, n, TERMINAL_NEWLINES_KEEP, FFFD);
	}
}

static void fitted(const char *s, int columns, bool pad, const char *want)
{
	buf_reset(&out);
	terminal_put_fitted(&out, s, strlen(s), columns, pad);
	assert_string_equal(text(), want);
}

static void fitting_cuts_with_an_ellipsis_and_pads(void **state)
{
	(void)state;
	fitted("exact", 5, false, "exact");
	fitted("exact", 5, true, "exact");
	fitted("short", 8, true, "short   ");
	fitted("short", 8, false, "short");
	fitted("too long", 5, false, "too " ELLIPSIS);
	fitted("too long", 5, true, "too " ELLIPSIS);
	fitted("", 3, true, "   ");
	fitted("\xc3\xa9\xc3\xa9\xc3\xa9", 2, false, "\xc3\xa9" ELLIPSIS);
}

static void columns(const char *s, int width, bool pad, const char *want)
{
	buf_reset(&out);
	terminal_put_column(&out, s, strlen(s), width, pad);
	assert_string_equal(text(), want);
}

static void a_column_is_one_safe_line_without_runs_of_space(void **state)
{
	(void)state;
	columns("  Hello,\n\nI would   like\tto talk.  ", 40, false,
	        "Hello, I would like to talk.");
	columns("Eve\x1b[2J", 10, true, "Eve" FFFD "[2J   ");
	columns("A long long long text", 10, false, "A long lo" ELLIPSIS);
	columns("\n\n  \t", 4, true, "    ");
}

static void wrapped(const char *s, const char *indent, int width, const char *want)
{
	buf_reset(&out);
	terminal_put_wrapped(&out, s, strlen(s), indent, width);
	assert_string_equal(text(), want);
}

static void paragraphs_wrap_at_words_and_break_long_ones(void **state)
{
	(void)state;
	wrapped("one two three four", "  ", 9, "  one two\n  three\n  four\n");
	wrapped("one\n\nthree\n\n\n", "> ", 20, "> one\n\n> three\n");
	wrapped("abcdefghij", "", 4, "abcd\nefgh\nij\n");
	wrapped("", "    ", 10, "\n");
	wrapped("esc\x1b]52;c;x\x07 end", "", 40, "esc" FFFD "]52;c;x" FFFD " end\n");
	wrapped("a\r\nb", "", 40, "a" FFFD "\nb\n");
}

/* Measured in columns once a UTF-8 locale is chosen; before, every code
 * point counts one. This test runs last because the choice is for good. */
static void wide_characters_take_two_columns_once_measured(void **state)
{
	(void)state;
	const char *cjk = "\xe5\xbc\xa0\xe4\xbc\x9f\xe5\xbc\xa0\xe4\xbc\x9f"; /* 4 wide */
	fitted(cjk, 4, false, cjk);
	if (!terminal_measure_widths())
		skip();
	fitted(cjk, 8, true, "\xe5\xbc\xa0\xe4\xbc\x9f\xe5\xbc\xa0\xe4\xbc\x9f");
	/* Never half a wide character: three columns hold one and the ellipsis. */
	fitted(cjk, 4, false, "\xe5\xbc\xa0" ELLIPSIS);
	fitted(cjk, 5, true, "\xe5\xbc\xa0\xe4\xbc\x9f" ELLIPSIS);
	/* A combining accent takes no column of its own. */
	fitted("e\xcc\x81t", 2, false, "e\xcc\x81t");
	wrapped("\xe5\xbc\xa0\xe4\xbc\x9f \xe5\xbc\xa0\xe4\xbc\x9f", "", 5,
	        "\xe5\xbc\xa0\xe4\xbc\x9f\n\xe5\xbc\xa0\xe4\xbc\x9f\n");
}

static void scratch_overflow_is_reported_in_out(void **state)
{
	(void)state;
	struct buf small;
	buf_init(&small, 16);
	/* 12 invalid bytes make 36 bytes of safe text. */
	terminal_put_wrapped(&small, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12, "",
	                     80);
	assert_true(small.failed);
	buf_free(&small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(what_drives_a_terminal),
	    cmocka_unit_test_setup_teardown(controls_and_escapes_become_the_replacement_character,
	                                    fresh, done),
	    cmocka_unit_test_setup_teardown(newlines_are_replaced_kept_or_spaced_as_asked, fresh,
	                                    done),
	    cmocka_unit_test_setup_teardown(each_byte_of_invalid_utf8_becomes_one_replacement,
	                                    fresh, done),
	    cmocka_unit_test_setup_teardown(no_input_gets_anything_through, fresh, done),
	    cmocka_unit_test_setup_teardown(fitting_cuts_with_an_ellipsis_and_pads, fresh, done),
	    cmocka_unit_test_setup_teardown(a_column_is_one_safe_line_without_runs_of_space, fresh,
	                                    done),
	    cmocka_unit_test_setup_teardown(paragraphs_wrap_at_words_and_break_long_ones, fresh,
	                                    done),
	    cmocka_unit_test(scratch_overflow_is_reported_in_out),
	    cmocka_unit_test_setup_teardown(wide_characters_take_two_columns_once_measured, fresh,
	                                    done),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
