#include "template.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

#define SECTION_DEPTH_MAX 32
#define PARTIAL_DEPTH_MAX 8
#define PARTIAL_NAME_MAX 128

enum value_kind { VALUE_TEXT, VALUE_HTML, VALUE_FLAG, VALUE_LIST };

struct binding {
	char *name;
	size_t name_len;
	enum value_kind kind;
	char *text; /* VALUE_TEXT, VALUE_HTML: NUL-terminated, len bytes */
	size_t len;
	bool on;                  /* VALUE_FLAG */
	struct tpl_scope **items; /* VALUE_LIST */
	size_t count, cap;
};

/* A scope holds only its own names. Its parent is not stored: while rendering,
 * each section over a list pushes a frame whose outer frame is the enclosing
 * scope, so lookups walk outwards through the scopes actually entered. */
struct tpl_scope {
	struct binding *bindings;
	size_t count, cap;
};

struct tpl_scope *tpl_scope_new(void)
{
	return calloc(1, sizeof(struct tpl_scope));
}

/* Values may be what a visitor typed into a form, so they are wiped. */
static void clear_value(struct binding *b)
{
	if (b->text) {
		sodium_memzero(b->text, b->len);
		free(b->text);
		b->text = NULL;
	}
	for (size_t i = 0; i < b->count; i++)
		tpl_scope_free(b->items[i]);
	free(b->items);
	b->items = NULL;
	b->count = b->cap = 0;
	b->len = 0;
	b->on = false;
}

void tpl_scope_free(struct tpl_scope *scope)
{
	if (!scope)
		return;
	for (size_t i = 0; i < scope->count; i++) {
		clear_value(&scope->bindings[i]);
		free(scope->bindings[i].name);
	}
	free(scope->bindings);
	free(scope);
}

/* The binding for name (len bytes) in scope itself, or NULL. */
static struct binding *find(const struct tpl_scope *scope, const char *name, size_t len)
{
	for (size_t i = 0; i < scope->count; i++) {
		struct binding *b = &scope->bindings[i];
		if (b->name_len == len && memcmp(b->name, name, len) == 0)
			return b;
	}
	return NULL;
}

/* Returns the binding for name with its old value cleared, creating it if
 * needed, or NULL on out of memory. */
static struct binding *bind(struct tpl_scope *scope, const char *name)
{
	size_t len = strlen(name);
	struct binding *b = find(scope, name, len);
	if (b) {
		clear_value(b);
		return b;
	}
	if (scope->count == scope->cap) {
		size_t cap = scope->cap ? scope->cap * 2 : 8;
		struct binding *grown = realloc(scope->bindings, cap * sizeof *grown);
		if (!grown)
			return NULL;
		scope->bindings = grown;
		scope->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return NULL;
	b = &scope->bindings[scope->count++];
	*b = (struct binding){.name = copy, .name_len = len};
	return b;
}

/* Binds a copy of text (len bytes) to name as kind; false when out of memory. */
static bool set_text(struct tpl_scope *scope, const char *name, const char *text, size_t len,
                     enum value_kind kind)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return false;
	memcpy(copy, text, len);
	copy[len] = '\0';
	struct binding *b = bind(scope, name);
	if (!b) {
		sodium_memzero(copy, len);
		free(copy);
		return false;
	}
	b->kind = kind;
	b->text = copy;
	b->len = len;
	return true;
}

bool tpl_set_n(struct tpl_scope *scope, const char *name, const char *text, size_t len)
{
	return set_text(scope, name, text ? text : "", text ? len : 0, VALUE_TEXT);
}

bool tpl_set(struct tpl_scope *scope, const char *name, const char *text)
{
	return tpl_set_n(scope, name, text, text ? strlen(text) : 0);
}

bool tpl_set_html(struct tpl_scope *scope, const char *name, const char *html)
{
	return set_text(scope, name, html ? html : "", html ? strlen(html) : 0, VALUE_HTML);
}

bool tpl_set_flag(struct tpl_scope *scope, const char *name, bool on)
{
	struct binding *b = bind(scope, name);
	if (!b)
		return false;
	b->kind = VALUE_FLAG;
	b->on = on;
	return true;
}

struct tpl_scope *tpl_add_item(struct tpl_scope *scope, const char *name)
{
	struct binding *b = find(scope, name, strlen(name));
	if (!b || b->kind != VALUE_LIST) {
		b = bind(scope, name);
		if (!b)
			return NULL;
		b->kind = VALUE_LIST;
	}
	if (b->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4;
		struct tpl_scope **grown = realloc(b->items, cap * sizeof *grown);
		if (!grown)
			return NULL;
		b->items = grown;
		b->cap = cap;
	}
	struct tpl_scope *item = tpl_scope_new();
	if (item)
		b->items[b->count++] = item;
	return item;
}

/* Rendering. */

struct frame {
	const struct tpl_scope *scope;
	const struct frame *outer;
};

