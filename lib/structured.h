/*
 * structured: the schema.org data (JSON-LD) a search engine reads on a page.
 *
 * Each function appends one whole <script type="application/ld+json"> block.
 * Every text goes through json_escape, so nothing the clinic writes can end
 * the script element; a block is data, which the pages' CSP lets through
 * without allowing any script to run. Addresses are absolute, built from
 * site_origin: with no site_origin the blocks that need one are left out.
 */
#ifndef CLINIC_STRUCTURED_H
#define CLINIC_STRUCTURED_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "content.h"

/* A step of a breadcrumb trail; the last one is the page itself. */
struct crumb {
	const char *name, *path;
};

/* The clinic (MedicalClinic): name, phone, email, address and opening hours
 * from the config, its therapies from the content. For the home page. */
bool structured_clinic(const struct config *cfg, const struct content *c, const char *description,
                       struct buf *out);

/* A page about a therapy (MedicalWebPage about a MedicalTherapy). */
bool structured_therapy_page(const struct config *cfg, const struct content_page *page,
                             struct buf *out);

/* A member of the team (Person with jobTitle, working for the clinic). */
bool structured_person(const struct config *cfg, const struct content_page *page, struct buf *out);

/* The FAQ (FAQPage): every question with its answer. */
bool structured_faq(const struct content *c, struct buf *out);

/* The trail from the home page to this one (BreadcrumbList). */
bool structured_breadcrumbs(const struct config *cfg, const struct crumb *crumbs, size_t n,
                            struct buf *out);

#endif
