"""The faults `make mutants` plants, one at a time, each in a scratch copy of
the tree (tests/mutants/run.py). The suites named must fail on every one.

A mutant is a list of edits, each an exact snippet of a file and what replaces
it. A snippet must be found exactly once: when the code it names has moved or
changed, planting fails loudly and names the mutant to update, rather than a
fuzzy patch landing in the wrong place or a fault quietly not being planted.

Suites: "unit:test_NAME" (one cmocka binary) or "integration:NAME" (one suite
of tests/integration, behind nginx). MAKE_TEST marks the faults that the
ordinary `make test` suites must catch too (issue 17's table).
"""


class Mutant:
    def __init__(self, name, what, edits, suites, make_test=False):
        self.name = name
        self.what = what
        self.edits = edits  # [(file, snippet, replacement)]
        self.suites = suites
        self.make_test = make_test


MUTANTS = [
    Mutant(
        "thanks-before-commit", "contact.c answers 303 before the commit",
        [("cgi-bin/contact.c", "static struct store *store;\n",
          "static struct store *store;\n"
          "static struct request *answering;\n"
          "static void send_thanks_redirect(struct request *req, const char *ref);\n"),
         ("cgi-bin/contact.c", "\t\tenum store_status status =\n\t\t    group_commit_insert(",
          "\t\tsend_thanks_redirect(answering, ref);\n"
          "\t\tenum store_status status =\n\t\t    group_commit_insert("),
         ("cgi-bin/contact.c",
          "\tif (!save_enquiry(team, spec, &post->values, ref))\n\t\treturn SITE_ERR_NOT_SAVED;\n"
          "\tsend_thanks_redirect(req, ref);\n",
          "\tanswering = req;\n\tif (!save_enquiry(team, spec, &post->values, ref))\n"
          "\t\treturn SITE_ERR_NOT_SAVED;\n")],
        ["integration:forms"], make_test=True),
    Mutant(
        "wipe-buf", "buf_wipe frees without sodium_memzero",
        [("lib/buf.c", "\tif (b->data)\n\t\tsodium_memzero(b->data, b->cap);\n\tbuf_free(b);",
          "\tbuf_free(b);")],
        ["unit:test_wipe", "integration:privacy"], make_test=True),
    Mutant(
        "wipe-envelope", "envelope_wipe frees the fields without sodium_memzero",
        [("lib/envelope.c", "\t\t\tsodium_memzero(f->name, strlen(f->name));\n", ""),
         ("lib/envelope.c", "\t\t\tsodium_memzero(f->value, f->value_len + 1);\n", ""),
         ("lib/envelope.c", "\tsodium_memzero(e, sizeof *e);\n", "")],
        ["unit:test_wipe"], make_test=True),
    Mutant(
        "wipe-seal-scratch", "the seal scratch keeps the padded plaintext",
        [("lib/seal.c", "\tif (padded)\n\t\tsodium_memzero(padded, bucket);\n", "")],
        ["unit:test_wipe", "integration:privacy"], make_test=True),
    Mutant(
        "padding-below-1000", "padding kept only below 1,000 bytes",
        [("lib/seal.c", "\tsize_t bucket = BUCKET_MIN;\n\twhile (bucket < len + 1)",
          "\tif (len >= 1000)\n\t\treturn len + 1;\n"
          "\tsize_t bucket = BUCKET_MIN;\n\twhile (bucket < len + 1)")],
        ["integration:privacy"], make_test=True),
    Mutant(
        "nginx-spools-bodies", "nginx spools form bodies to temporary files",
        [("deploy/nginx/clinic-locations.conf", "client_body_buffer_size 64k;",
          "client_body_buffer_size 1k;")],
        ["integration:privacy"], make_test=True),
    Mutant(
        "honeypot-ignored", "a filled honeypot is not noticed",
        [("cgi-bin/contact.c",
          "\tpost->honeypot_filled = honeypot && honeypot->value_len > 0;",
          "\tpost->honeypot_filled = false;\n\t(void)honeypot;")],
        ["integration:forms"]),
    Mutant(
        "token-unchecked", "the form token is not checked",
        [("cgi-bin/contact.c", "\tpost->token = token_check(",
          "\tpost->token = TOKEN_OK;\n\t(void)token_check(")],
        ["integration:forms"]),
    Mutant(
        "terminal-unescaped", "terminal escaping is a no-op",
        [("staff/terminal.c",
          "\t\telse if (terminal_drives(cp))\n\t\t\tbuf_puts(out, REPLACEMENT);\n", "")],
        ["unit:test_terminal", "integration:staff"]),
    Mutant(
        "cache-off", "nginx's cache in front of pages.fcgi is off",
        [("deploy/nginx/clinic-locations.conf", "\tfastcgi_cache clinic_pages;\n",
          "\tfastcgi_cache off;\n")],
        ["integration:nginx_cache"]),
    Mutant(
        "padding-noop", "no padding: the plaintext is sealed at its own length",
        [("lib/seal.c", "\tsize_t bucket = seal_bucket(len);\n\tif (bucket == 0",
          "\tsize_t bucket = len + 1;\n\tif (bucket == 0")],
        ["unit:test_seal", "integration:privacy"]),
    Mutant(
        "ratelimit-never-refuses", "the rate limit never refuses",
        [("cgi-bin/intake/ratelimit.c", "\tif (!rl)\n\t\treturn true;\n",
          "\tif (rl || !rl)\n\t\treturn true;\n")],
        ["unit:test_ratelimit", "integration:ratelimit"]),
    Mutant(
        "html-unescaped", "the template engine does not escape {{name}}",
        [("lib/template.c", ": html_escape(r->out, b->text, b->len);",
          ": buf_append(r->out, b->text, b->len);")],
        ["unit:test_template", "integration:forms"]),
    Mutant(
        "body-cap-off", "contact.fcgi reads bodies of any size",
        [("cgi-bin/contact.c",
          "\tbuf_init(&body, (size_t)cfg.max_body);\n"
          "\tenum body_status read = request_read_body(req, (size_t)cfg.max_body, &body);",
          "\tbuf_init(&body, (size_t)64 << 20);\n"
          "\tenum body_status read = request_read_body(req, (size_t)64 << 20, &body);")],
        ["integration:forms", "integration:privacy"]),
    Mutant(
        "seccomp-off", "the seccomp filter is never loaded",
        [("lib/sandbox.c", "\t\tint rc = seccomp_load(ctx);", "\t\tint rc = 0;")],
        ["unit:test_sandbox", "integration:seccomp"]),
    Mutant(
        "purge-leaves-bytes", "purge deletes rows but leaves their bytes in the file",
        [("lib/store.c", " PRAGMA secure_delete = ON;", " PRAGMA secure_delete = OFF;"),
         ("lib/store.c",
          "\tif (exec(s, \"VACUUM\", \"could not compact the enquiry database\") != STORE_OK)\n"
          "\t\treturn STORE_FAILED;\n", "")],
        ["unit:test_store", "integration:staff"]),
]
