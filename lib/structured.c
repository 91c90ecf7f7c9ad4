#include "structured.h"

#include <string.h>
#include <time.h>

#include "hours.h"
#include "html.h"
#include "log.h"

#define MAX_LISTED 256
#define MAX_DEPTH 8

/* A JSON writer just big enough for these blocks: objects and arrays with
 * string values, commas placed by depth. */
struct json {
	struct buf *out;
	int depth;
	bool started[MAX_DEPTH]; /* something written at this depth already */
};

/* A comma before every value at this depth but the first. */
static void json_comma(struct json *j)
{
	if (j->started[j->depth])
		buf_putc(j->out, ',');
	j->started[j->depth] = true;
}

/* Starts a value: its comma, and "key": unless inside an array (key NULL). */
static void json_key(struct json *j, const char *key)
{
	json_comma(j);
	if (key) {
		buf_putc(j->out, '"');
		json_escape(j->out, key, strlen(key));
		buf_puts(j->out, "\":");
	}
}

/* Opens an object ('{') or array ('['), as the value of key (NULL inside an
 * array), optionally with its @type. */
static void json_open(struct json *j, const char *key, char bracket, const char *type)
{
	json_key(j, key);
	buf_putc(j->out, bracket);
	if (j->depth + 1 < MAX_DEPTH)
		j->depth++;
	j->started[j->depth] = false;
	if (type) {
		json_key(j, "@type");
		buf_putc(j->out, '"');
		json_escape(j->out, type, strlen(type));
		buf_putc(j->out, '"');
	}
}

/* Ends the innermost object ('}') or array (']'). */
static void json_close(struct json *j, char bracket)
{
	buf_putc(j->out, bracket);
	if (j->depth > 0)
		j->depth--;
}

/* "key":"value"; nothing for an empty value, which schema.org reads as
 * a statement that the value is empty. */
static void json_string(struct json *j, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	json_key(j, key);
	buf_putc(j->out, '"');
	json_escape(j->out, value, strlen(value));
	buf_putc(j->out, '"');
}

/* "key":"origin + path" */
static void json_url(struct json *j, const char *key, const struct config *cfg, const char *path)
{
	json_key(j, key);
	buf_putc(j->out, '"');
	json_escape(j->out, cfg->site_origin, strlen(cfg->site_origin));
	json_escape(j->out, path, strlen(path));
	buf_putc(j->out, '"');
}

/* Opens a <script> data block holding one schema.org item of type. */
static void block_start(struct json *j, struct buf *out, const char *type)
{
	memset(j, 0, sizeof *j);
	j->out = out;
	buf_puts(out, "<script type=\"application/ld+json\">");
	json_open(j, NULL, '{', NULL);
	json_string(j, "@context", "https://schema.org");
	json_string(j, "@type", type);
}

/* Closes the item and its block; false if out ran out of room. */
static bool block_end(struct json *j)
{
	json_close(j, '}');
	buf_puts(j->out, "</script>\n");
	return !j->out->failed;
}

/* The clinic as a reference from other blocks: its name and home page. */
static void clinic_reference(struct json *j, const char *key, const struct config *cfg)
{
	json_open(j, key, '{', "MedicalClinic");
	json_string(j, "name", cfg->clinic_name);
	json_url(j, "url", cfg, "/");
	json_close(j, '}');
}

