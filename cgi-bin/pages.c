/*
 * pages.fcgi: the clinic's content pages and FAQ search, read-only.
 *
 * Each page is rendered once per content build and kept in memory with its
 * ETag; a new build (tools/build-content) is noticed on the next request.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blanks.h"
#include "config.h"
#include "html.h"
#include "log.h"
#include "program.h"
#include "seo.h"
#include "server.h"
#include "site.h"
#include "sitemap.h"
#include "structured.h"

#define MAX_CACHED 128
#define MAX_LISTED 256
#define MAX_SEARCH_HITS 20

struct cached_page {
	char *path;
	char *body;
	size_t len;
	char etag[24];
	const char *content_type; /* NULL: HTML */
};

static struct config cfg;
static struct site site;
static struct cached_page cache[MAX_CACHED];
static size_t cache_count;

/* Forgets every kept page (a new content build has come). */
static void cache_clear(void)
{
	for (size_t i = 0; i < cache_count; i++) {
		free(cache[i].path);
		free(cache[i].body);
	}
	cache_count = 0;
}

/* A strong ETag for body: the first 8 bytes of its BLAKE2b hash, quoted, in hex. */
static void make_etag(const char *body, size_t len, char out[24])
{
	unsigned char hash[8];
	crypto_generichash(hash, sizeof hash, (const unsigned char *)body, len, NULL, 0);
	char hex[17];
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	snprintf(out, 24, "\"%s\"", hex);
}

/* Adds the pages of kind to scope as the list name (href, title, summary, url); false when out
 * of memory. */
static bool add_list(struct tpl_scope *scope, const char *name, const char *kind)
{
	const struct content_page *pages[MAX_LISTED];
	size_t n = content_list(site.content, kind, pages, MAX_LISTED);
	for (size_t i = 0; i < n; i++) {
		struct tpl_scope *item = tpl_add_item(scope, name);
		if (!item || !tpl_set(item, "href", pages[i]->path ? pages[i]->path : "") ||
		    !tpl_set(item, "title", pages[i]->title) ||
		    !tpl_set(item, "summary", pages[i]->summary ? pages[i]->summary : "") ||
		    !tpl_set(item, "url", pages[i]->url ? pages[i]->url : ""))
			return false;
	}
	return true;
}

/* Adds every FAQ to scope (questions); false when out of memory. */
static bool add_questions(struct tpl_scope *scope)
{
	const struct content_page *faqs[MAX_LISTED];
	size_t n = content_list(site.content, "faq", faqs, MAX_LISTED);
	for (size_t i = 0; i < n; i++) {
		struct tpl_scope *item = tpl_add_item(scope, "questions");
		if (!item || !tpl_set(item, "id", faqs[i]->anchor ? faqs[i]->anchor : "") ||
		    !tpl_set(item, "question", faqs[i]->title) ||
		    !tpl_set_html(item, "answer", faqs[i]->body_html))
			return false;
	}
	return true;
}

struct search_results {
	struct tpl_scope *scope;
	bool failed;
};

/* The snippet marks matches with \x01 and \x02; everything else is text. */
static bool highlight(const char *snippet, struct buf *out)
{
	bool open = false;
	const char *p = snippet;
	while (*p) {
		size_t n = strcspn(p, "\x01\x02");
		html_escape(out, p, n);
		p += n;
		if (*p == '\x01' && !open) {
			buf_puts(out, "<mark>");
			open = true;
		} else if (*p == '\x02' && open) {
			buf_puts(out, "</mark>");
			open = false;
		}
		if (*p)
			p++;
	}
	if (open)
		buf_puts(out, "</mark>");
	return !out->failed;
}

/* content_search's callback: adds one hit to the results list, its snippet highlighted. */
static void add_hit(void *arg, const struct content_hit *hit)
{
	struct search_results *results = arg;
	struct tpl_scope *item = tpl_add_item(results->scope, "results");
	struct buf snippet;
	buf_init(&snippet, PAGE_LIMIT);
	if (!item || !tpl_set(item, "id", hit->anchor) ||
	    !tpl_set(item, "question", hit->question) || !highlight(hit->snippet, &snippet) ||
	    !tpl_set_html(item, "snippet", snippet.data))
		results->failed = true;
	buf_free(&snippet);
}

/* Runs the search for words and adds its results to scope; false on a database error or out of
 * memory. */
static bool render_search(struct tpl_scope *scope, const char *words)
{
	struct search_results results = {.scope = scope};
	int hits = content_search(site.content, words, MAX_SEARCH_HITS, add_hit, &results);
	if (hits < 0 || results.failed)
		return false;
	char count[16];
	snprintf(count, sizeof count, "%d", hits);
	return tpl_set_flag(scope, "searched", true) && tpl_set(scope, "query", words) &&
	       tpl_set(scope, "result_count", count) &&
	       tpl_set_flag(scope, "has_results", hits > 0);
}

