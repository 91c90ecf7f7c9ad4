#include "content_source.h"

#include <cmark.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blanks.h"
#include "buf.h"
#include "utf8.h"

#define MAX_SOURCE (1024 * 1024)

static const char *const kinds[] = {"home", "therapy", "team", "page", "faq", "video", NULL};

/* Whether kind is one of the content kinds. */
static bool is_kind(const char *kind)
{
	for (size_t i = 0; kinds[i]; i++)
		if (strcmp(kinds[i], kind) == 0)
			return true;
	return false;
}

bool content_kind_has_path(const char *kind)
{
	return strcmp(kind, "faq") != 0 && strcmp(kind, "video") != 0;
}

/* Whether s is not empty and made of allowed only. */
static bool only_chars(const char *s, const char *allowed)
{
	return *s && strspn(s, allowed) == strlen(s);
}

/* A copy of n bytes of s without the spaces and tabs at either end (nor a final CR); NULL when
 * out of memory. */
static char *copy_trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	char *copy = malloc(n + 1);
	if (copy) {
		memcpy(copy, s, n);
		copy[n] = '\0';
	}
	return copy;
}

/* Appends the words of the document root to out, one space between blocks, for the search index. */
static bool collect_text(cmark_node *root, struct buf *out)
{
	cmark_iter *iter = cmark_iter_new(root);
	if (!iter)
		return false;
	cmark_event_type ev;
	while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(iter);
		cmark_node_type type = cmark_node_get_type(node);
		if (ev == CMARK_EVENT_ENTER &&
		    (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE)) {
			const char *literal = cmark_node_get_literal(node);
			if (literal)
				buf_puts(out, literal);
		} else if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK ||
		           (ev == CMARK_EVENT_EXIT &&
		            (type == CMARK_NODE_PARAGRAPH || type == CMARK_NODE_HEADING ||
		             type == CMARK_NODE_ITEM))) {
			if (out->len && out->data[out->len - 1] != ' ')
				buf_putc(out, ' ');
		}
	}
	cmark_iter_free(iter);
	if (out->len && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
	return !out->failed;
}

#define MAX_LINKS 1024

/* Keeps every link's destination with its line in the file (the body starts
 * on first_line). */
static bool collect_links(cmark_node *root, int first_line, struct content_source *out)
{
	cmark_iter *iter = cmark_iter_new(root);
	if (!iter)
		return false;
	bool ok = true;
	cmark_event_type ev;
	while (ok && (ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(iter);
		cmark_node_type type = cmark_node_get_type(node);
		if (ev != CMARK_EVENT_ENTER ||
		    (type != CMARK_NODE_LINK && type != CMARK_NODE_IMAGE))
			continue;
		const char *url = cmark_node_get_url(node);
		if (!url || out->link_count == MAX_LINKS)
			continue;
		if (!out->links) {
			out->links = calloc(MAX_LINKS, sizeof *out->links);
			ok = out->links != NULL;
		}
		if (ok) {
			struct content_link *link = &out->links[out->link_count];
			link->href = strdup(url);
			link->line = first_line + cmark_node_get_start_line(node) - 1;
			ok = link->href != NULL;
			out->link_count += ok;
		}
	}
	cmark_iter_free(iter);
	return ok;
}

/* Renders markdown into out's body_html, body_text and links (the body
 * starts on the file's line first_line). */
static bool render(const char *markdown, size_t len, int first_line, struct content_source *out)
{
	/* CMARK_OPT_DEFAULT leaves raw HTML out of the output ("<!-- raw HTML
	 * omitted -->"): content can never inject markup or script. */
	cmark_node *doc = cmark_parse_document(markdown, len, CMARK_OPT_DEFAULT | CMARK_OPT_SMART);
	if (!doc)
		return false;
	out->body_html = cmark_render_html(doc, CMARK_OPT_DEFAULT | CMARK_OPT_SMART);
	struct buf text;
	buf_init(&text, MAX_SOURCE);
	bool ok = out->body_html && collect_text(doc, &text) && collect_links(doc, first_line, out);
	out->body_text = buf_take(&text);
	cmark_node_free(doc);
	return ok && out->body_text;
}

/* Keeps value (taking it over) for the header key of a line; false with "line N: ..." in err
 * for an unknown or repeated key or a bad order. */
static bool set_key(struct content_source *out, const char *key, size_t key_len, char *value,
                    char *err, size_t errlen, int line)
{
	struct {
		const char *name;
		char **field;
	} fields[] = {{"title", &out->title},        {"kind", &out->kind}, {"path", &out->path},
	              {"summary", &out->summary},    {"id", &out->id},     {"url", &out->url},
	              {"job_title", &out->job_title}};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (strlen(fields[i].name) != key_len || memcmp(fields[i].name, key, key_len) != 0)
			continue;
		if (*fields[i].field) {
			snprintf(err, errlen, "line %d: '%s' is given twice", line, fields[i].name);
			free(value);
			return false;
		}
		*fields[i].field = value;
		if (fields[i].field == &out->title)
			out->title_line = line;
		return true;
	}
	if (key_len == 5 && memcmp(key, "order", 5) == 0) {
		char *end;
		errno = 0;
		out->order = strtol(value, &end, 10);
		bool ok = !errno && end != value && !*end;
		free(value);
		if (!ok)
			snprintf(err, errlen, "line %d: 'order' must be a whole number", line);
		return ok;
	}
	snprintf(err, errlen,
	         "line %d: unknown header '%.*s' (known: title, kind, path, summary, "
	         "order, id, url, job_title)",
	         line, (int)(key_len > 40 ? 40 : key_len), key);
	free(value);
	return false;
}

