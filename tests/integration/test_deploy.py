"""The deployment as shipped: the complete nginx and Apache site files (TLS,
the port-80 redirect, HSTS) started with only their paths and ports changed
and a throwaway certificate; the mod_fcgid alternative, where Apache starts
the programs itself with their socket on fd 0; socket activation as systemd
does it; `make install` laying out what those files name; and
`systemd-analyze verify` and `security` on the installed units."""
import glob
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import urllib.parse

from harness import (ROOT, Context, FastCGIRequest, Skipped, assert_equal, assert_in,
                     assert_not_in, destroy_stack, new_stack, pass_on_sanitizer_reports,
                     stack_module, wait_until, worker_pids)

STACK_OPTIONS = {"rate_limit_posts": 1000}
HOST = "clinic.example"
IPV4 = re.compile(rb"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")
APACHE_MODULES = ["mpm_event", "authz_core", "mime", "headers", "alias", "proxy", "proxy_fcgi",
                  "cache", "cache_disk", "ssl", "socache_shmcb", "http2"]


# --- helpers -------------------------------------------------------------------
def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def make_cert(folder):
    cert, key = os.path.join(folder, "fullchain.pem"), os.path.join(folder, "privkey.pem")
    result = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                 "/CN=" + HOST, "-keyout", key, "-out", cert)
    assert result.returncode == 0, "openssl: " + result.stderr
    return cert, key


def substitute(text, state, folder, p80, p443):
    """Only paths and ports: what the shipped files name, pointed at this test
    (never into the checkout, which the web server's user may not enter)."""
    cert_dir = "/etc/letsencrypt/live/" + HOST
    for old, new in (
        ("/usr/local/share/clinic/htdocs", os.path.join(state, "htdocs")),
        ("/usr/local/share/clinic/nginx", folder),
        ("/usr/local/share/clinic/apache", folder),
        ("/usr/local/libexec/clinic", os.path.join(folder, "libexec")),
        # nginx makes the last folder itself; its parent is in clinic.tmpfiles.
        ("/var/cache/nginx", os.path.join(folder, "cache")),
        ("/var/cache/apache2/mod_cache_disk", os.path.join(folder, "cache")),
        ("/run/clinic", os.path.join(state, "run")),
        ("/var/log/nginx", os.path.join(state, "log")),
        ("/var/log/apache2", os.path.join(state, "log")),
        ("/etc/clinic/site.conf", os.path.join(folder, "site.conf")),
        (cert_dir, folder),
    ):
        text = text.replace(old, new)
    text = re.sub(r"(listen\s+(?:\[::\]:)?)80;", r"\g<1>%d;" % p80, text)
    text = re.sub(r"(listen\s+(?:\[::\]:)?)443 ", r"\g<1>%d " % p443, text)
    text = text.replace("<VirtualHost *:80>", "<VirtualHost *:%d>" % p80)
    return text.replace("<VirtualHost *:443>", "<VirtualHost *:%d>" % p443)


def place(kind, names, state, folder, p80, p443):
    for name in names:
        with open(os.path.join(ROOT, "deploy", kind, name)) as f:
            text = f.read()
        with open(os.path.join(folder, name), "w") as f:
            f.write(substitute(text, state, folder, p80, p443))


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def fetch(port, method, path, body=None, headers=None, tls=True):
    if tls:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=15, context=tls_context())
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        h = {"Host": HOST}
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def wait_for_port(port, proc, what):
    def up():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return proc.poll() is not None
    assert wait_until(up, 15), what + " did not start"
    assert proc.poll() is None, what + " exited at start"


def check_crawler_files(p443, what):
    """The files crawlers ask for reach pages.fcgi through the shipped routes."""
    for path, kind in (("/robots.txt", "text/plain"), ("/sitemap.xml", "application/xml"),
                       ("/.well-known/security.txt", "text/plain")):
        status, headers, body = fetch(p443, "GET", path)
        assert_equal(status, 200, "%s: %s (%r)" % (what, path, body[:200]))
        assert_in(kind, headers.get("content-type", ""), "%s: %s" % (what, path))
        assert headers.get("etag"), "%s: %s has an ETag" % (what, path)


