/*
 * A Markdown content file with its header, as tools/build-content reads the
 * clinic's site/content/ (the clinic's own text, but edited by hand: a typo
 * must give an error, never a crash or a broken page).
 *
 * Checked: a parse either fails with a message or gives a page whose header
 * fields obey content_source.h; the rendered HTML never carries raw HTML or
 * script from the source (cmark's safe mode), and the search text has no
 * markup.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "content_source.h"
#include "utf8.h"

#include "fuzz.h"

#define INPUT_LIMIT (256 * 1024)

static const char *const kinds[] = {"home", "therapy", "team", "page", "faq", "video"};

static bool only(const char *s, const char *allowed)
{
	return strspn(s, allowed) == strlen(s);
}

static bool contains_ci(const char *haystack, const char *needle)
{
	return strcasestr(haystack, needle) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_LIMIT)
		return 0;
	/* The parser must not read past len: give it an exact-size copy. */
	char *text = malloc(size ? size : 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data, size);

	struct content_source src;
	char err[256];
	memset(err, 0, sizeof err);
	bool ok = content_source_parse(text, size, &src, err, sizeof err);
	if (!ok) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
		content_source_free(&src);
		free(text);
		return 0;
	}

	FUZZ_CHECK(src.title && src.title[0] && utf8_valid(src.title, strlen(src.title)));
	bool known = false;
	for (size_t i = 0; src.kind && i < sizeof kinds / sizeof kinds[0]; i++)
		known = known || strcmp(src.kind, kinds[i]) == 0;
	FUZZ_CHECK(known);
	bool has_path = strcmp(src.kind, "faq") != 0 && strcmp(src.kind, "video") != 0;
	if (has_path)
		FUZZ_CHECK(src.path && src.path[0] == '/' &&
		           only(src.path, "/abcdefghijklmnopqrstuvwxyz0123456789-"));
	if (strcmp(src.kind, "faq") == 0)
		FUZZ_CHECK(src.id && src.id[0] &&
		           only(src.id, "abcdefghijklmnopqrstuvwxyz0123456789-"));
	if (strcmp(src.kind, "video") == 0)
		FUZZ_CHECK(src.url && strncmp(src.url, "https://", 8) == 0 &&
		           !strpbrk(src.url, " \"'<>"));

	FUZZ_CHECK(src.body_html && src.body_text);
	/* Raw HTML in the source is omitted, and unsafe link schemes dropped. */
	FUZZ_CHECK(!contains_ci(src.body_html, "<script"));
	FUZZ_CHECK(!contains_ci(src.body_html, "<iframe"));
	FUZZ_CHECK(!contains_ci(src.body_html, "<style"));
	FUZZ_CHECK(!contains_ci(src.body_html, "href=\"javascript:"));
	FUZZ_CHECK(!contains_ci(src.body_html, "src=\"javascript:"));
	FUZZ_CHECK(!contains_ci(src.body_html, "href=\"vbscript:"));
	FUZZ_CHECK(utf8_valid(src.body_html, strlen(src.body_html)));
	FUZZ_CHECK(utf8_valid(src.body_text, strlen(src.body_text)));
	/* A page needs its description, a team member a job title; every link
	 * is kept with a line that is in the file. */
	if (has_path)
		FUZZ_CHECK(src.summary && src.summary[0]);
	if (strcmp(src.kind, "team") == 0)
		FUZZ_CHECK(src.job_title && src.job_title[0]);
	/* CommonMark ends a line at \n, \r\n or a lone \r. */
	int lines = 1;
	for (size_t i = 0; i < size; i++)
		lines +=
		    text[i] == '\n' || (text[i] == '\r' && (i + 1 == size || text[i + 1] != '\n'));
	for (size_t i = 0; i < src.link_count; i++)
		FUZZ_CHECK(src.links[i].href && src.links[i].line >= 1 &&
		           src.links[i].line <= lines);
	FUZZ_CHECK(src.title_line >= 1 && src.title_line <= lines);

	content_source_free(&src);
	FUZZ_CHECK(src.title == NULL && src.body_html == NULL && src.body_text == NULL);
	free(text);
	return 0;
}
