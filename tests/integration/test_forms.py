"""The two enquiry forms through real nginx: acceptance and sealed storage,
every validation rule, form tokens, the honeypot, bodies we cannot read and
cross-site posts. No response may ever be a server error.

The rate limit has its own suite (test_ratelimit.py): here it is set high so
the many accepted posts below never reach it.
"""
import base64
import hashlib
import hmac
import html
import re
import sqlite3
import struct
import time
import urllib.parse
from html.parser import HTMLParser

from harness import (assert_equal, assert_in, assert_not_in, enquiry_rows, ref_of,
                     staff_export)

STACK_OPTIONS = {"rate_limit_posts": 1000}
PHONE = "020 7946 0000"
SEAL_OVERHEAD = 48  # crypto_box_SEALBYTES

CHOICES = {
    "contact_method": {"email", "phone"},
    "voicemail": {"yes", "no"},
    "interest": {"dit", "other-therapy", "pilates", "not-sure"},
}
CHECKBOXES = {"consent"}
FIELDS = {
    "contact": ["name", "email", "phone", "message", "consent"],
    "start": ["name", "email", "phone", "contact_method", "voicemail", "interest", "reason",
              "availability", "consent"],
}
HIDDEN = {"token", "website"}


# --- reading pages -----------------------------------------------------------
class Page(HTMLParser):
    """The parts of an HTML page the form tests look at."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []  # (tag, attributes) in document order
        self.ids = {}
        self.duplicate_ids = []
        self.textareas = {}
        self.selects = {}
        self._textarea = None
        self._select = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        self.elements.append((tag, a))
        if "id" in a:
            if a["id"] in self.ids:
                self.duplicate_ids.append(a["id"])
            self.ids[a["id"]] = (tag, a)
        if tag == "textarea":
            self._textarea = a.get("name", "")
            self.textareas[self._textarea] = ""
        elif tag == "select":
            self._select = a.get("name", "")
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self.selects[self._select].append((a.get("value"), "selected" in a))

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self.textareas[self._textarea] += data

    def controls(self, name):
        return [(t, a) for t, a in self.elements
                if t in ("input", "textarea", "select") and a.get("name") == name]

    def value(self, name):
        """What a browser would send for the control called name (None: nothing)."""
        if name in self.textareas:
            text = self.textareas[name]
            return text[1:] if text.startswith("\n") else text  # as HTML parsing does
        if name in self.selects:
            chosen = [v for v, selected in self.selects[name] if selected]
            return chosen[0] if chosen else None
        inputs = [a for t, a in self.controls(name) if t == "input"]
        if not inputs:
            raise AssertionError("the page has no control called %r" % name)
        kind = inputs[0].get("type", "text").lower()
        if kind in ("radio", "checkbox"):
            chosen = [a.get("value", "on") for a in inputs if "checked" in a]
            return chosen[0] if chosen else None
        return inputs[0].get("value", "")

    def token(self):
        value = self.value("token")
        assert value, "the page carries a form token"
        return value


ENTITIES = {"&": "&(?:amp|#38|#x26);", "<": "&(?:lt|#60|#x3[cC]);", ">": "&(?:gt|#62|#x3[eE]);",
            '"': "&(?:quot|#34|#x22);", "'": "&(?:apos|#39|#x27);"}


def escaped_pattern(s):
    return "".join(ENTITIES.get(c, re.escape(c)) for c in s)


def assert_shown_escaped(text, raw, what):
    if any(c in ENTITIES for c in raw):
        assert_not_in(raw, text, what + ": the raw text")
    if not re.search(escaped_pattern(raw), text):
        raise AssertionError("%s: %r is not on the page in escaped form" % (what, raw))


def notice_of(text):
    """The words of the form's notice (why it came back), or ""."""
    m = re.search(r'<div class="notice"[^>]*>(.*?)</div>', text, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", m.group(1))) if m else ""


def error_of(text, name):
    """The words of the error shown at the field called name, or ""."""
    m = re.search(r'<(?P<tag>[a-z]+) id="error-%s"[^>]*>(?P<words>.*?)</(?P=tag)>'
                  % re.escape(name), text, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", m.group("words"))) if m else ""


def clean(value):
    """What validation keeps: CR LF and lone CR become LF, ends trimmed."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip(" \n")


def token_issued(ctx, kind, token):
    """The time a token says it was issued, after checking its MAC."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert_equal(len(raw), 40, "token length")
    with open(ctx.stack.path("token.key")) as f:
        key = bytes.fromhex(f.read().strip())
    mac = hmac.new(key, raw[:8] + kind.encode(), hashlib.sha512).digest()[:32]
    assert hmac.compare_digest(mac, raw[8:]), "the token is signed for %s" % kind
    return struct.unpack(">Q", raw[:8])[0]


def wait_until_usable(issued, min_age=3):
    """Until the clock says the token is min_age seconds old: contact.fcgi reads
    the same precise clock (token_now), so it agrees once this returns."""
    while int(time.time()) < issued + min_age:
        time.sleep(0.05)


# --- sending -----------------------------------------------------------------
def rows(ctx):
    return enquiry_rows(ctx.stack.path("enquiries.db"))


def send(ctx, kind, fields=None, body=None, what="", **kw):
    resp = ctx.post("/" + kind, fields=fields, body=body, **kw)
    assert resp.status < 500, "%s: a server error: %r" % (what or kind, resp)
    if "text/html" in (resp.header("Content-Type") or ""):
        try:
            resp.body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise AssertionError("%s: the page is not valid UTF-8: %s" % (what or kind, e))
        assert b"\0" not in resp.body, "%s: the page holds a NUL byte" % (what or kind)
    return resp


def accepted(ctx, kind, fields, what="", **kw):
    before = len(rows(ctx))
    resp = send(ctx, kind, fields, what=what, **kw)
    assert_equal(resp.status, 303, "%s (page: %r)" % (what or "accepted", resp.text[:300]))
    ref = ref_of(resp)
    assert ref, "%s: Location is /thanks?ref=XXXX-XXXX, got %r" % (what, resp.header("Location"))
    after = rows(ctx)
    assert_equal(len(after), before + 1, what + ": one row more")
    mine = [r for r in after if r["ref"] == ref]
    assert_equal(len(mine), 1, what + ": the row for " + ref)
    return ref, mine[0]


def refused(ctx, kind, status, fields=None, body=None, what="", **kw):
    before = len(rows(ctx))
    resp = send(ctx, kind, fields, body=body, what=what, **kw)
    assert_equal(resp.status, status, "%s (page: %r)" % (what or "status", resp.text[:300]))
    assert_equal(resp.header("Location"), None, what + ": no redirect")
    assert_equal(len(rows(ctx)), before, what + ": nothing stored")
    return resp


def reshown(ctx, kind, fields, errors, what=""):
    """Posts fields, expects the form back (422) with exactly `errors` marked,
    linked from the summary and described on the field, and every word kept."""
    what = what or "%s %r" % (kind, sorted(errors))
    resp = refused(ctx, kind, 422, fields, what=what)
    assert_equal(resp.header("Cache-Control"), "no-store", what + ": Cache-Control")
    page = Page(resp.text)
    assert_equal(page.duplicate_ids, [], what + ": duplicate ids")
    linked = set(re.findall(r'href="#field-([a-z_]+)"', resp.text))
    assert_equal(linked, set(errors), what + ": fields the error summary links to")
    for name in FIELDS[kind]:
        if name not in errors:
            assert "error-" + name not in page.ids, "%s: %s is marked wrong" % (what, name)
            continue
        assert "field-" + name in page.ids, "%s: no element id=field-%s" % (what, name)
        assert "error-" + name in page.ids, "%s: no element id=error-%s" % (what, name)
        described = [a for _, a in page.elements
                     if "error-" + name in a.get("aria-describedby", "").split()]
        assert described, "%s: nothing has aria-describedby=error-%s" % (what, name)
        if name not in CHOICES and name not in CHECKBOXES:
            for _, a in page.controls(name):
                assert_in("error-" + name, a.get("aria-describedby", "").split(),
                          "%s: aria-describedby of %s" % (what, name))
    for name, value in fields.items():
        if name in HIDDEN or not isinstance(value, str):
            continue
        shown = page.value(name)
        if name in CHECKBOXES:
            assert_equal(shown or "", "yes" if value == "yes" else "", what + ": " + name)
        elif name in CHOICES:
            assert_equal(shown, value if value in CHOICES[name] else None, what + ": " + name)
        else:
            assert_equal(shown, clean(value), what + ": the words kept in " + name)
    return resp, page


def staff_key_id(ctx):
    with open(ctx.stack.path("staff.pub")) as f:
        return f.read().split()[1]


def days_around_now():
    now = time.time()
    return {time.strftime("%Y-%m-%d", time.gmtime(t)) for t in (now - 5, now, now + 5)}


# --- the forms as served -------------------------------------------------------
def test_both_forms_are_served_with_every_field_and_a_valid_token(ctx):
    for kind in ("contact", "start"):
        resp = ctx.get("/" + kind)
        assert_equal(resp.status, 200, kind)
        page = Page(resp.text)
        forms = [a for t, a in page.elements
                 if t == "form" and a.get("method", "").lower() == "post"]
        assert_equal(len(forms), 1, kind + ": one form that posts")
        assert_equal(forms[0].get("action", "").split("#")[0], "/" + kind, kind + ": action")
        for name in FIELDS[kind] + ["token", "website"]:
            assert page.controls(name), "%s: no control called %s" % (kind, name)
        for name in FIELDS[kind]:
            assert "field-" + name in page.ids, "%s: no id=field-%s to link to" % (kind, name)
        assert_equal(page.duplicate_ids, [], kind + ": duplicate ids")
        for name, values in CHOICES.items():
            if name in FIELDS[kind]:
                offered = {a.get("value") for _, a in page.controls(name)} | {
                    v for v, _ in page.selects.get(name, [])}
                assert values <= offered, "%s: %s offers %r" % (kind, name, offered)
        issued = token_issued(ctx, kind, page.token())
        assert abs(issued - time.time()) < 5, kind + ": the token was issued just now"
        assert_equal(page.value("consent"), None, kind + ": consent is not ticked for them")


def test_a_filled_in_served_form_is_accepted_and_thanked(ctx):
    served = {}
    for kind in ("contact", "start"):
        page = Page(ctx.get("/" + kind).text)
        served[kind] = page.token()
    wait_until_usable(max(token_issued(ctx, k, t) for k, t in served.items()))
    for kind, token in served.items():
        ref, _ = accepted(ctx, kind, ctx.form(kind, token=token), "the served " + kind + " form")
        thanks = ctx.get("/thanks?ref=" + ref)
        assert_equal(thanks.status, 200, "thanks page")
        assert_in(ref, thanks.text, "the thanks page shows the reference")


def test_each_form_is_stored_sealed_with_only_what_is_needed(ctx):
    key_id = staff_key_id(ctx)
    for kind, secret_field in (("contact", "message"), ("start", "reason")):
        words = "Only the staff may read this %s %d" % (kind, time.time_ns())
        fields = ctx.form(kind, name="Ruth Sealed-Check", email="ruth.sealed@example.org")
        fields[secret_field] = words
        days = days_around_now()
        ref, row = accepted(ctx, kind, fields, kind)
        assert_equal(row["kind"], kind, "kind")
        assert row["received_day"] in days, "received_day %r" % row["received_day"]
        assert_equal(row["key_id"], key_id, "key_id is the staff key's")
        assert_equal(row["status"], "new", "status")
        assert_equal(set(row), {"id", "ref", "kind", "received_day", "key_id", "sealed",
                                "status"}, "columns: nothing else about the enquiry")
        sealed = bytes(row["sealed"])
        for plain in (words, "Ruth Sealed-Check", "ruth.sealed@example.org", "Sealed"):
            assert plain.encode() not in sealed, "plaintext %r in the sealed blob" % plain
        padded = len(sealed) - SEAL_OVERHEAD
        assert padded >= 1024 and padded & (padded - 1) == 0, (
            "sealed length %d is not a padding bucket plus the seal" % len(sealed))
        thanks = ctx.get("/thanks?ref=" + ref)
        assert_equal(thanks.status, 200)
        assert_in(ref, thanks.text, "the thanks page shows the reference")
        assert_equal(thanks.header("Cache-Control"), "no-store", "thanks Cache-Control")


def test_a_post_whose_commit_fails_is_never_thanked(ctx):
    """Thank-you only after the commit returned: while every commit fails (a
    trigger the test adds aborts each insert), both forms get the 503 page with
    the phone number, never a redirect, and nothing is stored; once commits
    work again, so do posts."""
    conn = sqlite3.connect(ctx.stack.path("enquiries.db"), timeout=10)
    try:
        conn.execute("CREATE TRIGGER test_refuses_every_insert BEFORE INSERT ON enquiries "
                     "BEGIN SELECT RAISE(ABORT, 'this commit fails'); END")
        conn.commit()
        try:
            for kind in ("contact", "start"):
                before = len(rows(ctx))
                resp = ctx.post("/" + kind, ctx.form(kind))
                assert_equal(resp.status, 503, "%s: the commit failed (page %r)" % (
                    kind, resp.text[:300]))
                assert_equal(resp.header("Location"), None, kind + ": no redirect")
                assert_equal(len(rows(ctx)), before, kind + ": nothing stored")
                assert_in(PHONE, resp.text, kind + ": the 503 page gives the phone number")
                assert_not_in("/thanks", resp.text, kind + ": no way to the thank-you page")
        finally:
            conn.execute("DROP TRIGGER test_refuses_every_insert")
            conn.commit()
    finally:
        conn.close()
    accepted(ctx, "contact", ctx.form("contact"), "once commits work again")


def test_the_thanks_page_ignores_a_hostile_reference(ctx):
    for query in ("ref=%3Cscript%3Ealert(1)%3C/script%3E", "ref=%FF%FE", "ref=%", "ref=abcd-efgh",
                  "ref=" + "A" * 5000, "", "ref=ABCD-EFGH&ref=<b>"):
        resp = ctx.get("/thanks?" + query)
        assert resp.status < 500, query
        assert_not_in("<script>alert", resp.text, query)
        assert_not_in("<b>", resp.text, query)


# --- validation --------------------------------------------------------------------
def test_missing_required_fields_are_named(ctx):
    reshown(ctx, "contact", ctx.form("contact", name=None, email=None, message=None,
                                     consent=None), {"name", "email", "message", "consent"})
    reshown(ctx, "contact", ctx.form("contact", name="   ", email="", message="\r\n \n"),
            {"name", "email", "message"}, "blank after trimming")
    reshown(ctx, "start", ctx.form("start", name=None, email=None, contact_method=None,
                                   voicemail=None, interest=None, reason=None, consent=None),
            {"name", "email", "contact_method", "voicemail", "interest", "reason", "consent"})
    # Optional fields may be left out entirely.
    accepted(ctx, "contact", ctx.form("contact", phone=None), "contact without phone")
    accepted(ctx, "start", ctx.form("start", phone=None, availability=None),
             "start without the optional fields")


def test_lengths_are_counted_in_characters(ctx):
    for ch in ("\u00e9", "\U0001d49c"):  # 2 and 4 bytes in UTF-8
        accepted(ctx, "contact", ctx.form("contact", name=ch * 100), "100 x %r" % ch)
        reshown(ctx, "contact", ctx.form("contact", name=ch * 101), {"name"},
                "101 x %r in the name" % ch)
    message = "a" * 4998 + "\u20ac\u00e9"
    accepted(ctx, "contact", ctx.form("contact", message=message), "a 5000-character message")
    reshown(ctx, "contact", ctx.form("contact", message=message + "b"), {"message"},
            "a 5001-character message")
    accepted(ctx, "start", ctx.form("start", availability="\u00fc" * 500), "500 characters")
    reshown(ctx, "start", ctx.form("start", availability="\u00fc" * 501), {"availability"},
            "501 characters of availability")
    reshown(ctx, "start", ctx.form("start", reason="r" * 5001), {"reason"}, "a long reason")
    reshown(ctx, "contact", ctx.form("contact", email="a" * 64 + "@" + "b" * 186 + ".org"),
            {"email"}, "a 255-character email")
    # Trimming happens before counting.
    accepted(ctx, "contact", ctx.form("contact", name="  " + "\u00e9" * 100 + "  "),
             "100 characters between spaces")


def test_email_addresses_are_checked(ctx):
    for bad in ("alex", "alex@", "@example.org", "alex@example", "alex example@example.org",
                "alex@@example.org", "alex@exa mple.org", "alex@example.org, bob@example.org",
                "<alex@example.org>"):
        reshown(ctx, "contact", ctx.form("contact", email=bad), {"email"}, "email %r" % bad)
    for good in ("first.last+tag@sub.example.co.uk", "  padded@example.org  "):
        accepted(ctx, "contact", ctx.form("contact", email=good), "email %r" % good)


def test_phone_numbers_are_checked(ctx):
    for bad in ("12345", "call me", "07700 900123 ext 4", "1234567890123456",
                "07700+900123", "0770O 900123", "+", "+44 7700 900123 " + "0" * 17):
        reshown(ctx, "contact", ctx.form("contact", phone=bad), {"phone"}, "phone %r" % bad)
        reshown(ctx, "start", ctx.form("start", phone=bad), {"phone"}, "start phone %r" % bad)
    for good in ("07700 900123", "+44 (0)20 7946 0000", "020-7946-0000", "020.7946.0000",
                 "1234567", "123456789012345"):
        accepted(ctx, "contact", ctx.form("contact", phone=good), "phone %r" % good)


def test_choices_must_come_from_the_list(ctx):
    for name, bad in (("interest", "hypnosis"), ("contact_method", "carrier-pigeon"),
                      ("voicemail", "maybe"), ("interest", "DIT"), ("interest", "dit,pilates"),
                      ("voicemail", "<b>yes</b>")):
        reshown(ctx, "start", ctx.form("start", **{name: bad}), {name}, "%s=%r" % (name, bad))
    for value in CHOICES["interest"]:
        accepted(ctx, "start", ctx.form("start", interest=value), "interest " + value)


def test_consent_must_be_given_as_yes(ctx):
    for kind in ("contact", "start"):
        for value in (None, "", "no", "on", "true", "yes please"):
            reshown(ctx, kind, ctx.form(kind, consent=value), {"consent"},
                    "%s consent=%r" % (kind, value))


def test_control_characters_are_refused_in_one_line_fields(ctx):
    for bad in ("Alex\x07Example", "Alex\x1b[31mRed", "Alex\nExample", "Alex\rExample",
                "Alex\tExample", "Alex\x7fExample", "Alex\u009b31mExample", "Alex\x00Example"):
        resp = send(ctx, "contact", ctx.form("contact", name=bad), what="name %r" % bad)
        if "\x00" in bad and resp.status == 400:
            continue  # a NUL may also be treated as "not from our form"
        assert_equal(resp.status, 422, "name %r" % bad)
        assert_equal(set(re.findall(r'href="#field-([a-z_]+)"', resp.text)), {"name"},
                     "name %r: the error" % bad)
    reshown(ctx, "contact", ctx.form("contact", email="alex@example.org\nBcc: x@example.org"),
            {"email"}, "a newline in the email")
    reshown(ctx, "contact", ctx.form("contact", phone="07700\x0b900123"), {"phone"},
            "a control character in the phone")
    for bad in ("Bell \x07 in the text", "Escape \x1b]0;title\x07 sequence"):
        reshown(ctx, "contact", ctx.form("contact", message=bad), {"message"},
                "message %r" % bad)


def test_newlines_are_allowed_in_free_text_and_kept(ctx):
    message = "Line one\r\nLine two\rLine three\nLast line"
    ref, _ = accepted(ctx, "contact", ctx.form("contact", message=message,
                                               name="  Padded Name  "), "newlines")
    ref2, _ = accepted(ctx, "start", ctx.form("start", reason="First\nSecond",
                                              availability="Mon\r\nTue"), "newlines in start")
    opened = staff_export(ctx.stack)
    assert ref in opened and ref2 in opened, "the staff tool lists both enquiries"
    assert_equal(opened[ref].get("message"), "Line one\nLine two\nLine three\nLast line",
                 "the message, normalised to LF")
    assert_equal(opened[ref].get("name"), "Padded Name", "the name, trimmed")
    assert_equal(opened[ref2].get("reason"), "First\nSecond", "the reason")
    assert_equal(opened[ref2].get("availability"), "Mon\nTue", "the availability")
    assert_equal(opened[ref2].get("interest"), "dit", "the interest")


def test_start_form_needs_a_phone_number_to_be_called(ctx):
    resp, _ = reshown(ctx, "start", ctx.form("start", contact_method="phone", phone=""),
                      {"phone"}, "phone chosen, none given")
    assert_in("phone number", error_of(resp.text, "phone"), "the error says what is needed")
    reshown(ctx, "start", ctx.form("start", contact_method="phone", phone=None), {"phone"},
            "phone chosen, field absent")
    accepted(ctx, "start", ctx.form("start", contact_method="phone", phone="07700 900456"),
             "phone chosen and given")
    accepted(ctx, "start", ctx.form("start", contact_method="email", phone=""),
             "email chosen, no phone")


# --- tokens and the honeypot ----------------------------------------------------------
def test_expired_and_too_fast_forms_come_back_with_words_kept_and_a_new_token(ctx):
    cases = [("contact", 5 * 3600, "refreshed"), ("start", 5 * 3600, "refreshed"),
             ("contact", 0, "faster than we expected"), ("start", 0, "faster than we expected")]
    fresh = []
    for kind, age, notice in cases:
        old = ctx.token(kind, age=age)
        fields = ctx.form(kind, token=old, name="Words <kept> & \"quoted\" 'too'",
                          email="kept@example.org", consent="yes")
        fields["message" if kind == "contact" else "reason"] = "Line <one>\nLine & two"
        resp, page = reshown(ctx, kind, fields, set(), "%s token aged %d" % (kind, age))
        assert_in(notice, notice_of(resp.text), "the page says why it came back")
        assert_shown_escaped(resp.text, "Words <kept> & \"quoted\" 'too'", "kept name")
        new = page.token()
        if age:
            assert new != old, "a new token"
        issued = token_issued(ctx, kind, new)
        assert abs(issued - time.time()) < 5, "the new token is fresh"
        fresh.append((kind, fields, new, issued))
    # The re-shown form can then be sent as it is.
    wait_until_usable(max(issued for *_, issued in fresh))
    for kind, fields, new, _ in fresh:
        fields["token"] = new
        accepted(ctx, kind, fields, "sent again with the new " + kind + " token")


def test_forged_missing_and_foreign_tokens_are_refused(ctx):
    good = ctx.token("contact")

    def flip(token, i):
        return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]

    flipped, time_flipped = flip(good, 20), flip(good, 2)
    for what, token in (("flipped MAC", flipped), ("flipped time", time_flipped),
                        ("missing", None), ("empty", ""), ("truncated", good[:-1]),
                        ("extended", good + "A"), ("padded", good + "="),
                        ("garbage", "x" * len(good)), ("start's token", ctx.token("start")),
                        ("from the far future", ctx.token("contact", age=-3600)),
                        ("with spaces", " " + good)):
        resp = refused(ctx, "contact", 403, ctx.form("contact", token=token), what="token " + what)
        assert_not_in("Alex Example", resp.text, "token %s: nothing typed is shown" % what)
    refused(ctx, "start", 403, ctx.form("start", token=ctx.token("contact")),
            what="contact's token on start")
    # A token may only be given once.
    fields = ctx.form("contact")
    fields["token"] = [fields["token"], fields["token"]]
    refused(ctx, "contact", 400, fields, what="two tokens")


def test_a_filled_honeypot_is_not_stored(ctx):
    for kind in ("contact", "start"):
        resp, _ = reshown(ctx, kind, ctx.form(kind, website="http://spam.example/"), set(),
                          kind + " honeypot")
        assert_in("Leave this empty", notice_of(resp.text), "the notice names the field")
    accepted(ctx, "contact", ctx.form("contact", website=None), "no honeypot field at all")


# --- bodies we cannot read -----------------------------------------------------------------
def raw_body(ctx, kind, extra, **overrides):
    fields = ctx.form(kind, **overrides)
    return (urllib.parse.urlencode(fields) + "&" + extra).encode()


def test_bodies_that_are_not_our_form_get_400(ctx):
    for what, body in (
            ("%ZZ", raw_body(ctx, "contact", "name=Al%ZZex", name=None)),
            ("trailing %", raw_body(ctx, "contact", "name=Alex%", name=None)),
            ("half an escape", raw_body(ctx, "contact", "name=Alex%4", name=None)),
            ("name twice", raw_body(ctx, "contact", "name=Other")),
            ("consent twice", raw_body(ctx, "contact", "consent=yes")),
            ("unknown field", raw_body(ctx, "contact", "age=42")),
            ("a start field on contact", raw_body(ctx, "contact", "interest=dit")),
            ("NUL in a field name", raw_body(ctx, "contact", "na%00me=x")),
            ("odd bytes in a field name", raw_body(ctx, "contact", "%FFname=x")),
            ("a name only differing in case", raw_body(ctx, "contact", "Name=x")),
            ("too many fields", raw_body(ctx, "contact", "&".join(["x%d=1" % i
                                                                   for i in range(100)]))),
            ("not a form at all", b"\x00\x01\x02\xff\xfe"),
    ):
        refused(ctx, "contact", 400, body=body, what=what)
    refused(ctx, "start", 400, body=raw_body(ctx, "start", "message=x"), what="contact field")


def test_bytes_that_are_not_text_are_refused(ctx):
    for what, value in (("invalid UTF-8", "Al%FF%FEex"), ("an overlong /", "Al%C0%AFex"),
                        ("a surrogate", "Al%ED%A0%80ex"), ("above U+10FFFF", "Al%F4%90%80%80"),
                        ("a cut sequence", "Al%E2%82"), ("a NUL byte", "Al%00ex")):
        for field in ("name", "message"):
            before = len(rows(ctx))
            body = raw_body(ctx, "contact", field + "=" + value, **{field: None})
            resp = send(ctx, "contact", body=body, what="%s in the %s" % (what, field))
            assert resp.status in (400, 422), "%s in the %s: expected 400 or 422, got %r" % (
                what, field, resp)
            assert_equal(len(rows(ctx)), before, what + ": nothing stored")
            if resp.status == 422:
                assert_equal(set(re.findall(r'href="#field-([a-z_]+)"', resp.text)), {field},
                             "%s: the error is on the %s" % (what, field))


def test_wrong_content_types_get_415(ctx):
    body = urllib.parse.urlencode(ctx.form("contact")).encode()
    multipart = (b"--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAlex\r\n"
                 b"--XyZ--\r\n")
    for content_type, data in (("text/plain", body), ("multipart/form-data; boundary=XyZ",
                                                       multipart),
                               ("application/json", b'{"name": "Alex"}'), (None, body),
                               ("application/x-www-form-urlencodedX", body),
                               ("text/html", body)):
        refused(ctx, "contact", 415, body=data, content_type=content_type,
                what="Content-Type %r" % content_type)
    accepted(ctx, "contact", None, "with a charset", body=body,
             content_type="application/x-www-form-urlencoded; charset=UTF-8")
    accepted(ctx, "contact", None, "in capitals", body=body,
             content_type="Application/X-WWW-Form-Urlencoded")


def test_bodies_over_the_limit_get_413(ctx):
    base = ctx.form("contact", message=None)
    prefix = (urllib.parse.urlencode(base) + "&message=").encode()
    at_limit = prefix + b"a" * (32768 - len(prefix))
    assert_equal(len(at_limit), 32768)
    reshown(ctx, "contact", dict(base, message="a" * (32768 - len(prefix))), {"message"},
            "a body of exactly max_body is read (and the message is too long)")
    over = at_limit + b"a"
    resp = refused(ctx, "contact", 413, body=over, what="max_body + 1")
    assert_in(PHONE, resp.text, "the 413 page gives the phone number")
    refused(ctx, "contact", 413, body=prefix + b"a" * 40000, what="40 kB")
    refused(ctx, "contact", 413, body=prefix + b"a" * 70000, what="70 kB (nginx)")


def test_hostile_text_is_shown_back_escaped(ctx):
    payloads = {
        "name": "\"><img src=x onerror=alert(1)>",
        "message": "<script>alert(1)</script></textarea><script>alert(2)</script>",
        "email": "javascript:alert(1)//@x",
        "phone": "'><svg onload=alert(1)>",
    }
    resp, page = reshown(ctx, "contact", ctx.form("contact", **payloads),
                         {"email", "phone"}, "XSS in contact")
    for name, raw in payloads.items():
        assert_shown_escaped(resp.text, raw, name)
    start = {"name": "<a href=\"javascript:alert(1)\">click</a>",
             "availability": "{{token}} {{{token}}} <iframe src=javascript:alert(1)>",
             "reason": "&lt;b&gt; already escaped &amp;"}
    resp2, page2 = reshown(ctx, "start", ctx.form("start", email="not-an-email", **start),
                           {"email"}, "XSS in start")
    for name, raw in start.items():
        assert_shown_escaped(resp2.text, raw, name)
    for p in (page, page2):
        for tag, a in p.elements:
            assert tag not in ("img", "svg", "iframe"), "an injected <%s>" % tag
            for attr, value in a.items():
                assert not attr.startswith("on"), "an event handler %s=%r" % (attr, value)
                if attr in ("href", "src", "action", "formaction"):
                    assert not value.strip().lower().startswith("javascript:"), (
                        "%s=%r" % (attr, value))
            if tag == "script":
                assert_equal(a.get("type"), "application/ld+json", "a script element")


# --- where posts come from ------------------------------------------------------------
def test_cross_site_posts_are_refused(ctx):
    own = "http://127.0.0.1:%d" % ctx.port
    for what, headers in (
            ("another origin", {"Origin": "https://evil.example"}),
            ("a cross-site fetch", {"Sec-Fetch-Site": "cross-site"}),
            ("a same-site fetch", {"Sec-Fetch-Site": "same-site"}),
            ("cross-site with our origin", {"Sec-Fetch-Site": "cross-site", "Origin": own}),
            ("a null origin from another site", {"Origin": "null", "Sec-Fetch-Site": "cross-site"}),
            ("a look-alike origin", {"Origin": own + ".evil.example"}),
            ("https instead of http", {"Origin": "https://127.0.0.1:%d" % ctx.port}),
            ("another port", {"Origin": "http://127.0.0.1:%d" % (ctx.port + 1)}),
            ("our origin with a path", {"Origin": own + "/contact"})):
        for kind in ("contact", "start"):
            resp = refused(ctx, kind, 403, ctx.form(kind), what=what, headers=headers)
            assert_not_in("Alex Example", resp.text, what)
    accepted(ctx, "contact", ctx.form("contact"), "our own origin",
             headers={"Origin": own, "Sec-Fetch-Site": "same-origin"})
    accepted(ctx, "start", ctx.form("start"), "typed into the address bar",
             headers={"Sec-Fetch-Site": "none"})
    # What Chromium sends from our own page under Referrer-Policy: no-referrer.
    accepted(ctx, "contact", ctx.form("contact"), "a browser on our page",
             headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    # An older browser without Sec-Fetch-Site: the signed token still decides.
    accepted(ctx, "start", ctx.form("start"), "an older browser",
             headers={"Origin": "null"})
