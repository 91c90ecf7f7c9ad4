#include "content.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "urlencoded.h"
#include "utf8.h"

#define MAX_PAGES 1024
#define MAX_TEMPLATES 128
#define MAX_WORDS 8
#define MAX_WORD_BYTES 64

struct template_entry {
	char *name;
	char *source;
	size_t len;
};

struct content {
	char *path;
	sqlite3 *db;
	sqlite3_stmt *search;
	dev_t dev;
	ino_t ino;
	time_t built_at;
	char build_id[40];
	struct content_page pages[MAX_PAGES];
	size_t page_count;
	struct template_entry templates[MAX_TEMPLATES];
	size_t template_count;
};

/* A copy of a text column, or NULL (for SQL NULL or out of memory). */
static char *copy_column(sqlite3_stmt *stmt, int col)
{
	const unsigned char *text = sqlite3_column_text(stmt, col);
	if (!text)
		return NULL;
	return strdup((const char *)text);
}

/* Reads every page into c, in the order content_list gives them; false with why in err. */
static bool load_pages(struct content *c, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(c->db,
	                       "SELECT path, kind, title, summary, anchor, url, body_html, sort, "
	                       "job_title, modified FROM pages ORDER BY kind, sort, title",
	                       -1, &stmt, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "the content database is not one we built: %s",
		         sqlite3_errmsg(c->db));
		return false;
	}
	bool ok = true;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (c->page_count == MAX_PAGES) {
			snprintf(err, errlen, "the content has more than %d pages", MAX_PAGES);
			ok = false;
			break;
		}
		struct content_page *p = &c->pages[c->page_count++];
		p->path = copy_column(stmt, 0);
		p->kind = copy_column(stmt, 1);
		p->title = copy_column(stmt, 2);
		p->summary = copy_column(stmt, 3);
		p->anchor = copy_column(stmt, 4);
		p->url = copy_column(stmt, 5);
		p->body_html = copy_column(stmt, 6);
		p->order = (long)sqlite3_column_int64(stmt, 7);
		p->job_title = copy_column(stmt, 8);
		p->modified = (time_t)sqlite3_column_int64(stmt, 9);
		if (!p->kind || !p->title || !p->body_html) {
			snprintf(err, errlen, "a page in the content database is incomplete");
			ok = false;
			break;
		}
	}
	if (ok && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading pages failed: %s", sqlite3_errmsg(c->db));
		ok = false;
	}
	sqlite3_finalize(stmt);
	return ok;
}

/* Reads every template into c; false with why in err. */
static bool load_templates(struct content *c, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(c->db, "SELECT name, source FROM templates", -1, &stmt, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "the content database has no templates: %s",
		         sqlite3_errmsg(c->db));
		return false;
	}
	bool ok = true;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (c->template_count == MAX_TEMPLATES) {
			snprintf(err, errlen, "more than %d templates", MAX_TEMPLATES);
			ok = false;
			break;
		}
		struct template_entry *t = &c->templates[c->template_count++];
		t->name = copy_column(stmt, 0);
		t->source = copy_column(stmt, 1);
		t->len = t->source ? strlen(t->source) : 0;
		if (!t->name || !t->source) {
			snprintf(err, errlen, "a template in the content database is incomplete");
			ok = false;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return ok;
}

/* Reads the build's time, id and schema version; false with why in err (a schema this program
 * does not read included). */
static bool load_meta(struct content *c, char *err, size_t errlen)
{
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(c->db, "SELECT key, value FROM meta", -1, &stmt, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "the content database has no build record");
		return false;
	}
	long version = 0;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(stmt, 0);
		const char *value = (const char *)sqlite3_column_text(stmt, 1);
		if (!key || !value)
			continue;
		if (strcmp(key, "built_at") == 0)
			c->built_at = (time_t)strtoll(value, NULL, 10);
		else if (strcmp(key, "build_id") == 0)
			snprintf(c->build_id, sizeof c->build_id, "%s", value);
		else if (strcmp(key, "schema") == 0)
			version = strtol(value, NULL, 10);
	}
	sqlite3_finalize(stmt);
	if (version != CONTENT_SCHEMA_VERSION) {
		snprintf(err, errlen,
		         "the content database has schema %ld, this program reads %d: "
		         "rebuild it with tools/build-content",
		         version, CONTENT_SCHEMA_VERSION);
		return false;
	}
	return true;
}

struct content *content_open(const char *path, char *err, size_t errlen)
{
	struct content *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "no content database at %s: run tools/build-content", path);
		free(c);
		return NULL;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->path = strdup(path);
	/* immutable=1: the file is never changed in place (new builds are
	 * renamed over it), so SQLite need not lock or look for a journal. */
	char uri[4200];
	snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
	if (!c->path || sqlite3_open_v2(uri, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	                                NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the content database %s: %s", path,
		         c->db ? sqlite3_errmsg(c->db) : "out of memory");
		content_close(c);
		return NULL;
	}
	/* Sorting for search must never spill to a temporary file: the pages
	 * sandbox kills a worker that opens a file for writing. */
	sqlite3_exec(c->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	if (!load_meta(c, err, errlen) || !load_pages(c, err, errlen) ||
	    !load_templates(c, err, errlen)) {
		content_close(c);
		return NULL;
	}
	if (sqlite3_prepare_v2(c->db,
	                       "SELECT anchor, question, snippet(faq_index, 1, char(1), char(2), "
	                       "'…', 24) FROM faq_index WHERE faq_index MATCH ?1 "
	                       "ORDER BY bm25(faq_index, 3.0, 1.0) LIMIT ?2",
	                       -1, &c->search, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "the content database has no search index: %s",
		         sqlite3_errmsg(c->db));
		content_close(c);
		return NULL;
	}
	return c;
}

