/* http: request parameters, conditional GET, dates; server_listen. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "server.h"

/* A FastCGI request as libfcgi hands it over: parameters as NAME=value. */
static FCGX_Request fcgx;
static char path[256];

static void with_params(struct request *req, char **envp)
{
	memset(&fcgx, 0, sizeof fcgx);
	fcgx.envp = envp;
	assert_true(request_init(req, &fcgx, path, sizeof path));
}

static void the_path_comes_from_request_uri_without_the_query(void **state)
{
	(void)state;
	char *envp[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/faq?q=a%20b", "QUERY_STRING=q=a%20b",
	                NULL};
	struct request req;
	with_params(&req, envp);
	assert_string_equal(req.path, "/faq");
	assert_string_equal(req.query, "q=a%20b");
	assert_string_equal(req.method, "GET");
	assert_false(req.head);
	assert_null(request_param(&req, "HTTP_ORIGIN"));
}

static void requests_without_a_usable_path_are_refused(void **state)
{
	(void)state;
	char *no_uri[] = {"REQUEST_METHOD=GET", NULL};
	char *relative[] = {"REQUEST_URI=faq", NULL};
	char long_uri[400] = "REQUEST_URI=/";
	memset(long_uri + 13, 'a', 300);
	char *too_long[] = {long_uri, NULL};
	char **cases[] = {no_uri, relative, too_long};
	for (size_t i = 0; i < 3; i++) {
		memset(&fcgx, 0, sizeof fcgx);
		fcgx.envp = cases[i];
		struct request req;
		assert_false(request_init(&req, &fcgx, path, sizeof path));
	}
}

static void missing_method_and_query_are_empty_not_null(void **state)
{
	(void)state;
	char *envp[] = {"REQUEST_URI=/", NULL};
	struct request req;
	with_params(&req, envp);
	assert_string_equal(req.method, "");
	assert_string_equal(req.query, "");
}

static void if_none_match_compares_tags(void **state)
{
	(void)state;
	struct {
		const char *header;
		bool expect;
	} cases[] = {
	    {"HTTP_IF_NONE_MATCH=\"abc\"", true},
	    {"HTTP_IF_NONE_MATCH=W/\"abc\"", true},
	    {"HTTP_IF_NONE_MATCH=\"x\", \"abc\"", true},
	    {"HTTP_IF_NONE_MATCH=*", true},
	    {"HTTP_IF_NONE_MATCH=\"abcd\"", false},
	    {"HTTP_IF_NONE_MATCH=\"ab\"", false},
	    {"HTTP_IF_NONE_MATCH=", false},
	    {"HTTP_IF_NONE_MATCH=,,,", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *envp[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/", (char *)cases[i].header,
		                NULL};
		struct request req;
		with_params(&req, envp);
		if (request_not_modified(&req, "\"abc\"", 1000) != cases[i].expect)
			fail_msg("case %zu (%s)", i, cases[i].header);
	}
}

static void if_modified_since_compares_dates(void **state)
{
	(void)state;
	char date[32];
	http_date(1700000000, date);
	assert_string_equal(date, "Tue, 14 Nov 2023 22:13:20 GMT");
	char header[64];
	snprintf(header, sizeof header, "HTTP_IF_MODIFIED_SINCE=%s", date);
	char *envp[] = {"REQUEST_METHOD=HEAD", "REQUEST_URI=/", header, NULL};
	struct request req;
	with_params(&req, envp);
	assert_true(req.head);
	assert_true(request_not_modified(&req, NULL, 1700000000));
	assert_true(request_not_modified(&req, NULL, 1699999999));
	assert_false(request_not_modified(&req, NULL, 1700000001));
	char *garbage[] = {"REQUEST_METHOD=GET", "REQUEST_URI=/",
	                   "HTTP_IF_MODIFIED_SINCE=yesterday", NULL};
	with_params(&req, garbage);
	assert_false(request_not_modified(&req, NULL, 1));
}

static void posts_are_never_not_modified(void **state)
{
	(void)state;
	char *envp[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/", "HTTP_IF_NONE_MATCH=*", NULL};
	struct request req;
	with_params(&req, envp);
	assert_false(request_not_modified(&req, "\"abc\"", 1));
}

static void reasons_are_known(void **state)
{
	(void)state;
	assert_string_equal(http_reason(404), "Not Found");
	assert_string_equal(http_reason(429), "Too Many Requests");
	assert_string_equal(http_reason(299), "Unknown");
}

static void listen_addresses(void **state)
{
	(void)state;
	char err[256];
	char sock_path[] = "/tmp/clinic-listen-test.sock";
	int fd = server_listen("unix:/tmp/clinic-listen-test.sock", err, sizeof err);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	close(fd);
	/* A stale socket file from a crash is replaced. */
	fd = server_listen("unix:/tmp/clinic-listen-test.sock", err, sizeof err);
	assert_true(fd >= 0);
	close(fd);
	unlink(sock_path);

	/* Anything else at the path is left alone. */
	FILE *f = fopen(sock_path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(server_listen("unix:/tmp/clinic-listen-test.sock", err, sizeof err), -1);
	assert_non_null(strstr(err, "not a socket"));
	unlink(sock_path);

	fd = server_listen("127.0.0.1:0", err, sizeof err);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(server_listen("nonsense", err, sizeof err), -1);
	assert_non_null(strstr(err, "neither"));
	assert_int_equal(server_listen("unix:/nonexistent-dir/x.sock", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/x.sock"));
	char long_path[200] = "unix:/tmp/";
	memset(long_path + 10, 'x', 150);
	assert_int_equal(server_listen(long_path, err, sizeof err), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(server_listen("256.1.1.1:80", err, sizeof err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_path_comes_from_request_uri_without_the_query),
	    cmocka_unit_test(requests_without_a_usable_path_are_refused),
	    cmocka_unit_test(missing_method_and_query_are_empty_not_null),
	    cmocka_unit_test(if_none_match_compares_tags),
	    cmocka_unit_test(if_modified_since_compares_dates),
	    cmocka_unit_test(posts_are_never_not_modified),
	    cmocka_unit_test(reasons_are_known),
	    cmocka_unit_test(listen_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
