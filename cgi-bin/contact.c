/*
 * contact.fcgi: the "Contact Us" and "Start your journey" forms.
 *
 * It renders each form with a fresh signed token, validates a post against
 * the form's table, seals the enquiry and commits it: to the members the
 * signed team file selects and the recovery key (envelope format 2, when
 * team_file is set), or else to the one staff public key (format 1). It can
 * write enquiries but holds no key to read them back. A visitor is sent to
 * the thank-you page only after the commit returned; while the team file
 * does not verify, posts are refused (503) and nothing is sealed.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
#include "seo.h"
#include "server.h"
#include "site.h"
#include "ref.h"
#include "seal2.h"
#include "store.h"
#include "team.h"
#include "team_watch.h"
#include "token.h"
#include "validate.h"

#define MAX_FIELDS 32
#define RATE_LIMIT_SLOTS 8192

static struct config cfg;
static struct site site;
static struct public_key staff_key;  /* without a team: the one key to seal to */
static struct team_watch team_watch; /* with a team: the file, verified */
static bool with_team;
static unsigned char token_key[TOKEN_KEY_BYTES];
static struct ratelimit *rate_limit;
static struct group_commit *group_commit;
static struct store *store;

/* What a form page shows besides the fields themselves. */
struct form_view {
	const struct validation *values; /* NULL: an empty form */
	const char *notice;
};

/* Sends a rendered page, never to be cached: it may hold a token or what somebody typed. */
static void send_page(struct request *req, int status, const struct buf *page)
{
	struct response res = {.status = status, .cache = CACHE_NEVER};
	response_send(req, &res, page->data, page->len);
}

/* Puts a form's values, ticks, choices and error messages into scope for the template (f_, c_,
 * e_ names, and the errors list); false when out of memory. */
