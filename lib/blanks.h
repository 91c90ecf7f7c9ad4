/*
 * blanks: facts from the config that a content page may name, so that what
 * a page says (the privacy notice's retention period, who the data
 * controller is) is the very setting the programs and the staff tool obey.
 *
 * In a page's Markdown a blank is written {{name}}, with a name from the
 * table in blanks.c; build-content refuses any other {{...}}, and pages.fcgi
 * fills each blank from the config when it renders the page. Adding a fact
 * is one row in that table.
 */
#ifndef CLINIC_BLANKS_H
#define CLINIC_BLANKS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

enum blank {
	BLANK_CLINIC_NAME,
	BLANK_CLINIC_PHONE,
	BLANK_CLINIC_EMAIL,
	BLANK_DATA_CONTROLLER,
	BLANK_PRIVACY_CONTACT,
	BLANK_ICO_REGISTRATION,
	BLANK_RETENTION_DAYS,
	BLANK_RATE_LIMIT_WINDOW,
	BLANK_RATE_LIMIT_POSTS,
	BLANK__MAX
};

/* The blank called name (len bytes), or BLANK__MAX if there is none. */
enum blank blank_find(const char *name, size_t len);

/* Finds the first {{...}} in text that is not a known blank. Returns true if
 * there is none; otherwise false, with the 1-based line within text in
 * *line and a sentence in err. */
bool blanks_check(const char *text, size_t len, int *line, char *err, size_t errlen);

/* Appends html to out with every {{name}} filled from cfg, escaped (an email
 * address becomes a mailto: link). A setting left empty reads "(not yet
 * stated)". False only when out is full. */
bool blanks_fill(const struct config *cfg, const char *html, struct buf *out);

/* The text of one blank as cfg gives it (no escaping; never NULL). */
const char *blank_text(const struct config *cfg, enum blank b, char *scratch, size_t scratch_len);

#endif