/* The page's schema.org data (JSON-LD blocks) into out. */
static bool page_structured_data(const char *template_name, const struct content_page *page,
                                 struct buf *out)
{
	if (strcmp(template_name, "home") == 0)
		return structured_clinic(&cfg, site.content, page->summary, out);
	if (strcmp(template_name, "therapy") == 0)
		return structured_therapy_page(&cfg, page, out);
	if (strcmp(template_name, "team-member") == 0)
		return structured_person(&cfg, page, out);
	if (strcmp(template_name, "faq") == 0)
		return structured_faq(site.content, out);
	return true;
}

/* A content page's body with the config's facts filled in (blanks.h). */
static bool set_body(struct tpl_scope *scope, const char *body_html)
{
	if (!strstr(body_html, "{{"))
		return tpl_set_html(scope, "body", body_html);
	struct buf body;
	buf_init(&body, PAGE_LIMIT);
	bool ok = blanks_fill(&cfg, body_html, &body) && tpl_set_html(scope, "body", body.data);
	buf_free(&body);
	return ok;
}

/* Renders the page at path; *found is false when there is no such page. */
static bool render_page(const char *path, const char *search, struct buf *out, bool *found)
{
	*found = true;
	const struct content_page *page = content_find(site.content, path);
	struct fixed_page listing;
	const char *template_name, *section, *title, *summary = NULL;
	if (strcmp(path, "/faq") == 0 && fixed_page_find(path, &listing)) {
		template_name = "faq";
		section = "faq";
		title = listing.title;
		summary = listing.description;
	} else if (strcmp(path, "/team") == 0 && fixed_page_find(path, &listing)) {
		template_name = "team";
		section = "team";
		title = listing.title;
		summary = listing.description;
	} else if (page && strcmp(page->kind, "home") == 0) {
		template_name = "home";
		section = "home";
		title = page->title;
	} else if (page && strcmp(page->kind, "therapy") == 0) {
		template_name = "therapy";
		section = "therapies";
		title = page->title;
	} else if (page && strcmp(page->kind, "team") == 0) {
		template_name = "team-member";
		section = "team";
		title = page->title;
	} else if (page && strcmp(page->kind, "page") == 0) {
		template_name = "page";
		section = NULL;
		title = page->title;
	} else {
		*found = false;
		return false;
	}
	if (page)
		summary = page->summary;
	struct tpl_scope *scope = site_scope(&site, title, summary, section);
	struct buf data;
	buf_init(&data, PAGE_LIMIT);
	/* A search says what somebody looked for: no page for a search engine. */
	bool ok = scope != NULL && page_structured_data(template_name, page, &data) &&
	          seo_scope(&site, scope, path, search == NULL, data.data);
	buf_free(&data);
	if (ok && page)
		ok = tpl_set(scope, "title", page->title) && set_body(scope, page->body_html) &&
		     (!page->job_title || tpl_set(scope, "job_title", page->job_title));
	if (ok && strcmp(template_name, "home") == 0)
		ok = add_list(scope, "therapies", "therapy") && add_list(scope, "team", "team");
	if (ok && strcmp(template_name, "therapy") == 0)
		ok = add_list(scope, "videos", "video");
	if (ok && strcmp(template_name, "team") == 0)
		ok = add_list(scope, "members", "team");
	if (ok && strcmp(template_name, "faq") == 0) {
		ok = add_questions(scope);
		if (ok && search)
			ok = render_search(scope, search);
	}
	ok = ok && site_render(&site, template_name, scope, out);
	tpl_scope_free(scope);
	return ok;
}

/* Renders the page or crawler file at path into out, with its Content-Type
 * (NULL: HTML); *found is false when there is nothing at path. */
static bool render(const char *path, const char *search, struct buf *out, bool *found,
                   const char **content_type)
{
	enum crawler_file file = crawler_file_find(path);
	*content_type = NULL;
	if (file == CRAWLER__MAX)
		return render_page(path, search, out, found);
	char err[160];
	*content_type = crawler_file_type(file);
	*found = crawler_file_render(file, &cfg, site.content, out, err, sizeof err);
	if (!*found)
		log_info("%s: %s", path, err);
	return *found;
}

/* The kept page for path, or NULL. */
static const struct cached_page *cached(const char *path)
{
	for (size_t i = 0; i < cache_count; i++)
		if (strcmp(cache[i].path, path) == 0)
			return &cache[i];
	return NULL;
}

/* Sends body under etag, answering 304 to a request that has it already when policy allows
 * caching. */
