/* template: rendering, escaping, scopes, partials and every kind of error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

#define LIMIT (1 << 20)

/* Partials for the lookup callback: a NULL-terminated table of name, source. */
struct partials {
	const char *const *table;
	int lookups;
};

static const char *find_partial(void *arg, const char *name, size_t *len)
{
	struct partials *p = arg;
	p->lookups++;
	for (const char *const *t = p->table; t && t[0]; t += 2)
		if (strcmp(t[0], name) == 0) {
			*len = strlen(t[1]);
			return t[1];
		}
	return NULL;
}

static char err[256];

/* Renders src and returns the output (caller frees), or NULL with err set. */
static char *render_with(const char *src, const struct tpl_scope *scope, struct partials *p)
{
	struct buf out;
	buf_init(&out, LIMIT);
	memset(err, 'x', sizeof err);
	bool ok = tpl_render(src, strlen(src), scope, find_partial, p, &out, err, sizeof err);
	if (!ok) {
		/* A reason is always given, and it is one line. */
		assert_non_null(memchr(err, '\0', sizeof err));
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
		buf_free(&out);
		return NULL;
	}
	char *text = strdup(out.data ? out.data : "");
	assert_non_null(text);
	buf_free(&out);
	return text;
}

static char *render(const char *src, const struct tpl_scope *scope)
{
	struct partials none = {NULL, 0};
	return render_with(src, scope, &none);
}

static void assert_renders(const char *src, const struct tpl_scope *scope, const char *want)
{
	char *got = render(src, scope);
	if (!got)
		fail_msg("'%s' failed: %s", src, err);
	assert_string_equal(got, want);
	free(got);
}

/* Asserts that src is rejected, by both render and check, with a reason
 * containing what. */
static void assert_rejected(const char *src, const char *what)
{
	struct tpl_scope *scope = tpl_scope_new();
	assert_non_null(scope);
	assert_true(tpl_set_flag(scope, "a", true));
	char *got = render(src, scope);
	if (got)
		fail_msg("'%s' rendered as '%s'", src, got);
	if (!strstr(err, what))
		fail_msg("'%s': reason '%s' does not mention '%s'", src, err, what);
	assert_false(tpl_check(src, strlen(src), err, sizeof err));
	assert_non_null(strstr(err, what));
	tpl_scope_free(scope);
}

static void variables_are_substituted(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set(s, "name", "Ada"));
	assert_true(tpl_set(s, "a.b-c_1", "dotted"));
	assert_true(tpl_set_n(s, "short", "truncated", 5));
	assert_renders("Hello, {{name}}!", s, "Hello, Ada!");
	assert_renders("{{ name }}|{{\tname\n}}|{{name}}{{name}}", s, "Ada|Ada|AdaAda");
	assert_renders("{{a.b-c_1}} {{short}}", s, "dotted trunc");
	assert_renders("[{{unknown}}]", s, "[]");
	assert_renders("no tags at all { } }} {", s, "no tags at all { } }} {");
	assert_renders("", s, "");
	assert_true(tpl_set(s, "name", "Grace"));
	assert_renders("{{name}}", s, "Grace");
	/* A value is text, never template: its braces are not expanded. */
	assert_true(tpl_set(s, "name", "{{short}}{{>x}}"));
	assert_renders("{{name}}", s, "{{short}}{{&gt;x}}");
	tpl_scope_free(s);
}

static void flags_and_lists_render_no_text(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set_flag(s, "on", true));
	assert_non_null(tpl_add_item(s, "list"));
	assert_renders("[{{on}}{{list}}{{{on}}}]", s, "[]");
	tpl_scope_free(s);
}

static void text_is_escaped(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set(s, "v", "<script>alert(\"x\" & 'y')</script>"));
	const char *want = "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;";
	assert_renders("{{v}}", s, want);
	/* Triple braces do not unescape plain text. */
	assert_renders("{{{v}}}", s, want);
	assert_renders("{{{ v }}}", s, want);
	tpl_scope_free(s);
}

