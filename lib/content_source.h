/*
 * content_source: one Markdown content file of the site, as the clinic edits it.
 *
 * A file is a header of "key: value" lines, a line "---", then CommonMark.
 * Keys: title (required), kind (required: home, therapy, team, page, faq,
 * video), path (required for home, therapy, team and page: "/..." of
 * [a-z0-9/-]), summary, order (integer), id (faq: the anchor, [a-z0-9-]+),
 * url (video: https://...). Unknown or repeated keys are errors, so a typo
 * never silently drops a field.
 */
#ifndef CLINIC_CONTENT_SOURCE_H
#define CLINIC_CONTENT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

struct content_source {
	char *title, *kind, *path, *summary, *id, *url;
	long order;
	char *body_html; /* cmark output, raw HTML in the source disabled */
	char *body_text; /* the words alone, for the search index */
};

/* Parses and renders text (len bytes, need not be NUL-terminated). On error
 * returns false with "line N: what is wrong" in err. */
bool content_source_parse(const char *text, size_t len, struct content_source *out, char *err,
                          size_t errlen);
void content_source_free(struct content_source *src);

#endif
