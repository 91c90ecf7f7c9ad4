#!/usr/bin/env python3
"""The `package` stage of `make test`: the Debian packages as an admin meets them.

It builds them (what `make deb` does, then a newer version of the same tree),
runs lintian, installs them with dpkg on this machine, starts the programs as
their units would (the units' users, paths and sockets: the sockets are held
here, as systemd holds them, and handed over as fd 3), posts an enquiry through
nginx with the installed site file and opens it with the installed staff tool,
installs the newer version over it and restarts the programs as the upgrade
would, opens every enquiry again, then removes and purges the packages and
looks for anything left that should have gone. It prints one line per step and
`package: N passed, M failed`.

The machine may be shared: tests/package/run.sh runs one stage at a time, and
a run first cleans up what an interrupted earlier run left, and only that: a
clinic-web it did not install, or a /etc/clinic from `make install`, it refuses
to touch.
"""
import email.utils
import fcntl
import glob
import grp
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import traceback
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import test_deploy as deploy  # noqa: E402

BUILD = os.path.join(ROOT, "build", "deb")  # where `make deb` leaves the packages
NEWER = os.path.join(ROOT, "build", "package-stage")  # the newer build for the upgrade
WORK = "/var/tmp/clinic-package-stage"  # nginx, logs, the staff computer's files
MARKER = os.path.join(WORK, "installed-by-the-package-stage")
PIDS = os.path.join(WORK, "pids")
LOCK = "/run/lock/clinic-package-stage.lock"  # tests/package/run.sh holds it
PACKAGES = ("clinic-staff", "clinic-web")
UNITS = "/lib/systemd/system"
# deploy/README.md's figures (test_deploy measures the same units from `make install`).
EXPOSURE = {"clinic-pages.service": 0.2, "clinic-contact.service": 0.2,
            "clinic-purge.service": 0.2, "clinic-notify.service": 8.2}
# What the packages and their programs make has one of these in its name.
OURS = re.compile(r"clinic|enquir", re.IGNORECASE)
SCAN = ("/etc", "/usr", "/var", "/opt", "/srv", "/run")
NOT_SCANNED = ("/var/tmp",)  # other engineers' test stacks live there and in /tmp
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ADMIN_EMAIL = "hello@package-stage.example"


class State:
    """What one run has built, installed and started."""

    def __init__(self):
        self.version = self.newer = None
        self.debs = {}  # version -> [staff .deb, web .deb]
        self.changes = None
        self.before = set()
        self.had_nginx_cache = False
        self.sockets = {}  # pages/contact -> listening socket, held as systemd would
        self.procs = {}  # pages/contact/nginx -> Popen
        self.p80 = self.p443 = None
        self.refs = {}  # ref -> the message posted
        self.staff = os.path.join(WORK, "staff")
        self.token_key = self.content_inode = None


# --- helpers ----------------------------------------------------------------------
def run(*args, check=True, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    result = subprocess.run(list(args), capture_output=True, text=True, **kw)
    if check and result.returncode != 0:
        raise AssertionError("%s exited %d:\n%s" % (" ".join(args), result.returncode,
                                                     (result.stdout + result.stderr)[-3000:]))
    return result


def dpkg(*args, check=True):
    """dpkg, once no apt or dpkg run by someone else holds the frontend lock
    (held here as apt holds it, so that nobody starts one meanwhile)."""
    fd = os.open("/var/lib/dpkg/lock-frontend", os.O_RDWR | os.O_CREAT, 0o640)
    try:
        if not harness.wait_until(lambda: try_lock(fd), 600, 0.2):
            raise AssertionError("dpkg's frontend lock stayed taken for 10 minutes")
        env = dict(os.environ, DPKG_FRONTEND_LOCKED="1", DEBIAN_FRONTEND="noninteractive")
        return run("dpkg", *args, check=check, env=env)
    finally:
        os.close(fd)


def try_lock(fd):
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def status(package):
    result = run("dpkg-query", "-W", "-f=${db:Status-Status}", package, check=False)
    return result.stdout.strip() if result.returncode == 0 else "not-installed"


def read_unit(path):
    """Key -> list of values of a unit file (sections ignored: keys differ)."""
    found = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                key, value = line.split("=", 1)
                found.setdefault(key.strip(), []).append(value.strip())
    return found


def scan():
    """Every path under SCAN whose name says it is ours."""
    found = set()
    for top in SCAN:
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if os.path.join(folder, d) not in NOT_SCANNED]
            found.update(os.path.join(folder, n) for n in dirs + files if OURS.search(n))
    return found - {LOCK}


