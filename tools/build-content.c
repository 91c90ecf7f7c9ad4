/*
 * build-content: compiles the site's Markdown and templates into the content
 * database the programs read, and swaps it into place atomically.
 *
 *   tools/build-content SITE_DIR OUTPUT.db
 *
 * SITE_DIR holds content/ (Markdown files, any depth) and templates/ (*.html).
 * Any error names the file (and line) and stops the build; the old database
 * stays. Besides each file's own rules (content_source.h), the build refuses
 * a link to a page that does not exist (content, templates), a link to an
 * FAQ question that does not exist, and two pages with the same title.
 *
 * A page's "modified" time is carried over from the database being replaced
 * while its source stays the same, so the sitemap's lastmod says when a page
 * last changed, not when the site was last built.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "content_source.h"
#include "sitemap.h"
#include "template.h"

#define MAX_FILES 1024
#define MAX_FILE_BYTES (1024 * 1024)

static char *files[MAX_FILES];
static size_t file_count;
static bool too_many_files;

/* Every content file, parsed, with what the checks and the carry-over need. */
struct source_file {
	const char *name;
	struct content_source src;
	char hash[33]; /* of the file's bytes */
	time_t modified;
};

static struct source_file sources[MAX_FILES];
static size_t source_count;

static const char schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE pages(path TEXT UNIQUE, kind TEXT NOT NULL, title TEXT NOT NULL,"
    " summary TEXT, anchor TEXT UNIQUE, url TEXT, body_html TEXT NOT NULL,"
    " sort INTEGER NOT NULL DEFAULT 0, job_title TEXT, source_hash TEXT NOT NULL,"
    " modified INTEGER NOT NULL);"
    "CREATE TABLE templates(name TEXT PRIMARY KEY, source TEXT NOT NULL);"
    "CREATE VIRTUAL TABLE faq_index USING fts5(question, answer, anchor UNINDEXED,"
    " tokenize = 'porter unicode61 remove_diacritics 2');";

/* nftw's callback: keeps the path of each .md file. */
static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t n = strlen(path);
	if (type != FTW_F || n < 4 || strcmp(path + n - 3, ".md") != 0)
		return 0;
	if (file_count == MAX_FILES) {
		too_many_files = true;
		return 1;
	}
	files[file_count] = strdup(path);
	return files[file_count++] ? 0 : 1;
}

/* qsort's order of paths. */
static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The whole file at path (free it), or NULL with why in err. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	char *data = malloc(MAX_FILE_BYTES + 1);
	size_t n = data ? fread(data, 1, MAX_FILE_BYTES + 1, f) : 0;
	if (!data)
		snprintf(err, errlen, "out of memory");
	else if (ferror(f))
		snprintf(err, errlen, "%s", strerror(errno));
	else if (n > MAX_FILE_BYTES)
		snprintf(err, errlen, "it is larger than %d bytes", MAX_FILE_BYTES);
	bool ok = data && !ferror(f) && n <= MAX_FILE_BYTES;
	fclose(f);
	if (!ok) {
		free(data);
		return NULL;
	}
	data[n] = '\0';
	*len = n;
	return data;
}

/* Runs sql; false (said) if it fails. */
static bool exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return true;
	fprintf(stderr, "build-content: database error: %s\n", msg ? msg : "unknown");
	sqlite3_free(msg);
	return false;
}

