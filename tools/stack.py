#!/usr/bin/env python3
"""Sets up and runs the whole stack on loopback: the FastCGI programs behind a
real nginx, with a throwaway state folder. `make run` and the tests use it.

    python3 tools/stack.py run [--port 8080] [--state var] [--web-server apache]
"""
import argparse
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# Where the programs are: this checkout, or another build with the same layout
# (cgi-bin/*.fcgi, tools/*) such as build/asan for the sanitizer runs.
BIN_DIR = os.path.join(ROOT, os.environ.get("CLINIC_BIN_DIR") or "")
# Where that build keeps its libraries and its test-hook pages.fcgi: build/
# for the plain build, the build folder itself for the others.
BUILD_DIR = BIN_DIR if os.environ.get("CLINIC_BIN_DIR") else os.path.join(ROOT, "build")
TEST_HOOKS_PAGES = os.path.join(BUILD_DIR, "test-hooks", "pages.fcgi")
# A command run in front of each FastCGI program, e.g. valgrind and its options.
WRAPPER = shlex.split(os.environ.get("CLINIC_WRAPPER", ""))
# The web server in front: "nginx" (the default) or "apache" (Debian's apache2
# with the shipped deploy/apache files). The tests run every suite with both.
WEB_SERVER = os.environ.get("CLINIC_WEB_SERVER") or "nginx"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"

SITE_CONF = """\
# Development config written by tools/stack.py; every program reads it with --config.
content_db = content.db
enquiry_db = enquiries.db
public_key = staff.pub
secret_key = staff.keyring
token_key = token.key
pages_listen = unix:{state}/run/pages.sock
contact_listen = unix:{state}/run/contact.sock
log_file = log/clinic.log
workers = {workers}
contact_workers = {contact_workers}
max_body = 32768
token_min_age = {token_min_age}
token_max_age = 14400
rate_limit_posts = {rate_limit_posts}
rate_limit_window = 3600
site_origin = http://127.0.0.1:{port}
clinic_name = The Clinic
clinic_phone = 020 7946 0000
clinic_email = enquiries@clinic.example
retention_days = {retention_days}
notify_to = staff@clinic.example
site_language = en-GB
clinic_street_address = 1 Example Street
clinic_locality = London
clinic_postcode = N1 1AA
clinic_country = GB
opening_hours = Mo-Fr 09:00-17:00
data_controller = The Clinic Ltd
privacy_contact = privacy@clinic.example
ico_registration = ZA000000
security_contact = mailto:security@clinic.example
"""

NGINX_CONF = """\
# Development nginx written by tools/stack.py around the shipped files.
worker_processes 2;
pid {state}/nginx/nginx.pid;
error_log {state}/log/nginx-error.log crit;
{user}
events {{ worker_connections 1024; }}
http {{
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	sendfile on;
	keepalive_timeout 30;
	server_tokens off;
	client_body_temp_path {state}/nginx/tmp/body;
	fastcgi_temp_path {state}/nginx/tmp/fastcgi;
	proxy_temp_path {state}/nginx/tmp/proxy;
	uwsgi_temp_path {state}/nginx/tmp/uwsgi;
	scgi_temp_path {state}/nginx/tmp/scgi;
	include {state}/nginx/clinic-http.conf;
	server {{
		listen 127.0.0.1:{port};
		server_name localhost;
		access_log {state}/log/nginx-access.log clinic_private;
		include {state}/nginx/clinic-locations.conf;
	}}
}}
"""


APACHE_CONF = """\
# Development Apache written by tools/stack.py around the shipped files.
ServerRoot {state}/apache
ServerName localhost
Listen 127.0.0.1:{port}
PidFile {state}/apache/apache.pid
DefaultRuntimeDir {state}/apache
Mutex file:{state}/apache default
ErrorLog {state}/log/apache-error.log
{user}
{modules}
TypesConfig /etc/mime.types
KeepAliveTimeout 30
Include {state}/apache/clinic-server.conf
<VirtualHost 127.0.0.1:{port}>
	ServerName localhost
	CustomLog {state}/log/apache-access.log clinic_private
	ErrorLog {state}/log/apache-error.log
	Include {state}/apache/clinic-site.conf
</VirtualHost>
"""

# What clinic-site.conf needs (mod_log_config and mod_unixd are built in).
APACHE_MODULE_NAMES = ["mpm_event", "authz_core", "mime", "headers", "alias", "proxy",
                       "proxy_fcgi", "cache", "cache_disk"]


