"""What search engines, link previews and a careful visitor read: the sitemap,
robots.txt and security.txt, each page's canonical address, description and
Open Graph / Twitter tags, its schema.org data (checked against the
vocabulary in schemaorg/vocabulary.json), the privacy notice's figures
(the config's own), and build-content refusing broken links."""
import calendar
import datetime
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ElementTree

from harness import ROOT, assert_equal, assert_in, assert_not_in, staff_tool, stack_module

# An unusual retention period, so that a figure typed into a page by hand
# (rather than filled from the config) shows.
STACK_OPTIONS = {"retention_days": 47}

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "schemaorg", "vocabulary.json")) as f:
    VOCABULARY = json.load(f)


def config_of(ctx):
    """The stack's site.conf as a dict."""
    values = {}
    with open(ctx.stack.config) as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


def origin_of(ctx):
    return config_of(ctx)["site_origin"]


class Head(html.parser.HTMLParser):
    """The parts of a page a crawler reads: lang, title, meta, link, JSON-LD,
    internal links, and the visible breadcrumb trail."""

    def __init__(self):
        super().__init__()
        self.lang = None
        self.meta = {}  # name or property -> list of content
        self.links = []  # (rel, href, hreflang)
        self.ld = []
        self.hrefs = []
        self.crumbs = []
        self._script = None
        self._in_crumbs = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta" and "content" in a:
            key = a.get("name") or a.get("property")
            if key:
                self.meta.setdefault(key, []).append(a["content"])
        elif tag == "link":
            self.links.append((a.get("rel"), a.get("href"), a.get("hreflang")))
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._script = ""
        elif tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        elif tag == "nav" and a.get("aria-label") == "Breadcrumb":
            self._in_crumbs = True
        elif tag == "li" and self._in_crumbs:
            self.crumbs.append("")

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.ld.append(self._script)
            self._script = None
        elif tag == "nav":
            self._in_crumbs = False

    def handle_data(self, data):
        if self._script is not None:
            self._script += data
        elif self._in_crumbs and self.crumbs:
            self.crumbs[-1] += data.strip()

    def one(self, key):
        values = self.meta.get(key, [])
        assert len(values) == 1, "one <meta %s>, found %r" % (key, values)
        return values[0]

    def link(self, rel):
        found = [href for r, href, _ in self.links if r == rel]
        assert len(found) <= 1, "at most one <link rel=%s>: %r" % (rel, found)
        return found[0] if found else None


def head_of(text):
    parser = Head()
    parser.feed(text)
    return parser


def sitemap_urls(ctx):
    resp = ctx.get("/sitemap.xml")
    assert_equal(resp.status, 200, "/sitemap.xml")
    root = ElementTree.fromstring(resp.body)
    assert_equal(root.tag, SITEMAP_NS + "urlset", "the sitemap's root")
    entries = []
    for url in root.findall(SITEMAP_NS + "url"):
        entries.append((url.find(SITEMAP_NS + "loc").text, url.find(SITEMAP_NS + "lastmod").text))
    return entries


def path_of(url):
    return urllib.parse.urlsplit(url).path


# --- the sitemap, robots.txt and security.txt ---------------------------------

