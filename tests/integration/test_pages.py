"""Content pages, FAQ search and HTTP behaviour, through real nginx."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse

from harness import ROOT, assert_equal, assert_in, assert_not_in, wait_until

PAGES = ["/", "/therapies/dynamic-interpersonal-therapy", "/faq", "/team",
         "/team/athena-lazaridou", "/contact", "/start", "/privacy", "/accessibility"]


def check_security_headers(resp):
    csp = resp.header("Content-Security-Policy") or ""
    assert_in("frame-ancestors 'none'", csp, "CSP")
    assert_in("default-src 'none'", csp, "CSP")
    assert_not_in("unsafe-inline", csp, "CSP")
    assert_equal(resp.header("X-Content-Type-Options"), "nosniff", "nosniff")
    assert_equal(resp.header("Referrer-Policy"), "no-referrer", "Referrer-Policy")
    assert_in("camera=()", resp.header("Permissions-Policy") or "", "Permissions-Policy")


def test_every_page_is_served_with_security_headers(ctx):
    for path in PAGES:
        resp = ctx.get(path)
        assert_equal(resp.status, 200, path)
        assert_in("text/html", resp.header("Content-Type"), path)
        check_security_headers(resp)
        assert_equal(len(re.findall(r"<h1[ >]", resp.text)), 1, "one h1 on " + path)
        assert_in('href="#main"', resp.text, "skip link on " + path)
        for landmark in ("<header", "<nav", "<main", "<footer"):
            assert_in(landmark, resp.text, path)
        assert_not_in("<script>", resp.text, "no inline script on " + path)


def test_home_links_to_everything(ctx):
    text = ctx.get("/").text
    for href in PAGES[1:]:
        assert_in('href="%s"' % href, text, "home links")


def test_dit_page_keeps_the_clinics_words(ctx):
    text = ctx.get("/therapies/dynamic-interpersonal-therapy").text
    assert_in("Dynamic Interpersonal Therapy", text)
    assert_in("16 weekly sessions", text)
    assert_in("repeating pattern in relationships", text)
    assert_in("Related videos", text)


def test_team_pages(ctx):
    assert_in('href="/team/athena-lazaridou"', ctx.get("/team").text)
    bio = ctx.get("/team/athena-lazaridou").text
    assert_in("Athena Lazaridou", bio)
    assert_in("Pilates", bio)


def test_faq_has_anchors_details_and_json_ld(ctx):
    text = ctx.get("/faq").text
    details = re.findall(r'<details[^>]* id="([a-z0-9-]+)"', text)
    if not details:
        details = re.findall(r'<details id="([a-z0-9-]+)"', text)
    assert len(details) >= 3, "at least three questions, got %r" % details
    blocks = [json.loads(b) for b in
              re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)]
    faq_pages = [b for b in blocks if b["@type"] == "FAQPage"]
    assert_equal(len(faq_pages), 1, "one FAQPage block")
    data = faq_pages[0]
    assert_equal(len(data["mainEntity"]), len(details), "JSON-LD questions")
    assert_in("20 sessions", text)


def test_search_finds_and_highlights(ctx):
    resp = ctx.get("/faq?q=depression")
    assert_equal(resp.status, 200)
    assert_in("<mark>", resp.text, "highlight")
    assert_equal(resp.header("Cache-Control"), "no-store", "searches are not cached")


def test_search_says_plainly_when_nothing_matched(ctx):
    resp = ctx.get("/faq?q=xylophonequartz")
    assert_equal(resp.status, 200)
    assert_in("No questions matched", resp.text)
    assert_in("xylophonequartz", resp.text)


def test_hostile_searches_get_a_normal_page(ctx):
    hostile = ['"', '""', "NEAR(a b)", "a OR", "AND", "*", "^x", "col:val", "(", "'; DROP",
               "x" * 10000, "\u00e9t\u00e9 \u2603", "a" * 70 + "\u00e9"]
    for q in hostile:
        resp = ctx.get("/faq?q=" + urllib.parse.quote(q))
        assert_equal(resp.status, 200, "q=%r" % q[:40])
    for raw in ["%FF%FE", "%00", "%", "%zz", "q=%C0%AF", "&&&", "q", "q=" + "%41" * 4000]:
        resp = ctx.get("/faq?q=" + raw)
        assert_equal(resp.status, 200, "raw %r" % raw[:40])


def test_search_text_is_escaped(ctx):
    resp = ctx.get("/faq?q=" + urllib.parse.quote('<script>alert(1)</script>"x'))
    assert_equal(resp.status, 200)
    assert_not_in("<script>alert", resp.text)
    assert_in("&lt;script&gt;", resp.text)


def test_conditional_get_gives_304(ctx):
    first = ctx.get("/team")
    etag = first.header("ETag")
    assert etag and etag.startswith('"'), "strong ETag: %r" % etag
    assert first.header("Last-Modified"), "Last-Modified"
    assert_in("public", first.header("Cache-Control"))
    again = ctx.get("/team", headers={"If-None-Match": etag})
    assert_equal(again.status, 304, "If-None-Match")
    assert_equal(again.body, b"", "304 has no body")
    since = ctx.get("/team", headers={"If-Modified-Since": first.header("Last-Modified")})
    assert_equal(since.status, 304, "If-Modified-Since")
    other = ctx.get("/team", headers={"If-None-Match": '"0000000000000000"'})
    assert_equal(other.status, 200, "other ETag")


def test_unknown_pages_get_our_404(ctx):
    for path in ["/nope", "/therapies/", "/team/nobody", "/faq/",
                 "/static/nothing.css"]:
        resp = ctx.get(path)
        assert_equal(resp.status, 404, path)
        check_security_headers(resp)
    assert_in("Page not found", ctx.get("/nope").text)


def test_wrong_methods_get_405(ctx):
    for method, path in [("POST", "/"), ("DELETE", "/faq"), ("PUT", "/team"),
                         ("PATCH", "/contact")]:
        resp = ctx.request(method, path, body=b"", headers={"Content-Type": "text/plain"})
        assert_equal(resp.status, 405, method + " " + path)
        assert_in("GET", resp.header("Allow") or "", "Allow header")


def test_head_works_everywhere(ctx):
    for path in PAGES + ["/nope", "/static/style.css"]:
        got = ctx.get(path)
        head = ctx.head(path)
        assert_equal(head.status, got.status, "HEAD " + path)
        assert_equal(head.body, b"", "HEAD body " + path)
        if path not in ("/contact", "/start"):  # forms carry a fresh token each time
            assert_equal(head.header("Content-Length"), got.header("Content-Length"), path)


def test_forms_are_never_cached_and_name_crisis_lines(ctx):
    for path in ("/contact", "/start"):
        resp = ctx.get(path)
        assert_equal(resp.header("Cache-Control"), "no-store", path)
        text = resp.text.replace("&nbsp;", " ")
        for line in ("999", "111", "116 123"):
            assert_in(line, text, path)
        assert_in('name="token"', resp.text, path)
        assert_in("not read around the clock", resp.text.replace("\n", " "), path)


def test_static_files_come_from_nginx(ctx):
    css = ctx.get("/static/style.css")
    assert_equal(css.status, 200)
    assert_in("text/css", css.header("Content-Type"))
    check_security_headers(css)
    assert_equal(ctx.get("/static/favicon.svg").status, 200)


def test_pages_are_valid_html(ctx):
    tidy = shutil.which("tidy")
    assert tidy, "tidy is installed"
    for path in PAGES + ["/faq?q=sessions", "/nope", "/thanks?ref=ABCD-EFGH"]:
        html = ctx.get(path).body
        result = subprocess.run([tidy, "-q", "-e", "--drop-empty-elements", "no"], input=html,
                                capture_output=True)
        assert_equal((result.returncode, result.stderr.decode()), (0, ""), "tidy " + path)


def site_as_served(ctx, tag):
    """Every page (straight from the program: a new query string each time
    passes the cache), a search and the 404 page: path -> (status, ETag, body)."""
    served = {}
    for path in [p for p in PAGES if p not in ("/contact", "/start")] + ["/nope"]:
        resp = ctx.get("%s?as-served=%s" % (path, tag))
        served[path] = (resp.status, resp.header("ETag"), resp.body)
    resp = ctx.get("/faq?q=sessions")
    served["/faq?q=sessions"] = (resp.status, None, resp.body)
    return served


def test_a_broken_content_file_leaves_the_site_as_it_was(ctx):
    # Before any test rebuilds the content: every worker serves the one build.
    import hashlib
    database = ctx.stack.path("content.db")
    with open(database, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    before = site_as_served(ctx, "before")
    site = tempfile.mkdtemp(prefix="clinic-site-")
    try:
        shutil.copytree(os.path.join(ROOT, "site"), site, dirs_exist_ok=True)
        with open(os.path.join(site, "content", "broken.md"), "w") as f:
            f.write("title: Broken\nkind: nonsense\n---\nText\n")
        with open(os.path.join(site, "content", "team", "athena-lazaridou.md"), "a") as f:
            f.write("\nA paragraph that must not be served.\n")
        try:
            ctx.stack.build_content(site)
            raise AssertionError("build-content accepted a bad kind")
        except subprocess.CalledProcessError:
            pass
        with open(database, "rb") as f:
            assert_equal(hashlib.sha256(f.read()).hexdigest(), digest,
                         "the content database is untouched")
        after = site_as_served(ctx, "after")
        for path, (status, etag, body) in before.items():
            assert_equal(after[path][:2], (status, etag), path + ": status and ETag")
            assert after[path][2] == body, path + ": the page changed"
        assert_equal(before["/team"][0], 200, "/team is served")
        assert_not_in(b"must not be served", after["/team/athena-lazaridou"][2],
                      "the rest of the broken build")
    finally:
        shutil.rmtree(site, ignore_errors=True)


def test_rebuilt_content_shows_without_restart(ctx):
    site = tempfile.mkdtemp(prefix="clinic-site-")
    try:
        shutil.copytree(os.path.join(ROOT, "site"), site, dirs_exist_ok=True)
        page = os.path.join(site, "content", "team", "athena-lazaridou.md")
        with open(page) as f:
            text = f.read()
        before = ctx.get("/team/athena-lazaridou?v=1").text
        assert_not_in("Freshly edited paragraph", before)
        with open(page, "w") as f:
            f.write(text.rstrip("\n") + "\n\nFreshly edited paragraph.\n")
        ctx.stack.build_content(site)
        # A new query string passes nginx's cache and reaches the program,
        # which looks for a new build at most every 100 ms.
        tries = iter(range(2, 1000))
        seen = wait_until(lambda: "Freshly edited paragraph" in ctx.get(
            "/team/athena-lazaridou?v=%d" % next(tries)).text, 3)
        assert seen, "the rebuilt page was served within 3 s"
    finally:
        ctx.stack.build_content()
        shutil.rmtree(site, ignore_errors=True)
    # Leave the site as it was for the tests after this one: served again.
    assert wait_until(lambda: "Freshly edited paragraph" not in ctx.get(
        "/team/athena-lazaridou?v=%d" % next(tries)).text, 3), "the original page is back"
