/*
 * content_source: one Markdown content file of the site, as the clinic edits it.
 *
 * A file is a header of "key: value" lines, a line "---", then CommonMark.
 * Keys: title (required), kind (required: home, therapy, team, page, faq,
 * video), path (required for home, therapy, team and page: "/..." of
 * [a-z0-9/-]), summary (required for those pages: it is their description
 * for search engines and link previews), order (integer), id (faq: the
 * anchor, [a-z0-9-]+), url (video: https://...), job_title (required for
 * team). Unknown or repeated keys are errors, so a typo never silently drops
 * a field. A page's Markdown may name config facts as {{blank}} (blanks.h);
 * FAQ answers and videos may not (they are indexed and listed as written).
 */
#ifndef CLINIC_CONTENT_SOURCE_H
#define CLINIC_CONTENT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

/* A link in the Markdown, and the file's line it is on. */
struct content_link {
	char *href;
	int line;
};

struct content_source {
	char *title, *kind, *path, *summary, *id, *url, *job_title;
	long order;
	int title_line;  /* the header line that gives the title */
	char *body_html; /* cmark output, raw HTML in the source disabled */
	char *body_text; /* the words alone, for the search index */
	struct content_link *links;
	size_t link_count;
};

/* Whether a page of this kind has an address of its own (home, therapy,
 * team, page) rather than being part of another page (faq, video). */
bool content_kind_has_path(const char *kind);

/* Parses and renders text (len bytes, need not be NUL-terminated). On error
 * returns false with "line N: what is wrong" in err. */
bool content_source_parse(const char *text, size_t len, struct content_source *out, char *err,
                          size_t errlen);
void content_source_free(struct content_source *src);

#endif