def test_the_sitemap_lists_every_public_page_and_each_answers(ctx):
    origin = origin_of(ctx)
    resp = ctx.get("/sitemap.xml")
    assert_in("xml", resp.header("Content-Type"), "sitemap type")
    entries = sitemap_urls(ctx)
    listed = [path_of(loc) for loc, _ in entries]
    assert_equal(len(set(listed)), len(listed), "no page listed twice")
    now = time.time()
    for loc, lastmod in entries:
        assert loc.startswith(origin + "/"), "absolute address from site_origin: %r" % loc
        resp = ctx.get(path_of(loc))
        assert_equal(resp.status, 200, loc)
        assert_in("text/html", resp.header("Content-Type"), loc)
        when = calendar.timegm(time.strptime(lastmod, "%Y-%m-%dT%H:%M:%SZ"))
        assert 0 < when <= now + 1, "lastmod %s of %s is not a past moment" % (lastmod, loc)
    # Every page a visitor can reach by following links from the home page
    # is listed; the thank-you page, searches and error pages are not.
    seen, todo = set(), ["/"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        resp = ctx.get(path)
        assert_equal(resp.status, 200, "a page linked from the site: " + path)
        for href in head_of(resp.text).hrefs:
            if href.startswith("/") and not href.startswith("/static/"):
                todo.append(urllib.parse.urlsplit(href).path)
    missing = sorted(seen - set(listed))
    assert not missing, "pages reachable from / but not in the sitemap: %r" % missing
    for never in ("/thanks", "/no-such-page"):
        assert_not_in(never, listed, "the sitemap")
    assert_in("/privacy", listed)
    assert_in("/accessibility", listed)


def test_robots_txt_points_at_the_sitemap(ctx):
    resp = ctx.get("/robots.txt")
    assert_equal(resp.status, 200, "/robots.txt")
    assert_in("text/plain", resp.header("Content-Type"))
    lines = resp.text.splitlines()
    assert_in("User-agent: *", lines)
    assert_in("Sitemap: %s/sitemap.xml" % origin_of(ctx), lines)
    assert_in("Disallow: /thanks", lines)
    for line in lines:  # nothing a listed page needs is disallowed
        if line.startswith("Disallow: "):
            rule = line.split(": ", 1)[1]
            for loc, _ in sitemap_urls(ctx):
                assert not path_of(loc).startswith(rule) or not rule, \
                    "%s blocks the listed %s" % (line, loc)


def test_security_txt_follows_rfc_9116(ctx):
    resp = ctx.get("/.well-known/security.txt")
    assert_equal(resp.status, 200, "security.txt")
    assert_in("text/plain", resp.header("Content-Type"))
    fields = {}
    for line in resp.text.splitlines():
        name, value = line.split(": ", 1)
        fields.setdefault(name, []).append(value)
    assert_equal(fields.get("Contact"), [config_of(ctx)["security_contact"]], "Contact")
    assert_equal(fields.get("Canonical"), [origin_of(ctx) + "/.well-known/security.txt"],
                 "Canonical")
    assert_equal(len(fields.get("Expires", [])), 1, "one Expires")
    expires = calendar.timegm(time.strptime(fields["Expires"][0], "%Y-%m-%dT%H:%M:%SZ"))
    assert time.time() < expires <= time.time() + 365 * 86400, \
        "Expires within the coming year (RFC 9116 2.5.5): %s" % fields["Expires"]


def test_crawler_files_carry_etags_and_answer_304(ctx):
    for path in ("/sitemap.xml", "/robots.txt", "/.well-known/security.txt"):
        first = ctx.get(path + "?etag")
        etag = first.header("ETag")
        assert etag and etag.startswith('"'), "%s: strong ETag %r" % (path, etag)
        assert first.header("Last-Modified"), path + " Last-Modified"
        again = ctx.get(path + "?etag", headers={"If-None-Match": etag})
        assert_equal(again.status, 304, path + " If-None-Match")
        got, head = ctx.get(path), ctx.head(path)
        assert_equal((head.status, head.body), (200, b""), "HEAD " + path)
        assert_equal(head.header("Content-Length"), got.header("Content-Length"), "HEAD " + path)


# --- head tags ------------------------------------------------------------------

def png_size(body):
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "a PNG"
    return struct.unpack(">II", body[16:24])


def test_every_page_has_a_canonical_address_description_and_link_preview(ctx):
    config = config_of(ctx)
    for loc, _ in sitemap_urls(ctx):
        text = ctx.get(path_of(loc)).text
        head = head_of(text)
        assert_equal(head.lang, config["site_language"], "lang of " + loc)
        assert_equal(head.link("canonical"), loc, "canonical of " + loc)
        assert_in(("alternate", loc, config["site_language"]), head.links, "hreflang of " + loc)
        description = head.one("description")
        assert 20 <= len(description) <= 300, "description of %s: %r" % (loc, description)
        title = re.search(r"<title>(.*?)</title>", text).group(1)
        assert_equal(head.one("og:title"), title, "og:title of " + loc)
        assert_equal(head.one("twitter:title"), title, "twitter:title of " + loc)
        assert_equal(head.one("og:description"), description, "og:description of " + loc)
        assert_equal(head.one("twitter:description"), description, loc)
        assert_equal(head.one("og:url"), loc, "og:url of " + loc)
        assert_equal(head.one("og:type"), "website", loc)
        assert_equal(head.one("og:site_name"), config["clinic_name"], loc)
        assert_equal(head.one("og:locale"), config["site_language"].replace("-", "_"), loc)
        assert_equal(head.one("twitter:card"), "summary_large_image", loc)
        image = head.one("og:image")
        assert_equal(image, origin_of(ctx) + "/static/share.png", "og:image of " + loc)
        assert_equal(head.one("twitter:image"), image, loc)
        assert head.one("og:image:alt"), "og:image:alt of " + loc
        size = (int(head.one("og:image:width")), int(head.one("og:image:height")))
        assert_equal(size, (1200, 630), "og:image size of " + loc)
    share = ctx.get("/static/share.png")
    assert_equal(share.status, 200, "the share image")
    assert_equal(share.header("Content-Type"), "image/png")
    assert_equal(png_size(share.body), (1200, 630), "the share image's real size")
    assert len(share.body) < 300 * 1024, "the share image is light"


def test_titles_and_descriptions_differ_between_pages(ctx):
    titles, descriptions = {}, {}
    for loc, _ in sitemap_urls(ctx):
        text = ctx.get(path_of(loc)).text
        titles.setdefault(re.search(r"<title>(.*?)</title>", text).group(1), []).append(loc)
        descriptions.setdefault(head_of(text).one("description"), []).append(loc)
    for name, seen in (("title", titles), ("description", descriptions)):
        shared = {k: v for k, v in seen.items() if len(v) > 1}
        assert not shared, "pages sharing a %s: %r" % (name, shared)


def test_pages_not_for_search_engines_say_noindex(ctx):
    for path in ("/thanks", "/faq?q=sessions"):
        head = head_of(ctx.get(path).text)
        assert_equal(head.meta.get("robots"), ["noindex"], path)
        assert_equal(head.link("canonical"), None, "no canonical on " + path)
    for loc, _ in sitemap_urls(ctx):
        assert_not_in("robots", head_of(ctx.get(path_of(loc)).text).meta, loc)
    missing = ctx.get("/no-such-page")
    assert_equal(missing.status, 404)
    assert_equal(head_of(missing.text).link("canonical"), None, "no canonical on a 404")


def test_the_footer_links_the_notices_and_states_the_clinic(ctx):
    config = config_of(ctx)
    for loc, _ in sitemap_urls(ctx):
        footer = ctx.get(path_of(loc)).text.split('<footer class="site-footer">', 1)[1]
        assert_in('href="/privacy"', footer, "footer of " + loc)
        assert_in('href="/accessibility"', footer, "footer of " + loc)
        for key in ("clinic_street_address", "clinic_locality", "clinic_postcode"):
            assert_in(config[key], footer, "footer of " + loc)
        assert_in("Monday to Friday: 09:00 to 17:00", footer, "opening hours on " + loc)
    for form in ("/contact", "/start"):
        consent = ctx.get(form).text.split("<legend>Your consent</legend>", 1)[1]
        consent = consent.split("</fieldset>", 1)[0]
        assert_in('href="/privacy"', consent, "the consent box of " + form)


# --- structured data ------------------------------------------------------------

def ancestors(name):
    """name and every type it is a kind of, in the vocabulary."""
    seen, todo = [], [name]
    while todo:
        t = todo.pop()
        if t in seen or t not in VOCABULARY["types"]:
            continue
        seen.append(t)
        todo.extend(VOCABULARY["types"][t]["parents"])
    return seen


def property_ranges(type_name, prop):
    for t in ancestors(type_name):
        ranges = VOCABULARY["types"][t]["properties"].get(prop)
        if ranges is not None:
            return ranges
    return None


def check_node(node, where, problems, expected=None, top=False):
    """Appends to problems what in node the vocabulary does not allow; top:
    node is the item its block describes."""
    type_name = node.get("@type")
    if type_name not in VOCABULARY["types"]:
        problems.append("%s: unknown @type %r" % (where, type_name))
        return
    if expected and not set(ancestors(type_name)) & set(expected):
        problems.append("%s: a %s where %s may stand" % (where, type_name, "/".join(expected)))
    rule = VOCABULARY["required"].get(type_name, {})
    required = rule.get("properties", []) if top or rule.get("applies") == "everywhere" else []
    for prop in required:
        if prop not in node and not (type_name == "ListItem" and prop == "item"
                                     and node.get("_last")):
            problems.append("%s: %s lacks required %r (%s)" % (
                where, type_name, prop, VOCABULARY["required"][type_name]["source"]))
    for prop, value in node.items():
        if prop.startswith("@") or prop == "_last":
            continue
        ranges = property_ranges(type_name, prop)
        if ranges is None:
            problems.append("%s: %s has no property %r" % (where, type_name, prop))
            continue
        values = value if isinstance(value, list) else [value]
        for i, v in enumerate(values):
            here = "%s.%s%s" % (where, prop, "[%d]" % i if isinstance(value, list) else "")
            check_value(v, ranges, here, problems)


def check_value(value, ranges, where, problems):
    datatypes = set(VOCABULARY["datatypes"]) & set(ranges)
    if isinstance(value, dict):
        check_node(value, where, problems, expected=[r for r in ranges if r not in datatypes])
    elif isinstance(value, bool):
        if "Boolean" not in ranges:
            problems.append("%s: a boolean where %s may stand" % (where, ranges))
    elif isinstance(value, int):
        if not {"Integer", "Number"} & set(ranges):
            problems.append("%s: a number where %s may stand" % (where, ranges))
    elif isinstance(value, str):
        for enum in set(VOCABULARY["enumerations"]) & set(ranges):
            if value.replace("https://schema.org/", "") not in VOCABULARY["enumerations"][enum]:
                problems.append("%s: %r is no %s" % (where, value, enum))
            return
        if "Time" in ranges and not datatypes - {"Time"} and \
                not re.fullmatch(r"\d\d:\d\d(:\d\d)?", value):
            problems.append("%s: %r is not a Time" % (where, value))
        if "URL" in ranges and not datatypes - {"URL"} and not value.startswith("https://") \
                and not value.startswith("http://"):
            problems.append("%s: %r is not an absolute URL" % (where, value))
        # schema.org accepts text (a name or an address) where an entity is expected.
    else:
        problems.append("%s: %r is not a schema.org value" % (where, value))


def validate_block(block):
    """The problems in one JSON-LD block ([] when it is valid)."""
    if block.get("@context") != "https://schema.org":
        return ["@context is %r, not https://schema.org" % block.get("@context")]
    problems = []
    elements = block.get("itemListElement")
    if block.get("@type") == "BreadcrumbList" and isinstance(elements, list) and elements:
        elements[-1] = dict(elements[-1], _last=True)
    check_node({k: v for k, v in block.items() if k != "@context"}, block.get("@type"), problems,
               top=True)
    return problems


def structured_data(ctx, path):
    blocks = [json.loads(b) for b in head_of(ctx.get(path).text).ld]
    return {b["@type"]: b for b in blocks}, blocks


def test_the_validator_catches_what_it_should(ctx):
    good = {"@context": "https://schema.org", "@type": "Person", "name": "A", "jobTitle": "B",
            "worksFor": {"@type": "MedicalClinic", "name": "C"}}
    assert_equal(validate_block(good), [], "a valid block")
    for bad, phrase in (
        (dict(good, jobTitel="B"), "no property 'jobTitel'"),
        (dict(good, **{"@type": "Persn"}), "unknown @type"),
        ({k: v for k, v in good.items() if k != "jobTitle"}, "lacks required 'jobTitle'"),
        (dict(good, worksFor={"@type": "Answer", "text": "x"}), "a Answer where Organization"),
        (dict(good, **{"@context": "http://example.org"}), "@context"),
        (dict(good["worksFor"], **{"@context": "https://schema.org"}), "lacks required 'address'"),
        ({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home"},
            {"@type": "ListItem", "position": 2, "name": "Here"}]}, "lacks required 'item'"),
    ):
        problems = validate_block(bad)
        assert any(phrase in p for p in problems), "%r not among %r" % (phrase, problems)
    hours = {"@context": "https://schema.org", "@type": "MedicalClinic", "name": "C",
             "address": "1 Street", "openingHoursSpecification": [
                 {"@type": "OpeningHoursSpecification", "dayOfWeek": ["Mondy"],
                  "opens": "9am", "closes": "17:00"}]}
    problems = validate_block(hours)
    assert any("is no DayOfWeek" in p for p in problems), problems
    assert any("not a Time" in p for p in problems), problems


