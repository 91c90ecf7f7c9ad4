/*
 * A query string, as pages.fcgi reads /faq?q=...: its search words taken by
 * content_search_words with the default limit, turned into an FTS5 MATCH
 * expression and run against an FTS5 table made exactly as
 * tools/build-content makes the FAQ index.
 *
 * Checked: whatever a visitor types, the expression is only quoted prefix
 * words joined by OR (at most 8, whole UTF-8 sequences), SQLite accepts it
 * (no FTS5 syntax gets through, so a search never becomes a 500), and the
 * words echoed back on the page are escaped.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "content.h"
#include "html.h"
#include "utf8.h"

#include "fuzz.h"

#define MAX_QUERY 1024 /* config.c's default max_query */
#define MAX_WORDS 8
#define MAX_WORD_BYTES 64

/* The FAQ index as tools/build-content.c creates it, and content.c's search. */
static const char schema[] =
    "CREATE VIRTUAL TABLE faq_index USING fts5(question, answer, anchor UNINDEXED,"
    " tokenize = 'porter unicode61 remove_diacritics 2');"
    "INSERT INTO faq_index VALUES('How many sessions does DIT take?',"
    " 'Dynamic Interpersonal Therapy is usually delivered over 16 weekly sessions.',"
    " 'how-many-sessions');"
    "INSERT INTO faq_index VALUES('Qu''est-ce que la thérapie ?',"
    " 'Une thérapie brève, 16 séances. Ελληνικά, 日本語, emoji 🙂.', 'other');";
static const char search_sql[] =
    "SELECT anchor, question, snippet(faq_index, 1, char(1), char(2), '…', 24) FROM "
    "faq_index WHERE faq_index MATCH ?1 ORDER BY bm25(faq_index, 3.0, 1.0) LIMIT ?2";

static sqlite3 *db;
static sqlite3_stmt *search;

static void open_index(void)
{
	FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	FUZZ_CHECK(sqlite3_exec(db, schema, NULL, NULL, NULL) == SQLITE_OK);
	FUZZ_CHECK(sqlite3_prepare_v2(db, search_sql, -1, &search, NULL) == SQLITE_OK);
}

static bool is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80;
}

/* The expression is `"w"*` ( ` OR "w"*` )*, each w 1..64 word bytes of valid UTF-8. */
static void check_expression(const char *e, size_t len)
{
	size_t pos = 0, words = 0;
	while (pos < len) {
		if (words) {
			FUZZ_CHECK(len - pos > 4 && memcmp(e + pos, " OR ", 4) == 0);
			pos += 4;
		}
		FUZZ_CHECK(e[pos] == '"');
		size_t start = ++pos;
		while (pos < len && e[pos] != '"') {
			FUZZ_CHECK(is_word_byte((unsigned char)e[pos]));
			pos++;
		}
		FUZZ_CHECK(pos - start >= 1 && pos - start <= MAX_WORD_BYTES);
		FUZZ_CHECK(utf8_valid(e + start, pos - start));
		FUZZ_CHECK(len - pos >= 2 && e[pos] == '"' && e[pos + 1] == '*');
		pos += 2;
		words++;
	}
	FUZZ_CHECK(words >= 1 && words <= MAX_WORDS);
}

static void run_search(const char *expression, size_t len)
{
	sqlite3_reset(search);
	FUZZ_CHECK(sqlite3_bind_text(search, 1, expression, (int)len, SQLITE_STATIC) == SQLITE_OK);
	FUZZ_CHECK(sqlite3_bind_int64(search, 2, 20) == SQLITE_OK);
	int rc;
	while ((rc = sqlite3_step(search)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		fprintf(stderr, "FTS5 rejected %.*s: %s\n", (int)len, expression,
		        sqlite3_errmsg(db));
	FUZZ_CHECK(rc == SQLITE_DONE);
	sqlite3_reset(search);
	sqlite3_clear_bindings(search);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4 * MAX_QUERY)
		return 0;
	if (!db)
		open_index();
	/* QUERY_STRING is a C string: nginx never passes a NUL. */
	char *query = malloc(size + 1);
	FUZZ_CHECK(query != NULL);
	memcpy(query, data, size);
	query[size] = '\0';
	bool searched;
	char *words = content_search_words(query, MAX_QUERY, &searched);
	FUZZ_CHECK(searched || !words);
	if (words) {
		struct buf expression;
		buf_init(&expression, 4096);
		if (content_match_expression(words, &expression)) {
			check_expression(expression.data, expression.len);
			run_search(expression.data, expression.len);
		} else {
			FUZZ_CHECK(expression.len == 0 || expression.failed);
		}
		buf_free(&expression);

		struct buf shown;
		buf_init(&shown, 64 * 1024);
		FUZZ_CHECK(html_escape(&shown, words, strlen(words)));
		FUZZ_CHECK(shown.len == 0 || strpbrk(shown.data, "<>\"'") == NULL);
		buf_free(&shown);
		free(words);
	}
	free(query);
	return 0;
}