/* Adds the page parsed from f->name, and its FAQ index entry; false (said) if it fails. */
static bool insert_page(sqlite3 *db, const struct source_file *f)
{
	const char *file = f->name;
	const struct content_source *src = &f->src;
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO pages(path, kind, title, summary, anchor, url, "
	                       "body_html, sort, job_title, source_hash, modified) "
	                       "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	                       -1, &stmt, NULL) != SQLITE_OK)
		return false;
	bool faq = strcmp(src->kind, "faq") == 0;
	bool video = strcmp(src->kind, "video") == 0;
	sqlite3_bind_text(stmt, 1, faq || video ? NULL : src->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, src->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, src->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, src->summary, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, faq ? src->id : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, src->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, src->body_html, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, src->order);
	sqlite3_bind_text(stmt, 9, src->job_title, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, f->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 11, (sqlite3_int64)f->modified);
	int rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "build-content: %s: %s (is the path or id used twice?)\n", file,
		        sqlite3_errmsg(db));
		return false;
	}
	if (!faq)
		return true;
	if (sqlite3_prepare_v2(db, "INSERT INTO faq_index(question, answer, anchor) VALUES (?,?,?)",
	                       -1, &stmt, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(stmt, 1, src->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, src->body_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, src->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE;
}

/* Reads and parses every content file into sources[]. */
static bool read_content(const char *site)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/content", site);
	if (nftw(dir, collect, 16, FTW_PHYS) != 0 || too_many_files) {
		fprintf(stderr, "build-content: cannot read %s: %s\n", dir,
		        too_many_files ? "too many files" : strerror(errno));
		return false;
	}
	qsort(files, file_count, sizeof files[0], by_name);
	for (size_t i = 0; i < file_count; i++) {
		size_t len;
		char err[256];
		char *text = read_file(files[i], &len, err, sizeof err);
		if (!text) {
			fprintf(stderr, "build-content: cannot read %s: %s\n", files[i], err);
			return false;
		}
		struct source_file *f = &sources[source_count];
		f->name = files[i];
		unsigned char hash[16];
		crypto_generichash(hash, sizeof hash, (const unsigned char *)text, len, NULL, 0);
		sodium_bin2hex(f->hash, sizeof f->hash, hash, sizeof hash);
		bool ok = content_source_parse(text, len, &f->src, err, sizeof err);
		free(text);
		if (!ok) {
			fprintf(stderr, "build-content: %s: %s\n", files[i], err);
			return false;
		}
		source_count++;
	}
	return true;
}

/* The content file whose page is at path, or NULL. */
static const struct source_file *page_at(const char *path)
{
	for (size_t i = 0; i < source_count; i++)
		if (sources[i].src.path && content_kind_has_path(sources[i].src.kind) &&
		    strcmp(sources[i].src.path, path) == 0)
			return &sources[i];
	return NULL;
}

/* Whether some FAQ entry has the id (len bytes). */
static bool is_faq_anchor(const char *id, size_t len)
{
	for (size_t i = 0; i < source_count; i++) {
		const struct content_source *src = &sources[i].src;
		if (strcmp(src->kind, "faq") == 0 && strlen(src->id) == len &&
		    memcmp(src->id, id, len) == 0)
			return true;
	}
	return false;
}

/* Whether an internal link (starting with / or #) leads somewhere; if not,
 * why not, in err. on_faq: the link is on the FAQ page (an answer), where
 * "#id" names a question. Static files are not checked: they are the web
 * server's, not the content's. */
static bool link_resolves(const char *href, bool on_faq, char *err, size_t errlen)
{
	if (strncmp(href, "/static/", 8) == 0)
		return true;
	size_t path_len = strcspn(href, "?#");
	const char *fragment = strchr(href, '#');
	char path[1024];
	if (path_len >= sizeof path) {
		snprintf(err, errlen, "the link is too long");
		return false;
	}
	memcpy(path, href, path_len);
	path[path_len] = '\0';
	if (path_len == 0)
		snprintf(path, sizeof path, "%s", on_faq ? "/faq" : "");
	struct fixed_page fixed;
	bool exists = page_at(path) || fixed_page_find(path, &fixed) ||
	              crawler_file_find(path) != CRAWLER__MAX;
	if (!exists) {
		snprintf(err, errlen, "the link to '%.200s' leads to no page", href);
		return false;
	}
	if (!fragment || !fragment[1])
		return true;
	if (strcmp(path, "/faq") != 0) {
		snprintf(err, errlen,
		         "the link '%.200s' names a place on a page that has none to name "
		         "(only the FAQ's questions have anchors: /faq#id)",
		         href);
		return false;
	}
	if (!is_faq_anchor(fragment + 1, strlen(fragment + 1))) {
		snprintf(
		    err, errlen,
		    "the link '%.200s' names no question of the FAQ (no faq file has id: %.60s)",
		    href, fragment + 1);
		return false;
	}
	return true;
}

/* A link is internal when it has no scheme ("https:", "mailto:", "tel:")
 * and no host ("//..."); a relative address ("team") is refused, since the
 * same text would lead elsewhere from another page. */
static bool check_link(const char *file, const char *href, int line, bool on_faq)
{
	char err[512];
	size_t scheme =
	    strspn(href, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	if ((scheme > 0 && href[scheme] == ':') || strncmp(href, "//", 2) == 0)
		return true;
	if (href[0] != '/' && href[0] != '#') {
		snprintf(err, sizeof err,
		         "the link '%.200s' is relative: start links to the site's pages with /",
		         href);
	} else if (link_resolves(href, on_faq, err, sizeof err)) {
		return true;
	}
	fprintf(stderr, "build-content: %s: line %d: %s\n", file, line, err);
	return false;
}

/* Every page's links lead somewhere; no two pages share a title. */
static bool check_content(void)
{
	bool ok = true;
	for (size_t i = 0; i < source_count; i++) {
		const struct source_file *f = &sources[i];
		bool on_faq = strcmp(f->src.kind, "faq") == 0;
		for (size_t l = 0; l < f->src.link_count; l++)
			ok = check_link(f->name, f->src.links[l].href, f->src.links[l].line,
			                on_faq) &&
			     ok;
		if (!content_kind_has_path(f->src.kind))
			continue;
		struct fixed_page fixed;
		for (size_t k = 0; fixed_page_at(k, &fixed); k++)
			if (strcmp(fixed.title, f->src.title) == 0) {
				fprintf(stderr,
				        "build-content: %s: line %d: the title '%s' is already the "
				        "title of %s: every page needs its own\n",
				        f->name, f->src.title_line, f->src.title, fixed.path);
				ok = false;
			}
		for (size_t j = 0; j < i; j++) {
			const struct source_file *g = &sources[j];
			if (content_kind_has_path(g->src.kind) &&
			    strcmp(g->src.title, f->src.title) == 0) {
				fprintf(stderr,
				        "build-content: %s: line %d: the title '%s' is already the "
				        "title of %s (line %d): every page needs its own\n",
				        f->name, f->src.title_line, f->src.title, g->name,
				        g->src.title_line);
				ok = false;
			}
		}
	}
	return ok;
}

/* A template's links to the site's pages (href="/..." without a {{tag}}),
 * checked like the content's, with their lines. */
static bool check_template_links(const char *file, const char *source)
{
	bool ok = true;
	int line = 1;
	for (const char *p = source; *p; p++) {
		if (*p == '\n')
			line++;
		if (strncmp(p, "href=\"", 6) != 0)
			continue;
		const char *value = p + 6;
		size_t len = strcspn(value, "\"");
		if (value[0] != '/' || memmem(value, len, "{{", 2) || len >= 1024)
			continue;
		char href[1024];
		memcpy(href, value, len);
		href[len] = '\0';
		ok = check_link(file, href, line, false) && ok;
	}
	return ok;
}

/* Carries each page's modified time over from the database being replaced
 * when its source is unchanged; a new or changed page is modified now. */
static void carry_over(const char *old_db, time_t now)
{
	for (size_t i = 0; i < source_count; i++)
		sources[i].modified = now;
	sqlite3 *db;
	char uri[4200];
	snprintf(uri, sizeof uri, "file:%s?mode=ro", old_db);
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return;
	}
	sqlite3_stmt *stmt;
	/* An older schema has no source_hash: then every page counts as new. */
	if (sqlite3_prepare_v2(db, "SELECT modified FROM pages WHERE source_hash = ?", -1, &stmt,
	                       NULL) == SQLITE_OK) {
		for (size_t i = 0; i < source_count; i++) {
			sqlite3_reset(stmt);
			sqlite3_bind_text(stmt, 1, sources[i].hash, -1, SQLITE_STATIC);
			if (sqlite3_step(stmt) == SQLITE_ROW)
				sources[i].modified = (time_t)sqlite3_column_int64(stmt, 0);
		}
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
}

/* Inserts every parsed page; false (reported) at the first that fails. */
static bool add_content(sqlite3 *db)
{
	for (size_t i = 0; i < source_count; i++)
		if (!insert_page(db, &sources[i]))
			return false;
	return true;
}

/* Adds every template under site/templates, each checked; false (said) at the first bad one. */
static bool add_templates(sqlite3 *db, const char *site)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/templates", site);
	struct dirent **entries;
	int n = scandir(dir, &entries, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "build-content: cannot read %s: %s\n", dir, strerror(errno));
		return false;
	}
	bool ok = true;
	for (int i = 0; i < n; i++) {
		const char *name = entries[i]->d_name;
		size_t name_len = strlen(name);
		if (ok && name_len > 5 && strcmp(name + name_len - 5, ".html") == 0) {
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", dir, name);
			size_t len;
			char err[256];
			char *source = read_file(path, &len, err, sizeof err);
			if (!source) {
				fprintf(stderr, "build-content: cannot read %s: %s\n", path, err);
				ok = false;
			} else if (!tpl_check(source, len, err, sizeof err)) {
				fprintf(stderr, "build-content: %s: %s\n", path, err);
				ok = false;
			} else if (!check_template_links(path, source)) {
				ok = false;
			} else {
				sqlite3_stmt *stmt;
				ok = sqlite3_prepare_v2(db, "INSERT INTO templates VALUES (?,?)",
				                        -1, &stmt, NULL) == SQLITE_OK;
				if (ok) {
					sqlite3_bind_text(stmt, 1, name, (int)name_len - 5,
					                  SQLITE_STATIC);
					sqlite3_bind_text(stmt, 2, source, (int)len, SQLITE_STATIC);
					ok = sqlite3_step(stmt) == SQLITE_DONE;
					sqlite3_finalize(stmt);
				}
			}
			free(source);
		}
		free(entries[i]);
	}
	free(entries);
	return ok;
}