static bool set_field_values(struct tpl_scope *scope, const struct form_spec *spec,
                             const struct validation *v)
{
	char name[96];
	for (size_t i = 0; i < spec->count; i++) {
		const struct field_rule *rule = spec->rules[i];
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

/* Sends spec's form with a fresh token: SITE_ERR_NONE once sent, or the
 * error to send instead when it would not render. */
static enum site_error send_form(struct request *req, int status, const struct form_spec *spec,
                                 const struct form_view *view)
{
	char token[TOKEN_TEXT_MAX];
	token_make(token_key, spec->kind, token_now(), token);
	struct buf page;
	buf_init(&page, PAGE_LIMIT);
	struct tpl_scope *scope = site_scope(&site, spec->title, spec->description, spec->section);
	char path[32];
	snprintf(path, sizeof path, "/%s", spec->kind);
	bool ok = scope && seo_scope(&site, scope, path, true, NULL) &&
	          tpl_set(scope, "token", token) &&
	          (!view->notice || tpl_set(scope, "notice", view->notice)) &&
	          (!view->values || set_field_values(scope, spec, view->values)) &&
	          site_render(&site, spec->kind, scope, &page);
	tpl_scope_free(scope);
	if (ok)
		send_page(req, status, &page);
	/* The page may hold what somebody typed. */
	buf_wipe(&page);
	return ok ? SITE_ERR_NONE : SITE_ERR_FORM_FAILED;
}

/* Whether a post came from our own pages, as far as the browser says. */
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

/* Whether the post's Content-Type is application/x-www-form-urlencoded. */
static bool is_form_encoded(struct request *req)
{
	const char *type = request_param(req, "CONTENT_TYPE");
	static const char expected[] = "application/x-www-form-urlencoded";
	if (!type || strncasecmp(type, expected, sizeof expected - 1) != 0)
		return false;
	char next = type[sizeof expected - 1];
	return next == '\0' || next == ';' || next == ' ';
}

/* Opens the enquiry database if this worker has not yet; false (logged) when it cannot. */
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

/* team_watch's memory: the store keeps the highest team version used. */
static enum team_memory remember_team(void *arg, uint32_t version,
                                      const unsigned char digest[TEAM_DIGEST_BYTES],
                                      uint32_t *known, char *err, size_t errlen)
{
	(void)arg;
	if (!open_store()) {
		snprintf(err, errlen, "the enquiry database could not be opened (see above)");
		return TEAM_MEMORY_FAILED;
	}
	char hex[2 * TEAM_DIGEST_BYTES + 1];
	sodium_bin2hex(hex, sizeof hex, digest, TEAM_DIGEST_BYTES);
	enum store_team_verdict verdict;
	if (store_team_version(store, version, hex, &verdict, known) != STORE_OK) {
		snprintf(err, errlen, "%s", store_error(store));
		return TEAM_MEMORY_FAILED;
	}
	return verdict == STORE_TEAM_KEPT    ? TEAM_MEMORY_OK
	       : verdict == STORE_TEAM_OLDER ? TEAM_MEMORY_OLDER
	                                     : TEAM_MEMORY_OTHER;
}

/* The value v holds for the field called name in spec, or NULL. */
static const char *value_of(const struct form_spec *spec, const struct validation *v,
                            const char *name)
{
	for (size_t i = 0; i < spec->count; i++)
		if (strcmp(spec->rules[i]->name, name) == 0)
			return v->values[i];
	return NULL;
}

/* Seals plain for the row (ref, kind, day): to team's recipients in format
 * 2, or to the staff key in format 1; appends the sealed bytes. */
static bool seal_enquiry(const struct team *team, const struct form_spec *spec,
                         const struct validation *v, const char *ref, const char *day,
                         const struct buf *plain, struct buf *sealed)
{
	if (!team)
		return seal_message(&staff_key, plain->data, plain->len, sealed);
	const unsigned char *to[TEAM_MAX_SLOTS];
	const char *interest = value_of(spec, v, form_field(FORM_FIELD_INTEREST)->rule.name);
	size_t count = team_recipients(team, spec->kind, interest, to);
	char context[SEAL2_CONTEXT_MAX];
	size_t context_len = seal2_enquiry_context(ref, spec->kind, day, team->version, context);
	return count > 0 && context_len > 0 &&
	       seal2_message(to, count, team->slots, team->version, context, context_len,
	                     plain->data, plain->len, sealed);
}

/* Seals (to team, or without one to the staff key) and commits; on success
 * ref holds the reference. */
static bool save_enquiry(const struct team *team, const struct form_spec *spec,
                         const struct validation *v, char ref[REF_SIZE])
{
	if (!open_store())
		return false;
	char key_id[sizeof((struct store_row *)0)->key_id];
	if (team)
		seal2_row_key_id(team->version, key_id);
	else
		snprintf(key_id, sizeof key_id, "%s", staff_key.key_id);
	for (int attempt = 0; attempt < 3; attempt++) {
		struct envelope e;
		memset(&e, 0, sizeof e);
		e.version = ENVELOPE_VERSION;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		char day[STORE_DAY_SIZE];
		store_day(now.tv_sec, day);
		envelope_stamp(&e, now);
		ref_new(ref);
		snprintf(e.kind, sizeof e.kind, "%s", spec->kind);
		snprintf(e.ref, sizeof e.ref, "%s", ref);
		snprintf(e.key_id, sizeof e.key_id, "%s", key_id);
		bool ok = true;
		for (size_t i = 0; ok && i < spec->count; i++)
			if (spec->rules[i]->type != FIELD_IGNORED)
				ok = envelope_add(&e, spec->rules[i]->name, v->values[i],
				                  strlen(v->values[i]));
		struct buf plain, sealed;
		buf_init(&plain, 1024 * 1024);
		buf_init(&sealed, 2 * 1024 * 1024);
		ok = ok && envelope_encode(&e, &plain) &&
		     seal_enquiry(team, spec, v, ref, day, &plain, &sealed);
		envelope_wipe(&e);
		buf_wipe(&plain);
		if (!ok) {
			log_error("sealing an enquiry failed (out of memory)");
			buf_free(&sealed);
			return false;
		}
		struct store_new_row row = {ref,         spec->kind, day,         key_id,
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

/* A post decoded and checked against its form's table and token. */
struct post {
	struct validation values;
	enum token_status token;
	bool honeypot_filled;
};

/* Decodes body (and wipes it), checks it against spec's table and its
 * token: SITE_ERR_NONE with post filled (the caller frees post->values), or
 * the error that refuses it (post then holds nothing). */
static enum site_error read_post(const struct form_spec *spec, struct buf *body, struct post *post)
{
	struct urlencoded form;
	enum urlencoded_status decoded =
	    urlencoded_decode(body->data, body->len, MAX_FIELDS, &form);
	buf_wipe(body);
	if (decoded != URLENCODED_OK)
		return decoded == URLENCODED_NO_MEMORY ? SITE_ERR_NOT_A_FORM_NO_MEMORY
		                                       : SITE_ERR_NOT_A_FORM;
	enum validate_status checked =
	    validate_form(spec->rules, spec->count, &form, &post->values);
	const struct urlencoded_pair *token = urlencoded_find(&form, FORM_TOKEN_FIELD);
	const struct urlencoded_pair *honeypot = urlencoded_find(&form, FORM_HONEYPOT_FIELD);
	post->token = token_check(token_key, spec->kind, token ? token->value : "", token_now(),
	                          cfg.token_min_age, cfg.token_max_age);
	post->honeypot_filled = honeypot && honeypot->value_len > 0;
	urlencoded_free(&form);

	enum site_error refused = SITE_ERR_NONE;
	if (checked == VALIDATE_NO_MEMORY)
		refused = SITE_ERR_NOT_OUR_FORM_NO_MEMORY;
	else if (checked == VALIDATE_UNKNOWN_FIELD || checked == VALIDATE_REPEATED_FIELD)
		refused = SITE_ERR_NOT_OUR_FORM;
	else if (post->token == TOKEN_MISSING || post->token == TOKEN_FORGED)
		refused = SITE_ERR_FORGED_TOKEN;
	if (refused != SITE_ERR_NONE)
		validation_free(&post->values);
	return refused;
}

/* Why the form must go back to the visitor although every field is right,
 * or NULL. */
static const char *resend_notice(const struct post *post)
{
	if (post->token == TOKEN_EXPIRED)
		return "This form had been open for a long time, so we refreshed it. Everything "
		       "you "
		       "typed is still here: please check it and send it again.";
	if (post->token == TOKEN_TOO_FAST)
		return "That was sent faster than we expected from a person. Please check your "
		       "details and send the form again.";
	if (post->honeypot_filled)
		return "Please leave the field labelled \"Leave this empty\" empty, then send the "
		       "form again.";
	return NULL;
}

static bool has_field_errors(const struct validation *v)
{
	for (size_t i = 0; i < v->count; i++)
		if (v->errors[i])
			return true;
	return false;
}

/* Sends the visitor to the thank-you page for ref; only ever after the
 * commit that holds their enquiry. */
static void send_thanks_redirect(struct request *req, const char *ref)
{
	char location[64];
	snprintf(location, sizeof location, "/thanks?ref=%s", ref);
	struct response res = {.status = 303,
	                       .cache = CACHE_NEVER,
	                       .location = location,
	                       .content_type = "text/plain; charset=utf-8"};
	static const char note[] = "Your enquiry was sent.\n";
	response_send(req, &res, note, sizeof note - 1);
}

/* The form again (422) if anything needs the visitor's eye, else the rate
 * limit, the seal and the commit, then the redirect. */
static enum site_error accept_post(struct request *req, const struct form_spec *spec,
                                   struct post *post)
{
	form_check_together(spec, &post->values);
	const char *notice = resend_notice(post);
	if (notice || has_field_errors(&post->values)) {
		struct form_view view = {.values = &post->values, .notice = notice};
		return send_form(req, 422, spec, &view);
	}
	/* Nothing is sealed to a team file that does not verify now (the file
	 * is looked at again on every post: one stat). */
	const struct team *team = with_team ? team_watch_current(&team_watch) : NULL;
	if (with_team && !team)
		return SITE_ERR_NOT_SAVED;
	const char *address = request_param(req, "REMOTE_ADDR");
	if (!ratelimit_allow(rate_limit, address ? address : "", time(NULL)))
		return SITE_ERR_RATE_LIMITED;
	char ref[REF_SIZE];
	if (!save_enquiry(team, spec, &post->values, ref))
		return SITE_ERR_NOT_SAVED;
	send_thanks_redirect(req, ref);
	return SITE_ERR_NONE;
}

/* Answers a post to spec's form: SITE_ERR_NONE once answered, or the error page that refuses it. */
static enum site_error handle_post(struct request *req, const struct form_spec *spec)
{
	if (!same_origin(req))
		return SITE_ERR_CROSS_SITE;
	if (!is_form_encoded(req))
		return SITE_ERR_NOT_URLENCODED;
	struct buf body;
	buf_init(&body, (size_t)cfg.max_body);
	enum body_status read = request_read_body(req, (size_t)cfg.max_body, &body);
	if (read != BODY_OK) {
		buf_wipe(&body);
		if (read == BODY_SHORT)
			return SITE_ERR_NONE; /* the visitor went away mid-post: nobody to answer */
		return read == BODY_TOO_LARGE ? SITE_ERR_TOO_LONG : SITE_ERR_NO_LENGTH;
	}
	struct post post;
	enum site_error refused = read_post(spec, &body, &post);
	if (refused != SITE_ERR_NONE)
		return refused;
	enum site_error error = accept_post(req, spec, &post);
	validation_free(&post.values);
	return error;
}

/* The thank-you page, naming the reference when the query holds a valid one. */
static enum site_error send_thanks(struct request *req)
{
	struct urlencoded query;
	const char *ref = NULL;
	bool decoded = strlen(req->query) < 256 && urlencoded_decode(req->query, strlen(req->query),
	                                                             4, &query) == URLENCODED_OK;
	if (decoded) {
		const struct urlencoded_pair *pair = urlencoded_find(&query, "ref");
		if (pair && ref_valid(pair->value))
			ref = pair->value;
	}
	struct buf page;
	buf_init(&page, PAGE_LIMIT);
	struct tpl_scope *scope = site_scope(&site, "Thank you", NULL, NULL);
	bool ok = scope && seo_scope(&site, scope, "/thanks", false, NULL) &&
	          (!ref || tpl_set(scope, "ref", ref)) &&
	          site_render(&site, "thanks", scope, &page);
	tpl_scope_free(scope);
	if (decoded)
		urlencoded_free(&query);
	if (ok)
		send_page(req, 200, &page);
	buf_free(&page);
	return ok ? SITE_ERR_NONE : SITE_ERR_THANKS_FAILED;
}

/* Answers one request: SITE_ERR_NONE once answered, or the error page to send. */
static enum site_error route(struct request *req)
{
	bool get = strcmp(req->method, "GET") == 0 || req->head;
	bool post = strcmp(req->method, "POST") == 0;
	if (strcmp(req->path, "/thanks") == 0)
		return get ? send_thanks(req) : SITE_ERR_THANKS_METHOD;
	const struct form_spec *spec = req->path[0] == '/' ? form_spec_find(req->path + 1) : NULL;
	if (!spec)
		return SITE_ERR_NO_FORM;
	if (get) {
		struct form_view view = {0};
		return send_form(req, 200, spec, &view);
	}
	return post ? handle_post(req, spec) : SITE_ERR_FORM_METHOD;
}

/* The server's handler: looks for a new content build, then routes. */
static void handle(struct request *req)
{
	site_refresh(&site);
	site_send_error(&site, req, route(req));
}

/* Opens the content and the enquiry database in a new worker; false stops it. */
static bool worker_start(void)
{
	if (!site_open(&site, &cfg, "GET, HEAD, POST"))
		return false;
	/* Open the database now so the first visitor does not wait; if that
	 * fails, each post tries again and answers 503 until it works. */
	if (open_store() && with_team)
		team_watch_current(&team_watch);
	return true;
}

/* Sets up what posts are sealed to: the team file, checked once now so that
 * a problem shows in the log at start (posts are refused until it is
 * fixed), or without one the staff public key. False (said) for a
 * configuration that cannot work. */
static bool load_sealing_keys(char *err, size_t errlen)
{
	with_team = cfg.team_file[0] != '\0';
	if (!with_team)
		return seal_public_key_load(cfg.public_key, &staff_key, err, errlen);
	if (!team_watch_init(&team_watch, cfg.team_file, cfg.team_admin_key, remember_team, NULL,
	                     err, errlen))
		return false;
	team_watch_current(&team_watch);
	/* The workers open their own: an SQLite handle must not cross a fork. */
	store_close(store);
	store = NULL;
	return true;
}

int main(int argc, char **argv)
{
	struct program_args args;
	if (!program_start(argc, argv, "contact", &cfg, &args))
		return 1;
	char err[512];
	if (!load_sealing_keys(err, sizeof err) ||
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
	 * can seal to (its envelope adds well under 4 KiB to the body), in
	 * either format. */
	size_t largest = seal_bucket((size_t)cfg.max_body + 4096) + crypto_box_SEALBYTES;
	size_t largest2 = seal2_sealed_size(TEAM_MAX_SLOTS, (size_t)cfg.max_body + 4096);
	group_commit = group_commit_new(2 * (unsigned)cfg.contact_workers,
	                                largest2 > largest ? largest2 : largest);
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
	if (with_team)
		team_watch_free(&team_watch);
	ratelimit_free(rate_limit);
	group_commit_free(group_commit);
	config_free(&cfg);
	return status;
}
