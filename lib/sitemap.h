/*
 * sitemap: what the site is made of, for crawlers and for the link checker.
 *
 * Besides the pages built from content files, the programs make a few pages
 * themselves (the FAQ and team listings, the two forms) and answer three
 * files that crawlers ask for: /sitemap.xml (every public page, with when it
 * last changed), /robots.txt (pointing at it) and /.well-known/security.txt
 * (RFC 9116: whom to tell about a vulnerability). The thank-you page, FAQ
 * searches and error pages are never listed.
 */
#ifndef CLINIC_SITEMAP_H
#define CLINIC_SITEMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "content.h"

/* A page a program makes itself rather than from one content file. */
struct fixed_page {
	const char *path, *title, *description;
	const char *lists_kind; /* the content kind it lists (it changes when they do), or NULL */
};

/* The i-th such page into *out; false when i is past the last. */
bool fixed_page_at(size_t i, struct fixed_page *out);
/* The fixed page at path into *out; false if there is none. */
bool fixed_page_find(const char *path, struct fixed_page *out);

enum crawler_file { CRAWLER_SITEMAP, CRAWLER_ROBOTS, CRAWLER_SECURITY, CRAWLER__MAX };

/* The crawler file answered at path, or CRAWLER__MAX. */
enum crawler_file crawler_file_find(const char *path);
/* Its Content-Type. */
const char *crawler_file_type(enum crawler_file f);

/* Writes the file as this content build and config make it. False (with a
 * reason in err) when it cannot be made: the sitemap needs site_origin, as
 * every address in it must be absolute. */
bool crawler_file_render(enum crawler_file f, const struct config *cfg, const struct content *c,
                         struct buf *out, char *err, size_t errlen);

#endif
