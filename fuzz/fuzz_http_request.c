/*
 * The request as the web server hands it over: the FastCGI parameters a
 * program reads (method, URI, query, the conditional-GET headers, the
 * announced body length) and the body itself, through a FastCGI request
 * whose input stream is the fuzz input.
 *
 * Input: lines METHOD, REQUEST_URI, DOCUMENT_URI, QUERY_STRING,
 * IF_NONE_MATCH, IF_MODIFIED_SINCE, CONTENT_LENGTH, then the body. A line
 * that is the single byte 0x01 leaves that parameter out.
 *
 * Checked: the path is the URI up to '?' or '#' and fits its storage, or the
 * request is refused; a 304 is only ever granted to GET or HEAD; a body is
 * read whole, exactly as long as announced and never over the limit.
 */
#include <fcgiapp.h>
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "http.h"

#include "fuzz.h"

#define INPUT_LIMIT (64 * 1024)
#define PATH_STORAGE 2048 /* as lib/server.c */
#define BODY_LIMIT 4096

enum {
	METHOD,
	REQUEST_URI,
	DOCUMENT_URI,
	QUERY,
	IF_NONE_MATCH,
	IF_MODIFIED_SINCE,
	LENGTH,
	NPARAMS
};
static const char *const names[NPARAMS] = {
    "REQUEST_METHOD",         "REQUEST_URI",   "DOCUMENT_URI", "QUERY_STRING", "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE", "CONTENT_LENGTH"};

/* The whole body is in the buffer from the start: asked for more, the
 * stream ends, as when the web server has sent everything. */
static void end_of_body(FCGX_Stream *stream)
{
	stream->isClosed = 1;
}

static char *param(const char *name, const uint8_t *value, size_t n)
{
	size_t name_len = strlen(name);
	char *p = malloc(name_len + 1 + n + 1);
	FUZZ_CHECK(p != NULL);
	memcpy(p, name, name_len);
	p[name_len] = '=';
	memcpy(p + name_len + 1, value, n);
	p[name_len + 1 + n] = '\0';
	return p;
}

static void check_body(struct request *req, const char *length)
{
	size_t available = (size_t)(req->fcgx->in->stop - req->fcgx->in->rdNext);
	struct buf body;
	buf_init(&body, BODY_LIMIT);
	enum body_status status = request_read_body(req, BODY_LIMIT, &body);
	bool digits = length && length[0] && strspn(length, "0123456789") == strlen(length);
	if (!digits) {
		/* A malformed length whose digits already pass the limit may be
		 * refused as too large instead: either way nothing is read. */
		FUZZ_CHECK(status == BODY_BAD_LENGTH || status == BODY_TOO_LARGE);
		FUZZ_CHECK(body.len == 0);
	} else {
		/* The announced length, saturating well above the limit. */
		size_t announced = 0;
		for (const char *p = length; *p && announced <= BODY_LIMIT; p++)
			announced = announced * 10 + (size_t)(*p - '0');
		if (announced > BODY_LIMIT) {
			FUZZ_CHECK(status == BODY_TOO_LARGE);
			FUZZ_CHECK(body.len == 0);
		} else if (announced > available) {
			FUZZ_CHECK(status == BODY_SHORT);
		} else {
			FUZZ_CHECK(status == BODY_OK);
			FUZZ_CHECK(body.len == announced);
		}
	}
	FUZZ_CHECK(body.len <= BODY_LIMIT);
	buf_wipe(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_LIMIT)
		return 0;
	char *envp[NPARAMS + 1];
	size_t count = 0;
	const char *values[NPARAMS] = {NULL};
	for (int i = 0; i < NPARAMS; i++) {
		const uint8_t *piece;
		size_t n = fuzz_take(&data, &size, '\n', 4096, &piece);
		if (n == 1 && piece[0] == 0x01)
			continue;
		envp[count] = param(names[i], piece, n);
		values[i] = envp[count] + strlen(names[i]) + 1;
		count++;
	}
	envp[count] = NULL;

	unsigned char *body = malloc(size ? size : 1);
	FUZZ_CHECK(body != NULL);
	memcpy(body, data, size);
	FCGX_Stream in = {.rdNext = body,
	                  .stop = body + size,
	                  .stopUnget = body,
	                  .isReader = 1,
	                  .fillBuffProc = end_of_body};
	FCGX_Request fcgx = {.in = &in, .envp = envp, .ipcFd = -1};

	struct request req;
	char path[PATH_STORAGE];
	bool ok = request_init(&req, &fcgx, path, sizeof path);
	const char *uri = values[REQUEST_URI] ? values[REQUEST_URI] : values[DOCUMENT_URI];
	FUZZ_CHECK(req.method != NULL && req.query != NULL);
	if (ok) {
		FUZZ_CHECK(uri && uri[0] == '/');
		size_t n = strlen(req.path);
		FUZZ_CHECK(n < sizeof path && strncmp(req.path, uri, n) == 0);
		FUZZ_CHECK(uri[n] == '\0' || uri[n] == '?' || uri[n] == '#');
		FUZZ_CHECK(strpbrk(req.path, "?#") == NULL);
		FUZZ_CHECK(req.head == (strcmp(req.method, "HEAD") == 0));

		static const char etag[] = "\"b1-42\"";
		bool not_modified = request_not_modified(&req, etag, 1700000000);
		if (not_modified)
			FUZZ_CHECK(strcmp(req.method, "GET") == 0 || req.head);
		/* Without validators nothing is "not modified". */
		FUZZ_CHECK(!request_not_modified(&req, NULL, 0));

		check_body(&req, values[LENGTH]);
	} else {
		FUZZ_CHECK(!uri || uri[0] != '/' || strcspn(uri, "?#") >= sizeof path);
	}

	free(body);
	for (size_t i = 0; i < count; i++)
		free(envp[i]);
	return 0;
}
