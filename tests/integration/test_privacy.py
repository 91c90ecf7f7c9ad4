"""What a person typed never reaches a file in the clear: not the database
(nor its WAL), not the logs, not nginx's temporary or cache files, whatever
happened to the post. Logs hold no addresses and no query strings."""
import os
import re
import secrets
import stat
import urllib.parse

from harness import assert_equal, enquiry_rows, ref_of

STACK_OPTIONS = {"rate_limit_posts": 1000}
KEY_FILES = {"token.key", "staff.keyring", "staff.pub", "dev-passphrase"}
IPV4 = re.compile(rb"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")


def new_marker(prefix):
    return "%s%s" % (prefix, secrets.token_hex(8))


def encodings(text):
    """The forms in which text could have been written down."""
    forms = {text, urllib.parse.quote_plus(text), urllib.parse.quote(text, safe=""),
             urllib.parse.quote(text)}
    return {f.encode() for f in forms}


def files_under(top):
    for folder, _, names in os.walk(top):
        for name in names:
            path = os.path.join(folder, name)
            if name in KEY_FILES and folder == top:
                continue
            try:
                if stat.S_ISREG(os.lstat(path).st_mode):
                    yield path
            except FileNotFoundError:
                pass


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def submit_everything(ctx, markers):
    """Sends the markers every way a visitor might: accepted, refused, too large."""
    statuses = []

    def post(kind, fields=None, body=None, **kw):
        resp = ctx.post("/" + kind, fields, body=body, **kw)
        assert resp.status < 500, "a server error: %r" % resp
        statuses.append(resp.status)
        return resp

    m = markers
    contact = ctx.form("contact", name="Name " + m["name"], email=m["email"],
                       phone=m["phone"], message="About my health: " + m["message"])
    start = ctx.form("start", name="Name " + m["name"], email=m["email"], phone=m["phone"],
                     reason="Why: " + m["message"], availability=m["availability"])
    refs = []
    for kind, fields in (("contact", contact), ("start", start)):
        resp = post(kind, fields)
        assert_equal(resp.status, 303, kind + " accepted")
        refs.append(ref_of(resp))
        assert_equal(ctx.get("/thanks?ref=" + refs[-1]).status, 200, "thanks page")
    assert_equal(post("contact", dict(contact, email=m["bad_email"])).status, 422, "invalid")
    assert_equal(post("start", dict(start, consent="no")).status, 422, "invalid start")
    assert_equal(post("contact", dict(contact, token=ctx.token("contact", age=0))).status, 422,
                 "too fast")
    assert_equal(post("contact", dict(contact, website=m["honeypot"])).status, 422, "honeypot")
    token = contact["token"]
    forged = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert_equal(post("contact", dict(contact, token=forged)).status, 403, "forged")
    assert_equal(post("contact", contact, headers={"Origin": "https://evil.example"}).status,
                 403, "cross-site")
    body = urllib.parse.urlencode(contact).encode()
    assert_equal(post("contact", body=body + b"&name=" + m["name"].encode()).status, 400,
                 "repeated")
    assert_equal(post("contact", body=body, content_type="text/plain").status, 415, "text/plain")
    big = body + b"&pad=" + (m["large"].encode() + b" ") * 2000
    assert 32768 < len(big) < 65536
    assert_equal(post("contact", body=big).status, 413, "too large for the program")
    bigger = body + b"&pad=" + (m["large"].encode() + b" ") * 4000
    assert_equal(post("contact", body=bigger).status, 413, "too large for nginx")
    # Words in query strings: a search, and the forms and thanks page with extras.
    assert_equal(ctx.get("/faq?q=" + urllib.parse.quote(m["search"])).status, 200, "search")
    ctx.get("/contact?name=" + urllib.parse.quote(m["query"]))
    ctx.get("/thanks?ref=%s&email=%s" % (refs[0], urllib.parse.quote(m["query"])))
    return refs


def test_nothing_typed_is_written_anywhere_in_the_clear(ctx):
    markers = {name: new_marker(prefix) for name, prefix in (
        ("name", "Qzname"), ("message", "Qzmsg"), ("availability", "Qzavail"),
        ("bad_email", "Qzbad"), ("honeypot", "Qzpot"), ("large", "Qzbig"),
        ("search", "Qzsearch"), ("query", "Qzquery"))}
    markers["email"] = new_marker("qzmail") + "@example.org"
    markers["phone"] = "+44 7700 9%05d" % secrets.randbelow(100000)
    refs = submit_everything(ctx, markers)
    assert len(enquiry_rows(ctx.stack.path("enquiries.db"))) == 2, "two enquiries stored"

    scanned = {}
    for path in [ctx.stack.path("enquiries.db") + suffix for suffix in ("", "-wal", "-shm")]:
        scanned[path] = read(path)
    for path in files_under(ctx.stack.state):
        scanned.setdefault(path, read(path))
    logs = [p for p in scanned if p.startswith(ctx.stack.path("log") + os.sep)]
    assert ctx.stack.access_log in logs, "the access log was scanned"
    assert ctx.stack.path("enquiries.db") in scanned and scanned[ctx.stack.path("enquiries.db")]
    found = []
    for path, data in scanned.items():
        for name, marker in markers.items():
            for form in encodings(marker):
                if form in data:
                    found.append("%s: %s (%r)" % (os.path.relpath(path, ctx.stack.state), name,
                                                  form))
    assert not found, "typed words found in files:\n  " + "\n  ".join(found)
    # The reference is what staff and the visitor share; it may be stored, but
    # never next to an address or a query string in a log.
    for path in logs:
        data = scanned[path]
        assert not IPV4.search(data), "%s holds an address: %r" % (
            path, IPV4.search(data).group(0))
        for ref in refs:
            assert ref.encode() not in data, "%s holds the reference %s" % (path, ref)


def test_the_access_log_says_only_that_a_page_was_served(ctx):
    ctx.get("/faq?q=anything")
    ctx.get("/thanks?ref=ABCD-EFGH")
    ctx.post("/contact", ctx.form("contact", email="bad"),
             headers={"User-Agent": "Marker-Agent/1.0", "Referer": "http://ref.example/x?y=1"})
    with open(ctx.stack.access_log, "rb") as f:
        lines = f.read().splitlines()
    assert len(lines) >= 3, "the access log has lines: %r" % lines
    for line in lines:
        assert b"127.0.0.1" not in line, "an address in %r" % line
        assert not IPV4.search(line), "an address in %r" % line
        assert b"?" not in line and b"q=" not in line and b"ref=" not in line, (
            "a query string in %r" % line)
        assert b"Marker-Agent" not in line and b"ref.example" not in line, (
            "a user agent or referrer in %r" % line)
    assert any(b'"POST /contact" 422' in line for line in lines), "the post was logged: %r" % (
        lines[-3:],)


def test_the_stored_size_does_not_tell_how_much_was_written(ctx):
    sizes = {}
    for words in ("Hi", "x" * 300, "\u00e9" * 150):
        resp = ctx.post("/contact", ctx.form("contact", message=words))
        assert_equal(resp.status, 303)
        ref = ref_of(resp)
        row = [r for r in enquiry_rows(ctx.stack.path("enquiries.db")) if r["ref"] == ref][0]
        sizes[len(words.encode())] = len(row["sealed"])
    assert_equal(len(set(sizes.values())), 1, "sealed sizes by message bytes %r" % sizes)
