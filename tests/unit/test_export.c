/* export: CSV cells a spreadsheet cannot run, JSON strings that give values
 * back exactly and are safe on a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "export.h"
#include "terminal.h"
#include "utf8.h"

#define LIMIT (1 << 20)
#define FFFD "\xEF\xBF\xBD"

static void cell(const char *s, size_t n, bool to_terminal, const char *want)
{
	struct buf out;
	buf_init(&out, LIMIT);
	export_csv_cell(&out, s, n, to_terminal);
	assert_false(out.failed);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data ? out.data : "", want, out.len);
	buf_free(&out);
}

#define CELL(in, want) cell(in, sizeof(in) - 1, false, want)

static void csv_cells_follow_rfc_4180(void **state)
{
	(void)state;
	CELL("plain", "plain");
	CELL("", "");
	CELL("a,b", "\"a,b\"");
	CELL("say \"hi\"", "\"say \"\"hi\"\"\"");
	CELL("\"", "\"\"\"\"");
	CELL("two\nlines", "\"two\nlines\"");
	CELL("cr\rhere", "\"cr\rhere\"");
	CELL("x=1+2", "x=1+2"); /* only the first character makes a formula */
}

static void csv_formulas_stay_text(void **state)
{
	(void)state;
	CELL("=SUM(A1:A9)", "\"'=SUM(A1:A9)\"");
	CELL("+44 20 7946 0000", "\"'+44 20 7946 0000\"");
	CELL("-2+3", "\"'-2+3\"");
	CELL("@SUM(1,2)", "\"'@SUM(1,2)\"");
	CELL("\t=1", "\"'\t=1\"");
	CELL("\r=1", "\"'\r=1\"");
	CELL("=HYPERLINK(\"http://x/\",\"Click\")",
	     "\"'=HYPERLINK(\"\"http://x/\"\",\"\"Click\"\")\"");
}

static void csv_keeps_bytes_for_a_file_and_is_safe_on_a_terminal(void **state)
{
	(void)state;
	const char hostile[] = "Eve\x1b[2J\xff\nnext";
	cell(hostile, sizeof hostile - 1, false, "\"Eve\x1b[2J\xff\nnext\"");
	cell(hostile, sizeof hostile - 1, true, "\"Eve" FFFD "[2J" FFFD "\nnext\"");
	/* Made safe first: a leading tab is a space on a terminal, no formula. */
	cell("\tx", 2, true, " x");
}

/* Decodes a JSON string as our writer produces it (and as any JSON parser
 * would read it) back to bytes. Fails the test on anything malformed. */
