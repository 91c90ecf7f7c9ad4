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

/* Error pages rendered once and kept until the content changes: a flood of
 * refused posts then costs no template work. */
#define SITE_ERROR_PAGES 32 /* more than the programs have distinct error pages */

struct site_error_page {
	int status;
	bool phone_hint;
	unsigned generation;
	char *title, *message, *html; /* NULL: the slot is free */
	size_t len;
};

struct site {
	const struct config *cfg;
	struct content *content;
	unsigned generation;  /* goes up each time a new build is loaded */
	long long checked_ns; /* CLOCK_MONOTONIC of the last look for a new build */
	const char *allow;    /* the methods this program answers, for 405's Allow */
	struct site_error_page errors[SITE_ERROR_PAGES];
};

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

/* Sends an error page from the "error" template, never cached by browsers
 * or nginx (the site keeps the rendered page itself). phone_hint adds the
 * clinic's phone and email. */
void site_send_error(struct site *site, struct request *req, int status, const char *title,
                     const char *message, bool phone_hint);

#endif
