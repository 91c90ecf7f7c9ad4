/* html: the three escaping writers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

#define LIMIT (1 << 20)

typedef bool (*escape_fn)(struct buf *, const char *, size_t);

/* Escapes n bytes of s into a fresh buffer and returns it (caller frees). */
static char *escaped(escape_fn escape, const char *s, size_t n)
{
	struct buf out;
	buf_init(&out, LIMIT);
	assert_true(escape(&out, s, n));
	assert_false(out.failed);
	char *text = buf_take(&out);
	assert_non_null(text);
	return text;
}

static void assert_escapes_to(escape_fn escape, const char *in, size_t n, const char *want)
{
	char *got = escaped(escape, in, n);
	assert_string_equal(got, want);
	free(got);
}

#define EXPECT(fn, in, want) assert_escapes_to(fn, in, sizeof(in) - 1, want)

static void html_escapes_the_five_special_characters(void **state)
{
	(void)state;
	EXPECT(html_escape, "&", "&amp;");
	EXPECT(html_escape, "<", "&lt;");
	EXPECT(html_escape, ">", "&gt;");
	EXPECT(html_escape, "\"", "&quot;");
	EXPECT(html_escape, "'", "&#39;");
	EXPECT(html_escape, "<a href=\"x\" title='y'>&amp;</a>",
	       "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
	EXPECT(html_escape, "", "");
	EXPECT(html_escape, "plain text, no change", "plain text, no change");
}

static void html_copies_every_other_byte_unchanged(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		if (strchr("&<>\"'", c) && c != 0)
			continue;
		char in = (char)c;
		struct buf out;
		buf_init(&out, 16);
		assert_true(html_escape(&out, &in, 1));
		assert_int_equal(out.len, 1);
		assert_int_equal((unsigned char)out.data[0], c);
		buf_free(&out);
	}
}

static void html_passes_utf8_through(void **state)
{
	(void)state;
	EXPECT(html_escape, "Caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x8c\xb1 \xe2\x80\xa8",
	       "Caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x8c\xb1 \xe2\x80\xa8");
	/* Invalid UTF-8 is not the escaper's business: it is copied, not dropped. */
	EXPECT(html_escape, "\xff\xfe<", "\xff\xfe&lt;");
}

static void html_appends_and_counts_embedded_nul(void **state)
{
	(void)state;
	struct buf out;
	buf_init(&out, LIMIT);
	assert_true(buf_puts(&out, "[") && html_escape(&out, "a\0<", 3) && buf_puts(&out, "]"));
	assert_int_equal(out.len, 8);
	assert_memory_equal(out.data, "[a\0&lt;]", 9);
	buf_free(&out);
}

static void escapers_fail_at_the_buffer_limit(void **state)
{
	(void)state;
	escape_fn fns[] = {html_escape, json_escape, url_escape};
	for (size_t i = 0; i < 3; i++) {
		struct buf out;
		buf_init(&out, 5);
		/* One '<' grows to at least 5 bytes in every escaper; two cannot fit. */
		assert_false(fns[i](&out, "<<", 2));
		assert_true(out.failed);
		assert_true(out.len <= 5);
		/* Sticky: even an empty write now fails. */
		assert_false(fns[i](&out, "a", 1));
		buf_free(&out);
	}
}

static void json_escapes_quotes_backslash_and_controls(void **state)
{
	(void)state;
	EXPECT(json_escape, "\"", "\\\"");
	EXPECT(json_escape, "\\", "\\\\");
	EXPECT(json_escape, "\b\f\n\r\t", "\\b\\f\\n\\r\\t");
	EXPECT(json_escape, "\x01", "\\u0001");
	EXPECT(json_escape, "\x1f", "\\u001f");
	assert_escapes_to(json_escape, "a\0b", 3, "a\\u0000b");
	EXPECT(json_escape, "say \"hi\"\\n", "say \\\"hi\\\"\\\\n");
	EXPECT(json_escape, "/ is fine", "/ is fine");
}

static void json_cannot_close_a_script_element(void **state)
{
	(void)state;
	EXPECT(json_escape, "</script><script>alert(1)</script>",
	       "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e");
	EXPECT(json_escape, "<!-- a & b -->", "\\u003c!-- a \\u0026 b --\\u003e");
}

