"""The integration test harness: a real stack (nginx, the FastCGI programs,
SQLite files, libsodium keys) in a temporary folder, HTTP helpers, and a tiny
runner that counts passes and failures per suite.

A suite is a module tests/integration/test_NAME.py with functions
test_*(ctx). ctx is a Context: ctx.get(), ctx.post(), ctx.stack, ctx.form().
"""
import base64
import hashlib
import hmac
import http.client
import os
import re
import shutil
import struct
import sys
import tempfile
import time
import traceback
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import stack as stack_module  # noqa: E402


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> list of values
        self.body = body  # bytes
        self.text = body.decode("utf-8", errors="replace")

    def header(self, name):
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.text[:200])


class Context:
    def __init__(self, stack):
        self.stack = stack
        self.port = stack.port

    # --- HTTP -------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, timeout=15):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            headers = dict(headers or {})
            if body is not None and "Content-Length" not in headers:
                headers["Content-Length"] = str(len(body))
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            if body is not None:
                conn.send(body)
            resp = conn.getresponse()
            data = resp.read()
            collected = {}
            for name, value in resp.getheaders():
                collected.setdefault(name.lower(), []).append(value)
            return Response(resp.status, collected, data)
        finally:
            conn.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def head(self, path, headers=None):
        return self.request("HEAD", path, headers=headers)

    def post(self, path, fields=None, body=None, content_type="application/x-www-form-urlencoded",
             headers=None):
        if body is None:
            body = urllib.parse.urlencode(fields or {}, doseq=True).encode()
        h = {"Content-Type": content_type} if content_type else {}
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h)

    # --- forms ------------------------------------------------------------
    def token(self, kind, age=10):
        """A form token as the server would have issued it `age` seconds ago."""
        with open(self.stack.path("token.key")) as f:
            key = bytes.fromhex(f.read().strip())
        issued = struct.pack(">Q", int(time.time()) - age)
        mac = hmac.new(key, issued + kind.encode(), hashlib.sha512).digest()[:32]
        return base64.urlsafe_b64encode(issued + mac).decode().rstrip("=")

    def form(self, kind, **fields):
        """A complete, valid submission for kind, with fields overriding."""
        if kind == "contact":
            data = {"name": "Alex Example", "email": "alex@example.org", "phone": "",
                    "message": "I would like to ask about therapy.", "consent": "yes"}
        else:
            data = {"name": "Sam Example", "email": "sam@example.org", "phone": "07700 900123",
                    "contact_method": "email", "voicemail": "no", "interest": "dit",
                    "reason": "I have been feeling low.", "availability": "Weekday evenings",
                    "consent": "yes"}
        data["token"] = self.token(kind)
        data["website"] = ""
        for name, value in fields.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return data


class Skipped(Exception):
    """Raised by a test that cannot run here (a tool missing, not root): the
    runner counts it as skipped, never as passed, and prints why."""


def assert_equal(actual, expected, what=""):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what or "value", expected, actual))


def assert_in(needle, haystack, what=""):
    if needle not in haystack:
        raise AssertionError("%s: %r not found in %r" % (what or "text", needle,
                                                          haystack[:600]))


def assert_not_in(needle, haystack, what=""):
    if needle in haystack:
        i = haystack.find(needle)
        raise AssertionError("%s: %r unexpectedly found near %r" % (
            what or "text", needle, haystack[max(0, i - 100):i + 100]))


def new_stack(**options):
    state = tempfile.mkdtemp(prefix="clinic-test-")
    options.setdefault("fast_keys", True)
    s = stack_module.Stack(state, stack_module.free_port(), **options)
    s.setup()
    s.start()
    return s


def destroy_stack(s):
    s.stop()
    shutil.rmtree(s.state, ignore_errors=True)


def run_suite(module, only=None):
    """Runs every test_* function of module against one shared stack."""
    tests = [(name, fn) for name, fn in vars(module).items()
             if name.startswith("test_") and callable(fn)]
    tests.sort(key=lambda item: item[1].__code__.co_firstlineno)
    if only:
        tests = [t for t in tests if only in t[0]]
    options = getattr(module, "STACK_OPTIONS", {})
    s = new_stack(**options)
    ctx = Context(s)
    passed = failed = skipped = 0
    started = time.time()
    try:
        for name, fn in tests:
            spooled_before = len(s.spooled())
            try:
                fn(ctx)
                # Checked while it happens: a request body or a response the
                # web server wrote to a temporary file, even for an instant.
                spooled = s.spooled()[spooled_before:]
                if spooled:
                    raise AssertionError("the web server wrote to a temporary file while this "
                                         "test ran: %s" % ", ".join(spooled))
                passed += 1
            except Skipped as e:
                skipped += 1
                print("  skip %s.%s: %s" % (module.__name__, name, e))
            except Exception:  # noqa: BLE001 — every failure is reported, none hidden
                failed += 1
                print("  FAIL %s.%s" % (module.__name__, name))
                print("    " + traceback.format_exc().strip().replace("\n", "\n    "))
    finally:
        destroy_stack(s)
    print("  %-28s %3d passed, %d failed%s  (%.1fs)" % (
        module.__name__, passed, failed, ", %d skipped" % skipped if skipped else "",
        time.time() - started), flush=True)
    return passed, failed, skipped, ["%s.%s" % (module.__name__, name) for name, _ in tests]


# --- a minimal FastCGI client, to hold a request open inside a worker ------
def _fcgi_record(kind, request_id, content):
    out = b""
    while True:
        chunk, content = content[:65535], content[65535:]
        out += struct.pack(">BBHHBx", 1, kind, request_id, len(chunk), 0) + chunk
        if not content:
            return out