/* Records the schema version, the time of the build (now) and a random build id. */
static bool add_meta(sqlite3 *db, time_t now)
{
	unsigned char id[8];
	char id_hex[sizeof id * 2 + 1];
	randombytes_buf(id, sizeof id);
	sodium_bin2hex(id_hex, sizeof id_hex, id, sizeof id);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "INSERT INTO meta VALUES ('schema', '%d'), ('built_at', '%lld'), "
	         "('build_id', '%s');",
	         CONTENT_SCHEMA_VERSION, (long long)now, id_hex);
	return exec_sql(db, sql);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: build-content SITE_DIR OUTPUT.db\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	const char *site = argv[1], *output = argv[2];
	char temp[4096];
	snprintf(temp, sizeof temp, "%s.building-%d", output, (int)getpid());
	unlink(temp);
	time_t now = time(NULL);
	if (!read_content(site) || !check_content()) {
		fprintf(stderr, "build-content: nothing changed; fix the file named above and run "
		                "again\n");
		return 1;
	}
	carry_over(output, now);
	sqlite3 *db;
	if (sqlite3_open(temp, &db) != SQLITE_OK) {
		fprintf(stderr, "build-content: cannot create %s: %s\n", temp, sqlite3_errmsg(db));
		return 1;
	}
	bool ok = exec_sql(db, "PRAGMA journal_mode=OFF; BEGIN;") && exec_sql(db, schema) &&
	          add_content(db) && add_templates(db, site) && add_meta(db, now) &&
	          exec_sql(db, "COMMIT;");
	if (sqlite3_close(db) != SQLITE_OK)
		ok = false;
	for (size_t i = 0; i < source_count; i++)
		content_source_free(&sources[i].src);
	for (size_t i = 0; i < file_count; i++)
		free(files[i]);
	if (ok && rename(temp, output) != 0) {
		fprintf(stderr, "build-content: cannot replace %s: %s\n", output, strerror(errno));
		ok = false;
	}
	if (!ok) {
		unlink(temp);
		fprintf(stderr, "build-content: nothing changed; fix the file named above and run "
		                "again\n");
		return 1;
	}
	printf("build-content: %zu content files compiled into %s\n", file_count, output);
	return 0;
}
