#include "sitemap.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "forms.h"
#include "html.h"

static const struct fixed_page listings[] = {
    {"/faq", "Frequently asked questions",
     "Answers to common questions about Dynamic Interpersonal Therapy and contacting the "
     "clinic.",
     "faq"},
    {"/team", "Our team", "Meet the people who work at the clinic.", "team"},
};

/* The forms' own titles and descriptions live with their tables (forms.c). */
static const char *const form_kinds[] = {"contact", "start"};

#define LISTINGS (sizeof listings / sizeof listings[0])
#define FORMS (sizeof form_kinds / sizeof form_kinds[0])

bool fixed_page_at(size_t i, struct fixed_page *out)
{
	if (i < LISTINGS) {
		*out = listings[i];
		return true;
	}
	if (i >= LISTINGS + FORMS)
		return false;
	static const char *const paths[FORMS] = {"/contact", "/start"};
	const struct form_spec *spec = form_spec_find(form_kinds[i - LISTINGS]);
	if (!spec)
		return false;
	*out = (struct fixed_page){paths[i - LISTINGS], spec->title, spec->description, NULL};
	return true;
}

bool fixed_page_find(const char *path, struct fixed_page *out)
{
	for (size_t i = 0; fixed_page_at(i, out); i++)
		if (strcmp(out->path, path) == 0)
			return true;
	return false;
}

static const struct {
	const char *path, *type;
} crawler_files[CRAWLER__MAX] = {
    [CRAWLER_SITEMAP] = {"/sitemap.xml", "application/xml; charset=utf-8"},
    [CRAWLER_ROBOTS] = {"/robots.txt", "text/plain; charset=utf-8"},
    [CRAWLER_SECURITY] = {"/.well-known/security.txt", "text/plain; charset=utf-8"},
};

enum crawler_file crawler_file_find(const char *path)
{
	for (int i = 0; i < CRAWLER__MAX; i++)
		if (strcmp(crawler_files[i].path, path) == 0)
			return (enum crawler_file)i;
	return CRAWLER__MAX;
}

const char *crawler_file_type(enum crawler_file f)
{
	return f < CRAWLER__MAX ? crawler_files[f].type : "text/plain; charset=utf-8";
}

/* W3C Datetime in UTC, as sitemaps and security.txt write it. */
static void w3c_time(time_t t, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One <url> of the sitemap: its absolute address and when it last changed. */
static void sitemap_url(struct buf *out, const char *origin, const char *path, time_t modified)
{
	char when[32];
	w3c_time(modified, when);
	buf_puts(out, "<url><loc>");
	html_escape(out, origin, strlen(origin));
	html_escape(out, path, strlen(path));
	buf_printf(out, "</loc><lastmod>%s</lastmod></url>\n", when);
}

#define MAX_LISTED 1024

static const char *const page_kinds[] = {"home", "therapy", "team", "page"};

/* Every public page: the content's (not FAQ entries or videos), then the programs'. */
static bool sitemap(const struct config *cfg, const struct content *c, struct buf *out)
{
	buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	              "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
	const struct content_page *pages[MAX_LISTED];
	for (size_t k = 0; k < sizeof page_kinds / sizeof page_kinds[0]; k++) {
		size_t n = content_list(c, page_kinds[k], pages, MAX_LISTED);
		for (size_t i = 0; i < n; i++)
			if (pages[i]->path)
				sitemap_url(out, cfg->site_origin, pages[i]->path,
				            pages[i]->modified);
	}
	struct fixed_page fixed;
	for (size_t i = 0; fixed_page_at(i, &fixed); i++) {
		/* A listing changed when what it lists last did; a form's text
		 * lives in the templates, which change with any build. */
		time_t modified = 0;
		size_t n =
		    fixed.lists_kind ? content_list(c, fixed.lists_kind, pages, MAX_LISTED) : 0;
		for (size_t j = 0; j < n; j++)
			if (pages[j]->modified > modified)
				modified = pages[j]->modified;
		sitemap_url(out, cfg->site_origin, fixed.path,
		            modified ? modified : content_built_at(c));
	}
	buf_puts(out, "</urlset>\n");
	return !out->failed;
}

/* robots.txt: everything may be crawled but searches and the thank-you page. */
static bool robots(const struct config *cfg, struct buf *out)
{
	/* Searches say what somebody looked for and cost a query each; the
	 * thank-you page is only ever reached from a form. */
	buf_puts(out, "User-agent: *\n"
	              "Disallow: /thanks\n"
	              "Disallow: /faq?\n");
	if (cfg->site_origin[0])
		buf_printf(out, "\nSitemap: %s/sitemap.xml\n", cfg->site_origin);
	return !out->failed;
}

/* RFC 9116. Expires is a year after the content build, less a day: a site
 * nobody rebuilds for a year stops vouching for its contact address. */
#define SECURITY_TXT_LIFETIME (364 * 86400)

/* security.txt: whom to tell, until when this holds, in which language. */
static bool security(const struct config *cfg, const struct content *c, struct buf *out)
{
	const char *contact = cfg->security_contact[0] ? cfg->security_contact : cfg->clinic_email;
	bool has_scheme = strncmp(contact, "mailto:", 7) == 0 ||
	                  strncmp(contact, "https://", 8) == 0 || strncmp(contact, "tel:", 4) == 0;
	char expires[32];
	w3c_time(content_built_at(c) + SECURITY_TXT_LIFETIME, expires);
	buf_printf(out, "Contact: %s%s\nExpires: %s\n", has_scheme ? "" : "mailto:", contact,
	           expires);
	/* The primary language subtag: "en" of "en-GB". */
	size_t lang = strcspn(cfg->site_language, "-");
	if (lang)
		buf_printf(out, "Preferred-Languages: %.*s\n", (int)lang, cfg->site_language);
	if (cfg->site_origin[0])
		buf_printf(out, "Canonical: %s/.well-known/security.txt\n", cfg->site_origin);
	return !out->failed;
}

bool crawler_file_render(enum crawler_file f, const struct config *cfg, const struct content *c,
                         struct buf *out, char *err, size_t errlen)
{
	switch (f) {
	case CRAWLER_SITEMAP:
		if (!cfg->site_origin[0]) {
			snprintf(err, errlen,
			         "there is no sitemap without site_origin in the config");
			return false;
		}
		return sitemap(cfg, c, out);
	case CRAWLER_ROBOTS:
		return robots(cfg, out);
	case CRAWLER_SECURITY:
		return security(cfg, c, out);
	case CRAWLER__MAX:
		break;
	}
	snprintf(err, errlen, "no such file");
	return false;
}
