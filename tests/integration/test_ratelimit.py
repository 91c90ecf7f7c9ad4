"""The per-client limit on accepted posts, on a stack of its own (the test
stack allows 5 accepted posts an hour per address; every request through
nginx comes from 127.0.0.1)."""
import urllib.parse

from harness import (FastCGIRequest, assert_equal, assert_in, enquiry_rows, ref_of)

STACK_OPTIONS = {"rate_limit_posts": 5}
PHONE = "020 7946 0000"


def count(ctx):
    return len(enquiry_rows(ctx.stack.path("enquiries.db")))


def test_the_sixth_accepted_post_in_an_hour_is_refused_with_the_phone_number(ctx):
    # Posts that are not accepted do not use up the allowance.
    for _ in range(3):
        resp = ctx.post("/contact", ctx.form("contact", email="not-an-email"))
        assert_equal(resp.status, 422, "an invalid post")
        resp = ctx.post("/contact", ctx.form("contact", token=ctx.token("contact", age=0)))
        assert_equal(resp.status, 422, "a post that came too fast")
    refs = []
    for i in range(5):
        kind = "contact" if i % 2 == 0 else "start"  # both forms share the allowance
        resp = ctx.post("/" + kind, ctx.form(kind))
        assert_equal(resp.status, 303, "accepted post %d" % (i + 1))
        refs.append(ref_of(resp))
    assert all(refs), "references %r" % refs
    assert_equal(count(ctx), 5, "five stored")
    for kind in ("contact", "start", "contact"):
        resp = ctx.post("/" + kind, ctx.form(kind))
        assert_equal(resp.status, 429, "a further " + kind + " post")
        assert_equal(resp.header("Location"), None, "no redirect")
        assert_in(PHONE, resp.text, "the 429 page gives the clinic's phone number")
        assert_equal(resp.header("Cache-Control"), "no-store", "Cache-Control")
    assert_equal(count(ctx), 5, "nothing more stored")
    # Still limited, invalid posts are shown again as usual rather than 429.
    resp = ctx.post("/contact", ctx.form("contact", email="not-an-email"))
    assert_equal(resp.status, 422, "an invalid post after the limit")
    # Viewing the forms is never limited.
    assert_equal(ctx.get("/contact").status, 200, "the form still shows")


def test_the_limit_is_per_client_not_for_everyone(ctx):
    # Every post above came from 127.0.0.1; this one reaches the program from
    # another address, straight over FastCGI.
    body = urllib.parse.urlencode(ctx.form("contact")).encode()
    req = FastCGIRequest(ctx.stack.path("run", "contact.sock"), "POST", "/contact", body,
                         "application/x-www-form-urlencoded")
    req.send_body(body)
    req.finish_body()
    answer = req.response().decode("utf-8", "replace")
    assert_in("Status: 303", answer, "another address is not limited")
    assert_equal(count(ctx), 6, "stored")
    assert_equal(ctx.post("/contact", ctx.form("contact")).status, 429, "127.0.0.1 still is")