def test_every_block_of_structured_data_is_valid_schema_org(ctx):
    problems = []
    for loc, _ in sitemap_urls(ctx):
        _, blocks = structured_data(ctx, path_of(loc))
        for block in blocks:
            problems += ["%s: %s" % (path_of(loc), p) for p in validate_block(block)]
    assert not problems, "\n".join(problems)


def test_the_home_page_describes_the_clinic_from_the_config(ctx):
    config = config_of(ctx)
    origin = origin_of(ctx)
    types, _ = structured_data(ctx, "/")
    clinic = types["MedicalClinic"]
    assert_equal(clinic["name"], config["clinic_name"], "name")
    assert_equal(clinic["telephone"], config["clinic_phone"], "telephone")
    assert_equal(clinic["email"], config["clinic_email"], "email")
    assert_equal(clinic["url"], origin + "/", "url")
    assert_equal(clinic["address"], {
        "@type": "PostalAddress", "streetAddress": config["clinic_street_address"],
        "addressLocality": config["clinic_locality"], "postalCode": config["clinic_postcode"],
        "addressCountry": config["clinic_country"]}, "address")
    assert_equal(config["opening_hours"], "Mo-Fr 09:00-17:00", "the dev config's hours")
    assert_equal(clinic["openingHoursSpecification"], [{
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
        "opens": "09:00", "closes": "17:00"}], "opening hours")
    therapies = [s["url"] for s in clinic["availableService"]]
    assert_in(origin + "/therapies/dynamic-interpersonal-therapy", therapies)
    assert_not_in("BreadcrumbList", types, "the home page has no trail")


