/*
 * contact.fcgi: the "Contact Us" and "Start your journey" forms.
 *
 * It renders each form with a fresh signed token, validates a post against
 * the form's table, seals the enquiry to the staff public key and commits it.
 * It can write enquiries but holds no key to read them back. A visitor is
 * sent to the thank-you page only after the commit returned.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "config.h"
#include "envelope.h"
#include "urlencoded.h"
#include "forms.h"
#include "groupcommit.h"
#include "log.h"
#include "program.h"
#include "ratelimit.h"
#include "seal.h"
#include "server.h"
#include "site.h"
#include "ref.h"
#include "store.h"
#include "token.h"
#include "validate.h"

#define MAX_FIELDS 32
#define RATE_LIMIT_SLOTS 8192

static struct config cfg;
static struct site site;
static struct public_key staff_key;
static unsigned char token_key[TOKEN_KEY_BYTES];
static struct ratelimit *rate_limit;
static struct group_commit *group_commit;
static struct store *store;

/* What a form page shows besides the fields themselves. */
struct form_view {
	const struct validation *values; /* NULL: an empty form */
	const char *notice;
};

static void send_page(struct request *req, int status, const struct buf *page)
{
	struct response res = {.status = status, .cache = CACHE_NEVER};
	response_send(req, &res, page->data, page->len);
}

static bool set_field_values(struct tpl_scope *scope, const struct form_spec *spec,
                             const struct validation *v)
{
	char name[96];
	for (size_t i = 0; i < spec->count; i++) {
		const struct field_rule *rule = &spec->rules[i];
		if (rule->type == FIELD_IGNORED)
			continue;
		const char *value = v->values[i] ? v->values[i] : "";
		snprintf(name, sizeof name, "f_%s", rule->name);
		if (!tpl_set(scope, name, value))
			return false;
		if (rule->type == FIELD_CHECKBOX && strcmp(value, "yes") == 0) {
			snprintf(name, sizeof name, "c_%s", rule->name);
			if (!tpl_set_flag(scope, name, true))
				return false;
		}
		if (rule->type == FIELD_CHOICE && form_choice_label(rule, value)) {
			snprintf(name, sizeof name, "c_%s_%s", rule->name, value);
			if (!tpl_set_flag(scope, name, true))
				return false;
		}
		if (v->errors[i]) {
			snprintf(name, sizeof name, "e_%s", rule->name);
			struct tpl_scope *item = tpl_add_item(scope, "errors");
			if (!tpl_set(scope, name, v->errors[i]) || !item ||
			    !tpl_set(item, "field", rule->name) ||
			    !tpl_set(item, "message", v->errors[i]) ||
			    !tpl_set_flag(scope, "has_errors", true))
				return false;
		}
	}
	return true;
}

static void send_form(struct request *req, int status, const struct form_spec *spec,
                      const struct form_view *view)
{
	char token[TOKEN_TEXT_MAX];
	token_make(token_key, spec->kind, token_now(), token);
	struct buf page;
	buf_init(&page, PAGE_LIMIT);
	struct tpl_scope *scope = site_scope(&site, spec->title, NULL, spec->section);
	bool ok = scope && tpl_set(scope, "token", token) &&
	          (!view->notice || tpl_set(scope, "notice", view->notice)) &&
	          (!view->values || set_field_values(scope, spec, view->values)) &&
	          site_render(&site, spec->kind, scope, &page);
	tpl_scope_free(scope);
	if (ok)
		send_page(req, status, &page);
	else
		site_send_error(&site, req, 500, "Something went wrong on our side",
		                "The form could not be shown just now.", true);
	/* The page may hold what somebody typed. */
	buf_wipe(&page);
}

static bool same_origin(struct request *req)
{
	/* Browsers that send Sec-Fetch-Site say exactly where a post came from.
	 * They must: our Referrer-Policy (no-referrer) makes them send
	 * "Origin: null" even on our own pages. */
	const char *fetch_site = request_param(req, "HTTP_SEC_FETCH_SITE");
	if (fetch_site)
		return strcmp(fetch_site, "same-origin") == 0 || strcmp(fetch_site, "none") == 0;
	/* Older browsers send no Origin, or "null" under no-referrer; the signed
	 * token still has to be right. */
	const char *origin = request_param(req, "HTTP_ORIGIN");
	if (!origin || strcmp(origin, "null") == 0)
		return true;
	if (cfg.site_origin[0])
		return strcmp(origin, cfg.site_origin) == 0;
	const char *host = request_param(req, "HTTP_HOST");
	if (!host)
		return false;
	const char *rest = strncmp(origin, "https://", 8) == 0  ? origin + 8
	                   : strncmp(origin, "http://", 7) == 0 ? origin + 7
	                                                        : NULL;
	return rest && strcmp(rest, host) == 0;
}