static void json_escapes_line_and_paragraph_separators(void **state)
{
	(void)state;
	EXPECT(json_escape, "a\xe2\x80\xa8z", "a\\u2028z");
	EXPECT(json_escape, "a\xe2\x80\xa9z", "a\\u2029z");
	EXPECT(json_escape, "\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
	/* Neighbours of U+2028 in the same block stay as they are. */
	EXPECT(json_escape, "\xe2\x80\xa6\xe2\x80\xaa", "\xe2\x80\xa6\xe2\x80\xaa");
	/* A separator cut short at the end of the input is copied, not over-read. */
	char cut[2] = {'\xe2', '\x80'};
	char *got = escaped(json_escape, cut, 2);
	assert_memory_equal(got, cut, 2);
	assert_int_equal(got[2], '\0');
	free(got);
}

static void json_passes_utf8_through(void **state)
{
	(void)state;
	EXPECT(json_escape, "Caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x8c\xb1",
	       "Caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x8c\xb1");
}

static void json_output_never_holds_raw_markup_or_controls(void **state)
{
	(void)state;
	char all[256];
	for (int c = 0; c < 256; c++)
		all[c] = (char)c;
	char *got = escaped(json_escape, all, sizeof all);
	for (const unsigned char *p = (const unsigned char *)got; *p; p++) {
		assert_true(*p >= 0x20);
		assert_true(*p != '<' && *p != '>' && *p != '&');
		/* Escaped pairs are skipped below, so a quote seen here would end
		 * the JSON string early. */
		assert_true(*p != '"');
		if (*p == '\\') {
			assert_non_null(strchr("\"\\bfnrtu", p[1]));
			p++;
		}
	}
	free(got);
}

static void url_copies_unreserved_and_plus_encodes_space(void **state)
{
	(void)state;
	EXPECT(url_escape, "AZaz09-._~", "AZaz09-._~");
	EXPECT(url_escape, "a b  c", "a+b++c");
	EXPECT(url_escape, "+", "%2B");
	EXPECT(url_escape, "%", "%25");
}

static void url_percent_encodes_reserved_bytes(void **state)
{
	(void)state;
	EXPECT(url_escape, "!*'();:@&=+$,/?#[]",
	       "%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D");
	EXPECT(url_escape, "<\">\\^`{|}", "%3C%22%3E%5C%5E%60%7B%7C%7D");
	EXPECT(url_escape, "\r\n\t\x7f", "%0D%0A%09%7F");
	EXPECT(url_escape, "caf\xc3\xa9", "caf%C3%A9");
	EXPECT(url_escape, "\xff", "%FF");
	assert_escapes_to(url_escape, "a\0b", 3, "a%00b");
	assert_escapes_to(url_escape, "\0", 1, "%00");
}

static bool unreserved(int c)
{
	return c && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", c);
}

static int hex_value(char c)
{
	const char *digits = "0123456789ABCDEF";
	const char *p = strchr(digits, c);
	assert_true(p && c);
	return (int)(p - digits);
}

static void url_round_trips_every_byte(void **state)
{
	(void)state;
	char all[256];
	for (int c = 0; c < 256; c++)
		all[c] = (char)(255 - c);
	char *got = escaped(url_escape, all, sizeof all);
	size_t n = 0;
	for (const char *p = got; *p; p++) {
		int c;
		if (*p == '+') {
			c = ' ';
		} else if (*p == '%') {
			c = hex_value(p[1]) * 16 + hex_value(p[2]);
			p += 2;
			/* Only bytes that need it are encoded. */
			assert_false(unreserved(c) || c == ' ');
		} else {
			c = (unsigned char)*p;
			assert_true(unreserved(c));
		}
		assert_true(n < sizeof all);
		assert_int_equal(c, (unsigned char)all[n]);
		n++;
	}
	assert_int_equal(n, sizeof all);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(html_escapes_the_five_special_characters),
	    cmocka_unit_test(html_copies_every_other_byte_unchanged),
	    cmocka_unit_test(html_passes_utf8_through),
	    cmocka_unit_test(html_appends_and_counts_embedded_nul),
	    cmocka_unit_test(escapers_fail_at_the_buffer_limit),
	    cmocka_unit_test(json_escapes_quotes_backslash_and_controls),
	    cmocka_unit_test(json_cannot_close_a_script_element),
	    cmocka_unit_test(json_escapes_line_and_paragraph_separators),
	    cmocka_unit_test(json_passes_utf8_through),
	    cmocka_unit_test(json_output_never_holds_raw_markup_or_controls),
	    cmocka_unit_test(url_copies_unreserved_and_plus_encodes_space),
	    cmocka_unit_test(url_percent_encodes_reserved_bytes),
	    cmocka_unit_test(url_round_trips_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
