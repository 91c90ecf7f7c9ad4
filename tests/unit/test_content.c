/* content_source (Markdown files), build-content's output read by content. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content.h"
#include "content_source.h"

static bool parse(const char *text, struct content_source *src, char *err)
{
	return content_source_parse(text, strlen(text), src, err, 256);
}

static void a_page_parses_and_renders(void **state)
{
	(void)state;
	struct content_source src;
	char err[256];
	assert_true(parse("title: Hello & welcome\nkind: page\npath: /about-us\nsummary: Short\n"
	                  "order: 3\n---\n# Heading\n\nSome *text* here.\n",
	                  &src, err));
	assert_string_equal(src.title, "Hello & welcome");
	assert_string_equal(src.kind, "page");
	assert_string_equal(src.path, "/about-us");
	assert_int_equal(src.order, 3);
	assert_non_null(strstr(src.body_html, "<em>text</em>"));
	assert_string_equal(src.body_text, "Heading Some text here.");
	content_source_free(&src);
}

static void raw_html_in_markdown_never_reaches_the_page(void **state)
{
	(void)state;
	struct content_source src;
	char err[256];
	assert_true(parse("title: T\nkind: page\npath: /t\nsummary: S\n---\n"
	                  "<script>alert(1)</script>\n\n"
	                  "Text <img src=x onerror=alert(1)> and [link](javascript:alert(1))\n",
	                  &src, err));
	assert_null(strstr(src.body_html, "<script"));
	assert_null(strstr(src.body_html, "<img"));
	assert_null(strstr(src.body_html, "javascript:"));
	content_source_free(&src);
}

static void bad_headers_are_refused_with_a_line_number(void **state)
{
	(void)state;
	struct {
		const char *text;
		const char *expect;
	} cases[] = {
	    {"title: T\nkind: page\npath: /t\n", "no '---'"},
	    {"title: T\nkind: poem\npath: /t\n---\n", "kind must be"},
	    {"kind: page\npath: /t\n---\n", "no title"},
	    {"title: T\ntitle: U\nkind: page\npath: /t\n---\n", "line 2"},
	    {"title: T\ncolour: red\nkind: page\npath: /t\n---\n", "unknown header"},
	    {"title: T\nkind: page\npath: no-slash\n---\n", "path must"},
	    {"title: T\nkind: page\npath: /Upper\n---\n", "path must"},
	    {"title: T\nkind: faq\nid: Bad Id\n---\n", "id"},
	    {"title: T\nkind: video\nurl: http://insecure.example\n---\n", "https"},
	    {"title: T\nkind: page\npath: /t\norder: many\n---\n", "whole number"},
	    {"just a line\n---\n", "line 1"},
	    {"title: \xff\xfe\nkind: page\npath: /t\n---\n", "UTF-8"},
	    {"title: T\nkind: page\npath: /t\n---\n", "no summary"},
	    {"title: T\nkind: team\npath: /t\nsummary: S\n---\n", "job_title"},
	    {"title: T\nkind: page\npath: /t\nsummary: S\n---\nOne\n\nAt {{nope}}.\n", "line 8"},
	    {"title: T\nkind: page\npath: /t\nsummary: S\n---\nAt {{clinic_name.\n", "line 6"},
	    {"title: T\nkind: faq\nid: t\n---\nCall {{clinic_phone}}.\n", "only pages"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct content_source src;
		char err[256] = "";
		assert_false(parse(cases[i].text, &src, err));
		if (!strstr(err, cases[i].expect))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err, cases[i].expect);
	}
}

/* build-content checks every link, and names the line it is on. */
static void links_are_kept_with_their_lines(void **state)
{
	(void)state;
	struct content_source src;
	char err[256];
	assert_true(parse("title: T\nkind: page\npath: /t\nsummary: S\n---\nSee [the FAQ](/faq).\n"
	                  "\n- and [who](/faq#who)\n- ![a picture](/static/x.png)\n",
	                  &src, err));
	assert_int_equal(src.link_count, 3);
	assert_string_equal(src.links[0].href, "/faq");
	assert_int_equal(src.links[0].line, 6);
	assert_string_equal(src.links[1].href, "/faq#who");
	assert_int_equal(src.links[1].line, 8);
	assert_int_equal(src.links[2].line, 9);
	assert_int_equal(src.title_line, 1);
	content_source_free(&src);
}

static void pages_may_name_config_facts(void **state)
{
	(void)state;
	struct content_source src;
	char err[256];
	assert_true(parse("title: T\nkind: page\npath: /t\nsummary: S\n---\n"
	                  "Kept {{retention_days}} days by {{data_controller}}.\n",
	                  &src, err));
	assert_non_null(strstr(src.body_html, "{{retention_days}}"));
	content_source_free(&src);
}

