/*
 * The template engine: a template (and two partials) from the input,
 * rendered with a small fixed scope, and checked on its own.
 *
 * Input: MAIN [ '\0' ONE [ '\0' TWO ] ]; the partials "one" and "two" are
 * those pieces, "self" is MAIN again (recursion), "fixed" is a known good
 * template. Templates are the clinic's own, so the work a hostile one can
 * cause is bounded here (few list sections, few partial lookups) only to keep
 * runs fast; everything else is the engine's own promise.
 *
 * Checked: a template that renders also passes tpl_check; one that passes
 * tpl_check and uses no partials renders; a text value is always escaped,
 * even in triple braces; an error comes with a message; rendering twice gives
 * the same bytes.
 */
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "template.h"

#include "fuzz.h"

#define INPUT_LIMIT 4096
#define MAX_SECTIONS 6 /* '#' bytes: a list section nested k deep renders 2^k times */
#define MAX_LOOKUPS 64
#define OUTPUT_LIMIT (1024 * 1024)
/* Text values hold markup around DEL, a byte no accepted input holds: so an
 * unescaped '<' or '>' next to DEL in the output can only be a leak. */
#define EVIL "<\x7f-evil\x7f>"

struct parts {
	const char *main, *one, *two;
	size_t main_len, one_len, two_len;
	int lookups;
};

static const char fixed[] = "<p>{{name}} {{{html}}} {{#items}}[{{n}}{{#sub}}({{n}}){{/sub}}]"
                            "{{/items}}{{^empty}}none{{/empty}}</p>";

static const char *lookup(void *arg, const char *name, size_t *len)
{
	struct parts *p = arg;
	if (++p->lookups > MAX_LOOKUPS)
		return NULL;
	if (strcmp(name, "self") == 0) {
		*len = p->main_len;
		return p->main;
	}
	if (strcmp(name, "one") == 0 && p->one) {
		*len = p->one_len;
		return p->one;
	}
	if (strcmp(name, "two") == 0 && p->two) {
		*len = p->two_len;
		return p->two;
	}
	if (strcmp(name, "fixed") == 0) {
		*len = sizeof fixed - 1;
		return fixed;
	}
	return NULL;
}

static struct tpl_scope *make_scope(void)
{
	struct tpl_scope *root = tpl_scope_new();
	FUZZ_CHECK(root != NULL);
	bool ok = tpl_set(root, "name", EVIL "\"'&") &&
	          tpl_set_html(root, "html", "<b>trusted</b>") &&
	          tpl_set_flag(root, "flag", true) && tpl_set_flag(root, "off", false) &&
	          tpl_set(root, "empty", "") && tpl_set_n(root, "nul", "a\0b", 3);
	for (int i = 0; ok && i < 2; i++) {
		struct tpl_scope *item = tpl_add_item(root, "items");
		ok = item && tpl_set(item, "n", i ? "2" : "1") &&
		     (i == 0 || tpl_set(item, "name", "second " EVIL));
		if (ok && i == 1) {
			struct tpl_scope *sub = tpl_add_item(item, "sub");
			ok = sub && tpl_set(sub, "n", "2.1");
		}
	}
	FUZZ_CHECK(ok);
	return root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_LIMIT)
		return 0;
	size_t sections = 0;
	for (size_t i = 0; i < size; i++)
		sections += data[i] == '#';
	if (sections > MAX_SECTIONS || memchr(data, 0x7f, size))
		return 0;

	/* Exact-size copies, so reading past a piece is caught. */
	char *copy = malloc(size ? size : 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	struct parts p = {.main = copy};
	const char *end = copy + size;
	const char *cut = memchr(copy, '\0', size);
	p.main_len = cut ? (size_t)(cut - copy) : size;
	if (cut) {
		p.one = cut + 1;
		const char *cut2 = memchr(p.one, '\0', (size_t)(end - p.one));
		p.one_len = cut2 ? (size_t)(cut2 - p.one) : (size_t)(end - p.one);
		if (cut2) {
			p.two = cut2 + 1;
			p.two_len = (size_t)(end - p.two);
		}
	}
	char *main_copy = malloc(p.main_len ? p.main_len : 1);
	FUZZ_CHECK(main_copy != NULL);
	memcpy(main_copy, p.main, p.main_len);

	char check_err[256] = "";
	bool checked = tpl_check(main_copy, p.main_len, check_err, sizeof check_err);
	if (!checked)
		FUZZ_CHECK(check_err[0] != '\0');

	struct tpl_scope *scope = make_scope();
	struct buf out;
	buf_init(&out, OUTPUT_LIMIT);
	char err[256] = "";
	bool rendered = tpl_render(main_copy, p.main_len, scope, lookup, &p, &out, err, sizeof err);
	if (rendered) {
		FUZZ_CHECK(checked);
		FUZZ_CHECK(!out.failed);
		FUZZ_CHECK(out.data == NULL || out.data[out.len] == '\0');
		if (out.len) {
			FUZZ_CHECK(!memmem(out.data, out.len, "<\x7f", 2));
			FUZZ_CHECK(!memmem(out.data, out.len, "\x7f>", 2));
		}
	} else {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
		if (checked && !memchr(main_copy, '>', p.main_len))
			FUZZ_CHECK(out.failed);
	}

	/* Rendering again gives the same bytes. */
	struct buf again;
	buf_init(&again, OUTPUT_LIMIT);
	p.lookups = 0;
	bool rendered_again =
	    tpl_render(main_copy, p.main_len, scope, lookup, &p, &again, err, sizeof err);
	FUZZ_CHECK(rendered_again == rendered);
	if (rendered && out.len)
		FUZZ_CHECK(again.len == out.len && memcmp(again.data, out.data, out.len) == 0);
	else if (rendered)
		FUZZ_CHECK(again.len == 0);

	buf_free(&again);
	buf_free(&out);
	tpl_scope_free(scope);
	free(main_copy);
	free(copy);
	return 0;
}
