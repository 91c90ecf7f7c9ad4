/* site: error pages, kept between requests until the content changes, sent
 * through real libfcgi writer streams and read back as FastCGI records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fastcgi.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "site.h"

/* FCGX_CreateWriter mallocs a FCGX_Request for its stream that libfcgi
 * 2.4.2's FCGX_FreeStream never frees ("this function leaks a little
 * storage", says its source); LeakSanitizer is told so, and nothing more. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:FCGX_CreateWriter\n";
}

/* The real site's content and templates, copied into a temporary folder so
 * that one test can change the error template and rebuild. */
static char tmp_dir[64], site_dir[128], db_path[128];
static struct config cfg;
static struct site site;

static int build(void)
{
	char command[512];
	snprintf(command, sizeof command, "tools/build-content %s %s >/dev/null", site_dir,
	         db_path);
	return system(command) == 0 ? 0 : -1;
}

static int build_site(void **state)
{
	(void)state;
	snprintf(tmp_dir, sizeof tmp_dir, "/tmp/clinic-site-XXXXXX");
	if (!mkdtemp(tmp_dir))
		return -1;
	snprintf(site_dir, sizeof site_dir, "%s/site", tmp_dir);
	snprintf(db_path, sizeof db_path, "%s/content.db", tmp_dir);
	if (mkdir(site_dir, 0755) != 0)
		return -1;
	char command[512];
	snprintf(command, sizeof command, "cp -R site/content site/templates %s", site_dir);
	if (system(command) != 0 || build() != 0)
		return -1;
	config_defaults(&cfg);
	free(cfg.content_db);
	free(cfg.clinic_phone);
	free(cfg.clinic_email);
	cfg.content_db = strdup(db_path);
	cfg.clinic_phone = strdup("020 7946 0123");
	cfg.clinic_email = strdup("hello@clinic.example");
	return cfg.content_db && cfg.clinic_phone && cfg.clinic_email ? 0 : -1;
}

static int remove_site(void **state)
{
	(void)state;
	config_free(&cfg);
	char command[256];
	snprintf(command, sizeof command, "rm -rf %s", tmp_dir);
	return system(command) == 0 ? 0 : -1;
}

static int open_site(void **state)
{
	(void)state;
	return site_open(&site, &cfg, "GET, HEAD") ? 0 : -1;
}

static int close_site(void **state)
{
	(void)state;
	site_close(&site);
	return 0;
}

static size_t kept_pages(void)
{
	size_t n = 0;
	for (size_t i = 0; i < SITE_ERR__MAX; i++)
		if (site.errors[i].html)
			n++;
	return n;
}

/* One response as the web server receives it. */
struct sent {
	char *headers; /* up to and including the blank line */
	char *body;    /* NUL-terminated; body_len bytes */
	size_t body_len;
};

static void free_sent(struct sent *s)
{
	free(s->headers);
	free(s->body);
	memset(s, 0, sizeof *s);
}

/* Reads fd to its end and takes the FastCGI records apart. The streams come
 * from FCGX_CreateWriter, which never writes FCGI_END_REQUEST (libfcgi sets
 * its request's writer count to 2 for that), so only STDOUT is checked: its
 * data, then the empty record that ends it, which only closing it writes. */