def record(pid, what):
    with open(PIDS, "a") as f:
        f.write("%d %s\n" % (pid, what))


def kill_recorded():
    """Kills what an interrupted run started (recorded in PIDS), if it is
    still that process: each was started in its own process group."""
    if not os.path.exists(PIDS):
        return
    with open(PIDS) as f:
        for line in f:
            pid = int(line.split()[0])
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as c:
                    cmdline = c.read()
                if (b"/usr/libexec/clinic/" in cmdline or WORK.encode() in cmdline) and \
                        os.getpgid(pid) == pid:
                    os.killpg(pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass


def purge_ours():
    installed = [p for p in PACKAGES if status(p) != "not-installed"]
    if installed:
        dpkg("--purge", *installed)
    for path in ("/var/lib/clinic", "/etc/clinic", "/run/clinic", "/var/cache/nginx/clinic"):
        shutil.rmtree(path, ignore_errors=True)


def staff_tool(*args):
    env = {"PATH": CLEAN_PATH, "CLINIC_PWHASH_FAST": "1"}
    return run("/usr/bin/enquiries", "--config", os.path.join(WORK, "staff", "staff.conf"),
               "--passphrase-file", os.path.join(WORK, "staff", "passphrase"), *args, env=env)


def open_as_staff():
    """ref -> fields of every enquiry, as deploy/README.md has the staff read
    them: a backup made on the server as clinic-contact, copied to the staff
    computer, opened there with the secret key."""
    copy = "/var/lib/clinic/enquiries/copy.db"
    run("runuser", "-u", "clinic-contact", "--", "/usr/bin/enquiries", "--config",
        "/etc/clinic/site.conf", "backup", copy, env={"PATH": CLEAN_PATH})
    for old in glob.glob(os.path.join(WORK, "staff", "enquiries.db*")):
        os.unlink(old)  # the last copy, and any -wal or -shm beside it
    shutil.move(copy, os.path.join(WORK, "staff", "enquiries.db"))
    records = json.loads(staff_tool("export", "--format", "json").stdout)
    return {r["ref"]: r.get("fields") or {} for r in records}


def listen_as_unit(name):
    """The socket clinic-NAME.socket describes, made as systemd makes it."""
    unit = read_unit(os.path.join(UNITS, "clinic-%s.socket" % name))
    path = unit["ListenStream"][0]
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    os.chmod(folder, int(unit.get("DirectoryMode", ["0755"])[0], 8))
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chown(path, pwd.getpwnam(unit["SocketUser"][0]).pw_uid,
             grp.getgrnam(unit["SocketGroup"][0]).gr_gid)
    os.chmod(path, int(unit["SocketMode"][0], 8))
    listener.listen(socket.SOMAXCONN)
    return listener


def start_service(s, name):
    """clinic-NAME.service's ExecStart as its User and Group, with its UMask,
    no new privileges and no capabilities, the socket as fd 3 (LISTEN_FDS)."""
    unit = read_unit(os.path.join(UNITS, "clinic-%s.service" % name))
    command = shlex.split(unit["ExecStart"][-1])
    listener = s.sockets[name]
    script = ('umask "$0"; u=$1; g=$2; shift 2; LISTEN_PID=$$ LISTEN_FDS=1 exec setpriv '
              '--reuid="$u" --regid="$g" --init-groups --no-new-privs --inh-caps=-all '
              '--bounding-set=-all "$@" 3<&%d' % listener.fileno())
    with open(os.path.join(WORK, "log", name + ".log"), "ab") as log:
        proc = subprocess.Popen(
            ["sh", "-c", script, unit.get("UMask", ["0022"])[0], unit["User"][0],
             unit["Group"][0]] + command, pass_fds=[listener.fileno()], stdin=subprocess.DEVNULL,
            stdout=log, stderr=log, env={"PATH": CLEAN_PATH}, cwd="/", start_new_session=True)
    record(proc.pid, name)
    s.procs[name] = proc
    return proc


def stop_service(s, name):
    """What stopping the unit does (KillMode=mixed): SIGTERM to the program,
    which finishes the requests in flight, then whatever is left is killed."""
    s.procs[name].send_signal(signal.SIGTERM)
    return stopped(s, name)


def stopped(s, name):
    """The exit status of a program sent SIGTERM, once it has exited (or
    TimeoutStopSec has passed); its process group is killed after it."""
    proc = s.procs.pop(name)
    timeout = read_unit(os.path.join(UNITS, "clinic-%s.service" % name))["TimeoutStopSec"][0]
    try:
        proc.wait(timeout=int(timeout.rstrip("s")))
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    return proc.returncode


def accepted(path):
    """True once no connection waits in the listening socket's queue."""
    for line in run("ss", "-xlnH").stdout.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[4] == path:
            return fields[2] == "0"
    return False


def post(s, message):
    fields = harness.Context(Installed()).form("contact", message=message)
    status_code, headers, body = deploy.fetch(
        s.p443, "POST", "/contact", urllib.parse.urlencode(fields).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"})
    found = re.search(r"/thanks\?ref=(%s)$" % harness.REF_PATTERN, headers.get("location", ""))
    assert status_code == 303 and found, "a post through nginx: %d %r" % (status_code, body[:300])
    s.refs[found.group(1)] = message
    return found.group(1)


class Installed:
    """For harness.Context.form: the token key is the installed one."""
    port = 0

    def path(self, *parts):
        return os.path.join("/etc/clinic", *parts)


def deb_paths(deb):
    return [line.split()[-1] for line in run("dpkg-deb", "-c", deb).stdout.splitlines()]


def deb_field(deb, field):
    return run("dpkg-deb", "-f", deb, field).stdout.strip()


# --- the steps, in order ---------------------------------------------------------------
def step_clean_start(s):
    """Whatever an interrupted run left goes; anything else stops the stage."""
    kill_recorded()
    if os.path.exists(MARKER):
        print("    an earlier run was interrupted: purging what it installed")
        purge_ours()
    shutil.rmtree(WORK, ignore_errors=True)
    for path in (WORK, os.path.join(WORK, "log"), os.path.join(WORK, "nginx"), s.staff):
        os.makedirs(path, exist_ok=True)
    os.chmod(WORK, 0o711)  # nginx's workers (www-data) reach its temp folders
    os.chmod(os.path.join(WORK, "nginx"), 0o711)
    os.chmod(s.staff, 0o700)
    foreign = [p for p in PACKAGES if status(p) != "not-installed"]
    assert not foreign, "%s installed, not by this stage: refusing to purge it" % foreign
    for path in ("/etc/clinic", "/var/lib/clinic"):
        assert not os.path.exists(path), path + " exists (from `make install`?): refusing " \
            "to install over it or purge it"
    s.before = scan()
    s.had_nginx_cache = os.path.isdir("/var/cache/nginx")


def step_build(s):
    """`make deb` (tools/deb.sh) once, and a newer version from the same
    copy without cleaning it (nothing to recompile): -j2, nocheck."""
    begun = time.time()
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck", JOBS="2")
    run("sh", "tools/deb.sh", cwd=ROOT, env=env)
    first = time.time() - begun
    s.version = run("dpkg-parsechangelog", "-S", "Version", cwd=ROOT).stdout.strip()
    arch = run("dpkg", "--print-architecture").stdout.strip()
    s.debs[s.version] = [os.path.join(BUILD, "%s_%s_%s.deb" % (p, s.version, arch))
                         for p in PACKAGES]
    s.changes = os.path.join(BUILD, "clinic_%s_%s.changes" % (s.version, arch))
    for path in s.debs[s.version] + [s.changes]:
        assert os.path.exists(path), "make deb left no " + path
    s.newer = s.version + "+upgradetest1"
    shutil.rmtree(NEWER, ignore_errors=True)
    source = os.path.join(NEWER, "clinic-" + s.newer)
    shutil.copytree(os.path.join(BUILD, "clinic-" + s.version), source, symlinks=True)
    maintainer = run("dpkg-parsechangelog", "-S", "Maintainer", cwd=ROOT).stdout.strip()
    changelog = os.path.join(source, "debian", "changelog")
    with open(changelog) as f:
        older = f.read()
    with open(changelog, "w") as f:
        f.write("clinic (%s) bookworm; urgency=medium\n\n  * The same tree again, for the "
                "package stage to install over %s.\n\n -- %s  %s\n\n%s" % (
                    s.newer, s.version, maintainer, email.utils.formatdate(), older))
    run("dpkg-buildpackage", "-us", "-uc", "-b", "-nc", "-j2", cwd=source,
        env=dict(os.environ, DEB_BUILD_OPTIONS="nocheck"))
    s.debs[s.newer] = [os.path.join(NEWER, "%s_%s_%s.deb" % (p, s.newer, arch))
                       for p in PACKAGES]
    print("    built %s in %.1fs, %s in %.1fs" % (s.version, first, s.newer,
                                                 time.time() - begun - first))
    for path in s.debs[s.newer]:
        assert os.path.exists(path), "no " + path


def step_lintian(s):
    """No errors, no warnings; every override says why."""
    result = run("lintian", "--fail-on", "error,warning", "--display-info", s.changes,
                 check=False)
    tags = [line for line in result.stdout.splitlines() if re.match(r"[EWIPXO]: ", line)]
    bad = [line for line in tags if line[0] in "EW"]
    assert result.returncode == 0 and not bad, "lintian:\n" + result.stdout + result.stderr
    names = sorted({line.split()[2] for line in tags if line.startswith("I: ")})
    print("    lintian: 0 errors, 0 warnings; %d info tags (%s)" % (
        sum(line.startswith("I: ") for line in tags), ", ".join(names) or "none"))
    for path in glob.glob(os.path.join(ROOT, "debian", "*lintian-overrides")):
        with open(path) as f:
            lines = [line.rstrip("\n") for line in f]
        for i, line in enumerate(lines):
            if line.strip() and not line.startswith("#"):
                # The lines above it, over any overrides of the same group.
                above = [x for x in lines[:i] if x.strip()]
                while above and not above[-1].startswith("#"):
                    above.pop()
                assert above and lines[i - 1].strip(), \
                    "%s:%d: an override without a reason above it" % (path, i + 1)


def step_contents(s):
    """The split, the conffile, the dependencies, the hardening."""
    staff, web = s.debs[s.version]
    staff_files = {p for p in deb_paths(staff) if not p.endswith("/")}
    assert_equal(sorted(f for f in staff_files if "/doc/" not in f),
                 ["./usr/bin/enquiries", "./usr/share/man/man1/enquiries.1.gz"], "clinic-staff")
    depends = deb_field(staff, "Depends")
    for name in ("nginx", "apache", "libfcgi", "cmark", "clinic-web"):
        assert name not in depends, "clinic-staff depends on %s: %s" % (name, depends)
    web_files = set(deb_paths(web))
    for path in ("./etc/clinic/site.conf", "./usr/libexec/clinic/pages.fcgi",
                 "./usr/libexec/clinic/contact.fcgi", "./usr/libexec/clinic/build-content",
                 "./lib/systemd/system/clinic-pages.socket",
                 "./lib/systemd/system/clinic-contact.service",
                 "./lib/systemd/system/clinic-purge.timer", "./usr/lib/sysusers.d/clinic.conf",
                 "./usr/lib/tmpfiles.d/clinic.conf", "./usr/share/clinic/nginx/clinic.conf",
                 "./usr/share/clinic/apache/clinic.conf",
                 "./usr/share/clinic/htdocs/static/style.css",
                 "./usr/share/clinic/site/templates/contact.html",
                 "./usr/share/doc/clinic-web/NEWS.Debian.gz"):
        assert path in web_files, "clinic-web lacks " + path
    assert not [p for p in web_files if p.startswith("./var/") or "keyring" in p
                or p.startswith("./usr/bin/")], "clinic-web ships what it should not"
    web_depends = deb_field(web, "Depends")
    assert "clinic-staff (= %s)" % s.version in web_depends, web_depends
    assert "libfcgi" in web_depends and "libsodium" in web_depends, web_depends
    extract = os.path.join(WORK, "extract")
    os.makedirs(extract)
    run("dpkg-deb", "-e", web, os.path.join(extract, "DEBIAN"))
    with open(os.path.join(extract, "DEBIAN", "conffiles")) as f:
        assert_equal(f.read().split(), ["/etc/clinic/site.conf"], "conffiles")
    for deb in (staff, web):
        run("dpkg-deb", "-x", deb, extract)
    for binary in ("usr/bin/enquiries", "usr/libexec/clinic/pages.fcgi",
                   "usr/libexec/clinic/contact.fcgi", "usr/libexec/clinic/build-content"):
        path = os.path.join(extract, binary)
        header = run("readelf", "-h", "-l", "-d", "--dyn-syms", "-W", path).stdout
        for what, pattern in (("PIE", r"Type:\s+DYN"), ("RELRO", r"GNU_RELRO"),
                              ("BIND_NOW", r"\(FLAGS(_1)?\)\s+.*\bNOW\b"),
                              ("stack protector", r"__stack_chk_fail"),
                              ("_FORTIFY_SOURCE", r"__\w+_chk\b")):
            assert re.search(pattern, header), "%s is built without %s" % (binary, what)
        if "/libexec/" in binary:
            # The web server can seal an enquiry, never open one.
            assert "crypto_box_seal_open" not in header, binary + " links crypto_box_seal_open"
    with open(os.path.join(extract, "usr/libexec/clinic/pages.fcgi"), "rb") as f:
        assert b"/__test/" not in f.read(), "the packaged pages.fcgi has test paths"


def step_install(s):
    """dpkg -i: users, folders, the token key, the content database; socket
    units and timers enabled, services not; no site enabled; no secret key."""
    with open(MARKER, "w"):
        pass
    dpkg("-i", *s.debs[s.version])
    for p in PACKAGES:
        assert_equal(status(p), "installed", p)
    users = {name: pwd.getpwnam(name) for name in ("clinic-pages", "clinic-contact")}
    info = os.stat("/etc/clinic/token.key")
    assert_equal((info.st_uid, info.st_gid, info.st_mode & 0o777),
                 (0, users["clinic-contact"].pw_gid, 0o640), "token.key owner and mode")
    with open("/etc/clinic/token.key") as f:
        s.token_key = f.read()
    assert re.fullmatch(r"[0-9a-f]{64}\n", s.token_key), "token.key holds 32 random bytes"
    info = os.stat("/var/lib/clinic/enquiries")
    assert_equal((info.st_uid, info.st_mode & 0o777), (users["clinic-contact"].pw_uid, 0o700),
                 "the enquiry folder belongs to contact.fcgi alone")
    s.content_inode = os.stat("/var/lib/clinic/content/content.db").st_ino
    wants = "/etc/systemd/system/%s.wants/%s"
    for target, unit in (("sockets.target", "clinic-pages.socket"),
                         ("sockets.target", "clinic-contact.socket"),
                         ("timers.target", "clinic-purge.timer"),
                         ("timers.target", "clinic-notify.timer")):
        assert_equal(os.readlink(wants % (target, unit)), os.path.join(UNITS, unit), unit)
    assert not glob.glob(wants % ("*", "clinic-*.service")), "a service is enabled"
    enabled = [p for d in ("/etc/nginx", "/etc/apache2") for p in glob.glob(d + "/**/*clinic*",
                                                                              recursive=True)]
    assert not enabled, "site files put where the web server reads them: %r" % enabled
    with open("/etc/clinic/site.conf") as f:
        conf = f.read()
    assert re.search(r"(?m)^secret_key =\s*$", conf), "no secret key on the server"
    assert_equal(sorted(os.listdir("/etc/clinic")), ["site.conf", "token.key"], "/etc/clinic")
    keys = [p for p in scan() - s.before if "keyring" in p]
    assert not keys, "a staff key on the server: %r" % keys
    # Every path the installed site files and units name is installed.
    missing = []
    for path in glob.glob("/usr/share/clinic/nginx/*") + glob.glob("/usr/share/clinic/apache/*") \
            + glob.glob(os.path.join(UNITS, "clinic-*")):
        with open(path) as f:
            text = f.read()
        assert "/usr/local" not in text, path + " names /usr/local"
        missing += ["%s names %s" % (path, named) for named in deploy.named_paths(text)
                    if not named.startswith(deploy.RUNTIME) and not os.path.exists(named)]
    assert not missing, "named but not installed:\n  " + "\n  ".join(sorted(missing))


def step_systemd_analyze(s):
    """verify is clean, and security finds today's exposure (or less)."""
    units = sorted(glob.glob(os.path.join(UNITS, "clinic-*")))
    result = run("systemd-analyze", "verify", "--man=no", *units, check=False)
    assert_equal((result.returncode, result.stdout + result.stderr), (0, ""), "verify")
    figures = {}
    for unit in EXPOSURE:
        result = run("systemd-analyze", "security", "--offline=true", "--no-pager", unit)
        found = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
        assert found, "systemd-analyze security %s: %s" % (unit, result.stderr[-300:])
        figures[unit] = float(found.group(1))
    print("    systemd-analyze security: " + ", ".join(
        "%s %.1f" % (unit, value) for unit, value in figures.items()))
    worse = {u: v for u, v in figures.items() if v > EXPOSURE[u]}
    assert not worse, "more exposed than deploy/README.md says: %r" % worse


def step_start(s):
    """A staff key made on the 'staff computer', its public half put on the
    server as deploy/README.md says, site.conf edited by the admin; the
    socket units, the services and nginx with the installed site file."""
    with open(os.path.join(s.staff, "passphrase"), "w") as f:
        f.write("package-stage-%s\n" % os.urandom(8).hex())
    with open(os.path.join(s.staff, "staff.conf"), "w") as f:
        f.write("enquiry_db = enquiries.db\npublic_key = staff.pub\nsecret_key = staff.keyring\n")
    staff_tool("init")
    shutil.copy(os.path.join(s.staff, "staff.pub"), "/etc/clinic/staff.pub")
    os.chown("/etc/clinic/staff.pub", 0, grp.getgrnam("clinic-contact").gr_gid)
    os.chmod("/etc/clinic/staff.pub", 0o640)
    with open("/etc/clinic/site.conf") as f:
        conf = f.read()
    with open("/etc/clinic/site.conf", "w") as f:
        f.write(re.sub(r"(?m)^clinic_email = .*$", "clinic_email = " + ADMIN_EMAIL, conf))
    for name in ("pages", "contact"):
        s.sockets[name] = listen_as_unit(name)
        start_service(s, name)
    # The admin's copy of the site file: only its ports (80 and 443 may be in
    # use on a shared machine), certificate and log paths changed; it includes
    # the installed clinic-http.conf and clinic-locations.conf as they are.
    folder = os.path.join(WORK, "nginx")
    deploy.make_cert(folder)
    s.p80, s.p443 = harness.stack_module.free_port(), harness.stack_module.free_port()
    with open("/usr/share/clinic/nginx/clinic.conf") as f:
        site = f.read()
    site = site.replace("/etc/letsencrypt/live/clinic.example", folder)
    site = site.replace("/var/log/nginx", os.path.join(WORK, "log"))
    site = re.sub(r"(listen\s+(?:\[::\]:)?)80;", r"\g<1>%d;" % s.p80, site)
    site = re.sub(r"(listen\s+(?:\[::\]:)?)443 ", r"\g<1>%d " % s.p443, site)
    with open(os.path.join(folder, "clinic.conf"), "w") as f:
        f.write(site)
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as f:
        f.write(deploy.NGINX_MAIN.format(folder=folder, state=WORK, user="user www-data;"))
    run(harness.stack_module.NGINX, "-t", "-q", "-p", folder, "-c", conf)
    s.procs["nginx"] = subprocess.Popen([harness.stack_module.NGINX, "-p", folder, "-c", conf,
                                         "-g", "daemon off;"], start_new_session=True)
    record(s.procs["nginx"].pid, "nginx")
    deploy.wait_for_port(s.p443, s.procs["nginx"], "nginx")
    status_code, _, body = deploy.fetch(s.p443, "GET", "/")
    assert_equal(status_code, 200, "the home page through nginx and pages.fcgi")
    assert ADMIN_EMAIL.encode() in body, "the page says what the admin put in site.conf"
    status_code, headers, _ = deploy.fetch(s.p443, "GET", "/static/style.css")
    assert_equal(status_code, 200, "a static file from /usr/share/clinic/htdocs")


def step_post_and_open(s):
    """An enquiry through nginx, opened with the installed staff tool."""
    ref = post(s, "Sent through the packaged site, version %s." % s.version)
    opened = open_as_staff()
    assert ref in opened, "the staff tool opens %s: %r" % (ref, sorted(opened))
    assert_equal(opened[ref].get("message"), s.refs[ref], "what was sent")


def step_upgrade(s):
    """The newer packages over the running ones: a post in flight when the
    upgrade restarts contact.fcgi is answered in full, a request that comes
    while no program runs waits in the socket, every enquiry opens after."""
    contact_sock = read_unit(os.path.join(UNITS, "clinic-contact.socket"))["ListenStream"][0]
    pages_sock = read_unit(os.path.join(UNITS, "clinic-pages.socket"))["ListenStream"][0]
    dpkg("-i", *s.debs[s.newer])
    for p in PACKAGES:
        assert_equal(run("dpkg-query", "-W", "-f=${Version}", p).stdout, s.newer, p)
    with open("/etc/clinic/token.key") as f:
        assert_equal(f.read(), s.token_key, "the token key survives the upgrade")
    with open("/etc/clinic/site.conf") as f:
        assert "clinic_email = " + ADMIN_EMAIL in f.read(), "the admin's site.conf is kept"
    assert not glob.glob("/etc/clinic/*.dpkg-*"), glob.glob("/etc/clinic/*.dpkg-*")
    assert os.stat("/var/lib/clinic/content/content.db").st_ino != s.content_inode, \
        "postinst compiled the content database again"

    # What postinst's try-restart does under systemd, contact.fcgi first,
    # with a post in the hands of one of its workers.
    message = "In flight while the upgrade restarted contact.fcgi."
    body = urllib.parse.urlencode(harness.Context(Installed()).form(
        "contact", message=message)).encode()
    in_flight = harness.FastCGIRequest(contact_sock, "POST", "/contact", body,
                                       "application/x-www-form-urlencoded")
    in_flight.send_body(body[:20])
    assert harness.wait_until(lambda: accepted(contact_sock), 20), "a worker took the post"
    s.procs["contact"].send_signal(signal.SIGTERM)
    in_flight.send_body(body[20:])
    in_flight.finish_body()
    answer = in_flight.response().decode("utf-8", "replace")
    assert "Status: 303" in answer, "the post in flight is answered in full: %r" % answer[:300]
    s.refs[re.search(r"ref=(%s)" % harness.REF_PATTERN, answer).group(1)] = message
    assert_equal(stopped(s, "contact"), 0, "contact.fcgi stops cleanly")
    start_service(s, "contact")
    assert_equal(stop_service(s, "pages"), 0, "pages.fcgi stops cleanly")
    waiting = harness.FastCGIRequest(pages_sock, "GET", "/faq")
    waiting.finish_body()
    start_service(s, "pages")
    assert "Status: 200" in waiting.response().decode("utf-8", "replace"), \
        "the request that waited in the socket is served by the new pages.fcgi"

    post(s, "Sent after the upgrade to %s." % s.newer)
    opened = open_as_staff()
    for ref, sent in s.refs.items():
        assert ref in opened, "%s opens after the upgrade: %r" % (ref, sorted(opened))
        assert_equal(opened[ref].get("message"), sent, ref)
    assert_equal(len(opened), 3, "enquiries after the upgrade")


def step_remove(s):
    """Stopped as the units would stop (prerm stops the sockets, and the
    services with them), then dpkg --remove: programs gone, data kept."""
    for name in ("pages", "contact"):
        assert_equal(stop_service(s, name), 0, name + " stops cleanly")
        s.sockets.pop(name).close()
    deploy.stop(s.procs.pop("nginx"))
    dpkg("--remove", *PACKAGES)
    for path in ("/usr/libexec/clinic/pages.fcgi", "/usr/bin/enquiries",
                 "/lib/systemd/system/clinic-pages.socket"):
        assert not os.path.exists(path), path + " is still there after remove"
    db = sqlite3.connect("file:/var/lib/clinic/enquiries/enquiries.db?mode=ro", uri=True)
    try:
        assert_equal(db.execute("SELECT count(*) FROM enquiries").fetchone()[0], 3,
                     "enquiries kept on remove")
    finally:
        db.close()
    for path in ("/etc/clinic/site.conf", "/etc/clinic/token.key"):
        assert os.path.exists(path), path + " kept on remove"


def step_purge(s):
    """dpkg --purge: nothing left that the data policy says goes."""
    dpkg("--purge", *PACKAGES)
    for p in PACKAGES:
        assert_equal(status(p), "not-installed", p)
    left = sorted(scan() - s.before)
    assert not left, "left after purge:\n  " + "\n  ".join(left)
    if not s.had_nginx_cache:
        assert not os.path.exists("/var/cache/nginx"), "/var/cache/nginx left after purge"
    os.unlink(MARKER)


def clean_up(s):
    """Always: nothing of this run keeps running or stays installed."""
    for name in list(s.procs):
        if name == "nginx":
            deploy.stop(s.procs.pop(name))
        else:
            stop_service(s, name)
    for listener in s.sockets.values():
        listener.close()
    if os.path.exists(MARKER):
        purge_ours()
        os.unlink(MARKER)
    for p in PACKAGES:
        assert_equal(status(p), "not-installed", p)
    shutil.rmtree(NEWER, ignore_errors=True)


def assert_equal(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


STEPS = [step_clean_start, step_build, step_lintian, step_contents, step_install,
         step_systemd_analyze, step_start, step_post_and_open, step_upgrade, step_remove,
         step_purge]


def main():
    started = time.time()
    if os.geteuid() != 0:
        print("package: 0 passed, 1 failed (installing packages needs root)")
        return 1
    s = State()
    passed = failed = 0
    broken = None
    for step in STEPS + [clean_up]:
        name = step.__name__.replace("step_", "").replace("_", "-")
        if broken and step is not clean_up:
            print("  skip %-18s (after %s failed)" % (name, broken))
            failed += 1
            continue
        begun = time.time()
        try:
            step(s)
            passed += 1
            print("  ok   %-18s %5.1fs" % (name, time.time() - begun), flush=True)
        except Exception:  # noqa: BLE001 — every failure is reported, none hidden
            failed += 1
            broken = broken or name
            print("  FAIL %-18s %5.1fs" % (name, time.time() - begun))
            print("    " + traceback.format_exc().strip().replace("\n", "\n    "), flush=True)
            if step is clean_up:
                break
    if not failed:
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print("    logs and the staff computer's files: " + WORK)
    print("package: %d passed, %d failed  (%.0fs)" % (passed, failed, time.time() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