static void faq_and_video_need_no_path(void **state)
{
	(void)state;
	struct content_source src;
	char err[256];
	assert_true(parse("title: How long?\nkind: faq\nid: how-long\n---\nA while.\n", &src, err));
	assert_null(src.path);
	assert_string_equal(src.id, "how-long");
	content_source_free(&src);
	assert_true(
	    parse("title: A talk\nkind: video\nurl: https://videos.example/1\n---\n", &src, err));
	content_source_free(&src);
}

static void match_expressions_quote_every_word(void **state)
{
	(void)state;
	struct {
		const char *query;
		const char *expect; /* NULL: nothing to search */
	} cases[] = {
	    {"depression", "\"depression\"*"},
	    {"  how LONG? ", "\"how\"* OR \"LONG\"*"},
	    {"\"NEAR(a b)\" OR x*", "\"NEAR\"* OR \"a\"* OR \"b\"* OR \"OR\"* OR \"x\"*"},
	    {"été", "\"été\"*"},
	    {"\"\"\"", NULL},
	    {"", NULL},
	    {"a b c d e f g h i j k", "\"a\"* OR \"b\"* OR \"c\"* OR \"d\"* OR \"e\"* OR \"f\"* "
	                              "OR \"g\"* OR \"h\"*"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf out;
		buf_init(&out, 4096);
		bool ok = content_match_expression(cases[i].query, &out);
		if (cases[i].expect) {
			assert_true(ok);
			assert_string_equal(out.data, cases[i].expect);
		} else {
			assert_false(ok);
		}
		buf_free(&out);
	}
}

static void long_words_are_cut_on_a_character_boundary(void **state)
{
	(void)state;
	char query[200] = "";
	for (int i = 0; i < 63; i++)
		strcat(query, "a");
	strcat(query, "\xc3\xa9\xc3\xa9"); /* bytes 64-67: é é */
	struct buf out;
	buf_init(&out, 4096);
	assert_true(content_match_expression(query, &out));
	/* 63 a's, then the é that would straddle byte 64 is dropped whole. */
	assert_int_equal(out.len, 1 + 63 + 2);
	buf_free(&out);
}

/* Builds a small site with the real build-content tool and reads it back. */
static char site_dir[64], db_path[128];

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int build_site(void **state)
{
	(void)state;
	snprintf(site_dir, sizeof site_dir, "/tmp/clinic-content-XXXXXX");
	if (!mkdtemp(site_dir))
		return -1;
	char dir[128];
	snprintf(dir, sizeof dir, "%s/content", site_dir);
	mkdir(dir, 0755);
	write_file(dir, "home.md",
	           "title: Home\nkind: home\npath: /\nsummary: The home page\n---\nWelcome.\n");
	write_file(dir, "b.md",
	           "title: Sessions\nkind: faq\nid: sessions\norder: 2\n---\n"
	           "Therapy usually takes sixteen weekly sessions.\n");
	write_file(dir, "a.md",
	           "title: Who is it for?\nkind: faq\nid: who\norder: 1\n---\n"
	           "People living with depression or anxiety.\n");
	snprintf(dir, sizeof dir, "%s/templates", site_dir);
	mkdir(dir, 0755);
	write_file(dir, "page.html", "<h1>{{title}}</h1>{{{body}}}");
	snprintf(db_path, sizeof db_path, "%s/content.db", site_dir);
	char command[512];
	snprintf(command, sizeof command, "tools/build-content %s %s >/dev/null", site_dir,
	         db_path);
	return system(command) == 0 ? 0 : -1;
}

static int remove_site(void **state)
{
	(void)state;
	char command[256];
	snprintf(command, sizeof command, "rm -rf %s", site_dir);
	return system(command) == 0 ? 0 : -1;
}

static void count_hit(void *arg, const struct content_hit *hit)
{
	int *n = arg;
	if (strcmp(hit->anchor, "who") == 0) {
		assert_string_equal(hit->question, "Who is it for?");
		assert_non_null(strstr(hit->snippet, "\x01"
		                                     "depression\x02"));
	}
	(*n)++;
}

static void the_built_database_reads_back(void **state)
{
	(void)state;
	char err[256];
	struct content *c = content_open(db_path, err, sizeof err);
	assert_non_null(c);
	const struct content_page *home = content_find(c, "/");
	assert_non_null(home);
	assert_string_equal(home->title, "Home");
	const struct content_page *faqs[8];
	assert_int_equal(content_list(c, "faq", faqs, 8), 2);
	assert_string_equal(faqs[0]->anchor, "who"); /* by order, not file name */
	size_t len;
	assert_non_null(content_template(c, "page", &len));
	assert_null(content_template(c, "missing", &len));
	int hits = 0;
	assert_int_equal(content_search(c, "depress", 10, count_hit, &hits), 1);
	hits = 0;
	assert_int_equal(content_search(c, "weekly OR depression", 10, count_hit, &hits), 2);
	assert_int_equal(content_search(c, "\"NEAR(", 10, count_hit, &hits), 0);
	assert_int_equal(content_search(c, "zzzz", 10, count_hit, &hits), 0);
	assert_false(content_stale(c));
	content_close(c);
}

static void a_rebuild_is_noticed(void **state)
{
	(void)state;
	char err[256];
	struct content *c = content_open(db_path, err, sizeof err);
	assert_non_null(c);
	char command[512];
	snprintf(command, sizeof command, "tools/build-content %s %s >/dev/null", site_dir,
	         db_path);
	assert_int_equal(system(command), 0);
	assert_true(content_stale(c));
	content_close(c);
}

/* The sitemap's lastmod: a page keeps its time while its source stays the
 * same, and a changed page gets the new build's. */
static void an_unchanged_page_keeps_its_modified_time(void **state)
{
	(void)state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE pages SET modified = 1000", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	char dir[128];
	snprintf(dir, sizeof dir, "%s/content", site_dir);
	write_file(dir, "b.md",
	           "title: Sessions\nkind: faq\nid: sessions\norder: 2\n---\n"
	           "Therapy usually takes sixteen weekly sessions, sometimes more.\n");
	char command[512];
	snprintf(command, sizeof command, "tools/build-content %s %s >/dev/null", site_dir,
	         db_path);
	assert_int_equal(system(command), 0);
	char err[256];
	struct content *c = content_open(db_path, err, sizeof err);
	assert_non_null(c);
	assert_int_equal(content_find(c, "/")->modified, 1000);
	const struct content_page *faqs[8];
	assert_int_equal(content_list(c, "faq", faqs, 8), 2);
	assert_int_equal(faqs[0]->modified, 1000);             /* who: unchanged */
	assert_true(faqs[1]->modified >= content_built_at(c)); /* sessions: changed */
	content_close(c);
}

static void a_missing_database_is_explained(void **state)
{
	(void)state;
	char err[256];
	assert_null(content_open("/nonexistent/content.db", err, sizeof err));
	assert_non_null(strstr(err, "build-content"));
}

/* What pages.fcgi searches for, from the query string it was given. */
static void search_words_come_from_the_q_field(void **state)
{
	(void)state;
	struct {
		const char *query;
		size_t max_query;
		const char *expect; /* NULL: no search */
		bool searched;
	} cases[] = {
	    {"", 1024, NULL, false},
	    {"page=2", 1024, NULL, false},
	    {"q=how+long%3F", 1024, "how long?", true},
	    {"x=1&q=%C3%A9t%C3%A9", 1024, "\xc3\xa9t\xc3\xa9", true},
	    {"q=", 1024, "", true},
	    {"q=%zz", 1024, "", true},      /* bad encoding: no match, not an error */
	    {"q=%ff", 1024, "", true},      /* not UTF-8 */
	    {"q=a%00b", 1024, "", true},    /* a NUL */
	    {"q=abcdefgh", 5, "abc", true}, /* only max_query bytes are read */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool searched = !cases[i].searched;
		char *words = content_search_words(cases[i].query, cases[i].max_query, &searched);
		if (cases[i].expect)
			assert_string_equal(words, cases[i].expect);
		else
			assert_null(words);
		assert_int_equal(searched, cases[i].searched);
		free(words);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_page_parses_and_renders),
	    cmocka_unit_test(raw_html_in_markdown_never_reaches_the_page),
	    cmocka_unit_test(bad_headers_are_refused_with_a_line_number),
	    cmocka_unit_test(links_are_kept_with_their_lines),
	    cmocka_unit_test(pages_may_name_config_facts),
	    cmocka_unit_test(faq_and_video_need_no_path),
	    cmocka_unit_test(search_words_come_from_the_q_field),
	    cmocka_unit_test(match_expressions_quote_every_word),
	    cmocka_unit_test(long_words_are_cut_on_a_character_boundary),
	    cmocka_unit_test(the_built_database_reads_back),
	    cmocka_unit_test(a_rebuild_is_noticed),
	    cmocka_unit_test(an_unchanged_page_keeps_its_modified_time),
	    cmocka_unit_test(a_missing_database_is_explained),
	};
	return cmocka_run_group_tests(tests, build_site, remove_site);
}