static void read_response(int fd, struct sent *s)
{
	size_t cap = 65536, n = 0;
	unsigned char *raw = malloc(cap);
	assert_non_null(raw);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			raw = realloc(raw, cap);
			assert_non_null(raw);
		}
		ssize_t got = read(fd, raw + n, cap - n);
		assert_true(got >= 0);
		if (got == 0)
			break;
		n += (size_t)got;
	}
	char *out = malloc(n + 1);
	assert_non_null(out);
	size_t out_len = 0;
	bool out_ended = false, request_ended = false;
	for (size_t i = 0; i < n;) {
		FCGI_Header h;
		assert_true(n - i >= sizeof h);
		memcpy(&h, raw + i, sizeof h);
		size_t content = (size_t)h.contentLengthB1 << 8 | h.contentLengthB0;
		assert_int_equal(h.version, FCGI_VERSION_1);
		assert_int_equal(h.requestIdB1 << 8 | h.requestIdB0, 1);
		assert_true(n - i - sizeof h >= content + h.paddingLength);
		assert_false(request_ended); /* nothing may follow FCGI_END_REQUEST */
		switch (h.type) {
		case FCGI_STDOUT:
			assert_false(out_ended);
			if (content == 0)
				out_ended = true;
			memcpy(out + out_len, raw + i + sizeof h, content);
			out_len += content;
			break;
		case FCGI_END_REQUEST:
			assert_true(out_ended);
			request_ended = true;
			break;
		default:
			fail_msg("unexpected FastCGI record type %d", h.type);
		}
		i += sizeof h + content + h.paddingLength;
	}
	free(raw);
	assert_true(out_ended);
	out[out_len] = '\0';
	char *blank = strstr(out, "\r\n\r\n");
	assert_non_null(blank);
	size_t header_len = (size_t)(blank - out) + 4;
	s->headers = strndup(out, header_len);
	s->body_len = out_len - header_len;
	s->body = strndup(out + header_len, s->body_len);
	assert_non_null(s->headers);
	assert_non_null(s->body);
	free(out);
}

static void send_error(struct sent *s, const char *method, enum site_error error)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	char method_param[32];
	snprintf(method_param, sizeof method_param, "REQUEST_METHOD=%s", method);
	char *envp[] = {method_param, "REQUEST_URI=/contact", NULL};
	FCGX_Request fcgx;
	memset(&fcgx, 0, sizeof fcgx);
	fcgx.envp = envp;
	fcgx.out = FCGX_CreateWriter(sv[0], 1, 8192, FCGI_STDOUT);
	fcgx.err = FCGX_CreateWriter(sv[0], 1, 8192, FCGI_STDERR);
	assert_non_null(fcgx.out);
	assert_non_null(fcgx.err);
	struct request req;
	char path[64];
	assert_true(request_init(&req, &fcgx, path, sizeof path));
	site_send_error(&site, &req, error);
	assert_false(req.client_gone);
	assert_int_equal(FCGX_GetError(fcgx.out), 0);
	FCGX_FreeStream(&fcgx.out);
	FCGX_FreeStream(&fcgx.err);
	close(sv[0]);
	read_response(sv[1], s);
	close(sv[1]);
}

static void get_error(struct sent *s, enum site_error error)
{
	send_error(s, "GET", error);
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' is missing from:\n%s", part, text);
}

static void assert_lacks(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("'%s' should not be in:\n%s", part, text);
}

static void assert_same(const struct sent *a, const struct sent *b)
{
	assert_string_equal(a->headers, b->headers);
	assert_int_equal(a->body_len, b->body_len);
	assert_memory_equal(a->body, b->body, a->body_len);
}

/* Content-Length matches the body actually sent (for GET). */
static void assert_length_is(const struct sent *s, size_t len)
{
	char line[64];
	snprintf(line, sizeof line, "\r\nContent-Length: %zu\r\n", len);
	assert_contains(s->headers, line);
}

/* The page for a forged token, as the table words it. */
static void assert_forbidden_page(const struct sent *s)
{
	assert_true(strncmp(s->headers, "Status: 403 Forbidden\r\n", 23) == 0);
	assert_contains(s->headers, "\r\nCache-Control: no-store\r\n");
	assert_contains(s->headers, "\r\nContent-Type: text/html; charset=utf-8\r\n");
	assert_lacks(s->headers, "Allow:");
	assert_length_is(s, s->body_len);
	assert_contains(s->body, "<title>This form could not be accepted – The Clinic</title>");
	assert_contains(s->body, "<h1>This form could not be accepted</h1>");
	assert_contains(s->body, "<p>It did not come from our page as we sent it. Please open the "
	                         "form again and send it from there.</p>");
	assert_contains(s->body, "Error code: 403");
	assert_contains(s->body, "You can also call us on ");
}

/* (a) */
static void a_kept_page_is_sent_byte_for_byte_again(void **state)
{
	(void)state;
	struct sent first, second;
	get_error(&first, SITE_ERR_FORGED_TOKEN);
	assert_forbidden_page(&first);
	assert_int_equal(kept_pages(), 1);
	get_error(&second, SITE_ERR_FORGED_TOKEN);
	assert_forbidden_page(&second);
	assert_same(&first, &second);
	assert_int_equal(kept_pages(), 1); /* found again, not kept twice */
	free_sent(&first);
	free_sent(&second);
}

