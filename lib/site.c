#include "site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

bool site_open(struct site *site, const struct config *cfg, const char *allow)
{
	char err[512];
	site->cfg = cfg;
	site->allow = allow;
	site->generation = 0;
	site->checked_ns = 0;
	memset(site->errors, 0, sizeof site->errors);
	site->content = content_open(cfg->content_db, err, sizeof err);
	if (!site->content) {
		log_error("%s", err);
		return false;
	}
	return true;
}

/* Looking for a new build costs a stat() of the database's path on every
 * request; ten times a second is soon enough for a person who just rebuilt
 * the content, and spares the request path under load. */
#define REFRESH_CHECK_NS 100000000LL

bool site_refresh(struct site *site)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long now_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	if (site->checked_ns && now_ns - site->checked_ns < REFRESH_CHECK_NS)
		return false;
	site->checked_ns = now_ns;
	if (!content_stale(site->content))
		return false;
	char err[512];
	struct content *fresh = content_open(site->cfg->content_db, err, sizeof err);
	if (!fresh) {
		log_error("a new content build could not be loaded, still serving the old one: %s",
		          err);
		return false;
	}
	content_close(site->content);
	site->content = fresh;
	site->generation++;
	return true;
}

static void forget_error_page(struct site_error_page *e)
{
	free(e->title);
	free(e->message);
	free(e->html);
	memset(e, 0, sizeof *e);
}

void site_close(struct site *site)
{
	for (size_t i = 0; i < SITE_ERROR_PAGES; i++)
		forget_error_page(&site->errors[i]);
	content_close(site->content);
	site->content = NULL;
}

struct tpl_scope *site_scope(const struct site *site, const char *page_title,
                             const char *description, const char *section)
{
	struct tpl_scope *scope = tpl_scope_new();
	if (!scope)
		return NULL;
	const struct config *cfg = site->cfg;
	char days[24];
	snprintf(days, sizeof days, "%ld", cfg->retention_days);
	bool ok = tpl_set(scope, "site_name", cfg->clinic_name) &&
	          tpl_set(scope, "clinic_phone", cfg->clinic_phone) &&
	          tpl_set(scope, "clinic_email", cfg->clinic_email) &&
	          tpl_set(scope, "page_title", page_title) &&
	          tpl_set(scope, "description", description ? description : "") &&
	          tpl_set(scope, "retention_days", days);
	/* tel: links want the number without spaces or punctuation. */
	char tel[32];
	size_t n = 0;
	for (const char *p = cfg->clinic_phone; *p && n + 1 < sizeof tel; p++)
		if ((*p >= '0' && *p <= '9') || (*p == '+' && n == 0))
			tel[n++] = *p;
	tel[n] = '\0';
	if (ok && n)
		ok = tpl_set(scope, "clinic_phone_tel", tel);
	if (ok && section) {
		char flag[32];
		snprintf(flag, sizeof flag, "section_%s", section);
		ok = tpl_set_flag(scope, flag, true);
	}
	if (!ok) {
		tpl_scope_free(scope);
		return NULL;
	}
	return scope;
}

static const char *lookup_template(void *arg, const char *name, size_t *len)
{
	return content_template(arg, name, len);
}

bool site_render(const struct site *site, const char *name, const struct tpl_scope *scope,
                 struct buf *out)
{
	size_t len;
	const char *source = content_template(site->content, name, &len);
	if (!source) {
		log_error("the content build has no template called '%s'", name);
		return false;
	}
	char err[256];
	if (!tpl_render(source, len, scope, lookup_template, site->content, out, err, sizeof err)) {
		log_error("template '%s' failed: %s", name, out->failed ? "page too large" : err);
		return false;
	}
	return true;
}

/* The kept page for these words, or a free slot to keep it in (NULL when
 * every slot holds another page: it is then rendered each time). */
static struct site_error_page *error_page_slot(struct site *site, int status, const char *title,
                                               const char *message, bool phone_hint)
{
	struct site_error_page *free_slot = NULL;
	for (size_t i = 0; i < SITE_ERROR_PAGES; i++) {
		struct site_error_page *e = &site->errors[i];
		if (e->html && e->generation != site->generation)
			forget_error_page(e);
		if (!e->html) {
			if (!free_slot)
				free_slot = e;
			continue;
		}
		if (e->status == status && e->phone_hint == phone_hint &&
		    strcmp(e->title, title) == 0 && strcmp(e->message, message) == 0)
			return e;
	}
	return free_slot;
}

/* Keeps the rendered page in slot, taking over its storage; false (the page
 * left as it was) when memory is short: it is rendered again next time. */
static bool keep_error_page(struct site *site, struct site_error_page *slot, int status,
                            const char *title, const char *message, bool phone_hint,
                            struct buf *page)
{
	slot->title = strdup(title);
	slot->message = strdup(message);
	if (!slot->title || !slot->message) {
		forget_error_page(slot);
		return false;
	}
	slot->len = page->len;
	slot->html = buf_take(page);
	if (!slot->html) {
		forget_error_page(slot);
		return false;
	}
	slot->status = status;
	slot->phone_hint = phone_hint;
	slot->generation = site->generation;
	return true;
}

void site_send_error(struct site *site, struct request *req, int status, const char *title,
                     const char *message, bool phone_hint)
{
	struct response res = {.status = status, .cache = CACHE_NEVER};
	char allow[64];
	if (status == 405) {
		snprintf(allow, sizeof allow, "Allow: %s", site->allow);
		res.extra_header = allow;
	}
	struct site_error_page *slot = error_page_slot(site, status, title, message, phone_hint);
	if (slot && slot->html) {
		response_send(req, &res, slot->html, slot->len);
		return;
	}
	struct buf page;
	buf_init(&page, PAGE_LIMIT);
	struct tpl_scope *scope = site_scope(site, title, NULL, NULL);
	char code[8];
	snprintf(code, sizeof code, "%d", status);
	bool ok = scope && tpl_set(scope, "status", code) && tpl_set(scope, "title", title) &&
	          tpl_set(scope, "message", message) &&
	          tpl_set_flag(scope, "phone_hint", phone_hint) &&
	          site_render(site, "error", scope, &page);
	tpl_scope_free(scope);
	if (ok && slot && keep_error_page(site, slot, status, title, message, phone_hint, &page)) {
		response_send(req, &res, slot->html, slot->len);
		return;
	}
	if (!ok) {
		/* The templates themselves are broken: still say something true. */
		buf_reset(&page);
		buf_printf(&page, "<!doctype html><title>%d</title><p>%d %s</p>", status, status,
		           http_reason(status));
	}
	response_send(req, &res, page.data, page.len);
	buf_free(&page);
}
