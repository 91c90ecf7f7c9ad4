#include "seo.h"

#include <stdio.h>
#include <string.h>

#include "sitemap.h"
#include "structured.h"

#define MAX_CRUMBS 8

/* The title of the page at path (not the home page), for a breadcrumb, or NULL if no page is
 * there (as /therapies, which only groups the therapies' addresses). */
static const char *page_name(const struct site *site, const char *path, struct fixed_page *fixed)
{
	const struct content_page *page = content_find(site->content, path);
	if (page)
		return page->title;
	return fixed_page_find(path, fixed) ? fixed->title : NULL;
}

/* The trail to path: the home page, each page whose address path starts
 * with, and the page itself. Fills crumbs (their paths in storage) and
 * returns how many. */
static size_t breadcrumbs(const struct site *site, const char *path, struct crumb *crumbs,
                          char storage[MAX_CRUMBS][256])
{
	size_t len = strlen(path);
	if (len >= 256 || path[0] != '/')
		return 0;
	crumbs[0] = (struct crumb){"Home", "/"};
	size_t n = 1;
	for (size_t end = 2; end <= len && n < MAX_CRUMBS; end++) {
		if (end < len && path[end] != '/')
			continue;
		memcpy(storage[n], path, end);
		storage[n][end] = '\0';
		struct fixed_page fixed;
		const char *name = page_name(site, storage[n], &fixed);
		if (name) {
			crumbs[n].name = name;
			crumbs[n].path = storage[n];
			n++;
		}
	}
	return n;
}

/* Sets name to origin + path; false if too long or out of memory. */
static bool set_url(struct tpl_scope *scope, const char *name, const char *origin, const char *path)
{
	char url[1024];
	int n = snprintf(url, sizeof url, "%s%s", origin, path);
	return n > 0 && (size_t)n < sizeof url && tpl_set(scope, name, url);
}

bool seo_scope(const struct site *site, struct tpl_scope *scope, const char *path, bool indexable,
               const char *structured)
{
	const struct config *cfg = site->cfg;
	if (!indexable)
		return tpl_set_flag(scope, "noindex", true);
	bool ok = true;
	if (cfg->site_origin[0]) {
		/* og:locale writes en-GB as en_GB. */
		char locale[32];
		snprintf(locale, sizeof locale, "%s", cfg->site_language);
		for (char *p = locale; *p; p++)
			if (*p == '-')
				*p = '_';
		char size[16];
		ok = set_url(scope, "canonical", cfg->site_origin, path) &&
		     set_url(scope, "share_image", cfg->site_origin, SEO_SHARE_IMAGE) &&
		     tpl_set(scope, "og_locale", locale);
		snprintf(size, sizeof size, "%d", SEO_SHARE_IMAGE_WIDTH);
		ok = ok && tpl_set(scope, "share_image_width", size);
		snprintf(size, sizeof size, "%d", SEO_SHARE_IMAGE_HEIGHT);
		ok = ok && tpl_set(scope, "share_image_height", size);
	}
	struct crumb crumbs[MAX_CRUMBS];
	char storage[MAX_CRUMBS][256];
	size_t n = breadcrumbs(site, path, crumbs, storage);
	if (n >= 2)
		ok = ok && tpl_set_flag(scope, "has_breadcrumbs", true);
	for (size_t i = 0; ok && n >= 2 && i < n; i++) {
		struct tpl_scope *item = tpl_add_item(scope, "breadcrumbs");
		ok = item && tpl_set(item, "name", crumbs[i].name) &&
		     (i + 1 == n || tpl_set(item, "href", crumbs[i].path));
	}
	struct buf data;
	buf_init(&data, PAGE_LIMIT);
	ok = ok && structured_breadcrumbs(cfg, crumbs, n, &data);
	if (ok && structured)
		ok = buf_puts(&data, structured);
	if (ok && data.len)
		ok = tpl_set_html(scope, "structured_data", data.data);
	buf_free(&data);
	return ok;
}