/* The second send really is the kept page, not a fresh rendering. */
static void the_kept_page_is_what_is_sent(void **state)
{
	(void)state;
	struct sent first, second;
	get_error(&first, SITE_ERR_FORGED_TOKEN);
	assert_int_equal(kept_pages(), 1);
	struct site_error_page *kept = &site.errors[SITE_ERR_FORGED_TOKEN];
	assert_non_null(kept->html);
	char *code = strstr(kept->html, "Error code: 403");
	assert_non_null(code);
	code[0] = 'e'; /* same length, so Content-Length still holds */
	get_error(&second, SITE_ERR_FORGED_TOKEN);
	assert_contains(second.body, "error code: 403");
	assert_lacks(second.body, "Error code: 403");
	assert_int_equal(second.body_len, first.body_len);
	free_sent(&first);
	free_sent(&second);
}

/* (b) Each error has its own kept page, also where it shares a status, a
 * title or its words with another. */
static void errors_sharing_a_status_or_words_get_their_own_page(void **state)
{
	(void)state;
	struct sent kept, other;
	get_error(&kept, SITE_ERR_FORGED_TOKEN);
	assert_forbidden_page(&kept);

	get_error(&other, SITE_ERR_CROSS_SITE); /* the same status */
	assert_true(strncmp(other.headers, "Status: 403 Forbidden\r\n", 23) == 0);
	assert_contains(other.body, "<h1>This form was sent from another site</h1>");
	assert_lacks(other.body, "It did not come from our page");
	free_sent(&other);

	get_error(&other, SITE_ERR_NOT_A_FORM); /* another status, its own words */
	assert_true(strncmp(other.headers, "Status: 400 Bad Request\r\n", 25) == 0);
	assert_contains(other.body, "<p>What arrived was not a form from our site.");
	assert_contains(other.body, "Error code: 400");
	free_sent(&other);

	get_error(&other, SITE_ERR_NOT_A_FORM_NO_MEMORY); /* the same words, another status */
	assert_true(strncmp(other.headers, "Status: 503 Service Unavailable\r\n", 33) == 0);
	assert_contains(other.body, "<p>What arrived was not a form from our site.");
	assert_contains(other.body, "Error code: 503");
	free_sent(&other);

	get_error(&other, SITE_ERR_NO_FORM); /* no phone hint */
	assert_true(strncmp(other.headers, "Status: 404 Not Found\r\n", 23) == 0);
	assert_contains(other.body, "<p>There is no page at this address.</p>");
	assert_lacks(other.body, "You can also call us");
	free_sent(&other);
	assert_int_equal(kept_pages(), 5);

	/* And the first is still kept as it was. */
	get_error(&other, SITE_ERR_FORGED_TOKEN);
	assert_same(&kept, &other);
	assert_int_equal(kept_pages(), 5);
	free_sent(&other);
	free_sent(&kept);
}

/* (c) The words go through the template's escaping like any other text. */
static void markup_in_the_words_is_escaped(void **state)
{
	(void)state;
	const struct site_error_text text = {400, "<script>alert(1)</script>",
	                                     "Bad <b>input</b> & \"quotes\"", false};
	for (int round = 0; round < 2; round++) {
		struct buf page;
		buf_init(&page, PAGE_LIMIT);
		assert_true(site_render_error(&site, &text, &page));
		assert_contains(page.data, "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>");
		assert_contains(page.data, "<title>&lt;script&gt;alert(1)&lt;/script&gt; – ");
		assert_contains(page.data,
		                "<p>Bad &lt;b&gt;input&lt;/b&gt; &amp; &quot;quotes&quot;</p>");
		assert_lacks(page.data, "<script");
		assert_lacks(page.data, "<b>");
		assert_int_equal(kept_pages(), 0); /* rendering alone keeps nothing */
		buf_free(&page);
	}
}

