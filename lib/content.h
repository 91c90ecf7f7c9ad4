/*
 * content: the compiled content database, opened read-only by the programs.
 *
 * tools/build-content writes it (pages, FAQ search index, templates) and
 * swaps it into place with rename(), so a reader always sees a whole build.
 * Everything but search is loaded into memory at open; content_stale()
 * notices a new build by the file's identity, and the caller reopens.
 */
#ifndef CLINIC_CONTENT_H
#define CLINIC_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

#define CONTENT_SCHEMA_VERSION 2

struct content_page {
	const char *path, *kind, *title, *summary, *anchor, *url, *body_html, *job_title;
	long order;
	time_t modified; /* the first build with this page's source as it is now */
};

struct content;

/* Opens and loads the build at path; NULL with the reason in err. */
struct content *content_open(const char *path, char *err, size_t errlen);
void content_close(struct content *c);
/* True when the file at the opened path has been replaced since open. */
bool content_stale(const struct content *c);
/* When the build was made; used for Last-Modified and to tell builds apart. */
time_t content_built_at(const struct content *c);
/* A short text that differs between builds (for ETags). */
const char *content_build_id(const struct content *c);

/* The page served at path ("/team"), or NULL. */
const struct content_page *content_find(const struct content *c, const char *path);
/* The pages of one kind, in order (then title); returns the count. */
size_t content_list(const struct content *c, const char *kind, const struct content_page **pages,
                    size_t max);
/* A template's source by name, or NULL. */
const char *content_template(const struct content *c, const char *name, size_t *len);

struct content_hit {
	const char *anchor;   /* the FAQ's id */
	const char *question; /* plain text */
	const char *snippet;  /* plain text with \x01 before and \x02 after each match */
};

/* Searches the FAQ for the words in query (any bytes: the words are pulled
 * out and quoted, so no FTS5 syntax can get through). Calls fn per hit, best
 * first, at most max_hits; returns the number of hits, or -1 on a database
 * error (logged). */
int content_search(struct content *c, const char *query, size_t max_hits,
                   void (*fn)(void *arg, const struct content_hit *hit), void *arg);

/* The search words of a /faq query string (the `q` field, decoded from at
 * most max_query bytes). NULL when the query asks for no search; "" when it
 * does but holds nothing usable (bad encoding, invalid UTF-8, a NUL): a
 * malformed query is no match, never an error. *searched says whether the
 * visitor searched at all. Free the result. */
char *content_search_words(const char *query, size_t max_query, bool *searched);

/* Turns a search text into an FTS5 MATCH expression: at most 8 words of
 * letters and digits (UTF-8 kept), each quoted as a prefix, joined by OR.
 * Returns false (nothing to search for) when there are no words. */
bool content_match_expression(const char *query, struct buf *out);

#endif