struct render {
	tpl_lookup_fn lookup;
	void *lookup_arg;
	struct buf *out; /* NULL when only checking syntax */
	char *err;
	size_t errlen;
	int partial_depth;
};

/* The template being read and how far. */
struct cursor {
	const char *src;
	size_t len;
	size_t pos;
};

struct tag {
	char kind; /* 0 for a variable, or one of { # ^ / > ! */
	const char *name;
	size_t name_len;
	size_t at; /* where the tag starts, for error messages */
};

static bool fail(struct render *r, const struct cursor *c, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "line N: " and the message into r's err (N: the line of at); returns false. */
static bool fail(struct render *r, const struct cursor *c, size_t at, const char *fmt, ...)
{
	if (!r->errlen)
		return false;
	unsigned line = 1;
	for (size_t i = 0; i < at && i < c->len; i++)
		line += c->src[i] == '\n';
	int n = snprintf(r->err, r->errlen, "line %u: ", line);
	if (n >= 0 && (size_t)n < r->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Says the output grew past its limit; returns false. */
static bool out_of_space(struct render *r)
{
	snprintf(r->err, r->errlen, "the output exceeds its size limit");
	return false;
}

static bool is_name_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '-';
}

/* Moves c past white space. */
static void skip_space(struct cursor *c)
{
	while (c->pos < c->len && (c->src[c->pos] == ' ' || c->src[c->pos] == '\t' ||
	                           c->src[c->pos] == '\n' || c->src[c->pos] == '\r'))
		c->pos++;
}

/* Whether the source at c begins with s. */
static bool at_text(const struct cursor *c, const char *s)
{
	size_t n = strlen(s);
	return c->len - c->pos >= n && memcmp(c->src + c->pos, s, n) == 0;
}

/* Reads the tag whose "{{" is at c->pos and leaves c->pos just after it. */
static bool read_tag(struct render *r, struct cursor *c, struct tag *t)
{
	t->at = c->pos;
	c->pos += 2;
	t->kind = 0;
	if (at_text(c, "{")) {
		t->kind = '{';
		c->pos++;
	}
	skip_space(c);
	if (t->kind == 0 && c->pos < c->len && c->src[c->pos] != '\0' &&
	    strchr("#^/>!", c->src[c->pos])) {
		t->kind = c->src[c->pos++];
		skip_space(c);
	}
	if (t->kind == '!') {
		const char *end = memmem(c->src + c->pos, c->len - c->pos, "}}", 2);
		if (!end)
			return fail(r, c, t->at, "a comment is never closed with }}");
		c->pos = (size_t)(end - c->src) + 2;
		t->name_len = 0;
		return true;
	}
	t->name = c->src + c->pos;
	while (c->pos < c->len && is_name_char(c->src[c->pos]))
		c->pos++;
	t->name_len = (size_t)(c->src + c->pos - t->name);
	skip_space(c);
	const char *close = t->kind == '{' ? "}}}" : "}}";
	if (c->pos >= c->len)
		return fail(r, c, t->at, "a tag is never closed with %s", close);
	if (t->name_len == 0 || !at_text(c, close)) {
		unsigned char ch = (unsigned char)c->src[c->pos];
		char found[16];
		if (ch > 0x20 && ch < 0x7f)
			snprintf(found, sizeof found, "'%c'", ch);
		else
			snprintf(found, sizeof found, "byte 0x%02x", ch);
		return fail(r, c, t->at, "unknown tag form: %s where %s should be", found,
		            t->name_len ? close : "a name");
	}
	c->pos += strlen(close);
	return true;
}

/* The binding for the tag's name, looked up from the innermost scope out, or NULL. */
static const struct binding *lookup(const struct frame *f, const struct tag *t)
{
	for (; f; f = f->outer) {
		const struct binding *b = f->scope ? find(f->scope, t->name, t->name_len) : NULL;
		if (b)
			return b;
	}
	return NULL;
}

/* Whether b makes a section render: non-empty text, a set flag, a non-empty list. */
static bool truthy(const struct binding *b)
{
	if (!b)
		return false;
	switch (b->kind) {
	case VALUE_TEXT:
	case VALUE_HTML:
		return b->len > 0;
	case VALUE_FLAG:
		return b->on;
	case VALUE_LIST:
		return b->count > 0;
	}
	return false;
}

/* Renders a whole template source (or a partial's) in frame f. */
static bool render_source(struct render *r, const char *src, size_t len, const struct frame *f);

/* Renders (or, when f is NULL, only parses) from c->pos up to the {{/name}}
 * that closes open, or to the end of the source when open is NULL. */
static bool render_block(struct render *r, struct cursor *c, const struct frame *f,
                         const struct tag *open, int depth);

/* Appends the value of a {{name}} or {{{name}}} tag, escaped unless it was set as HTML. */
static bool render_variable(struct render *r, const struct tag *t, const struct frame *f)
{
	const struct binding *b = lookup(f, t);
	if (!b || (b->kind != VALUE_TEXT && b->kind != VALUE_HTML))
		return true;
	bool ok = t->kind == '{' && b->kind == VALUE_HTML ? buf_append(r->out, b->text, b->len)
	                                                  : html_escape(r->out, b->text, b->len);
	return ok || out_of_space(r);
}

/* Renders a {{#name}} or {{^name}} section once per item, once, or not at all, and moves c past
 * its end. */
static bool render_section(struct render *r, struct cursor *c, const struct frame *f,
                           const struct tag *t, int depth)
{
	if (depth >= SECTION_DEPTH_MAX)
		return fail(r, c, t->at, "sections nest deeper than %d", SECTION_DEPTH_MAX);
	const struct binding *b = f ? lookup(f, t) : NULL;
	bool shown = t->kind == '#' ? truthy(b) : !truthy(b);
	if (!f || !shown)
		return render_block(r, c, NULL, t, depth + 1);
	if (t->kind == '^' || b->kind != VALUE_LIST)
		return render_block(r, c, f, t, depth + 1);
	size_t body = c->pos;
	for (size_t i = 0; i < b->count; i++) {
		struct frame item = {b->items[i], f};
		c->pos = body;
		if (!render_block(r, c, &item, t, depth + 1))
			return false;
	}
	return true;
}

/* Renders the partial a {{>name}} tag names, in the same scope. */
static bool render_partial(struct render *r, struct cursor *c, const struct frame *f,
                           const struct tag *t)
{
	if (r->partial_depth >= PARTIAL_DEPTH_MAX)
		return fail(r, c, t->at, "partials nest deeper than %d", PARTIAL_DEPTH_MAX);
	if (t->name_len >= PARTIAL_NAME_MAX)
		return fail(r, c, t->at, "a partial name is too long");
	char name[PARTIAL_NAME_MAX];
	memcpy(name, t->name, t->name_len);
	name[t->name_len] = '\0';
	size_t len = 0;
	const char *src = r->lookup ? r->lookup(r->lookup_arg, name, &len) : NULL;
	if (!src)
		return fail(r, c, t->at, "there is no partial called '%s'", name);
	r->partial_depth++;
	bool ok = render_source(r, src, len, f);
	r->partial_depth--;
	if (!ok && r->partial_depth == 0 && r->errlen && !r->out->failed) {
		/* Say where the outermost failing partial was included. */
		char inner[256];
		snprintf(inner, sizeof inner, "%s", r->err);
		return fail(r, c, t->at, "in partial '%s': %s", name, inner);
	}
	return ok;
}

static bool render_block(struct render *r, struct cursor *c, const struct frame *f,
                         const struct tag *open, int depth)
{
	while (c->pos < c->len) {
		const char *next = memmem(c->src + c->pos, c->len - c->pos, "{{", 2);
		size_t text_end = next ? (size_t)(next - c->src) : c->len;
		if (f && !buf_append(r->out, c->src + c->pos, text_end - c->pos))
			return out_of_space(r);
		c->pos = text_end;
		if (!next)
			break;
		struct tag t;
		if (!read_tag(r, c, &t))
			return false;
		bool ok = true;
		switch (t.kind) {
		case '!':
			break;
		case 0:
		case '{':
			ok = !f || render_variable(r, &t, f);
			break;
		case '#':
		case '^':
			ok = render_section(r, c, f, &t, depth);
			break;
		case '>':
			ok = !f || render_partial(r, c, f, &t);
			break;
		case '/':
			if (!open)
				return fail(r, c, t.at, "{{/%.*s}} closes no section",
				            (int)t.name_len, t.name);
			if (t.name_len != open->name_len || memcmp(t.name, open->name, t.name_len))
				return fail(r, c, t.at, "{{/%.*s}} does not close {{%c%.*s}}",
				            (int)t.name_len, t.name, open->kind,
				            (int)open->name_len, open->name);
			return true;
		}
		if (!ok)
			return false;
	}
	if (open)
		return fail(r, c, open->at, "{{%c%.*s}} is never closed", open->kind,
		            (int)open->name_len, open->name);
	return true;
}

static bool render_source(struct render *r, const char *src, size_t len, const struct frame *f)
{
	struct cursor c = {src, len, 0};
	return render_block(r, &c, f, NULL, 0);
}

bool tpl_render(const char *source, size_t len, const struct tpl_scope *scope, tpl_lookup_fn lookup,
                void *lookup_arg, struct buf *out, char *err, size_t errlen)
{
	struct render r = {lookup, lookup_arg, out, err, errlen, 0};
	struct frame root = {scope, NULL};
	if (errlen)
		err[0] = '\0';
	if (out->failed)
		return out_of_space(&r);
	return render_source(&r, source, len, &root);
}

bool tpl_check(const char *source, size_t len, char *err, size_t errlen)
{
	struct render r = {NULL, NULL, NULL, err, errlen, 0};
	if (errlen)
		err[0] = '\0';
	return render_source(&r, source, len, NULL);
}