def test_therapy_team_and_faq_pages_say_what_they_are(ctx):
    origin = origin_of(ctx)
    path = "/therapies/dynamic-interpersonal-therapy"
    types, _ = structured_data(ctx, path)
    page = types["MedicalWebPage"]
    assert_equal(page["url"], origin + path)
    assert_equal(page["about"]["@type"], "MedicalTherapy")
    assert_equal(page["about"]["name"], "Dynamic Interpersonal Therapy")

    path = "/team/athena-lazaridou"
    text = ctx.get(path).text
    types, _ = structured_data(ctx, path)
    person = types["Person"]
    assert_equal(person["name"], "Athena Lazaridou")
    shown = re.search(r'<p class="job-title">(.*?)</p>', text).group(1)
    assert_equal(person["jobTitle"], shown, "jobTitle is what the page shows")
    assert_equal(person["worksFor"]["url"], origin + "/")

    types, _ = structured_data(ctx, "/faq")
    questions = re.findall(r"<summary>(.*?)</summary>", ctx.get("/faq").text)
    assert_equal([q["name"] for q in types["FAQPage"]["mainEntity"]],
                 [html.unescape(q) for q in questions], "FAQPage questions")


def test_breadcrumbs_are_shown_and_given_alike(ctx):
    origin = origin_of(ctx)
    for loc, _ in sitemap_urls(ctx):
        path = path_of(loc)
        if path == "/":
            continue
        types, _ = structured_data(ctx, path)
        trail = types["BreadcrumbList"]["itemListElement"]
        assert_equal([i["position"] for i in trail], list(range(1, len(trail) + 1)), path)
        assert_equal(trail[0]["item"], origin + "/", "the trail starts at home: " + path)
        assert_equal(trail[-1]["item"], loc, "the trail ends at the page: " + path)
        shown = head_of(ctx.get(path).text).crumbs
        assert_equal(shown, [i["name"] for i in trail], "the visible trail of " + path)
    trail = structured_data(ctx, "/team/athena-lazaridou")[0]["BreadcrumbList"]
    assert_equal([i["item"] for i in trail["itemListElement"]],
                 [origin + "/", origin + "/team", origin + "/team/athena-lazaridou"])


