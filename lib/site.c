#include "site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hours.h"
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

/* Frees a kept page; the slot is then empty. */
static void forget_error_page(struct site_error_page *e)
{
	free(e->html);
	memset(e, 0, sizeof *e);
}

void site_close(struct site *site)
{
	for (size_t i = 0; i < SITE_ERR__MAX; i++)
		forget_error_page(&site->errors[i]);
	content_close(site->content);
	site->content = NULL;
}

/* The clinic's address and opening hours, for the footer. */
static bool add_clinic_details(const struct config *cfg, struct tpl_scope *scope)
{
	const char *address[] = {cfg->clinic_street_address, cfg->clinic_locality,
	                         cfg->clinic_postcode};
	for (size_t i = 0; i < sizeof address / sizeof address[0]; i++) {
		struct tpl_scope *line = address[i][0] ? tpl_add_item(scope, "address") : NULL;
		if (address[i][0] && (!line || !tpl_set(line, "line", address[i]) ||
		                      !tpl_set_flag(scope, "has_address", true)))
			return false;
	}
	struct hours hours;
	char err[160];
	if (!hours_parse(cfg->opening_hours, &hours, err, sizeof err))
		return true; /* config_load refuses such a value */
	for (size_t i = 0; i < hours.count; i++) {
		const struct hours_rule *r = &hours.rules[i];
		char days[64], times[32];
		if (r->first_day == r->last_day)
			snprintf(days, sizeof days, "%s", hours_day_name(r->first_day));
		else
			snprintf(days, sizeof days, "%s to %s", hours_day_name(r->first_day),
			         hours_day_name(r->last_day));
		snprintf(times, sizeof times, "%s to %s", r->opens, r->closes);
		struct tpl_scope *item = tpl_add_item(scope, "opening_hours");
		if (!item || !tpl_set(item, "days", days) || !tpl_set(item, "times", times) ||
		    !tpl_set_flag(scope, "has_opening_hours", true))
			return false;
	}
	return true;
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
	          tpl_set(scope, "retention_days", days) &&
	          tpl_set(scope, "lang", cfg->site_language) && add_clinic_details(cfg, scope);
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

/* tpl_render's lookup of partials: the content build's template called name. */
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

/* The words of every error page; the words a visitor reads are the clinic's
 * own, so a change here changes what the tests look for. */
static const struct site_error_text error_texts[SITE_ERR__MAX] = {
    [SITE_ERR_NONE] = {0, "", "", false},
    [SITE_ERR_NOT_FOUND] = {404, "Page not found",
                            "There is no page at this address. It may have moved; the links "
                            "below lead to everything on the site.",
                            false},
    [SITE_ERR_PAGES_METHOD] = {405, "This address only shows pages",
                               "Your browser sent a kind of request this page does not accept.",
                               false},
    [SITE_ERR_PAGE_FAILED] = {500, "Something went wrong on our side",
                              "This page could not be shown just now. Please try again in a "
                              "moment.",
                              true},
    [SITE_ERR_PAGE_NO_MEMORY] = {500, "Something went wrong on our side",
                                 "Please try again in a moment.", true},
    [SITE_ERR_NO_FORM] = {404, "Page not found", "There is no page at this address.", false},
    [SITE_ERR_FORM_METHOD] = {405, "This form cannot take that request",
                              "Please open the form in your browser and send it from there.",
                              false},
    [SITE_ERR_THANKS_METHOD] = {405, "This page can only be viewed",
                                "Your browser sent a kind of request this page does not "
                                "accept.",
                                false},
    [SITE_ERR_FORM_FAILED] = {500, "Something went wrong on our side",
                              "The form could not be shown just now.", true},
    [SITE_ERR_THANKS_FAILED] = {500, "Something went wrong on our side",
                                "This page could not be shown, but if you saw no error before "
                                "it, your enquiry was saved.",
                                true},
    [SITE_ERR_CROSS_SITE] = {403, "This form was sent from another site",
                             "For your safety we only accept the form from our own pages. "
                             "Please open the form on our site and send it from there.",
                             true},
    [SITE_ERR_NOT_URLENCODED] = {415, "The form arrived in a format we do not accept",
                                 "Please send the form from our page, without changing it.", true},
    [SITE_ERR_TOO_LONG] = {413, "Your message is too long to send",
                           "Please shorten what you wrote and try again, or contact us "
                           "directly.",
                           true},
    [SITE_ERR_NO_LENGTH] = {400, "The form could not be read",
                            "Please go back to the form and send it again.", true},
    [SITE_ERR_NOT_A_FORM] = {400, "The form could not be read",
                             "What arrived was not a form from our site. Please go back to the "
                             "form and send it again.",
                             true},
    [SITE_ERR_NOT_A_FORM_NO_MEMORY] = {503, "The form could not be read",
                                       "What arrived was not a form from our site. Please go "
                                       "back to the form and send it again.",
                                       true},
    [SITE_ERR_NOT_OUR_FORM] = {400, "The form could not be read",
                               "What arrived does not match our form. Please go back to the "
                               "form and send it again.",
                               true},
    [SITE_ERR_NOT_OUR_FORM_NO_MEMORY] = {503, "The form could not be read",
                                         "What arrived does not match our form. Please go back "
                                         "to the form and send it again.",
                                         true},
    [SITE_ERR_FORGED_TOKEN] = {403, "This form could not be accepted",
                               "It did not come from our page as we sent it. Please open the "
                               "form again and send it from there.",
                               true},
    [SITE_ERR_RATE_LIMITED] = {429, "We have had several enquiries from you",
                               "Thank you for getting in touch. To protect the service we "
                               "accept only a few enquiries from one place in an hour. Please "
                               "call us instead, or try again later.",
                               true},
    [SITE_ERR_NOT_SAVED] = {503, "We could not save your enquiry",
                            "Something went wrong on our side and your enquiry was NOT saved. "
                            "Please try again in a few minutes, or contact us directly.",
                            true},
};

const struct site_error_text *site_error_text(enum site_error error)
{
	return &error_texts[error < SITE_ERR__MAX ? error : SITE_ERR_NONE];
}

bool site_render_error(const struct site *site, const struct site_error_text *text, struct buf *out)
{
	struct tpl_scope *scope = site_scope(site, text->title, NULL, NULL);
	char code[8];
	snprintf(code, sizeof code, "%d", text->status);
	bool ok = scope && tpl_set(scope, "status", code) && tpl_set(scope, "title", text->title) &&
	          tpl_set(scope, "message", text->message) &&
	          tpl_set_flag(scope, "phone_hint", text->phone_hint) &&
	          site_render(site, "error", scope, out);
	tpl_scope_free(scope);
	return ok;
}

/* The kept page of error for the content now loaded, rendering and keeping
 * it first if need be; NULL when it could not be rendered or kept. */
static const struct site_error_page *kept_error_page(struct site *site, enum site_error error)
{
	struct site_error_page *page = &site->errors[error];
	if (page->html && page->generation == site->generation)
		return page;
	forget_error_page(page);
	struct buf html;
	buf_init(&html, PAGE_LIMIT);
	if (!site_render_error(site, &error_texts[error], &html)) {
		buf_free(&html);
		return NULL;
	}
	page->len = html.len;
	page->html = buf_take(&html);
	if (!page->html)
		return NULL; /* memory is short: rendered again next time */
	page->generation = site->generation;
	return page;
}

void site_send_error(struct site *site, struct request *req, enum site_error error)
{
	if (error <= SITE_ERR_NONE || error >= SITE_ERR__MAX)
		return;
	const struct site_error_text *text = &error_texts[error];
	struct response res = {.status = text->status, .cache = CACHE_NEVER};
	char allow[64];
	if (text->status == 405) {
		snprintf(allow, sizeof allow, "Allow: %s", site->allow);
		res.extra_header = allow;
	}
	const struct site_error_page *page = kept_error_page(site, error);
	if (page) {
		response_send(req, &res, page->html, page->len);
		return;
	}
	/* The templates themselves are broken, or memory is short: still say
	 * something true. */
	char fallback[160];
	int n = snprintf(fallback, sizeof fallback, "<!doctype html><title>%d</title><p>%d %s</p>",
	                 text->status, text->status, http_reason(text->status));
	response_send(req, &res, fallback, n > 0 ? (size_t)n : 0);
}