def apache_modules(names):
    return "\n".join("LoadModule %s_module %s/mod_%s.so" % (n, APACHE_MODULES, n) for n in names)


def shipped_apache(name, state):
    """A shipped Apache file with only its paths pointed at the state folder."""
    with open(os.path.join(ROOT, "deploy", "apache", name)) as f:
        text = f.read()
    for old, new in (
        ("/usr/local/share/clinic/htdocs", os.path.join(state, "htdocs")),
        ("/usr/local/share/clinic/apache", os.path.join(state, "apache")),
        ("/run/clinic", os.path.join(state, "run")),
        ("/var/log/apache2", os.path.join(state, "log")),
        ("/var/cache/apache2/mod_cache_disk", os.path.join(state, "apache", "cache")),
    ):
        text = text.replace(old, new)
    return text


def shipped(name, state):
    """A shipped nginx file with only its paths pointed at the state folder."""
    with open(os.path.join(ROOT, "deploy", "nginx", name)) as f:
        text = f.read()
    for old, new in (
        ("/usr/local/share/clinic/htdocs", os.path.join(state, "htdocs")),
        ("/usr/local/share/clinic/nginx", os.path.join(state, "nginx")),
        ("/var/cache/nginx/clinic", os.path.join(state, "nginx", "cache")),
        ("/run/clinic", os.path.join(state, "run")),
        ("/var/log/nginx", os.path.join(state, "log")),
    ):
        text = text.replace(old, new)
    return text


def closed_ancestor(path):
    """The first folder above path that other users may not pass through, or None."""
    parent = os.path.dirname(os.path.abspath(path))
    while True:
        if not os.stat(parent).st_mode & 0o001:
            return parent
        if parent == os.path.dirname(parent):
            return None
        parent = os.path.dirname(parent)


class TempFileWatch:
    """Watches folders with inotify for any file written in them: the web
    servers' temporary folders, where a request body or a response spooled to
    disk would land. Events queue in the kernel until read, so a file written
    and unlinked at once is still seen. Files created but never written are
    not counted (mod_cache keeps its lock folder there), nor APR's probe of
    whether the folder is writable, a file "apr-tmp.XXXXXX" holding "!"."""

    IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x2, 0x8, 0x80, 0x100

    def __init__(self):
        import ctypes
        import ctypes.util
        self._libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.folders = {}  # watch descriptor -> folder
        self.seen = []  # "folder/name" of every file written

    def add(self, folder):
        os.makedirs(folder, exist_ok=True)
        mask = self.IN_CREATE | self.IN_MODIFY | self.IN_CLOSE_WRITE | self.IN_MOVED_TO
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), mask)
        if wd < 0:
            raise OSError("cannot watch %s with inotify" % folder)
        self.folders[wd] = folder

    def written(self):
        """Every file written in a watched folder since the start."""
        import struct
        while self._fd >= 0:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            offset = 0
            while offset + 16 <= len(data):
                wd, mask, _, length = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16:offset + 16 + length].rstrip(b"\0").decode(
                    "utf-8", "replace")
                offset += 16 + length
                if not mask & (self.IN_MODIFY | self.IN_MOVED_TO) or re.fullmatch(
                        r"apr-tmp\.\w{6}", name):
                    continue
                path = os.path.join(self.folders.get(wd, "?"), name)
                if path not in self.seen:
                    self.seen.append(path)
        return list(self.seen)

    def close(self):
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


TEAM_CONF = """\
# The team (see `man enquiries`): the lead's keyring, team key and roster here
# stand in for the lead's own computer; team_file is what contact.fcgi seals to.
team_key = team.key
team_roster = team.roster
"""

TEAM_SERVER_CONF = """\
team_file = team.signed
team_admin_key = {admin_key}
"""