static void html_values_are_raw_only_in_triple_braces(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set_html(s, "body", "<p>a &amp; b</p>"));
	assert_renders("{{{body}}}", s, "<p>a &amp; b</p>");
	assert_renders("{{body}}", s, "&lt;p&gt;a &amp;amp; b&lt;/p&gt;");
	/* Set again as text, the same name loses its trust. */
	assert_true(tpl_set(s, "body", "<p>"));
	assert_renders("{{{body}}}", s, "&lt;p&gt;");
	tpl_scope_free(s);
}

static void sections_follow_flags_and_values(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set_flag(s, "yes", true));
	assert_true(tpl_set_flag(s, "no", false));
	assert_true(tpl_set(s, "text", "t"));
	assert_true(tpl_set(s, "empty", ""));
	assert_true(tpl_set_html(s, "html", "<b>"));
	const char *src = "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{#text}}T{{text}}{{/text}}"
	                  "{{#empty}}E{{/empty}}{{#missing}}M{{/missing}}{{#html}}H{{/html}}";
	assert_renders(src, s, "YTtH");
	/* A flag turned off again hides its section. */
	assert_true(tpl_set_flag(s, "yes", false));
	assert_renders("{{#yes}}Y{{/yes}}", s, "");
	tpl_scope_free(s);
}

static void inverted_sections_show_what_is_absent(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set_flag(s, "yes", true));
	assert_true(tpl_set_flag(s, "no", false));
	assert_true(tpl_set(s, "text", "t"));
	assert_true(tpl_set(s, "empty", ""));
	assert_non_null(tpl_add_item(s, "list"));
	const char *src = "{{^yes}}1{{/yes}}{{^no}}2{{/no}}{{^text}}3{{/text}}"
	                  "{{^empty}}4{{/empty}}{{^missing}}5{{/missing}}{{^list}}6{{/list}}";
	assert_renders(src, s, "245");
	/* Inside an inverted section the scope is unchanged. */
	assert_renders("{{^no}}{{text}}{{/no}}", s, "t");
	tpl_scope_free(s);
}

static void lists_render_once_per_item(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	const char *names[] = {"a", "<b>", "c"};
	for (size_t i = 0; i < 3; i++) {
		struct tpl_scope *item = tpl_add_item(s, "items");
		assert_non_null(item);
		assert_true(tpl_set(item, "name", names[i]));
	}
	assert_renders("<ul>{{#items}}<li>{{name}}</li>{{/items}}</ul>", s,
	               "<ul><li>a</li><li>&lt;b&gt;</li><li>c</li></ul>");
	/* An item with nothing in it still renders once. */
	assert_non_null(tpl_add_item(s, "blank"));
	assert_renders("{{#blank}}[{{name}}]{{/blank}}", s, "[]");
	/* A list never created is like an empty one. */
	assert_renders("{{#none}}x{{/none}}{{^none}}empty{{/none}}", s, "empty");
	tpl_scope_free(s);
}

static void list_items_see_outer_names(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set(s, "site", "S"));
	assert_true(tpl_set(s, "label", "outer"));
	for (int i = 0; i < 2; i++) {
		struct tpl_scope *group = tpl_add_item(s, "groups");
		assert_non_null(group);
		assert_true(tpl_set(group, "g", i ? "G2" : "G1"));
		for (int j = 0; j < 2; j++) {
			struct tpl_scope *entry = tpl_add_item(group, "entries");
			assert_non_null(entry);
			assert_true(tpl_set(entry, "e", j ? "e2" : "e1"));
		}
	}
	struct tpl_scope *tag = tpl_add_item(s, "tags");
	assert_non_null(tag);
	assert_true(tpl_set(tag, "t", "x"));
	assert_renders("{{#groups}}({{#entries}}{{site}}{{g}}{{e}} {{/entries}}){{/groups}}", s,
	               "(SG1e1 SG1e2 )(SG2e1 SG2e2 )");
	/* A list found further out still sees the scope it was entered from. */
	assert_renders("{{#groups}}{{#tags}}{{g}}{{t}}{{label}};{{/tags}}{{/groups}}", s,
	               "G1xouter;G2xouter;");
	/* The innermost scope wins. */
	struct tpl_scope *shadow = tpl_add_item(s, "shadow");
	assert_non_null(shadow);
	assert_true(tpl_set(shadow, "label", "inner"));
	assert_renders("{{label}}{{#shadow}}{{label}}{{/shadow}}{{label}}", s, "outerinnerouter");
	/* Outside the section, item names are gone. */
	assert_renders("{{#groups}}{{/groups}}[{{g}}]", s, "[]");
	tpl_scope_free(s);
}