static bool is_form_encoded(struct request *req)
{
	const char *type = request_param(req, "CONTENT_TYPE");
	static const char expected[] = "application/x-www-form-urlencoded";
	if (!type || strncasecmp(type, expected, sizeof expected - 1) != 0)
		return false;
	char next = type[sizeof expected - 1];
	return next == '\0' || next == ';' || next == ' ';
}

static void utc_times(char received[32], char day[11])
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char seconds[24];
	strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(received, 32, "%s.%03dZ", seconds, (int)(tv.tv_usec / 1000));
	strftime(day, 11, "%Y-%m-%d", &tm);
}

static bool open_store(void)
{
	if (store)
		return true;
	if (store_open(cfg.enquiry_db, STORE_READ_WRITE, &store) == STORE_OK)
		return true;
	log_error("cannot open the enquiry database %s: %s", cfg.enquiry_db,
	          store ? store_error(store) : "out of memory");
	store_close(store);
	store = NULL;
	return false;
}

/* Seals and commits; on success ref holds the reference. */
static bool save_enquiry(const struct form_spec *spec, const struct validation *v, char ref[16])
{
	if (!open_store())
		return false;
	for (int attempt = 0; attempt < 3; attempt++) {
		struct envelope e;
		memset(&e, 0, sizeof e);
		e.version = ENVELOPE_VERSION;
		char day[11];
		ref_new(ref);
		utc_times(e.received, day);
		snprintf(e.kind, sizeof e.kind, "%s", spec->kind);
		snprintf(e.ref, sizeof e.ref, "%s", ref);
		snprintf(e.key_id, sizeof e.key_id, "%s", staff_key.key_id);
		bool ok = true;
		for (size_t i = 0; ok && i < spec->count; i++)
			if (spec->rules[i].type != FIELD_IGNORED)
				ok = envelope_add(&e, spec->rules[i].name, v->values[i],
				                  strlen(v->values[i]));
		struct buf plain, sealed;
		buf_init(&plain, 1024 * 1024);
		buf_init(&sealed, 2 * 1024 * 1024);
		ok = ok && envelope_encode(&e, &plain) &&
		     seal_message(&staff_key, plain.data, plain.len, &sealed);
		envelope_wipe(&e);
		buf_wipe(&plain);
		if (!ok) {
			log_error("sealing an enquiry failed (out of memory)");
			buf_free(&sealed);
			return false;
		}
		struct store_new_row row = {ref,         spec->kind, day,         staff_key.key_id,
		                            sealed.data, sealed.len, STORE_FAILED};
		char why[256];
		enum store_status status =
		    group_commit_insert(group_commit, store, &row, why, sizeof why);
		buf_free(&sealed);
		if (status == STORE_OK)
			return true;
		if (status != STORE_DUPLICATE) {
			log_error("storing an enquiry failed: %s", why);
			/* Start afresh next time: the file may have been fixed or moved. */
			store_close(store);
			store = NULL;
			return false;
		}
	}
	log_error("storing an enquiry failed: no free reference after 3 tries");
	return false;
}

static void send_unavailable(struct request *req)
{
	site_send_error(&site, req, 503, "We could not save your enquiry",
	                "Something went wrong on our side and your enquiry was NOT saved. "
	                "Please try again in a few minutes, or contact us directly.",
	                true);
}

/* Cross-field rule: a phone number is needed if that is how to reach them. */
static void require_phone_if_chosen(const struct form_spec *spec, struct validation *v)
{
	size_t method = spec->count, phone = spec->count;
	for (size_t i = 0; i < spec->count; i++) {
		if (strcmp(spec->rules[i].name, "contact_method") == 0)
			method = i;
		else if (strcmp(spec->rules[i].name, "phone") == 0)
			phone = i;
	}
	if (method == spec->count || phone == spec->count)
		return;
	if (strcmp(v->values[method], "phone") == 0 && v->values[phone][0] == '\0' &&
	    !v->errors[phone])
		/* validation_free frees every message, so this one is a copy too. */
		v->errors[phone] = strdup("Enter a phone number so that we can call you, or "
		                          "choose email");
}