bool structured_clinic(const struct config *cfg, const struct content *c, const char *description,
                       struct buf *out)
{
	if (!cfg->site_origin[0])
		return true;
	struct json j;
	block_start(&j, out, "MedicalClinic");
	json_url(&j, "@id", cfg, "/#clinic");
	json_string(&j, "name", cfg->clinic_name);
	json_string(&j, "description", description);
	json_url(&j, "url", cfg, "/");
	json_url(&j, "image", cfg, "/static/share.png");
	json_string(&j, "telephone", cfg->clinic_phone);
	json_string(&j, "email", cfg->clinic_email);
	if (cfg->clinic_street_address[0] || cfg->clinic_locality[0] || cfg->clinic_postcode[0]) {
		json_open(&j, "address", '{', "PostalAddress");
		json_string(&j, "streetAddress", cfg->clinic_street_address);
		json_string(&j, "addressLocality", cfg->clinic_locality);
		json_string(&j, "postalCode", cfg->clinic_postcode);
		json_string(&j, "addressCountry", cfg->clinic_country);
		json_close(&j, '}');
	}
	struct hours hours;
	char err[160];
	if (!hours_parse(cfg->opening_hours, &hours, err, sizeof err)) {
		log_error("opening_hours %s", err); /* config_load refuses this */
		hours.count = 0;
	}
	if (hours.count) {
		json_open(&j, "openingHoursSpecification", '[', NULL);
		for (size_t i = 0; i < hours.count; i++) {
			const struct hours_rule *r = &hours.rules[i];
			json_open(&j, NULL, '{', "OpeningHoursSpecification");
			json_open(&j, "dayOfWeek", '[', NULL);
			for (unsigned d = r->first_day; d <= r->last_day; d++)
				json_string(&j, NULL, hours_day_name(d));
			json_close(&j, ']');
			json_string(&j, "opens", r->opens);
			json_string(&j, "closes", r->closes);
			json_close(&j, '}');
		}
		json_close(&j, ']');
	}
	const struct content_page *therapies[MAX_LISTED];
	size_t n = content_list(c, "therapy", therapies, MAX_LISTED);
	if (n) {
		json_open(&j, "availableService", '[', NULL);
		for (size_t i = 0; i < n; i++) {
			json_open(&j, NULL, '{', "MedicalTherapy");
			json_string(&j, "name", therapies[i]->title);
			json_string(&j, "description", therapies[i]->summary);
			json_url(&j, "url", cfg, therapies[i]->path);
			json_close(&j, '}');
		}
		json_close(&j, ']');
	}
	return block_end(&j);
}

/* schema.org's Date: YYYY-MM-DD. */
static void json_date(struct json *j, const char *key, time_t t)
{
	char day[16];
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	json_string(j, key, day);
}

bool structured_therapy_page(const struct config *cfg, const struct content_page *page,
                             struct buf *out)
{
	if (!cfg->site_origin[0])
		return true;
	struct json j;
	block_start(&j, out, "MedicalWebPage");
	json_string(&j, "name", page->title);
	json_string(&j, "description", page->summary);
	json_url(&j, "url", cfg, page->path);
	json_string(&j, "inLanguage", cfg->site_language);
	if (page->modified)
		json_date(&j, "dateModified", page->modified);
	json_open(&j, "about", '{', "MedicalTherapy");
	json_string(&j, "name", page->title);
	json_string(&j, "description", page->summary);
	json_close(&j, '}');
	clinic_reference(&j, "publisher", cfg);
	return block_end(&j);
}

bool structured_person(const struct config *cfg, const struct content_page *page, struct buf *out)
{
	if (!cfg->site_origin[0])
		return true;
	struct json j;
	block_start(&j, out, "Person");
	json_string(&j, "name", page->title);
	json_string(&j, "jobTitle", page->job_title);
	json_string(&j, "description", page->summary);
	json_url(&j, "url", cfg, page->path);
	clinic_reference(&j, "worksFor", cfg);
	return block_end(&j);
}

bool structured_faq(const struct content *c, struct buf *out)
{
	const struct content_page *faqs[MAX_LISTED];
	size_t n = content_list(c, "faq", faqs, MAX_LISTED);
	struct json j;
	block_start(&j, out, "FAQPage");
	json_open(&j, "mainEntity", '[', NULL);
	for (size_t i = 0; i < n; i++) {
		json_open(&j, NULL, '{', "Question");
		json_string(&j, "name", faqs[i]->title);
		json_open(&j, "acceptedAnswer", '{', "Answer");
		json_string(&j, "text", faqs[i]->body_html);
		json_close(&j, '}');
		json_close(&j, '}');
	}
	json_close(&j, ']');
	return block_end(&j);
}

bool structured_breadcrumbs(const struct config *cfg, const struct crumb *crumbs, size_t n,
                            struct buf *out)
{
	if (!cfg->site_origin[0] || n < 2)
		return true;
	struct json j;
	block_start(&j, out, "BreadcrumbList");
	json_open(&j, "itemListElement", '[', NULL);
	for (size_t i = 0; i < n; i++) {
		json_open(&j, NULL, '{', "ListItem");
		json_key(&j, "position");
		buf_printf(out, "%zu", i + 1);
		json_string(&j, "name", crumbs[i].name);
		json_url(&j, "item", cfg, crumbs[i].path);
		json_close(&j, '}');
	}
	json_close(&j, ']');
	return block_end(&j);
}