static void values_can_be_replaced_by_other_kinds(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set(s, "x", "text"));
	struct tpl_scope *item = tpl_add_item(s, "x");
	assert_non_null(item);
	assert_true(tpl_set(item, "y", "1"));
	assert_non_null(tpl_add_item(s, "x"));
	assert_renders("{{x}}{{#x}}<{{y}}>{{/x}}", s, "<1><>");
	assert_true(tpl_set_flag(s, "x", true));
	assert_renders("{{#x}}[{{y}}]{{/x}}", s, "[]");
	assert_true(tpl_set(s, "x", "again"));
	assert_renders("{{x}}", s, "again");
	tpl_scope_free(s);
}

static void many_names_in_one_scope(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	char name[16], value[16];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "n%d", i);
		snprintf(value, sizeof value, "v%d", i);
		assert_true(tpl_set(s, name, value));
	}
	assert_renders("{{n0}} {{n511}} {{n999}} {{n1000}}", s, "v0 v511 v999 ");
	tpl_scope_free(s);
}

static void output_is_appended_and_bounded(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	for (int i = 0; i < 1000; i++)
		assert_non_null(tpl_add_item(s, "rows"));
	struct buf out;
	buf_init(&out, 100);
	assert_true(buf_puts(&out, "head:"));
	const char *src = "{{#rows}}0123456789{{/rows}}";
	assert_false(tpl_render(src, strlen(src), s, NULL, NULL, &out, err, sizeof err));
	assert_true(out.failed);
	assert_non_null(strstr(err, "size limit"));
	assert_memory_equal(out.data, "head:0123456789", 15);
	/* A buffer that has already failed is refused at once. */
	assert_false(tpl_render("x", 1, s, NULL, NULL, &out, err, sizeof err));
	buf_reset(&out);
	src = "a{{#rows}}{{/rows}}b";
	assert_true(tpl_render(src, strlen(src), s, NULL, NULL, &out, err, sizeof err));
	assert_string_equal(out.data, "ab");
	buf_free(&out);
	tpl_scope_free(s);
}

static void a_null_scope_renders_no_names(void **state)
{
	(void)state;
	assert_renders("a{{x}}{{#x}}b{{/x}}{{^x}}c{{/x}}", NULL, "ac");
}

static void comments_render_nothing(void **state)
{
	(void)state;
	assert_renders("a{{! a comment with {{braces}, # and / }}b", NULL, "ab");
	assert_renders("{{!}}{{ ! spaced }}x", NULL, "x");
	assert_renders("{{#a}}{{!{{/a}}}}{{/a}}y", NULL, "y");
}

static void partials_render_in_the_same_scope(void **state)
{
	(void)state;
	const char *const table[] = {
	    "head", "<h1>{{title}}</h1>", "row", "<li>{{name}}@{{title}}</li>",
	    "nest", "[{{>head}}]",        NULL};
	struct partials p = {table, 0};
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set(s, "title", "T&C"));
	for (int i = 0; i < 2; i++) {
		struct tpl_scope *item = tpl_add_item(s, "rows");
		assert_non_null(item);
		assert_true(tpl_set(item, "name", i ? "b" : "a"));
	}
	char *got = render_with("{{> head }}<ul>{{#rows}}{{>row}}{{/rows}}</ul>{{>nest}}", s, &p);
	assert_non_null(got);
	assert_string_equal(got, "<h1>T&amp;C</h1><ul><li>a@T&amp;C</li><li>b@T&amp;C</li></ul>"
	                         "[<h1>T&amp;C</h1>]");
	free(got);
	/* A partial in a hidden section is not even fetched. */
	p.lookups = 0;
	got = render_with("{{#missing}}{{>head}}{{>nowhere}}{{/missing}}", s, &p);
	assert_non_null(got);
	assert_int_equal(p.lookups, 0);
	free(got);
	tpl_scope_free(s);
}