/* (d) */
static void a_new_generation_renders_the_page_again(void **state)
{
	(void)state;
	struct sent first, again;
	get_error(&first, SITE_ERR_FORGED_TOKEN);
	site.generation++; /* as site_refresh does when a new build appears */
	get_error(&again, SITE_ERR_FORGED_TOKEN);
	assert_forbidden_page(&again);
	assert_same(&first, &again);
	assert_int_equal(kept_pages(), 1); /* the old one was let go */
	for (size_t i = 0; i < SITE_ERR__MAX; i++)
		if (site.errors[i].html)
			assert_int_equal(site.errors[i].generation, site.generation);
	free_sent(&first);
	free_sent(&again);
}

static char *read_whole(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *text = calloc(1, 65536);
	assert_non_null(text);
	size_t n = fread(text, 1, 65535, f);
	assert_true(n > 0 && n < 65535);
	fclose(f);
	return text;
}

static void write_whole(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* (d) with a real rebuild: a kept page from the old build is not sent. */
static void a_new_build_changes_the_kept_page(void **state)
{
	(void)state;
	struct sent old, fresh, kept;
	get_error(&old, SITE_ERR_FORGED_TOKEN);
	assert_lacks(old.body, "Rebuilt error page");

	char template_path[256];
	snprintf(template_path, sizeof template_path, "%s/templates/error.html", site_dir);
	char *original = read_whole(template_path);
	const char *bottom = strstr(original, "{{>layout-bottom}}");
	assert_non_null(bottom);
	size_t head = (size_t)(bottom - original);
	char *changed = malloc(strlen(original) + 64);
	assert_non_null(changed);
	snprintf(changed, strlen(original) + 64, "%.*s<p>Rebuilt error page</p>\n%s", (int)head,
	         original, bottom);
	write_whole(template_path, changed);
	assert_int_equal(build(), 0);

	unsigned generation = site.generation;
	assert_true(site_refresh(&site));
	assert_int_equal(site.generation, generation + 1);
	get_error(&fresh, SITE_ERR_FORGED_TOKEN);
	assert_forbidden_page(&fresh);
	assert_contains(fresh.body, "<p>Rebuilt error page</p>");
	get_error(&kept, SITE_ERR_FORGED_TOKEN);
	assert_same(&fresh, &kept);

	/* Put the real template back for the tests that follow. A look for a
	 * new build happens at most every 100 ms: just after one, the rebuild
	 * is not seen yet; once that time has passed, it is. */
	write_whole(template_path, original);
	assert_int_equal(build(), 0);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	site.checked_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	assert_false(site_refresh(&site));
	assert_int_equal(site.generation, generation + 1);
	site.checked_ns -= 200000000LL;
	assert_true(site_refresh(&site));
	assert_int_equal(site.generation, generation + 2);
	free(changed);
	free(original);
	free_sent(&old);
	free_sent(&fresh);
	free_sent(&kept);
}

/* (e) Every error of the table has a kept page, each with its own status
 * and words and none of another's. */
static void every_error_is_kept_with_its_own_words(void **state)
{
	(void)state;
	struct sent first[SITE_ERR__MAX];
	for (size_t i = SITE_ERR_NONE + 1; i < SITE_ERR__MAX; i++) {
		const struct site_error_text *text = site_error_text(i);
		get_error(&first[i], i);
		char line[160];
		snprintf(line, sizeof line, "Status: %d ", text->status);
		assert_true(strncmp(first[i].headers, line, strlen(line)) == 0);
		snprintf(line, sizeof line, "<h1>%s</h1>", text->title);
		assert_contains(first[i].body, line);
		assert_contains(first[i].body, text->message);
		assert_int_equal(kept_pages(), i);
	}
	/* Again, in reverse: each is the page kept for it, with no other's words. */
	for (size_t i = SITE_ERR__MAX; i-- > SITE_ERR_NONE + 1;) {
		struct sent again;
		get_error(&again, i);
		assert_same(&first[i], &again);
		for (size_t j = SITE_ERR_NONE + 1; j < SITE_ERR__MAX; j++)
			if (!strstr(site_error_text(i)->message, site_error_text(j)->message))
				assert_lacks(again.body, site_error_text(j)->message);
		free_sent(&again);
	}
	assert_int_equal(kept_pages(), SITE_ERR__MAX - 1);
	for (size_t i = SITE_ERR_NONE + 1; i < SITE_ERR__MAX; i++)
		free_sent(&first[i]);
	/* SITE_ERR_NONE has no page. */
	assert_int_equal(site_error_text(SITE_ERR_NONE)->status, 0);
}

/* (f) */
static void method_not_allowed_says_what_is(void **state)
{
	(void)state;
	struct sent first, second, other;
	get_error(&first, SITE_ERR_FORM_METHOD);
	get_error(&second, SITE_ERR_FORM_METHOD);
	assert_int_equal(kept_pages(), 1);
	for (int i = 0; i < 2; i++) {
		const struct sent *s = i ? &second : &first;
		assert_true(strncmp(s->headers, "Status: 405 Method Not Allowed\r\n", 32) == 0);
		assert_contains(s->headers, "\r\nAllow: GET, HEAD\r\n");
		assert_contains(s->headers, "\r\nCache-Control: no-store\r\n");
		assert_contains(s->body, "<p>Please open the form in your browser and send it from "
		                         "there.</p>");
		assert_length_is(s, s->body_len);
	}
	assert_same(&first, &second);
	/* Only 405 says it. */
	get_error(&other, SITE_ERR_FORGED_TOKEN);
	assert_forbidden_page(&other);
	free_sent(&first);
	free_sent(&second);
	free_sent(&other);
}

/* (g) */
static void head_gets_the_headers_alone(void **state)
{
	(void)state;
	struct sent head, get, head_again;

	/* HEAD first: rendered, kept, body left out. */
	send_error(&head, "HEAD", SITE_ERR_NO_LENGTH);
	assert_int_equal(head.body_len, 0);
	assert_true(strncmp(head.headers, "Status: 400 Bad Request\r\n", 25) == 0);
	assert_contains(head.headers, "\r\nCache-Control: no-store\r\n");
	assert_int_equal(kept_pages(), 1);
	/* A GET then has the whole kept page, and the same headers. */
	get_error(&get, SITE_ERR_NO_LENGTH);
	assert_true(get.body_len > 0);
	assert_contains(get.body, "<p>Please go back to the form and send it again.</p>");
	assert_length_is(&get, get.body_len);
	assert_string_equal(head.headers, get.headers);
	send_error(&head_again, "HEAD", SITE_ERR_NO_LENGTH);
	assert_same(&head, &head_again);
	free_sent(&head);
	free_sent(&get);
	free_sent(&head_again);

	/* GET first, then HEAD from the kept page. */
	get_error(&get, SITE_ERR_NOT_OUR_FORM);
	assert_int_equal(kept_pages(), 2);
	send_error(&head, "HEAD", SITE_ERR_NOT_OUR_FORM);
	assert_int_equal(kept_pages(), 2);
	assert_int_equal(head.body_len, 0);
	assert_string_equal(head.headers, get.headers);
	assert_length_is(&head, get.body_len);
	free_sent(&head);
	free_sent(&get);

	/* 405 to a HEAD: the Allow header, still no body, on both sends. */
	for (int round = 0; round < 2; round++) {
		send_error(&head, "HEAD", SITE_ERR_PAGES_METHOD);
		assert_contains(head.headers, "\r\nAllow: GET, HEAD\r\n");
		assert_int_equal(head.body_len, 0);
		free_sent(&head);
	}
}

#define SITE_TEST(f) cmocka_unit_test_setup_teardown(f, open_site, close_site)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SITE_TEST(a_kept_page_is_sent_byte_for_byte_again),
	    SITE_TEST(the_kept_page_is_what_is_sent),
	    SITE_TEST(errors_sharing_a_status_or_words_get_their_own_page),
	    SITE_TEST(markup_in_the_words_is_escaped),
	    SITE_TEST(a_new_generation_renders_the_page_again),
	    SITE_TEST(a_new_build_changes_the_kept_page),
	    SITE_TEST(every_error_is_kept_with_its_own_words),
	    SITE_TEST(method_not_allowed_says_what_is),
	    SITE_TEST(head_gets_the_headers_alone),
	};
	return cmocka_run_group_tests(tests, build_site, remove_site);
}