void content_close(struct content *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->page_count; i++) {
		struct content_page *p = &c->pages[i];
		free((char *)p->path);
		free((char *)p->kind);
		free((char *)p->title);
		free((char *)p->summary);
		free((char *)p->anchor);
		free((char *)p->url);
		free((char *)p->body_html);
		free((char *)p->job_title);
	}
	for (size_t i = 0; i < c->template_count; i++) {
		free(c->templates[i].name);
		free(c->templates[i].source);
	}
	sqlite3_finalize(c->search);
	sqlite3_close(c->db);
	free(c->path);
	free(c);
}

bool content_stale(const struct content *c)
{
	struct stat st;
	if (stat(c->path, &st) != 0)
		return false; /* mid-swap or removed: keep serving what we have */
	return st.st_ino != c->ino || st.st_dev != c->dev;
}

time_t content_built_at(const struct content *c)
{
	return c->built_at;
}

const char *content_build_id(const struct content *c)
{
	return c->build_id;
}

const struct content_page *content_find(const struct content *c, const char *path)
{
	for (size_t i = 0; i < c->page_count; i++)
		if (c->pages[i].path && strcmp(c->pages[i].path, path) == 0)
			return &c->pages[i];
	return NULL;
}

size_t content_list(const struct content *c, const char *kind, const struct content_page **pages,
                    size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < c->page_count && n < max; i++)
		if (strcmp(c->pages[i].kind, kind) == 0)
			pages[n++] = &c->pages[i];
	return n;
}

const char *content_template(const struct content *c, const char *name, size_t *len)
{
	for (size_t i = 0; i < c->template_count; i++)
		if (strcmp(c->templates[i].name, name) == 0) {
			*len = c->templates[i].len;
			return c->templates[i].source;
		}
	return NULL;
}

/* More fields than a search form has are not a search. */
#define SEARCH_QUERY_FIELDS 16

char *content_search_words(const char *query, size_t max_query, bool *searched)
{
	*searched = false;
	size_t len = strlen(query);
	if (len == 0)
		return NULL;
	if (len > max_query)
		len = max_query;
	struct urlencoded form;
	if (urlencoded_decode(query, len, SEARCH_QUERY_FIELDS, &form) != URLENCODED_OK) {
		*searched = true;
		return strdup("");
	}
	const struct urlencoded_pair *q = urlencoded_find(&form, "q");
	char *words = NULL;
	if (q) {
		*searched = true;
		bool usable =
		    utf8_valid(q->value, q->value_len) && !memchr(q->value, '\0', q->value_len);
		words = strdup(usable ? q->value : "");
	}
	urlencoded_free(&form);
	return words;
}

/* Whether ch belongs to a search word: an ASCII letter or digit, or any byte of a UTF-8
 * sequence. */
static bool is_word_byte(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch >= 0x80;
}

bool content_match_expression(const char *query, struct buf *out)
{
	size_t words = 0;
	const unsigned char *p = (const unsigned char *)query;
	while (*p && words < MAX_WORDS) {
		while (*p && !is_word_byte(*p))
			p++;
		const unsigned char *start = p;
		while (*p && is_word_byte(*p))
			p++;
		size_t n = (size_t)(p - start);
		if (n == 0)
			continue;
		if (n > MAX_WORD_BYTES)
			n = MAX_WORD_BYTES;
		/* Never cut a UTF-8 sequence in half. */
		while (n && (start[n] & 0xC0) == 0x80 && start + n < p)
			n--;
		if (words++)
			buf_puts(out, " OR ");
		buf_putc(out, '"');
		buf_append(out, start, n);
		buf_puts(out, "\"*");
	}
	return words > 0 && !out->failed;
}

int content_search(struct content *c, const char *query, size_t max_hits,
                   void (*fn)(void *arg, const struct content_hit *hit), void *arg)
{
	struct buf expression;
	buf_init(&expression, 4096);
	if (!content_match_expression(query, &expression)) {
		buf_free(&expression);
		return 0;
	}
	sqlite3_reset(c->search);
	sqlite3_bind_text(c->search, 1, expression.data, (int)expression.len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(c->search, 2, (sqlite3_int64)max_hits);
	buf_free(&expression);
	int hits = 0, rc;
	while ((rc = sqlite3_step(c->search)) == SQLITE_ROW) {
		struct content_hit hit = {
		    .anchor = (const char *)sqlite3_column_text(c->search, 0),
		    .question = (const char *)sqlite3_column_text(c->search, 1),
		    .snippet = (const char *)sqlite3_column_text(c->search, 2),
		};
		if (!hit.anchor || !hit.question || !hit.snippet)
			continue;
		fn(arg, &hit);
		hits++;
	}
	if (rc != SQLITE_DONE) {
		log_error("searching the FAQ failed: %s", sqlite3_errmsg(c->db));
		hits = -1;
	}
	sqlite3_reset(c->search);
	return hits;
}
