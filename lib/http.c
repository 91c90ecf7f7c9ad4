#include "http.h"

#include <errno.h>
#include <fcgiapp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* Every response carries these. No page of ours runs script; the JSON-LD
 * blocks are data, which script-src does not govern. connect-src 'self'
 * opens nothing to a page that runs no script, but lets tools that fetch a
 * file in the page's context (Lighthouse reads /robots.txt that way) do so. */
static const char security_headers[] =
    "Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n"
    "Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=()\r\n";

bool request_init(struct request *req, struct FCGX_Request *fcgx, char *path_storage,
                  size_t path_len)
{
	req->fcgx = fcgx;
	req->client_gone = false;
	const char *method = FCGX_GetParam("REQUEST_METHOD", fcgx->envp);
	req->method = method ? method : "";
	req->head = strcmp(req->method, "HEAD") == 0;
	const char *query = FCGX_GetParam("QUERY_STRING", fcgx->envp);
	req->query = query ? query : "";

	/* REQUEST_URI is the one parameter nginx and Apache both pass unchanged. */
	const char *uri = FCGX_GetParam("REQUEST_URI", fcgx->envp);
	if (!uri)
		uri = FCGX_GetParam("DOCUMENT_URI", fcgx->envp);
	if (!uri || uri[0] != '/')
		return false;
	size_t n = strcspn(uri, "?#");
	if (n >= path_len)
		return false;
	memcpy(path_storage, uri, n);
	path_storage[n] = '\0';
	req->path = path_storage;
	return true;
}

const char *request_param(const struct request *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgx->envp);
}

enum body_status request_read_body(struct request *req, size_t limit, struct buf *body)
{
	const char *length_text = request_param(req, "CONTENT_LENGTH");
	if (!length_text || !*length_text)
		return BODY_BAD_LENGTH;
	size_t length = 0;
	for (const char *p = length_text; *p; p++) {
		if (*p < '0' || *p > '9')
			return BODY_BAD_LENGTH;
		if (length > limit)
			return BODY_TOO_LARGE;
		length = length * 10 + (size_t)(*p - '0');
	}
	if (length > limit)
		return BODY_TOO_LARGE;
	if (body->limit < length)
		return BODY_TOO_LARGE;
	char chunk[4096];
	size_t remaining = length;
	while (remaining > 0) {
		int want = remaining < sizeof chunk ? (int)remaining : (int)sizeof chunk;
		int got = FCGX_GetStr(chunk, want, req->fcgx->in);
		if (got <= 0)
			break;
		if (!buf_append(body, chunk, (size_t)got))
			return BODY_TOO_LARGE;
		remaining -= (size_t)got;
	}
	/* The chunk held form text: leave none of it on the stack. */
	sodium_memzero(chunk, sizeof chunk);
	return remaining ? BODY_SHORT : BODY_OK;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

void http_date(time_t t, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* The time an IMF-fixdate stands for, or -1. */
static time_t parse_http_date(const char *text)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return (time_t)-1;
	return timegm(&tm);
}

/* If-None-Match may list several tags, or "*"; weak tags compare by value. */
static bool etag_listed(const char *list, const char *etag)
{
	if (strcmp(list, "*") == 0)
		return true;
	size_t etag_len = strlen(etag);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		size_t n = strcspn(p, ",");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == etag_len && memcmp(p, etag, n) == 0)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

bool request_not_modified(const struct request *req, const char *etag, time_t last_modified)
{
	if (strcmp(req->method, "GET") != 0 && !req->head)
		return false;
	const char *if_none_match = request_param(req, "HTTP_IF_NONE_MATCH");
	if (if_none_match && etag)
		return etag_listed(if_none_match, etag);
	const char *if_modified_since = request_param(req, "HTTP_IF_MODIFIED_SINCE");
	if (if_modified_since && last_modified) {
		time_t since = parse_http_date(if_modified_since);
		return since != (time_t)-1 && last_modified <= since;
	}
	return false;
}

/* Whether a write failed with error because the client left. */
static bool client_went_away(int error)
{
	return error == EPIPE || error == ECONNRESET || error == ENOTCONN;
}

bool response_send(struct request *req, const struct response *res, const void *body, size_t len)
{
	char header[2048];
	int n = snprintf(header, sizeof header, "Status: %d %s\r\nContent-Type: %s\r\n%s",
	                 res->status, http_reason(res->status),
	                 res->content_type ? res->content_type : "text/html; charset=utf-8",
	                 security_headers);
	size_t used = n > 0 ? (size_t)n : 0;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (used < sizeof header) {                                                        \
			int added = snprintf(header + used, sizeof header - used, __VA_ARGS__);    \
			used += added > 0 ? (size_t)added : 0;                                     \
		}                                                                                  \
	} while (0)
	if (res->cache == CACHE_PUBLIC)
		ADD("Cache-Control: public, max-age=60\r\n");
	else
		ADD("Cache-Control: no-store\r\n");
	if (res->etag)
		ADD("ETag: %s\r\n", res->etag);
	if (res->last_modified) {
		char date[32];
		http_date(res->last_modified, date);
		ADD("Last-Modified: %s\r\n", date);
	}
	if (res->location)
		ADD("Location: %s\r\n", res->location);
	if (res->extra_header)
		ADD("%s\r\n", res->extra_header);
	bool send_body = !req->head && res->status != 304;
	if (res->status != 304)
		ADD("Content-Length: %zu\r\n", len);
	ADD("\r\n");
#undef ADD
	if (used >= sizeof header) {
		log_error("response header too long for status %d", res->status);
		return false;
	}
	FCGX_Stream *out = req->fcgx->out;
	FCGX_PutStr(header, (int)used, out);
	if (send_body && len)
		FCGX_PutStr(body, (int)len, out);
	/* Closing the streams here, rather than in FCGX_Finish_r, lets us see
	 * a failed write; stderr (never used) first, so that stdout, closed
	 * last, carries the end-of-request record and a small response leaves
	 * in one write instead of two. */
	FCGX_FClose(req->fcgx->err);
	FCGX_FClose(out);
	int error = FCGX_GetError(out);
	if (error == 0)
		return true;
	if (client_went_away(error)) {
		req->client_gone = true;
		return true;
	}
	log_error("writing the response failed: %s",
	          error > 0 ? strerror(error) : "FastCGI stream error");
	return false;
}