static void missing_partials_are_errors(void **state)
{
	(void)state;
	const char *const table[] = {"outer", "a\n{{>inner}}", NULL};
	struct partials p = {table, 0};
	assert_null(render_with("x{{>nowhere}}", NULL, &p));
	assert_non_null(strstr(err, "nowhere"));
	/* The error names the partial it happened in. */
	assert_null(render_with("\n{{>outer}}", NULL, &p));
	assert_non_null(strstr(err, "outer"));
	assert_non_null(strstr(err, "inner"));
	assert_non_null(strstr(err, "line 2"));
	/* No lookup callback at all. */
	struct buf out;
	buf_init(&out, LIMIT);
	assert_false(tpl_render("{{>x}}", 6, NULL, NULL, NULL, &out, err, sizeof err));
	assert_non_null(strstr(err, "'x'"));
	buf_free(&out);
}

static void partial_recursion_is_limited(void **state)
{
	(void)state;
	const char *const self[] = {"loop", "again {{>loop}}", NULL};
	struct partials p = {self, 0};
	assert_null(render_with("{{>loop}}", NULL, &p));
	assert_non_null(strstr(err, "deeper than 8"));
	assert_true(p.lookups <= 9);

	const char *const pair[] = {"ping", "{{>pong}}", "pong", "{{>ping}}", NULL};
	struct partials q = {pair, 0};
	assert_null(render_with("{{>ping}}", NULL, &q));
	assert_non_null(strstr(err, "deeper than 8"));

	/* A chain exactly 8 deep is fine; 9 is not. */
	const char *const chain[] = {"p1",       "1{{>p2}}", "p2",       "2{{>p3}}", "p3",
	                             "3{{>p4}}", "p4",       "4{{>p5}}", "p5",       "5{{>p6}}",
	                             "p6",       "6{{>p7}}", "p7",       "7{{>p8}}", "p8",
	                             "8{{>p9}}", "p9",       "9",        NULL};
	struct partials r = {chain, 0};
	char *got = render_with("{{>p2}}", NULL, &r);
	assert_non_null(got);
	assert_string_equal(got, "23456789");
	free(got);
	assert_null(render_with("{{>p1}}", NULL, &r));
	assert_non_null(strstr(err, "deeper than 8"));
}

static void unclosed_and_mismatched_sections_are_errors(void **state)
{
	(void)state;
	assert_rejected("{{#a}}never closed", "never closed");
	assert_rejected("{{^a}}never closed", "never closed");
	assert_rejected("{{#a}}{{#b}}{{/b}}", "{{#a}} is never closed");
	assert_rejected("{{#a}}{{/b}}", "{{/b}} does not close {{#a}}");
	assert_rejected("{{#a}}{{#b}}{{/a}}{{/b}}", "does not close {{#b}}");
	assert_rejected("{{/a}}", "closes no section");
	assert_rejected("{{#a}}{{/a}}{{/a}}", "closes no section");
	/* Mistakes inside a hidden section are found too. */
	assert_rejected("{{#missing}}{{#b}}{{/missing}}", "does not close");
	assert_rejected("{{^a}}{{&x}}{{/a}}", "unknown tag form");
	/* The reason says where. */
	assert_rejected("one\ntwo\n{{#a}}\n", "line 3");
	assert_rejected("{{#a}}\n\n{{/b}}", "line 3");
}