static char *json_decode(const char *s, size_t n, size_t *len)
{
	assert_true(n >= 2 && s[0] == '"' && s[n - 1] == '"');
	char *text = malloc(n);
	assert_non_null(text);
	size_t j = 0;
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		assert_true(c >= 0x20 && c != '"');
		if (c != '\\') {
			text[j++] = (char)c;
			continue;
		}
		assert_true(++i < n - 1);
		const char *simple = strchr("\"\\/bfnrt", s[i]);
		if (s[i] != 'u') {
			assert_non_null(simple);
			text[j++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
			continue;
		}
		assert_true(i + 4 < n - 1);
		char hex[5] = {s[i + 1], s[i + 2], s[i + 3], s[i + 4], 0};
		char *end;
		unsigned long cp = strtoul(hex, &end, 16);
		assert_true(*end == '\0');
		assert_false(cp >= 0xD800 && cp <= 0xDFFF); /* we never need pairs */
		if (cp < 0x80) {
			text[j++] = (char)cp;
		} else if (cp < 0x800) {
			text[j++] = (char)(0xC0 | cp >> 6);
			text[j++] = (char)(0x80 | (cp & 0x3F));
		} else {
			text[j++] = (char)(0xE0 | cp >> 12);
			text[j++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			text[j++] = (char)(0x80 | (cp & 0x3F));
		}
		i += 4;
	}
	*len = j;
	return text;
}

static void assert_json_gives_back(const char *s, size_t n, const char *want, size_t want_len)
{
	struct buf out;
	buf_init(&out, LIMIT);
	export_json_string(&out, s, n);
	assert_false(out.failed);
	size_t len;
	char *back = json_decode(out.data, out.len, &len);
	assert_int_equal(len, want_len);
	assert_memory_equal(back, want, len);
	free(back);
	buf_free(&out);
}

static void json_gives_every_value_back(void **state)
{
	(void)state;
	const char *values[] = {
	    "",
	    "plain",
	    "quote \" backslash \\ slash /",
	    "line one\n\x1b[31mred\x1b[0m and \xc2\x9b"
	    "31m C1 red\r\nbell\x07 del\x7f tab\there",
	    "Mallory \xe2\x80\xae"
	    "evil\xe2\x80\xac \xe2\x81\xa6isolate\xe2\x81\xa9 \xe2\x80\x8fmark",
	    "</script><!-- & -->",
	    "Caf\xc3\xa9 \xe5\xbc\xa0 \xf0\x9f\x8c\xb1 \xe2\x80\xa8 \xe2\x80\xa9",
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		assert_json_gives_back(values[i], strlen(values[i]), values[i], strlen(values[i]));
	assert_json_gives_back("a\0b", 3, "a\0b", 3);
}

static void json_turns_invalid_utf8_into_replacement_characters(void **state)
{
	(void)state;
	const char bad[] = "bad \xff\xfe \xc0\xaf \xed\xa0\x80 lone \x9b"
	                   "31m end";
	const char want[] =
	    "bad " FFFD FFFD " " FFFD FFFD " " FFFD FFFD FFFD " lone " FFFD "31m end";
	assert_json_gives_back(bad, sizeof bad - 1, want, sizeof want - 1);
}

/* Whatever the bytes, the JSON text is valid UTF-8 in which nothing can drive
 * a terminal, and it reads back as the input with bad bytes replaced. */
static void json_output_is_always_safe_utf8(void **state)
{
	(void)state;
	srand(1234);
	char in[48];
	struct buf out, expected;
	buf_init(&out, LIMIT);
	buf_init(&expected, LIMIT);
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand() % (int)sizeof in);
		for (size_t i = 0; i < n; i++)
			in[i] = (char)(rand() % 2 ? rand() % 256
			                          : "\x1b\"\\\n\xe2\x80\xae\xc2"[rand() % 8]);
		buf_reset(&out);
		export_json_string(&out, in, n);
		assert_false(out.failed);
		assert_true(utf8_valid(out.data, out.len));
		for (size_t i = 0; i < out.len;) {
			uint32_t cp;
			size_t len = utf8_decode(out.data + i, out.len - i, &cp);
			assert_false(terminal_drives(cp));
			i += len;
		}
		buf_reset(&expected);
		for (size_t i = 0; i < n;) {
			uint32_t cp;
			size_t len = utf8_decode(in + i, n - i, &cp);
			if (len == 0) {
				buf_puts(&expected, FFFD);
				i++;
			} else {
				buf_append(&expected, in + i, len);
				i += len;
			}
		}
		size_t back_len;
		char *back = json_decode(out.data, out.len, &back_len);
		assert_int_equal(back_len, expected.len);
		assert_memory_equal(back, expected.data ? expected.data : "", back_len);
		free(back);
	}
	buf_free(&expected);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(csv_cells_follow_rfc_4180),
	    cmocka_unit_test(csv_formulas_stay_text),
	    cmocka_unit_test(csv_keeps_bytes_for_a_file_and_is_safe_on_a_terminal),
	    cmocka_unit_test(json_gives_every_value_back),
	    cmocka_unit_test(json_turns_invalid_utf8_into_replacement_characters),
	    cmocka_unit_test(json_output_is_always_safe_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