# --- the privacy notice ----------------------------------------------------------

def words_of(text):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def test_the_privacy_notice_states_the_configured_figures(ctx):
    config = config_of(ctx)
    notice = words_of(ctx.get("/privacy").text.split("<main", 1)[1])
    assert_equal(config["retention_days"], "47", "this suite's retention period")
    assert_in("deleted from the server 47 days after it arrives", notice)
    assert_in("The data controller is %s." % config["data_controller"], notice)
    assert_in("registration number %s." % config["ico_registration"], notice)
    assert_in("email %s" % config["privacy_contact"], notice)
    assert_in("no more than %s enquiries from one place in 1 hour" % config["rate_limit_posts"],
              notice)
    assert_equal(config["rate_limit_window"], "3600", "the window the notice calls 1 hour")
    assert_not_in("{{", notice, "every blank filled")
    for heading in ("Who we are", "What we collect", "Our lawful basis", "Who can read it",
                    "for how long", "Cookies", "Your rights"):
        assert_in(heading, notice)
    for phrase in ("Article 9(2)(a)", "explicit consent", "right of access",
                   "right to erasure", "Information Commissioner", "no cookies"):
        assert_in(phrase, notice)
    # The consent box and the staff tool say the same period.
    for form in ("/contact", "/start"):
        assert_in("deletes it after 47 days", words_of(ctx.get(form).text), form)
    purge = staff_tool(ctx.stack, "purge", "--dry-run").stdout.decode()
    assert_in("older than 47 days", purge, "enquiries purge uses the same period")