static void unknown_tag_forms_are_errors(void **state)
{
	(void)state;
	const char *bad[] = {
	    "{{&name}}", "{{=<% %>=}}", "{{}}",      "{{ }}",        "{{a b}}", "{{a!}}",
	    "{{#}}",     "{{/}}",       "{{>}}",     "{{{a}}",       "{{{}}}",  "{{ {a}}}",
	    "{{#a b}}",  "{{<a}}",      "{{a\x01}}", "{{\xc3\xa9}}", "{{a}",    "x{{",
	    "{{a",       "{{{a",        "{{!never",  "{{#a}}{{!",    "{{a}}{{", "{{ {{a}} }}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_null(render(bad[i], NULL));
		assert_false(tpl_check(bad[i], strlen(bad[i]), err, sizeof err));
		assert_true(strlen(err) > 0);
	}
	assert_rejected("{{&name}}", "unknown tag form: '&'");
	assert_rejected("{{a b}}", "'b' where }} should be");
	assert_rejected("{{a\x01}}", "byte 0x01");
	assert_rejected("{{!never", "comment is never closed");
	assert_rejected("{{a", "never closed");
}

static void tag_whitespace_and_newlines_are_allowed(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set_flag(s, "a", true));
	assert_true(tpl_set(s, "v", "V"));
	assert_renders("{{ #a }}{{\n\tv\n}}{{ / a }}{{# a}}!{{/a }}{{ ^ a}}no{{/a}}", s, "V!");
	tpl_scope_free(s);
}

static void nesting_is_limited_to_32(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set_flag(s, "a", true));
	for (int depth = 31; depth <= 33; depth++) {
		struct buf src;
		buf_init(&src, LIMIT);
		for (int i = 0; i < depth; i++)
			assert_true(buf_puts(&src, i % 2 ? "{{^missing}}" : "{{#a}}"));
		assert_true(buf_puts(&src, "deep"));
		for (int i = depth - 1; i >= 0; i--)
			assert_true(buf_puts(&src, i % 2 ? "{{/missing}}" : "{{/a}}"));
		char *got = render(src.data, s);
		bool checked = tpl_check(src.data, src.len, err, sizeof err);
		if (depth <= 32) {
			assert_non_null(got);
			assert_string_equal(got, "deep");
			assert_true(checked);
		} else {
			assert_null(got);
			assert_false(checked);
			assert_non_null(strstr(err, "deeper than 32"));
		}
		free(got);
		buf_free(&src);
	}
	tpl_scope_free(s);
}

static void hostile_templates_fail_cleanly(void **state)
{
	(void)state;
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_true(tpl_set_flag(s, "a", true));
	const char *units[] = {"{{#a}}", "{{^a}}", "{{#b}}", "{{", "{{{", "{{>a}}", "}}"};
	const char *const self[] = {"a", "{{#a}}{{>a}}{{/a}}", NULL};
	for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
		struct buf src;
		buf_init(&src, LIMIT);
		for (int i = 0; i < 10000; i++)
			assert_true(buf_puts(&src, units[u]));
		struct partials p = {self, 0};
		char *got = render_with(src.data, s, &p);
		bool checked = tpl_check(src.data, src.len, err, sizeof err);
		if (strcmp(units[u], "}}") == 0) {
			/* Stray closing braces are just text. */
			assert_non_null(got);
			assert_true(checked);
		} else if (strcmp(units[u], "{{>a}}") == 0) {
			/* Syntactically fine; only rendering meets the recursion. */
			assert_null(got);
			assert_true(checked);
		} else {
			assert_null(got);
			assert_false(checked);
		}
		free(got);
		buf_free(&src);
	}
	tpl_scope_free(s);
}

/* Random templates from a small alphabet of template fragments: nothing may
 * crash, and without partials tpl_check must agree exactly with tpl_render,
 * because syntax is checked even in sections that are not shown. */