class Stack:
    def __init__(self, state, port, workers=2, token_min_age=3, rate_limit_posts=5,
                 fast_keys=False, web_server=None, test_hooks=False, contact_workers=None,
                 retention_days=90, team=None, upgrade_from=None):
        self.state = os.path.abspath(state)
        self.web_server = web_server or WEB_SERVER
        if self.web_server not in ("nginx", "apache"):
            raise ValueError("web_server must be nginx or apache, not %r" % self.web_server)
        # pages.fcgi built with -DCLINIC_TEST_HOOKS (build/test-hooks/pages.fcgi, or
        # build/asan/test-hooks/pages.fcgi in the ASan pass).
        self.test_hooks = test_hooks
        self.port = port
        self.workers = workers
        self.contact_workers = contact_workers or workers
        self.token_min_age = token_min_age
        self.rate_limit_posts = rate_limit_posts
        self.retention_days = retention_days
        self.fast_keys = fast_keys
        self.procs = {}
        self.temp_watch = None  # the web server's temporary folders, once it runs
        self.config = os.path.join(self.state, "site.conf")
        self.passphrase_file = os.path.join(self.state, "dev-passphrase")
        # team: the lead's name, to seal to a team (envelope format 2) rather
        # than to the one staff key; upgrade_from: a folder with the previous
        # release's enquiries.db, staff.keyring and passphrase to start from.
        self.team = team
        self.upgrade_from = upgrade_from
        self.team_file = os.path.join(self.state, "team.signed")
        self.paper_key_file = os.path.join(self.state, "dev-paper-key")

    # --- set-up -----------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.state, *parts)

    def env(self):
        env = dict(os.environ)
        if self.fast_keys:
            env["CLINIC_PWHASH_FAST"] = "1"
        return env

    def write_config(self):
        text = SITE_CONF.format(state=self.state, port=self.port, workers=self.workers,
                                contact_workers=self.contact_workers,
                                token_min_age=self.token_min_age,
                                rate_limit_posts=self.rate_limit_posts,
                                retention_days=self.retention_days)
        if self.team:
            text = text.replace("secret_key = staff.keyring",
                                "secret_key = %s.keyring" % self.team) + TEAM_CONF
            admin_key = self.team_admin_key()
            if admin_key:
                text += TEAM_SERVER_CONF.format(admin_key=admin_key)
        with open(self.config, "w") as f:
            f.write(text)

    def team_admin_key(self):
        """The team key's public half, from the published team file (None before)."""
        if not os.path.exists(self.team_file):
            return None
        with open(self.team_file) as f:
            for line in f:
                if line.startswith("admin "):
                    return line.split()[1]
        return None

    def setup(self):
        for d in ("run", "log", "nginx/tmp", "nginx/cache"):
            os.makedirs(self.path(d), exist_ok=True)
        self.write_config()
        if not os.path.exists(self.path("token.key")):
            fd = os.open(self.path("token.key"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
        self.copy_htdocs()
        self.build_content()
        if self.team:
            self.make_team()
        else:
            self.make_staff_key()
        for name in ("clinic-http.conf", "clinic-locations.conf", "clinic-headers.conf"):
            with open(self.path("nginx", name), "w") as f:
                f.write(shipped(name, self.state))
        user = "user root root;" if os.geteuid() == 0 else ""
        with open(self.path("nginx", "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(state=self.state, port=self.port, user=user))
        if self.web_server == "apache":
            self.setup_apache()

    def setup_apache(self):
        os.makedirs(self.path("apache", "cache"), exist_ok=True)
        os.makedirs(self.path("apache", "tmp"), exist_ok=True)
        for name in ("clinic-server.conf", "clinic-common.conf", "clinic-site.conf"):
            with open(self.path("apache", name), "w") as f:
                f.write(shipped_apache(name, self.state))
        # Apache will not serve as root: its children run as www-data, which
        # must reach the sockets (mode 0666) through these folders.
        user = ""
        if os.geteuid() == 0:
            closed = closed_ancestor(self.state)
            if closed:
                raise RuntimeError("Apache runs as www-data, which cannot enter %s (mode %o): "
                                   "choose a state folder outside it" % (
                                       closed, os.stat(closed).st_mode & 0o777))
            user = "User www-data\nGroup www-data"
            os.chmod(self.state, 0o711)
            os.chmod(self.path("run"), 0o711)
            os.chmod(self.path("apache"), 0o711)
            shutil.chown(self.path("apache", "cache"), "www-data", "www-data")
            shutil.chown(self.path("apache", "tmp"), "www-data", "www-data")
        with open(self.path("apache", "httpd.conf"), "w") as f:
            f.write(APACHE_CONF.format(state=self.state, port=self.port, user=user,
                                       modules=apache_modules(APACHE_MODULE_NAMES)))

    def copy_htdocs(self):
        """The web servers serve a copy of htdocs/ in the state folder, never
        the checkout: Apache runs as www-data, which may not be allowed into
        the checkout at all (a clone in root's home or a `mktemp -d`)."""
        target = self.path("htdocs")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(os.path.join(ROOT, "htdocs"), target)

    @property
    def access_log(self):
        """The web server's access log (the clinic_private format)."""
        return self.path("log", self.web_server + "-access.log")

    def build_content(self, site_dir=None):
        subprocess.run([os.path.join(BIN_DIR, "tools", "build-content"),
                        site_dir or os.path.join(ROOT, "site"), self.path("content.db")],
                       check=True, stdout=subprocess.DEVNULL)

    def make_staff_key(self):
        if os.path.exists(self.path("staff.keyring")):
            return
        tool = os.path.join(BIN_DIR, "tools", "enquiries")
        if not os.path.exists(tool):
            return
        if not os.path.exists(self.passphrase_file):
            fd = os.open(self.passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("dev-" + secrets.token_hex(12) + "\n")
        subprocess.run([tool, "--config", self.config, "--passphrase-file",
                        self.passphrase_file, "init"], check=True, env=self.env(),
                       stdout=subprocess.DEVNULL)

    def tool(self, *args, capture=False):
        """tools/enquiries on this stack's config with the dev passphrase."""
        tool = os.path.join(BIN_DIR, "tools", "enquiries")
        return subprocess.run([tool, "--config", self.config, "--passphrase-file",
                               self.passphrase_file] + list(args), check=True, env=self.env(),
                              stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                              text=True).stdout

    def make_team(self):
        """A team of one lead (self.team) with the team key and the recovery key,
        all under the dev passphrase: as a practice lead would set it up, from
        nothing or from the previous release's keyring and database."""
        if os.path.exists(self.team_file):
            return
        if not os.path.exists(os.path.join(BIN_DIR, "tools", "enquiries")):
            return
        keyring = self.path(self.team + ".keyring")
        if self.upgrade_from:
            shutil.copy(os.path.join(self.upgrade_from, "enquiries.db"), self.path("enquiries.db"))
            shutil.copy(os.path.join(self.upgrade_from, "staff.keyring"), keyring)
            shutil.copy(os.path.join(self.upgrade_from, "passphrase"), self.passphrase_file)
            os.chmod(keyring, 0o600)
            os.chmod(self.passphrase_file, 0o600)
        else:
            if not os.path.exists(self.passphrase_file):
                fd = os.open(self.passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write("dev-" + secrets.token_hex(12) + "\n")
            # A var/ from before the team: its keyring becomes the lead's, so
            # what it holds stays readable.
            if os.path.exists(self.path("staff.keyring")) and not os.path.exists(keyring):
                shutil.copy(self.path("staff.keyring"), keyring)
        self.tool("init", "--name", self.team)
        printed = self.tool("team", "init", capture=True)
        groups = re.findall(r"(?m)^    ([0-9A-Z]{5}(?:-[0-9A-Z]{5})*)-?$", printed)
        paper = "-".join(groups)
        if paper.count("-") != 12:
            raise RuntimeError("team init printed no paper key:\n" + printed)
        # A development team only: a real paper key is kept on paper alone.
        fd = os.open(self.paper_key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(paper + "\n")
        self.tool("team", "add", self.team, self.path(self.team + ".identity"), "--lead")
        self.tool("team", "publish", self.team_file)
        self.write_config()

    # --- processes ----------------------------------------------------------
    def start_program(self, name):
        binary = os.path.join(BIN_DIR, "cgi-bin", name + ".fcgi")
        if self.test_hooks and name == "pages":
            binary = TEST_HOOKS_PAGES
        sock = self.path("run", name + ".sock")
        if os.path.exists(sock):
            os.unlink(sock)
        self.procs[name] = subprocess.Popen(WRAPPER + [binary, "--config", self.config],
                                            env=self.env(), start_new_session=True)
        wait_for(lambda: os.path.exists(sock) or self.procs[name].poll() is not None,
                 60 if WRAPPER else 10, name + " socket")
        if self.procs[name].poll() is not None:
            raise RuntimeError("%s exited at start: see %s" % (name, self.path("log",
                                                                               "clinic.log")))

    @property
    def temp_folders(self):
        """Where the web server would write a request body or a response it
        could not keep in memory: nginx's temporary paths, Apache's TMPDIR."""
        if self.web_server == "apache":
            return [self.path("apache", "tmp")]
        return [self.path("nginx", "tmp", name)
                for name in ("body", "fastcgi", "proxy", "uwsgi", "scgi")]

    def watch_temp_folders(self):
        self.temp_watch = TempFileWatch()
        for folder in self.temp_folders:
            self.temp_watch.add(folder)

    def spooled(self):
        """Files the web server created or wrote in its temporary folders."""
        return self.temp_watch.written() if self.temp_watch else []

    def start_nginx(self):
        conf = self.path("nginx", "nginx.conf")
        check = subprocess.run([NGINX, "-t", "-q", "-p", self.path("nginx"), "-c", conf],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("nginx rejected its config:\n" + check.stderr)
        self.procs["nginx"] = subprocess.Popen(
            [NGINX, "-p", self.path("nginx"), "-c", conf, "-g", "daemon off;"],
            start_new_session=True)
        wait_for(lambda: port_open(self.port), 10, "nginx on port %d" % self.port)

    def start_apache(self):
        conf = self.path("apache", "httpd.conf")
        check = subprocess.run([APACHE, "-t", "-f", conf], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("apache2 rejected its config:\n" + check.stderr)
        # Anything Apache or a module spools goes to TMPDIR, which is watched.
        self.procs["apache"] = subprocess.Popen([APACHE, "-f", conf, "-DFOREGROUND"],
                                                env=dict(os.environ,
                                                         TMPDIR=self.path("apache", "tmp")),
                                                start_new_session=True)
        wait_for(lambda: port_open(self.port) or self.procs["apache"].poll() is not None, 10,
                 "apache2 on port %d" % self.port)
        if self.procs["apache"].poll() is not None:
            raise RuntimeError("apache2 exited at start: see " +
                               self.path("log", "apache-error.log"))

    def start(self):
        try:
            self.watch_temp_folders()
            self.start_program("pages")
            if os.path.exists(self.team_file if self.team else self.path("staff.pub")):
                self.start_program("contact")
            if self.web_server == "apache":
                self.start_apache()
            else:
                self.start_nginx()
        except BaseException:
            self.stop()  # nothing started may outlive a failed start
            raise

    def stop(self):
        for name, proc in list(self.procs.items()):
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for name, proc in list(self.procs.items()):
            try:
                proc.wait(timeout=35)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
        if self.temp_watch:
            self.temp_watch.written()  # keep what was seen; free the descriptor
            self.temp_watch.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--state", default=os.path.join(ROOT, "var"))
    parser.add_argument("--web-server", choices=["nginx", "apache"], default=None)
    args = parser.parse_args()
    web_server = args.web_server or WEB_SERVER
    if web_server == "apache" and os.geteuid() == 0 and closed_ancestor(args.state):
        # www-data could not reach var/ in this checkout: keep the state where it can.
        args.state = os.path.join("/var/tmp", "clinic-run-%d" % args.port)
        os.makedirs(args.state, mode=0o711, exist_ok=True)
    stack = Stack(args.state, args.port, web_server=web_server, team="dev")
    stack.setup()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        stack.start()
        print(f"""
The clinic's site is running at http://127.0.0.1:{args.port}/

  config         {stack.config}
  content db     {stack.path('content.db')}   (rebuild: tools/build-content site {stack.path('content.db')})
  enquiries db   {stack.path('enquiries.db')}
  team           {stack.team_file} (signed; roster {stack.path('team.roster')}, team key {stack.path('team.key')})
  member dev     {stack.path('dev.keyring')}, the team's lead
  passphrase     {stack.passphrase_file} (dev's keyring and the team key)
  paper key      {stack.paper_key_file} (a real one is kept on paper only)
  logs           {stack.path('log')}/

Read what was sent:
  tools/enquiries --config {stack.config} --passphrase-file {stack.passphrase_file} list

Add a second member, sam (their own keyring and passphrase, asked twice), then publish:
  tools/enquiries --config {stack.config} --keyring {stack.path('sam.keyring')} init --name sam
  tools/enquiries --config {stack.config} team add sam {stack.path('sam.identity')}
  tools/enquiries --config {stack.config} --passphrase-file {stack.passphrase_file} team publish {stack.team_file}
  tools/enquiries --config {stack.config} --keyring {stack.path('sam.keyring')} list
Press Ctrl-C to stop.""", flush=True)
        while not stopping:
            for name, proc in stack.procs.items():
                if proc.poll() is not None:
                    print(f"{name} stopped unexpectedly (exit {proc.returncode}); see "
                          f"{stack.path('log')}/", file=sys.stderr)
                    stopping.append(1)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping...", flush=True)
        stack.stop()
        print("Stopped.")


if __name__ == "__main__":
    main()