static void handle_post(struct request *req, const struct form_spec *spec)
{
	if (!same_origin(req)) {
		site_send_error(&site, req, 403, "This form was sent from another site",
		                "For your safety we only accept the form from our own pages. "
		                "Please open the form on our site and send it from there.",
		                true);
		return;
	}
	if (!is_form_encoded(req)) {
		site_send_error(&site, req, 415, "The form arrived in a format we do not accept",
		                "Please send the form from our page, without changing it.", true);
		return;
	}
	struct buf body;
	buf_init(&body, (size_t)cfg.max_body);
	enum body_status body_status = request_read_body(req, (size_t)cfg.max_body, &body);
	if (body_status == BODY_SHORT) {
		buf_wipe(&body); /* the visitor went away mid-post: nobody to answer */
		return;
	}
	if (body_status != BODY_OK) {
		buf_wipe(&body);
		if (body_status == BODY_TOO_LARGE)
			site_send_error(&site, req, 413, "Your message is too long to send",
			                "Please shorten what you wrote and try again, or contact "
			                "us directly.",
			                true);
		else
			site_send_error(&site, req, 400, "The form could not be read",
			                "Please go back to the form and send it again.", true);
		return;
	}
	struct urlencoded form;
	enum urlencoded_status decoded = urlencoded_decode(body.data, body.len, MAX_FIELDS, &form);
	buf_wipe(&body);
	if (decoded != URLENCODED_OK) {
		site_send_error(&site, req, decoded == URLENCODED_NO_MEMORY ? 503 : 400,
		                "The form could not be read",
		                "What arrived was not a form from our site. Please go back to the "
		                "form and send it again.",
		                true);
		return;
	}
	struct validation v;
	enum validate_status checked = validate_form(spec->rules, spec->count, &form, &v);
	const struct urlencoded_pair *token_field = urlencoded_find(&form, FORM_TOKEN_FIELD);
	const struct urlencoded_pair *honeypot = urlencoded_find(&form, FORM_HONEYPOT_FIELD);
	enum token_status token =
	    token_check(token_key, spec->kind, token_field ? token_field->value : "", token_now(),
	                cfg.token_min_age, cfg.token_max_age);
	bool honeypot_filled = honeypot && honeypot->value_len > 0;
	urlencoded_free(&form);

	if (checked == VALIDATE_UNKNOWN_FIELD || checked == VALIDATE_REPEATED_FIELD ||
	    checked == VALIDATE_NO_MEMORY) {
		site_send_error(&site, req, checked == VALIDATE_NO_MEMORY ? 503 : 400,
		                "The form could not be read",
		                "What arrived does not match our form. Please go back to the form "
		                "and send it again.",
		                true);
	} else if (token == TOKEN_MISSING || token == TOKEN_FORGED) {
		site_send_error(&site, req, 403, "This form could not be accepted",
		                "It did not come from our page as we sent it. Please open the form "
		                "again and send it from there.",
		                true);
	} else {
		require_phone_if_chosen(spec, &v);
		bool field_errors = false;
		for (size_t i = 0; i < v.count; i++)
			field_errors |= v.errors[i] != NULL;
		struct form_view view = {.values = &v};
		char ref[16];
		if (token == TOKEN_EXPIRED)
			view.notice =
			    "This form had been open for a long time, so we refreshed it. "
			    "Everything you typed is still here: please check it and send "
			    "it again.";
		else if (token == TOKEN_TOO_FAST)
			view.notice = "That was sent faster than we expected from a person. Please "
			              "check your details and send the form again.";
		else if (honeypot_filled)
			view.notice = "Please leave the field labelled \"Leave this empty\" empty, "
			              "then send the form again.";
		if (view.notice || field_errors) {
			send_form(req, 422, spec, &view);
		} else if (!ratelimit_allow(rate_limit,
		                            request_param(req, "REMOTE_ADDR")
		                                ? request_param(req, "REMOTE_ADDR")
		                                : "",
		                            time(NULL))) {
			site_send_error(
			    &site, req, 429, "We have had several enquiries from you",
			    "Thank you for getting in touch. To protect the service we "
			    "accept only a few enquiries from one place in an hour. Please "
			    "call us instead, or try again later.",
			    true);
		} else if (!save_enquiry(spec, &v, ref)) {
			send_unavailable(req);
		} else {
			char location[64];
			snprintf(location, sizeof location, "/thanks?ref=%s", ref);
			struct response res = {
			    .status = 303, .cache = CACHE_NEVER, .location = location};
			static const char note[] = "Your enquiry was sent.\n";
			res.content_type = "text/plain; charset=utf-8";
			response_send(req, &res, note, sizeof note - 1);
		}
	}
	validation_free(&v);
}