def test_an_unstated_fact_reads_as_not_yet_stated(ctx):
    """A blank the config leaves empty says so, rather than vanishing."""
    s = stack_module.Stack(tempfile.mkdtemp(prefix="clinic-test-"), stack_module.free_port(),
                           fast_keys=True)
    try:
        s.setup()
        with open(s.config) as f:
            text = f.read()
        with open(s.config, "w") as f:
            f.write(re.sub(r"(?m)^ico_registration = .*$", "ico_registration =", text))
        s.start()
        from harness import Context
        notice = words_of(Context(s).get("/privacy").text)
        assert_in("registration number (not yet stated).", notice)
    finally:
        s.stop()
        shutil.rmtree(s.state, ignore_errors=True)


# --- build-content refuses what would break the site ------------------------------

def planted_site(edit):
    """A copy of site/ with edit(site_dir) applied; returns build-content's result."""
    site = tempfile.mkdtemp(prefix="clinic-site-")
    try:
        shutil.copytree(os.path.join(ROOT, "site"), site, dirs_exist_ok=True)
        edit(site)
        out = os.path.join(site, "out.db")
        result = subprocess.run([os.path.join(stack_module.BIN_DIR, "tools", "build-content"),
                                 site, out], capture_output=True, text=True, timeout=60)
        return result, site, os.path.exists(out)
    finally:
        shutil.rmtree(site, ignore_errors=True)


