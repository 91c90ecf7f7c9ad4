/*
 * site: what every page of the site shares — the content database (reopened
 * when a new build appears), the common template scope, and error pages.
 */
#ifndef CLINIC_SITE_H
#define CLINIC_SITE_H

#include <stdbool.h>

#include "buf.h"
#include "config.h"
#include "content.h"
#include "http.h"
#include "template.h"

#define PAGE_LIMIT (4 * 1024 * 1024)

/* Every error page the programs send, each with its status and words in
 * one table in site.c. */
enum site_error {
	SITE_ERR_NONE = 0,               /* no error page: the handler has answered */
	SITE_ERR_NOT_FOUND,              /* pages.fcgi: no page at that path (404) */
	SITE_ERR_PAGES_METHOD,           /* pages.fcgi: not GET or HEAD (405) */
	SITE_ERR_PAGE_FAILED,            /* pages.fcgi: the page would not render (500) */
	SITE_ERR_PAGE_NO_MEMORY,         /* pages.fcgi: no memory to keep the page (500) */
	SITE_ERR_NO_FORM,                /* contact.fcgi: no form at that path (404) */
	SITE_ERR_FORM_METHOD,            /* contact.fcgi: a form, not GET, HEAD or POST (405) */
	SITE_ERR_THANKS_METHOD,          /* contact.fcgi: /thanks, not GET or HEAD (405) */
	SITE_ERR_FORM_FAILED,            /* the form would not render (500) */
	SITE_ERR_THANKS_FAILED,          /* the thank-you page would not render (500) */
	SITE_ERR_CROSS_SITE,             /* posted from another site (403) */
	SITE_ERR_NOT_URLENCODED,         /* a body that is not a urlencoded form (415) */
	SITE_ERR_TOO_LONG,               /* a body over max_body (413) */
	SITE_ERR_NO_LENGTH,              /* a missing or malformed Content-Length (400) */
	SITE_ERR_NOT_A_FORM,             /* a body that does not decode (400) */
	SITE_ERR_NOT_A_FORM_NO_MEMORY,   /* no memory to decode it (503) */
	SITE_ERR_NOT_OUR_FORM,           /* unknown or repeated fields (400) */
	SITE_ERR_NOT_OUR_FORM_NO_MEMORY, /* no memory to check it (503) */
	SITE_ERR_FORGED_TOKEN,           /* a missing or forged form token (403) */
	SITE_ERR_RATE_LIMITED,           /* too many posts from one client (429) */
	SITE_ERR_NOT_SAVED,              /* the enquiry could not be committed (503) */
	SITE_ERR__MAX
};

/* What an error page says. */
struct site_error_text {
	int status;
	const char *title, *message;
	bool phone_hint; /* adds the clinic's phone and email */
};

/* An error page rendered once and kept until the content changes: a flood
 * of refused posts then costs no template work. */
struct site_error_page {
	unsigned generation;
	char *html; /* NULL: not rendered for this generation yet */
	size_t len;
};

struct site {
	const struct config *cfg;
	struct content *content;
	unsigned generation;  /* goes up each time a new build is loaded */
	long long checked_ns; /* CLOCK_MONOTONIC of the last look for a new build */
	const char *allow;    /* the methods this program answers, for 405's Allow */
	struct site_error_page errors[SITE_ERR__MAX];
};

/* Opens the content database for a program that answers the methods in
 * allow ("GET, HEAD"); false (logged) if it cannot be read. */
bool site_open(struct site *site, const struct config *cfg, const char *allow);
/* Loads a new content build if one appeared (looking at most every 100 ms);
 * returns true if it did. */
bool site_refresh(struct site *site);
void site_close(struct site *site);

/* A scope holding the variables every template may use; section is one of
 * home, therapies, faq, team, contact, start (or NULL). */
struct tpl_scope *site_scope(const struct site *site, const char *page_title,
                             const char *description, const char *section);

/* Renders the named template into out; false (logged) if it fails. */
bool site_render(const struct site *site, const char *name, const struct tpl_scope *scope,
                 struct buf *out);

/* The status and words of error (SITE_ERR_NONE has none: status 0). */
const struct site_error_text *site_error_text(enum site_error error);

/* Renders the "error" template for text into out; false (logged) if it
 * fails. The words are escaped like any other text. */
bool site_render_error(const struct site *site, const struct site_error_text *text,
                       struct buf *out);

/* Sends the page for error, never cached by browsers or nginx (the site
 * keeps the rendered page itself); SITE_ERR_NONE sends nothing. */
void site_send_error(struct site *site, struct request *req, enum site_error error);

#endif