def _fcgi_params(params):
    data = b""
    for name, value in params.items():
        name, value = name.encode(), value.encode()
        for length in (len(name), len(value)):
            data += struct.pack(">B", length) if length < 128 else struct.pack(">I",
                                                                            length | 0x80000000)
        data += name + value
    return data


class FastCGIRequest:
    """One FastCGI request sent in parts, straight to a program's socket."""

    def __init__(self, socket_path, method, uri, body=b"", content_type=None, extra=None):
        """extra: more CGI parameters, or other values for the ones set here."""
        import socket
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(socket_path)
        params = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "QUERY_STRING": "",
                  "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.9",
                  "HTTP_HOST": "127.0.0.1"}
        if content_type:
            params["CONTENT_TYPE"] = content_type
        params.update(extra or {})
        self.body = body
        self.sock.sendall(struct.pack(">BBHHBx", 1, 1, 1, 8, 0) + struct.pack(">HB5x", 1, 0) +
                          _fcgi_record(4, 1, _fcgi_params(params)) + _fcgi_record(4, 1, b""))

    def send_body(self, data):
        if data:
            self.sock.sendall(_fcgi_record(5, 1, data))

    def finish_body(self):
        self.sock.sendall(_fcgi_record(5, 1, b""))

    def response(self):
        """The stdout the program wrote, until FCGI_END_REQUEST."""
        stdout = b""
        buffer = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                break
            buffer += data
            while len(buffer) >= 8:
                _, kind, _, length, padding = struct.unpack(">BBHHB", buffer[:7])
                if len(buffer) < 8 + length + padding:
                    break
                content = buffer[8:8 + length]
                buffer = buffer[8 + length + padding:]
                if kind == 6:
                    stdout += content
                elif kind == 3:
                    self.sock.close()
                    return stdout
        self.sock.close()
        return stdout


# --- helpers for the form, privacy and durability suites --------------------
REF_PATTERN = r"[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}"


def ref_of(resp):
    """The reference in a 303 to the thank-you page, or None."""
    location = resp.header("Location") or ""
    m = re.search(r"/thanks\?ref=(" + REF_PATTERN + r")$", location)
    return m.group(1) if resp.status == 303 and m else None


def enquiry_rows(db_path):
    """Every row of the enquiries table as a dict (an empty list if no file)."""
    import sqlite3
    if not os.path.exists(db_path):
        return []
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM enquiries ORDER BY id")]
    finally:
        conn.close()


def worker_pids(parent):
    """Live (non-zombie) children of parent, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == parent and fields[0] != "Z":
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return sorted(found)


def rss_kib(pid):
    """A process's resident memory (VmRSS) in KiB, or None if it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def wait_until(predicate, seconds=10, step=0.02):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


SANITIZER_REPORT = re.compile(rb"==\d+==ERROR: |runtime error:|ERROR: LeakSanitizer")


def pass_on_sanitizer_reports(*outputs):
    """Copies a sanitizer report from a program's captured output to our
    stderr, where the ASan stage counts reports, and says whether there was one."""
    found = False
    for out in outputs:
        data = out if isinstance(out, bytes) else (out or "").encode("utf-8", "replace")
        if SANITIZER_REPORT.search(data):
            sys.stderr.write(data.decode("utf-8", "replace"))
            sys.stderr.flush()
            found = True
    return found


def staff_tool(stack, *args, check=True):
    """Runs the staff tool of the build under test (tools/enquiries, or
    build/asan/tools/enquiries in the ASan pass) against stack's config."""
    import subprocess
    tool = os.path.join(stack_module.BIN_DIR, "tools", "enquiries")
    if not os.path.exists(tool):
        raise AssertionError("the staff tool %s has not been built" % tool)
    env = stack.env()
    env["CLINIC_PWHASH_FAST"] = "1"
    result = subprocess.run([tool, "--config", stack.config, "--passphrase-file",
                             stack.passphrase_file] + list(args), env=env, capture_output=True,
                            timeout=60)
    pass_on_sanitizer_reports(result.stdout, result.stderr)
    if check and result.returncode != 0:
        raise AssertionError("enquiries %s exited %d: %s" % (
            " ".join(args), result.returncode, result.stderr.decode("utf-8", "replace")[:600]))
    return result


def _json_records(data):
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if "ref" in data:
            return [data]
        for value in data.values():
            if isinstance(value, list) and all(isinstance(v, dict) for v in value):
                return value
    raise AssertionError("unexpected export shape: %r" % (str(data)[:300],))


def _flatten(record, out, prefix=""):
    """name -> string value for every string in record, also under its last
    key alone and under the name a {"name": .., "value": ..} pair gives."""
    if isinstance(record, dict):
        if isinstance(record.get("name"), str) and isinstance(record.get("value"), str):
            out.setdefault(record["name"], record["value"])
        for key, value in record.items():
            if isinstance(value, str):
                out.setdefault(prefix + key, value)
                out.setdefault(key, value)
                if key.startswith("field."):
                    out.setdefault(key[len("field."):], value)
            else:
                _flatten(value, out, prefix + key + ".")
    elif isinstance(record, list):
        for item in record:
            _flatten(item, out, prefix)


def staff_export(stack):
    """ref -> {field name: value} for every enquiry, opened with the staff key
    through `enquiries export --format json` (a JSON array/object or lines)."""
    import json
    text = staff_tool(stack, "export", "--format", "json").stdout.decode("utf-8")
    try:
        records = _json_records(json.loads(text)) if text.strip() else []
    except json.JSONDecodeError:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
    found = {}
    for record in records:
        flat = {}
        _flatten(record, flat)
        if "ref" not in flat:
            raise AssertionError("an exported enquiry has no ref: %r" % (str(record)[:300],))
        found[flat["ref"]] = flat
    return found
