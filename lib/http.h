/*
 * http: one FastCGI request and its response.
 *
 * Request strings come from the web server's parameters and live until the
 * request is finished. Responses always carry the security headers; write
 * errors are checked, and a client that went away is treated as normal.
 * libfcgi stays behind this interface: only http.c and server.c include
 * <fcgiapp.h>.
 */
#ifndef CLINIC_HTTP_H
#define CLINIC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

struct FCGX_Request; /* libfcgi's, opaque here */

struct request {
	struct FCGX_Request *fcgx;
	const char *method; /* "GET", "HEAD", "POST"... never NULL */
	const char *path;   /* the URL path, without the query */
	const char *query;  /* the raw query string, "" if none */
	bool head;          /* HEAD: the body is not sent */
	bool client_gone;   /* a write failed because the client left */
};

/* Fills req from the accepted FastCGI request. path is copied into storage
 * that lives in req->fcgx's parameter lifetime; returns false if the request
 * carries no usable path (the caller answers 400). */
bool request_init(struct request *req, struct FCGX_Request *fcgx, char *path_storage,
                  size_t path_len);

/* The named FastCGI parameter (e.g. "HTTP_ORIGIN"), or NULL. */
const char *request_param(const struct request *req, const char *name);

enum body_status {
	BODY_OK = 0,
	BODY_TOO_LARGE,  /* CONTENT_LENGTH above limit: nothing was read */
	BODY_BAD_LENGTH, /* missing or malformed CONTENT_LENGTH */
	BODY_SHORT,      /* the client sent less than it announced: it went away */
};

/* Reads exactly CONTENT_LENGTH bytes (at most limit) into body. */
enum body_status request_read_body(struct request *req, size_t limit, struct buf *body);

enum cache_policy {
	CACHE_PUBLIC, /* content pages: browsers and nginx may keep them a while */
	CACHE_NEVER,  /* anything with a form token or personal data */
};

struct response {
	int status;
	const char *content_type; /* NULL: text/html; charset=utf-8 */
	enum cache_policy cache;
	const char *etag;         /* quoted, or NULL */
	time_t last_modified;     /* 0: none */
	const char *location;     /* for redirects, or NULL */
	const char *extra_header; /* one full "Name: value" line without CRLF, or NULL */
};

/* True when the request's If-None-Match / If-Modified-Since show that the
 * client already has this version (the caller then sends status 304). */
bool request_not_modified(const struct request *req, const char *etag, time_t last_modified);

/* Sends headers and (unless HEAD or 304) the body, and ends the response:
 * call it once per request. Returns false only for a
 * write error other than the client going away (already logged). */
bool response_send(struct request *req, const struct response *res, const void *body, size_t len);

/* The reason phrase for a status code ("Not Found"). */
const char *http_reason(int status);

/* Formats t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). */
void http_date(time_t t, char out[32]);

#endif
