/*
 * build-content: compiles the site's Markdown and templates into the content
 * database the programs read, and swaps it into place atomically.
 *
 *   tools/build-content SITE_DIR OUTPUT.db
 *
 * SITE_DIR holds content/ (Markdown files, any depth) and templates/ (*.html).
 * Any error names the file and stops the build; the old database stays.
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
#include "template.h"

#define MAX_FILES 1024
#define MAX_FILE_BYTES (1024 * 1024)

static char *files[MAX_FILES];
static size_t file_count;
static bool too_many_files;

static const char schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE pages(path TEXT UNIQUE, kind TEXT NOT NULL, title TEXT NOT NULL,"
    " summary TEXT, anchor TEXT UNIQUE, url TEXT, body_html TEXT NOT NULL,"
    " sort INTEGER NOT NULL DEFAULT 0);"
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

/* Adds the page src parsed from file, and its FAQ index entry; false (said) if it fails. */
static bool insert_page(sqlite3 *db, const char *file, const struct content_source *src)
{
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO pages(path, kind, title, summary, anchor, url, "
	                       "body_html, sort) VALUES (?,?,?,?,?,?,?,?)",
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

/* Adds every page under site/content, in name order; false (said) at the first bad file. */
static bool add_content(sqlite3 *db, const char *site)
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
		struct content_source src;
		bool ok = content_source_parse(text, len, &src, err, sizeof err);
		free(text);
		if (!ok) {
			fprintf(stderr, "build-content: %s: %s\n", files[i], err);
			return false;
		}
		ok = insert_page(db, files[i], &src);
		content_source_free(&src);
		if (!ok)
			return false;
	}
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

/* Records the schema version, the time of the build and a random build id. */
static bool add_meta(sqlite3 *db)
{
	unsigned char id[8];
	char id_hex[sizeof id * 2 + 1];
	randombytes_buf(id, sizeof id);
	sodium_bin2hex(id_hex, sizeof id_hex, id, sizeof id);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "INSERT INTO meta VALUES ('schema', '%d'), ('built_at', '%lld'), "
	         "('build_id', '%s');",
	         CONTENT_SCHEMA_VERSION, (long long)time(NULL), id_hex);
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
	sqlite3 *db;
	if (sqlite3_open(temp, &db) != SQLITE_OK) {
		fprintf(stderr, "build-content: cannot create %s: %s\n", temp, sqlite3_errmsg(db));
		return 1;
	}
	bool ok = exec_sql(db, "PRAGMA journal_mode=OFF; BEGIN;") && exec_sql(db, schema) &&
	          add_content(db, site) && add_templates(db, site) && add_meta(db) &&
	          exec_sql(db, "COMMIT;");
	if (sqlite3_close(db) != SQLITE_OK)
		ok = false;
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