static void handle_thanks(struct request *req)
{
	struct urlencoded query;
	const char *ref = NULL;
	bool decoded = strlen(req->query) < 256 && urlencoded_decode(req->query, strlen(req->query),
	                                                             4, &query) == URLENCODED_OK;
	if (decoded) {
		const struct urlencoded_pair *field = urlencoded_find(&query, "ref");
		if (field && ref_valid(field->value))
			ref = field->value;
	}
	struct buf page;
	buf_init(&page, PAGE_LIMIT);
	struct tpl_scope *scope = site_scope(&site, "Thank you", NULL, NULL);
	bool ok = scope && (!ref || tpl_set(scope, "ref", ref)) &&
	          site_render(&site, "thanks", scope, &page);
	tpl_scope_free(scope);
	if (decoded)
		urlencoded_free(&query);
	if (ok)
		send_page(req, 200, &page);
	else
		site_send_error(&site, req, 500, "Something went wrong on our side",
		                "This page could not be shown, but if you saw no error before it, "
		                "your enquiry was saved.",
		                true);
	buf_free(&page);
}

static void handle(struct request *req)
{
	site_refresh(&site);
	bool get = strcmp(req->method, "GET") == 0 || req->head;
	bool post = strcmp(req->method, "POST") == 0;
	if (strcmp(req->path, "/thanks") == 0) {
		if (get)
			handle_thanks(req);
		else
			site_send_error(&site, req, 405, "This page can only be viewed",
			                "Your browser sent a kind of request this page does not "
			                "accept.",
			                false);
		return;
	}
	const struct form_spec *spec = req->path[0] == '/' ? form_spec_find(req->path + 1) : NULL;
	if (!spec) {
		site_send_error(&site, req, 404, "Page not found",
		                "There is no page at this address.", false);
	} else if (get) {
		struct form_view view = {0};
		send_form(req, 200, spec, &view);
	} else if (post) {
		handle_post(req, spec);
	} else {
		site_send_error(&site, req, 405, "This form cannot take that request",
		                "Please open the form in your browser and send it from there.",
		                false);
	}
}

static bool worker_start(void)
{
	if (!site_open(&site, &cfg, "GET, HEAD, POST"))
		return false;
	/* Open the database now so the first visitor does not wait; if that
	 * fails, each post tries again and answers 503 until it works. */
	open_store();
	return true;
}

int main(int argc, char **argv)
{
	struct program_args args;
	if (!program_start(argc, argv, "contact", &cfg, &args))
		return 1;
	char err[512];
	if (!seal_public_key_load(cfg.public_key, &staff_key, err, sizeof err) ||
	    !token_key_load(cfg.token_key, token_key, err, sizeof err)) {
		log_error("%s", err);
		fprintf(stderr, "contact: %s\n", err);
		return 1;
	}
	rate_limit = ratelimit_new(RATE_LIMIT_SLOTS, (unsigned)cfg.rate_limit_posts,
	                           (unsigned)cfg.rate_limit_window);
	if (!rate_limit) {
		fprintf(stderr, "contact: cannot create the shared rate-limit table\n");
		return 1;
	}
	/* Room for every worker's row at once, each as big as the largest post
	 * can seal to (its envelope adds well under 4 KiB to the body). */
	group_commit =
	    group_commit_new(2 * (unsigned)cfg.contact_workers,
	                     seal_bucket((size_t)cfg.max_body + 4096) + crypto_box_SEALBYTES);
	if (!group_commit) {
		fprintf(stderr, "contact: cannot create the shared commit queue\n");
		return 1;
	}
	struct server_options options = {
	    .name = "contact",
	    .listen = args.listen ? args.listen : cfg.contact_listen,
	    .workers = (int)cfg.contact_workers,
	    .worker_start = worker_start,
	    .handle = handle,
	    .sandbox = SANDBOX_CONTACT,
	};
	int status = server_run(&options);
	unsigned long commits, rows;
	group_commit_counts(group_commit, &commits, &rows);
	log_info("%lu enquiries were stored in %lu commits", rows, commits);
	sodium_memzero(token_key, sizeof token_key);
	ratelimit_free(rate_limit);
	group_commit_free(group_commit);
	config_free(&cfg);
	return status;
}