def check_site(ctx, p80, p443, access_log, what):
    """The behaviour both complete site files must have."""
    status, headers, _ = fetch(p80, "GET", "/faq?q=x", tls=False)
    assert_equal(status, 301, what + ": port 80 redirects")
    assert_equal(headers.get("location"), "https://%s/faq?q=x" % HOST, what + ": to HTTPS")
    status, headers, body = fetch(p443, "GET", "/")
    assert_equal(status, 200, what + ": home page over TLS")
    assert_equal(headers.get("strict-transport-security"), "max-age=63072000", what + ": HSTS")
    assert_in("frame-ancestors 'none'", headers.get("content-security-policy", ""), what)
    status, headers, _ = fetch(p443, "GET", "/static/style.css")
    assert_equal(status, 200, what + ": static file")
    assert_in("text/css", headers.get("content-type", ""), what)
    assert_equal(headers.get("x-content-type-options"), "nosniff", what + ": static headers")
    check_crawler_files(p443, what)
    fields = ctx.form("contact", message="Sent over TLS through the shipped site file.")
    status, headers, _ = fetch(p443, "POST", "/contact", urllib.parse.urlencode(fields).encode(),
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert_equal(status, 303, what + ": a form post is accepted")
    assert re.search(r"/thanks\?ref=", headers.get("location", "")), what + ": thanked"
    status, _, body = fetch(p443, "POST", "/contact", b"x" * 70000,
                            {"Content-Type": "application/x-www-form-urlencoded"})
    assert_equal(status, 413, what + ": over the web server's limit")
    assert_in(b"too long", body, what + ": the shipped 413 page")
    with open(access_log, "rb") as f:
        lines = f.read().splitlines()
    assert any(b'"POST /contact" 303' in line for line in lines), what + ": logged %r" % lines
    for line in lines:
        assert not IPV4.search(line) and b"?" not in line, what + ": log line %r" % line


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the complete site files over TLS --------------------------------------------
NGINX_MAIN = """\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {state}/log/tls-nginx-error.log crit;
{user}
events {{ worker_connections 256; }}
http {{
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	client_body_temp_path {folder}/body;
	fastcgi_temp_path {folder}/fastcgi;
	proxy_temp_path {folder}/proxy;
	uwsgi_temp_path {folder}/uwsgi;
	scgi_temp_path {folder}/scgi;
	include {folder}/clinic.conf;
}}
"""

APACHE_MAIN = """\
ServerRoot {folder}
ServerName localhost
Listen {p80}
Listen {p443}
PidFile {folder}/apache.pid
DefaultRuntimeDir {folder}
Mutex file:{folder} default
ErrorLog {state}/log/tls-apache-error.log
{user}
{modules}
TypesConfig /etc/mime.types
{extra}
Include {folder}/{site}
"""


def apache_user(folder):
    if os.geteuid() != 0:
        return ""
    for path in (folder, os.path.join(folder, "cache")):
        shutil.chown(path, "www-data", "www-data")
    return "User www-data\nGroup www-data"


def start_apache(conf, what):
    check = run(stack_module.APACHE, "-t", "-f", conf)
    assert check.returncode == 0, what + ": apache2 -t: " + check.stderr
    return subprocess.Popen([stack_module.APACHE, "-f", conf, "-DFOREGROUND"],
                            start_new_session=True)


def test_the_complete_site_file_serves_https(ctx):
    stack = ctx.stack
    folder = tempfile.mkdtemp(prefix="tls-", dir=stack.state)
    os.makedirs(os.path.join(folder, "cache"))
    os.chmod(stack.state, 0o711)
    os.chmod(folder, 0o711)
    make_cert(folder)
    p80, p443 = stack_module.free_port(), stack_module.free_port()
    access_log = stack.path("log", "clinic-access.log")
    if stack.web_server == "nginx":
        place("nginx", ["clinic.conf", "clinic-http.conf", "clinic-locations.conf",
                        "clinic-headers.conf"], stack.state, folder, p80, p443)
        conf = os.path.join(folder, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_MAIN.format(folder=folder, state=stack.state,
                                      user="user root root;" if os.geteuid() == 0 else ""))
        check = run(stack_module.NGINX, "-t", "-q", "-p", folder, "-c", conf)
        assert check.returncode == 0, "nginx -t: " + check.stderr
        proc = subprocess.Popen([stack_module.NGINX, "-p", folder, "-c", conf, "-g",
                                 "daemon off;"], start_new_session=True)
    else:
        place("apache", ["clinic.conf", "clinic-server.conf", "clinic-common.conf",
                         "clinic-site.conf"], stack.state, folder, p80, p443)
        conf = os.path.join(folder, "httpd.conf")
        with open(conf, "w") as f:
            f.write(APACHE_MAIN.format(folder=folder, state=stack.state, p80=p80, p443=p443,
                                       user=apache_user(folder), extra="",
                                       modules=stack_module.apache_modules(APACHE_MODULES),
                                       site="clinic.conf"))
        proc = start_apache(conf, "clinic.conf")
    try:
        wait_for_port(p443, proc, stack.web_server)
        check_site(ctx, p80, p443, access_log, stack.web_server + " clinic.conf")
    finally:
        stop(proc)


def fcgid_config(stack, folder):
    """A site.conf for programs started by mod_fcgid, which run as www-data:
    no listen addresses (they inherit fd 0), and copies of what they read."""
    with open(stack.config) as f:
        text = f.read()
    text = re.sub(r"(?m)^(pages_listen|contact_listen) = .*$", r"\1 =", text)
    text = re.sub(r"(?m)^log_file = .*$", "log_file = fcgid.log", text)
    text = re.sub(r"(?m)^site_origin = .*$", "site_origin = https://" + HOST, text)
    with open(os.path.join(folder, "site.conf"), "w") as f:
        f.write(text)
    for name in ("content.db", "staff.pub", "token.key"):
        shutil.copy(stack.path(name), os.path.join(folder, name))
    # The programs mod_fcgid starts (as www-data, from outside the checkout).
    os.makedirs(os.path.join(folder, "libexec"))
    for program in ("pages.fcgi", "contact.fcgi"):
        shutil.copy(os.path.join(stack_module.BIN_DIR, "cgi-bin", program),
                    os.path.join(folder, "libexec", program))
    os.makedirs(os.path.join(folder, "ipc"))
    if os.geteuid() == 0:
        for entry in os.listdir(folder):
            shutil.chown(os.path.join(folder, entry), "www-data", "www-data")


def programs_started_from(config):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/environ" % entry, "rb") as f:
                    if ("CLINIC_CONFIG=" + config).encode() in f.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                pass
    return found


def test_the_mod_fcgid_alternative_starts_the_programs_itself(ctx):
    stack = ctx.stack
    folder = tempfile.mkdtemp(prefix="fcgid-", dir=stack.state)
    os.makedirs(os.path.join(folder, "cache"))
    os.chmod(stack.state, 0o711)
    make_cert(folder)
    fcgid_config(stack, folder)
    p80, p443 = stack_module.free_port(), stack_module.free_port()
    place("apache", ["clinic-fcgid.conf", "clinic-server.conf", "clinic-common.conf"],
          stack.state, folder, p80, p443)
    conf = os.path.join(folder, "httpd.conf")
    extra = "FcgidIPCDir %s/ipc\nFcgidProcessTableFile %s/fcgid-shm" % (folder, folder)
    # The sanitizer builds' options reach the programs mod_fcgid starts; their
    # reports land in Apache's error log, read below.
    for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if os.environ.get(name):
            extra += '\nFcgidInitialEnv %s "%s"' % (name, os.environ[name])
    with open(conf, "w") as f:
        f.write(APACHE_MAIN.format(folder=folder, state=stack.state, p80=p80, p443=p443,
                                   user=apache_user(folder), extra=extra,
                                   modules=stack_module.apache_modules(
                                       APACHE_MODULES + ["fcgid"]),
                                   site="clinic-fcgid.conf"))
    proc = start_apache(conf, "clinic-fcgid.conf")
    config = os.path.join(folder, "site.conf")
    try:
        wait_for_port(p443, proc, "apache2 with mod_fcgid")
        status, headers, body = fetch(p443, "GET", "/faq?q=sessions")
        assert_equal(status, 200, "a search through mod_fcgid (%r)" % body[:300])
        assert_in(b"<mark>", body, "search results")
        status, _, body = fetch(p443, "GET", "/team")
        assert_equal(status, 200, "a page through mod_fcgid")
        check_crawler_files(p443, "mod_fcgid")
        fields = ctx.form("contact", message="Sent through mod_fcgid.")
        status, headers, body = fetch(p443, "POST", "/contact",
                                      urllib.parse.urlencode(fields).encode(),
                                      {"Content-Type": "application/x-www-form-urlencoded"})
        assert_equal(status, 303, "a post through mod_fcgid (%r)" % body[:300])
        ref = re.search(r"ref=([A-Z0-9-]+)", headers.get("location", "")).group(1)
        db = sqlite3.connect(os.path.join(folder, "enquiries.db"))
        try:
            assert_equal(db.execute("SELECT count(*) FROM enquiries WHERE ref = ?",
                                    (ref,)).fetchone()[0], 1, "stored by the fcgid program")
        finally:
            db.close()
        started = programs_started_from(config)
        assert len(started) >= 2, "mod_fcgid started both programs: %r" % started
        for pid in started:
            with open("/proc/%d/status" % pid) as f:
                status_text = f.read()
            if os.geteuid() == 0:
                assert re.search(r"(?m)^Uid:\s+33\s", status_text), "runs as www-data"
        with open(os.path.join(folder, "fcgid.log")) as f:
            log = f.read()
        assert_in("pages started", log)
        assert_in("contact started", log)
    finally:
        stop(proc)
    assert wait_until(lambda: not programs_started_from(config), 15), (
        "the programs stopped with Apache: %r" % programs_started_from(config))
    with open(stack.path("log", "tls-apache-error.log"), "rb") as f:
        assert not pass_on_sanitizer_reports(f.read()), (
            "a program mod_fcgid started reported a sanitizer error (see above)")


# --- wherever the checkout is -------------------------------------------------------
def test_a_checkout_the_web_server_cannot_enter_serves_all_the_same(ctx):
    """A clone in root's home or a `mktemp -d` is mode 0700: Apache's www-data
    may not enter it. The stacks serve from their state folder instead."""
    mode = os.stat(ROOT).st_mode & 0o7777
    os.chmod(ROOT, 0o700)
    try:
        other = new_stack(web_server=ctx.stack.web_server)
        try:
            for conf in glob.glob(other.path("nginx", "*.conf")) + glob.glob(
                    other.path("apache", "*.conf")):
                with open(conf) as f:
                    assert_not_in(ROOT + "/", f.read(), conf + " names the checkout")
            c = Context(other)
            assert_equal(c.get("/static/style.css").status, 200, "a static file")
            assert_equal(c.get("/static/nothing.css").status, 404, "a missing static file")
            assert_equal(c.get("/faq?q=sessions").status, 200, "a search")
            assert_equal(c.post("/contact", c.form("contact")).status, 303, "a post")
        finally:
            destroy_stack(other)
    finally:
        os.chmod(ROOT, mode)


# --- systemd ---------------------------------------------------------------------
def test_socket_activation_as_systemd_does_it(ctx):
    """pages.fcgi with an empty pages_listen takes the socket systemd passes
    as fd 3 (LISTEN_FDS=1, LISTEN_PID = its own pid)."""
    stack = ctx.stack
    folder = tempfile.mkdtemp(prefix="activation-", dir=stack.state)
    with open(stack.config) as f:
        text = re.sub(r"(?m)^pages_listen = .*$", "pages_listen =", f.read())
    text = re.sub(r"(?m)^(content_db|enquiry_db|public_key|token_key|secret_key) = (?!/)",
                  r"\1 = %s/" % stack.state, text)
    text = re.sub(r"(?m)^log_file = .*$", "log_file = %s/activation.log" % folder, text)
    config = os.path.join(folder, "site.conf")
    with open(config, "w") as f:
        f.write(text)
    path = os.path.join(folder, "pages.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    binary = os.path.join(stack_module.BIN_DIR, "cgi-bin", "pages.fcgi")
    proc = subprocess.Popen(
        ["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --config "$1" 3<&%d'
         % listener.fileno(), binary, config],
        pass_fds=[listener.fileno()], start_new_session=True)
    listener.close()
    try:
        assert wait_until(lambda: len(worker_pids(proc.pid)) == stack.workers), "workers"
        req = FastCGIRequest(path, "GET", "/faq")
        req.finish_body()
        answer = req.response().decode("utf-8", "replace")
        assert_in("Status: 200", answer, "served over the inherited socket")
        assert_in("Frequently asked questions", answer)
    finally:
        stop(proc)
    assert_equal(proc.returncode, 0, "a clean stop")
    assert os.path.exists(path), "the socket belongs to systemd: the program leaves it"


def install_tree(prefix="/usr/local"):
    """What `make install DESTDIR=... PREFIX=...` does once `make` has built
    everything (as `make test` has)."""
    root = tempfile.mkdtemp(prefix="clinic-install-")
    result = run("sh", "tools/install.sh", cwd=ROOT,
                 env=dict(os.environ, DESTDIR=root, PREFIX=prefix))
    if result.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise AssertionError("install.sh: " + result.stdout + result.stderr)
    return root


# Paths the shipped files name that exist only on a running server.
RUNTIME = ("/run/", "/var/log/", "/var/cache/", "/etc/letsencrypt/", "/etc/nginx/", "/etc/apache2/",
           "/etc/clinic/staff.pub", "/etc/clinic/token.key", "/etc/clinic/staff.keyring",
           "/var/lib/clinic/enquiries/enquiries.db", "/usr/sbin/sendmail", "/dev/")


def named_paths(text):
    return set(re.findall(r"(?<![\w.:/-])(/(?:usr|etc|var|opt)/[\w./-]+\w)", text))


def test_make_install_lays_out_what_the_shipped_files_name(ctx):
    for prefix in ("/usr/local", "/opt/clinic"):
        root = install_tree(prefix)
        try:
            files = []
            for sub in ("share/clinic/nginx", "share/clinic/apache", "lib/systemd/system"):
                files += glob.glob(os.path.join(root + prefix, sub, "*"))
            assert len(files) >= 15, "installed site and unit files: %r" % files
            missing = set()
            for path in files:
                with open(path) as f:
                    text = f.read()
                if prefix != "/usr/local":
                    assert_not_in("/usr/local/", text, path)
                for named in named_paths(text):
                    if not named.startswith(RUNTIME) and not os.path.exists(root + named):
                        missing.add("%s names %s" % (os.path.relpath(path, root), named))
            assert not missing, "named but not installed:\n  " + "\n  ".join(sorted(missing))
            for binary in ("libexec/clinic/pages.fcgi", "libexec/clinic/contact.fcgi",
                           "libexec/clinic/build-content", "bin/enquiries"):
                assert os.access(os.path.join(root + prefix, binary), os.X_OK), binary
            with open(os.path.join(root, "etc/clinic/site.conf")) as f:
                conf = f.read()
            assert re.search(r"(?m)^secret_key =\s*$", conf), "no secret key on the server"
            assert re.search(r"(?m)^pages_listen =\s*$", conf), "sockets come from systemd"
            assert not glob.glob(os.path.join(root, "**", "*keyring*"), recursive=True)
            assert not glob.glob(os.path.join(root, "**", "__test*"), recursive=True)
            with open(os.path.join(root + prefix, "libexec/clinic/pages.fcgi"), "rb") as f:
                assert b"/__test/" not in f.read(), "the installed pages.fcgi has no test paths"
            # The installed config is one the programs accept.
            check = run(os.path.join(root + prefix, "bin/enquiries"), "--config",
                        os.path.join(root, "etc/clinic/site.conf"), "help")
            assert check.returncode == 0, "enquiries reads the installed config: " + (
                check.stdout + check.stderr)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def systemd_root():
    """An installed tree with systemd's own units beside ours, for --root."""
    root = install_tree()
    shutil.copytree("/usr/lib/systemd/system", os.path.join(root, "usr/lib/systemd/system"),
                    symlinks=True, dirs_exist_ok=True)
    return root


def test_systemd_analyze_verify_is_clean_on_the_units(ctx):
    if not shutil.which("systemd-analyze"):
        raise Skipped("systemd-analyze is not installed (apt-get install systemd)")
    root = systemd_root()
    try:
        units = sorted(glob.glob(os.path.join(root, "usr/local/lib/systemd/system/clinic-*")))
        assert len(units) == 8, units
        result = run("systemd-analyze", "verify", "--man=no", "--root=" + root, *units)
        assert_equal((result.returncode, result.stdout + result.stderr), (0, ""),
                     "systemd-analyze verify")
        figures = {}
        for unit in ("clinic-pages.service", "clinic-contact.service", "clinic-purge.service",
                     "clinic-notify.service"):
            result = run("systemd-analyze", "security", "--offline=true", "--root=" + root,
                         "--no-pager", unit)
            found = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
            assert found, "systemd-analyze security %s: %s" % (unit, result.stderr[-300:])
            figures[unit] = float(found.group(1))
        print("    systemd-analyze security: " + ", ".join(
            "%s %.1f" % (unit, value) for unit, value in figures.items()))
        for unit in ("clinic-pages.service", "clinic-contact.service", "clinic-purge.service"):
            assert figures[unit] <= 1.0, "%s exposure %.1f" % (unit, figures[unit])
        # The users and folders the units name, made as at boot.
        for tool, conf in (("systemd-sysusers", "sysusers.d"), ("systemd-tmpfiles", "tmpfiles.d")):
            args = [tool, "--root=" + root]
            if tool == "systemd-tmpfiles":
                args.append("--create")
            result = run(*args, os.path.join(root, "usr/local/lib", conf, "clinic.conf"))
            assert result.returncode == 0, tool + ": " + result.stderr
        with open(os.path.join(root, "etc/passwd")) as f:
            users = {line.split(":")[0]: int(line.split(":")[2]) for line in f if line.strip()}
        assert "clinic-pages" in users and "clinic-contact" in users, users
        info = os.stat(os.path.join(root, "var/lib/clinic/enquiries"))
        assert_equal((info.st_uid, info.st_mode & 0o777), (users["clinic-contact"], 0o700),
                     "the enquiry folder belongs to contact.fcgi alone")
        assert os.path.isdir(os.path.join(root, "var/cache/nginx")), "nginx's cache parent"
    finally:
        shutil.rmtree(root, ignore_errors=True)
