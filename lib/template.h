/*
 * template: a small Mustache-like engine whose output is escaped by default.
 *
 * Syntax (whitespace inside the braces is allowed: {{ name }}):
 *   {{name}}            the value of name, HTML-escaped
 *   {{{name}}}          the value unescaped, but only if it was set with
 *                       tpl_set_html(); a plain text value is escaped anyway
 *   {{#name}}..{{/name}} a section: for a list, rendered once per item with the
 *                       item as the innermost scope; for a true flag or a
 *                       non-empty value, rendered once; otherwise skipped
 *   {{^name}}..{{/name}} rendered only when name is missing, false, empty or an
 *                       empty list
 *   {{>name}}           a partial: another template, fetched by name through
 *                       the lookup callback and rendered in the same scope
 *   {{!comment}}        nothing
 * Names are [A-Za-z0-9_.-]+. Lookup goes from the innermost scope outwards.
 * An unknown name renders as nothing. Sections nest to a depth of 32, partials
 * to a depth of 8; a deeper template, an unclosed or mismatched section, an
 * unknown tag form or a missing partial is an error (never a crash).
 */
#ifndef CLINIC_TEMPLATE_H
#define CLINIC_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* A scope: a set of names bound to text, trusted HTML, flags or lists of
 * child scopes. A scope owns copies of everything set in it and all its
 * child scopes; freeing the root frees them all. */
struct tpl_scope;

/* An empty root scope, or NULL on out of memory. */
struct tpl_scope *tpl_scope_new(void);
void tpl_scope_free(struct tpl_scope *scope);
/* Setting a name again replaces its value. All return false on out of memory. */
bool tpl_set(struct tpl_scope *scope, const char *name, const char *text);
/* Text of len bytes (need not be NUL-terminated). */
bool tpl_set_n(struct tpl_scope *scope, const char *name, const char *text, size_t len);
/* HTML we produced ourselves, which {{{name}}} puts in unescaped. */
bool tpl_set_html(struct tpl_scope *scope, const char *name, const char *html);
/* A flag, for {{#name}} and {{^name}}. */
bool tpl_set_flag(struct tpl_scope *scope, const char *name, bool on);
/* Appends a new empty child scope to the list called name (creating the list)
 * and returns it, or NULL on out of memory. The child belongs to scope. */
struct tpl_scope *tpl_add_item(struct tpl_scope *scope, const char *name);

/* Returns the source of the partial called name, or NULL if there is none;
 * *len receives its length. The source must stay valid during the render. */
typedef const char *(*tpl_lookup_fn)(void *arg, const char *name, size_t *len);

/* Renders source with scope into out (appending). On error returns false
 * and writes a one-line reason into err (out may then hold partial output). */
bool tpl_render(const char *source, size_t len, const struct tpl_scope *scope, tpl_lookup_fn lookup,
                void *lookup_arg, struct buf *out, char *err, size_t errlen);

/* Checks syntax only (sections balanced, tags well-formed); partials are not
 * followed. Used when content is compiled so a broken template never ships. */
bool tpl_check(const char *source, size_t len, char *err, size_t errlen);

#endif