static void random_templates_agree_with_check(void **state)
{
	(void)state;
	const char *pieces[] = {"{{", "}}",     "{",      "}",      "#",      "^",
	                        "/",  "!",      "a",      "b",      " ",      "\n",
	                        "x",  "{{#a}}", "{{/a}}", "{{^b}}", "{{/b}}", "{{a}}"};
	const size_t npieces = sizeof pieces / sizeof pieces[0];
	struct tpl_scope *s = tpl_scope_new();
	assert_non_null(s);
	assert_non_null(tpl_add_item(s, "a"));
	assert_non_null(tpl_add_item(s, "a"));
	unsigned seed = 12345;
	int rendered = 0;
	for (int round = 0; round < 20000; round++) {
		char src[256] = "";
		size_t len = 0;
		int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
		for (int i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			const char *piece = pieces[(seed >> 16) % npieces];
			size_t plen = strlen(piece);
			memcpy(src + len, piece, plen + 1);
			len += plen;
		}
		char *got = render(src, s);
		bool checked = tpl_check(src, len, err, sizeof err);
		if ((got != NULL) != checked)
			fail_msg("render and check disagree on '%s'", src);
		rendered += got != NULL;
		free(got);
	}
	/* The alphabet makes both outcomes common, so the comparison means something. */
	assert_true(rendered > 1000 && rendered < 19000);
	tpl_scope_free(s);
}

static void check_does_not_follow_partials(void **state)
{
	(void)state;
	const char *ok = "{{#a}}{{>anything}}{{/a}}{{{raw}}}{{! note }}{{^b}}{{c}}{{/b}}";
	err[0] = 'x';
	assert_true(tpl_check(ok, strlen(ok), err, sizeof err));
	assert_string_equal(err, "");
	assert_true(tpl_check("", 0, err, sizeof err));
	/* A length shorter than the string is honoured. */
	assert_false(tpl_check("{{a}}", 4, err, sizeof err));
	assert_true(tpl_check("{{a}}{{", 5, err, sizeof err));
}

static void tiny_error_buffers_are_respected(void **state)
{
	(void)state;
	char small[8];
	memset(small, 'x', sizeof small);
	assert_false(tpl_check("{{#a}}", 6, small, sizeof small));
	assert_non_null(memchr(small, '\0', sizeof small));
	assert_false(tpl_check("{{#a}}", 6, NULL, 0));
	struct buf out;
	buf_init(&out, LIMIT);
	assert_false(tpl_render("{{>p}}", 6, NULL, NULL, NULL, &out, NULL, 0));
	assert_false(tpl_render("{{/p}}", 6, NULL, NULL, NULL, &out, small, 1));
	assert_int_equal(small[0], '\0');
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(variables_are_substituted),
	    cmocka_unit_test(flags_and_lists_render_no_text),
	    cmocka_unit_test(text_is_escaped),
	    cmocka_unit_test(html_values_are_raw_only_in_triple_braces),
	    cmocka_unit_test(sections_follow_flags_and_values),
	    cmocka_unit_test(inverted_sections_show_what_is_absent),
	    cmocka_unit_test(lists_render_once_per_item),
	    cmocka_unit_test(list_items_see_outer_names),
	    cmocka_unit_test(values_can_be_replaced_by_other_kinds),
	    cmocka_unit_test(many_names_in_one_scope),
	    cmocka_unit_test(output_is_appended_and_bounded),
	    cmocka_unit_test(a_null_scope_renders_no_names),
	    cmocka_unit_test(comments_render_nothing),
	    cmocka_unit_test(partials_render_in_the_same_scope),
	    cmocka_unit_test(missing_partials_are_errors),
	    cmocka_unit_test(partial_recursion_is_limited),
	    cmocka_unit_test(unclosed_and_mismatched_sections_are_errors),
	    cmocka_unit_test(unknown_tag_forms_are_errors),
	    cmocka_unit_test(tag_whitespace_and_newlines_are_allowed),
	    cmocka_unit_test(nesting_is_limited_to_32),
	    cmocka_unit_test(hostile_templates_fail_cleanly),
	    cmocka_unit_test(random_templates_agree_with_check),
	    cmocka_unit_test(check_does_not_follow_partials),
	    cmocka_unit_test(tiny_error_buffers_are_respected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