/* Whether the header gives what its kind needs, in the forms allowed; false with why in err. */
static bool check_fields(struct content_source *out, char *err, size_t errlen)
{
	if (!out->title || !*out->title) {
		snprintf(err, errlen, "the header has no title");
		return false;
	}
	if (!out->kind || !is_kind(out->kind)) {
		snprintf(err, errlen, "kind must be one of home, therapy, team, page, faq, video");
		return false;
	}
	bool needs_path = content_kind_has_path(out->kind);
	if (needs_path &&
	    (!out->path || out->path[0] != '/' ||
	     strspn(out->path, "/abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(out->path))) {
		snprintf(err, errlen, "path must start with / and use only a-z, 0-9, - and /");
		return false;
	}
	if (strcmp(out->kind, "faq") == 0 &&
	    (!out->id || !only_chars(out->id, "abcdefghijklmnopqrstuvwxyz0123456789-"))) {
		snprintf(err, errlen, "a faq needs an id made of a-z, 0-9 and -");
		return false;
	}
	if (strcmp(out->kind, "video") == 0 &&
	    (!out->url || strncmp(out->url, "https://", 8) != 0 || strpbrk(out->url, " \"'<>"))) {
		snprintf(err, errlen, "a video needs a url starting with https://");
		return false;
	}
	if (needs_path && (!out->summary || !*out->summary)) {
		snprintf(err, errlen,
		         "the header has no summary: every page needs one, as the description "
		         "search engines and link previews show");
		return false;
	}
	if (strcmp(out->kind, "team") == 0 && (!out->job_title || !*out->job_title)) {
		snprintf(err, errlen,
		         "a team member needs a job_title (what they do at the clinic)");
		return false;
	}
	const char *texts[] = {out->title, out->summary, out->path,
	                       out->id,    out->url,     out->job_title};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (texts[i] && !utf8_valid(texts[i], strlen(texts[i]))) {
			snprintf(err, errlen, "the header is not valid UTF-8");
			return false;
		}
	return true;
}

bool content_source_parse(const char *text, size_t len, struct content_source *out, char *err,
                          size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (errlen)
		err[0] = '\0';
	if (len > MAX_SOURCE) {
		snprintf(err, errlen, "the file is larger than 1 MiB");
		return false;
	}
	if (!utf8_valid(text, len)) {
		snprintf(err, errlen, "the file is not valid UTF-8");
		return false;
	}
	size_t pos = 0;
	int line = 0;
	bool ended = false;
	while (pos < len && !ended) {
		line++;
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		pos += n + (nl ? 1 : 0);
		if (n && start[n - 1] == '\r')
			n--;
		if (n == 3 && memcmp(start, "---", 3) == 0) {
			ended = true;
			break;
		}
		if (n == 0)
			continue;
		const char *colon = memchr(start, ':', n);
		if (!colon) {
			snprintf(err, errlen, "line %d: expected 'key: value' or '---'", line);
			content_source_free(out);
			return false;
		}
		size_t key_len = (size_t)(colon - start);
		char *value = copy_trimmed(colon + 1, n - key_len - 1);
		if (!value || !set_key(out, start, key_len, value, err, errlen, line)) {
			if (!value)
				snprintf(err, errlen, "out of memory");
			content_source_free(out);
			return false;
		}
	}
	if (!ended) {
		snprintf(err, errlen, "no '---' line ends the header");
		content_source_free(out);
		return false;
	}
	if (!check_fields(out, err, errlen)) {
		content_source_free(out);
		return false;
	}
	int blank_line;
	char why[200];
	if (!blanks_check(text + pos, len - pos, &blank_line, why, sizeof why)) {
		snprintf(err, errlen, "line %d: %s", line + blank_line, why);
		content_source_free(out);
		return false;
	}
	if (!content_kind_has_path(out->kind) && memmem(text + pos, len - pos, "{{", 2)) {
		snprintf(err, errlen,
		         "only pages may name config facts with {{...}}: FAQ answers and videos "
		         "are searched and listed as written");
		content_source_free(out);
		return false;
	}
	if (!render(text + pos, len - pos, line + 1, out)) {
		snprintf(err, errlen, "the Markdown could not be rendered");
		content_source_free(out);
		return false;
	}
	return true;
}

void content_source_free(struct content_source *src)
{
	char **fields[] = {&src->title, &src->kind,      &src->path,      &src->summary,  &src->id,
	                   &src->url,   &src->body_html, &src->body_text, &src->job_title};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
	for (size_t i = 0; i < src->link_count; i++)
		free(src->links[i].href);
	free(src->links);
	src->links = NULL;
	src->link_count = 0;
}