static void send_page(struct request *req, const char *body, size_t len, const char *etag,
                      enum cache_policy policy, const char *content_type)
{
	time_t built = content_built_at(site.content);
	struct response res = {.status = 200,
	                       .content_type = content_type,
	                       .cache = policy,
	                       .etag = etag,
	                       .last_modified = policy == CACHE_PUBLIC ? built : 0};
	if (policy == CACHE_PUBLIC && request_not_modified(req, etag, built))
		res.status = 304;
	response_send(req, &res, body, len);
}

#ifdef CLINIC_TEST_HOOKS
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Test builds only (build/test-hooks/pages.fcgi, never installed): under
 * /__test/ a worker says how many requests reached it, or attempts what its
 * sandbox forbids, so the integration suites can watch both happen. */
static unsigned long requests_reached;

/* Answers a /__test/ request and returns true; counts any other. */
static bool test_hook(struct request *req)
{
	if (strncmp(req->path, "/__test/", 8) != 0) {
		requests_reached++;
		return false;
	}
	const char *what = req->path + 8;
	char text[64];
	if (strcmp(what, "requests") == 0) {
		snprintf(text, sizeof text, "%lu\n", requests_reached);
	} else if (strcmp(what, "exec") == 0) {
		execl("/bin/true", "true", (char *)NULL);
		snprintf(text, sizeof text, "exec failed without the sandbox\n");
	} else if (strcmp(what, "socket") == 0) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0)
			close(fd);
		snprintf(text, sizeof text, "socket() was allowed\n");
	} else if (strcmp(what, "write") == 0) {
		char path[4096];
		snprintf(path, sizeof path, "%s.probe", cfg.content_db);
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		snprintf(text, sizeof text, "open for writing was allowed\n");
	} else {
		return false;
	}
	struct response res = {
	    .status = 200, .cache = CACHE_NEVER, .content_type = "text/plain; charset=utf-8"};
	response_send(req, &res, text, strlen(text));
	return true;
}
#endif

/* The server's handler: a kept page, or one rendered (and kept unless it is a search), or an
 * error page. */
static void handle(struct request *req)
{
#ifdef CLINIC_TEST_HOOKS
	if (test_hook(req))
		return;
#endif
	if (site_refresh(&site))
		cache_clear();
	if (strcmp(req->method, "GET") != 0 && !req->head) {
		site_send_error(&site, req, SITE_ERR_PAGES_METHOD);
		return;
	}
	bool searched = false;
	char *words = strcmp(req->path, "/faq") == 0
	                  ? content_search_words(req->query, (size_t)cfg.max_query, &searched)
	                  : NULL;
	if (!searched) {
		const struct cached_page *hit = cached(req->path);
		if (hit) {
			send_page(req, hit->body, hit->len, hit->etag, CACHE_PUBLIC,
			          hit->content_type);
			return;
		}
	}
	struct buf page;
	buf_init(&page, PAGE_LIMIT);
	bool found;
	const char *content_type;
	bool ok = render(req->path, searched ? words : NULL, &page, &found, &content_type);
	free(words);
	if (!found) {
		site_send_error(&site, req, SITE_ERR_NOT_FOUND);
	} else if (!ok) {
		site_send_error(&site, req, SITE_ERR_PAGE_FAILED);
	} else if (searched) {
		/* A search says what somebody looked for: never kept in a cache. */
		send_page(req, page.data, page.len, NULL, CACHE_NEVER, content_type);
	} else {
		char etag[24];
		make_etag(page.data, page.len, etag);
		if (cache_count < MAX_CACHED) {
			struct cached_page *entry = &cache[cache_count];
			entry->path = strdup(req->path);
			entry->len = page.len;
			memcpy(entry->etag, etag, sizeof etag);
			entry->content_type = content_type;
			entry->body = buf_take(&page);
			if (entry->path && entry->body) {
				cache_count++;
				send_page(req, entry->body, entry->len, entry->etag, CACHE_PUBLIC,
				          entry->content_type);
				return;
			}
			free(entry->path);
			free(entry->body);
			log_error("out of memory caching a page");
			site_send_error(&site, req, SITE_ERR_PAGE_NO_MEMORY);
			return;
		}
		send_page(req, page.data, page.len, etag, CACHE_PUBLIC, content_type);
	}
	buf_free(&page);
}

/* Opens the content in a new worker; false stops it. */
static bool worker_start(void)
{
	return site_open(&site, &cfg, "GET, HEAD");
}

int main(int argc, char **argv)
{
	struct program_args args;
	if (!program_start(argc, argv, "pages", &cfg, &args))
		return 1;
	struct server_options options = {
	    .name = "pages",
	    .listen = args.listen ? args.listen : cfg.pages_listen,
	    .workers = (int)cfg.workers,
	    .worker_start = worker_start,
	    .handle = handle,
	    .sandbox = SANDBOX_PAGES,
	};
	int status = server_run(&options);
	config_free(&cfg);
	return status;
}