def append_line(site, name, line):
    path = os.path.join(site, "content", name)
    with open(path) as f:
        text = f.read().rstrip("\n") + "\n"
    with open(path, "w") as f:
        f.write(text + "\n" + line + "\n")
    return len(text.splitlines()) + 2  # the blank line, then ours


def test_build_content_refuses_a_broken_link_naming_file_and_line(ctx):
    lines = {}

    def plant(site):
        lines["n"] = append_line(site, "privacy.md", "Read [our terms](/terms-and-conditions).")
    result, site, built = planted_site(plant)
    assert result.returncode != 0, "build-content accepted a broken link"
    assert not built, "nothing was written"
    assert_in("%s/content/privacy.md: line %d:" % (site, lines["n"]), result.stderr)
    assert_in("/terms-and-conditions", result.stderr)
    assert_in("leads to no page", result.stderr)


def test_build_content_refuses_a_broken_faq_anchor_and_relative_links(ctx):
    cases = [
        ("home.md", "See [the question](/faq#no-such-question).", "no-such-question"),
        ("faq/privacy.md", "See [urgent help](#urgent-hlep).", "urgent-hlep"),
        ("home.md", "See [the team](team).", "relative"),
        ("home.md", "See [the team](/team#athena).", "only the FAQ"),
    ]
    for name, line, phrase in cases:
        lines = {}

        def plant(site):
            lines["n"] = append_line(site, name, line)
        result, site, _ = planted_site(plant)
        assert result.returncode != 0, "build-content accepted %r" % line
        assert_in("%s/content/%s: line %d:" % (site, name, lines["n"]), result.stderr, line)
        assert_in(phrase, result.stderr, line)
    # The links the site has today all resolve, FAQ anchors included.
    result, _, built = planted_site(lambda site: None)
    assert_equal((result.returncode, result.stderr), (0, ""), "the real site builds")
    assert built


def test_build_content_refuses_a_page_without_description_or_with_a_taken_title(ctx):
    def no_summary(site):
        path = os.path.join(site, "content", "accessibility.md")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(re.sub(r"(?m)^summary: .*\n", "", text))
    result, site, _ = planted_site(no_summary)
    assert result.returncode != 0, "a page without a summary was accepted"
    assert_in("%s/content/accessibility.md: the header has no summary" % site, result.stderr)

    def same_title(site):
        with open(os.path.join(site, "content", "terms.md"), "w") as f:
            f.write("title: Privacy notice\nkind: page\npath: /terms\nsummary: Terms.\n---\nT\n")
    result, site, _ = planted_site(same_title)
    assert result.returncode != 0, "two pages with one title were accepted"
    assert_in("%s/content/terms.md: line 1: the title 'Privacy notice' is already the title "
              "of %s/content/privacy.md (line 1)" % (site, site), result.stderr)

    def like_a_program_page(site):
        with open(os.path.join(site, "content", "faq-copy.md"), "w") as f:
            f.write("title: Our team\nkind: page\npath: /people\nsummary: People.\n---\nT\n")
    result, _, _ = planted_site(like_a_program_page)
    assert_in("is already the title of /team", result.stderr)


def test_build_content_checks_the_templates_links_too(ctx):
    def plant(site):
        path = os.path.join(site, "templates", "layout-bottom.html")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace('<li><a href="/accessibility">',
                                 '<li><a href="/accesibility">'))
    result, site, _ = planted_site(plant)
    assert result.returncode != 0, "a template's broken link was accepted"
    assert re.search(r"templates/layout-bottom\.html: line \d+: the link to '/accesibility'",
                     result.stderr), result.stderr


def test_build_content_refuses_an_unknown_blank(ctx):
    lines = {}

    def plant(site):
        lines["n"] = append_line(site, "privacy.md", "We keep it {{retention_dayz}} days.")
    result, site, _ = planted_site(plant)
    assert result.returncode != 0
    assert_in("%s/content/privacy.md: line %d: unknown blank '{{retention_dayz}}'" % (
        site, lines["n"]), result.stderr)
