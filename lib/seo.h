/*
 * seo: what a search engine and a link preview read in a page's head, and
 * the breadcrumb trail, added to a template scope made by site_scope().
 *
 * An indexable page gets its canonical address and the Open Graph and
 * Twitter card tags (title, description, the share image), all absolute,
 * built from site_origin (left out when it is empty: a relative canonical
 * address would be worse than none); a page below the home page gets a
 * breadcrumb trail, shown and given as BreadcrumbList data. A page that is
 * not to be indexed (the thank-you page, FAQ searches) gets "noindex".
 */
#ifndef CLINIC_SEO_H
#define CLINIC_SEO_H

#include <stdbool.h>

#include "site.h"
#include "template.h"

/* The share image in htdocs/static/ and its size, for og:image. */
#define SEO_SHARE_IMAGE "/static/share.png"
#define SEO_SHARE_IMAGE_WIDTH 1200
#define SEO_SHARE_IMAGE_HEIGHT 630

/* Adds the page's head tags and breadcrumbs to scope; structured is more
 * JSON-LD for the page (whole <script> blocks) or NULL. False only when
 * memory runs out. */
bool seo_scope(const struct site *site, struct tpl_scope *scope, const char *path, bool indexable,
               const char *structured);

#endif
