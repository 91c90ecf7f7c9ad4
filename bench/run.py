#!/usr/bin/env python3
"""`make bench`: each figure next to its ceiling, measured in one run on this machine.

Starts the whole stack on loopback (tools/stack.py) with a bench-only config
(rate limit raised, nothing else changed), one nginx with four servers:

  A  the shipped locations with fastcgi_cache turned off, plus the ceilings:
     the same page as a static file, and null FastCGI responders
     (bench/null-responder.c) that answer with bytes captured from our programs;
  B  the shipped locations as they are (the page cache on);
  C  the shipped locations with the forms going to a second contact.fcgi whose
     rate limit is 1 post, for the flood of rate-limited posts;
  D  the same with a third contact.fcgi running 2 workers (one post per commit);

then drives each with wrk (32 connections, 2 threads, 10 s by default; a
figure and its ceiling are measured in the order figure, ceiling, ceiling,
figure for half the time each, so that the machine's drift falls on both) and
times the staff tool over 10,000 sealed enquiries. Prints a table, writes
bench/results/latest.json (and a dated copy) and bench/results/latest.md.

    python3 bench/run.py [--duration 10] [--connections 32] [--threads 2]
                         [--workers 2] [--only NAME,...] [--profile NAME]
                         [--wait-quiet SECONDS] [--keep]

Every figure also records how much CPU other processes took meanwhile; above
5% it is marked as skewed. (make bench passes BENCH_ARGS through.)
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import platform
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
BIN = os.path.join(ROOT, "build", "bench")
RESULTS = os.path.join(BENCH, "results")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402  (its FastCGI client and /proc helpers)
import stack as stack_module  # noqa: E402

PAGE = "/therapies/dynamic-interpersonal-therapy"
# Second and third contact programs, with settings of their own.
CONTACT_VARIANTS = {
    "contact-limited": {"rate_limit_posts": 1},  # every post after the first is refused
    "contact-2-workers": {"contact_workers": 2},  # too few workers to share commits
    # Sealing to a team (envelope format 2): its team_file and team_admin_key
    # are filled in once the team is made.
    "contact-team": {},
}
# The contact variant each extra nginx server sends the forms to.
VARIANT_PORTS = {"C": "contact-limited", "D": "contact-2-workers", "E": "contact-team"}
# The team the accepted-team posts are sealed to: five members who all
# receive contact messages, and the recovery key (6 of 8 key slots used).
TEAM_MEMBERS = ["ana", "ben", "cai", "dev", "eve"]
# Null responders: (name, whose captured bytes it sends).
NULLS = [("page", "page"), ("search", "search"), ("403", "403"), ("429", "429"),
         ("page-libaccept", "page")]
SEARCHES = ["sessions", "therapy", "privacy", "urgent+help", "dit", "how+long", "enquiry",
            "chosen"]
ENQUIRY_COUNT = 10000
TOOL_RUNS = 3
POST_POOL = 100000

MIB = 1024 * 1024
# Other processes using more than this share of the machine make a figure suspect.
BUSY = 0.05


# --- small helpers -----------------------------------------------------------
def say(text):
    print(text, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data, mode=0o644):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.chmod(path, mode)


def cpu_ticks(pid):
    """(user, system) clock ticks a process has used."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]), int(fields[12])
    except OSError:
        return 0, 0


def machine_busy_ticks():
    """CPU ticks the whole machine spent busy, all cores together: process
    time and time stolen by the hypervisor. Interrupt time is left out: it is
    mostly our own loopback traffic and disk, and no process is charged for it."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = fields
    return user + nice + system + steal


def own_ticks():
    """CPU ticks used by this process and everything it started (nginx, the
    programs and their workers, wrk), live or already reaped."""
    parents = {}
    ticks = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        # utime, stime, and the time of children it has reaped
        ticks[int(entry)] = sum(int(x) for x in fields[11:15])
    me = os.getpid()
    total = ticks.get(me, 0)
    for pid in ticks:
        p = parents.get(pid)
        while p and p != me:
            p = parents.get(p)
        if p == me and pid != me:
            total += ticks[pid]
    return total


class OtherLoad:
    """How much CPU other processes took while we measured: a busy machine
    skews every figure, so each result says how quiet it was."""

    def __init__(self):
        self.started = time.monotonic()
        self.busy = machine_busy_ticks()
        self.own = own_ticks()

    def share(self):
        seconds = time.monotonic() - self.started
        other = (machine_busy_ticks() - self.busy) - (own_ticks() - self.own)
        capacity = seconds * os.sysconf("SC_CLK_TCK") * (os.cpu_count() or 1)
        return max(0.0, other / capacity) if capacity else 0.0


def runqueue_wait_ns(pid):
    """Nanoseconds a process has spent runnable but waiting for a CPU."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def fs_type(path):
    best, kind = "", "?"
    with open("/proc/mounts") as f:
        for line in f:
            _, mount, fstype = line.split()[:3]
            if (path == mount or path.startswith(mount.rstrip("/") + "/")) and len(mount) > len(best):
                best, kind = mount, fstype
    return kind


def version_of(cmd, pattern):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except OSError:
        return "?"
    m = re.search(pattern, out.stdout + out.stderr)
    return m.group(1) if m else "?"


def dpkg_version(package):
    return version_of(["dpkg-query", "-W", "-f=${Version}", package], r"(\S+)")


def machine(state):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    distro = "?"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            distro = m.group(1) if m else "?"
    virt = version_of(["systemd-detect-virt"], r"(\S+)") if shutil.which(
        "systemd-detect-virt") else "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / MIB, 1),
        "kernel": platform.release(),
        "os": distro,
        "virtualisation": virt,
        "state_filesystem": fs_type(state),
        "nginx": version_of(["nginx", "-v"], r"nginx/(\S+)"),
        "wrk": version_of(["wrk", "-v"], r"wrk (\S+)"),
        "libfcgi": dpkg_version("libfcgi0ldbl"),
        "sqlite": dpkg_version("libsqlite3-0"),
        "libsodium": dpkg_version("libsodium23"),
    }


# --- capturing exactly what a program sends -----------------------------------
def fcgi_capture(sock_path, method, uri, body=b"", port=80):
    """The CGI header block and body a program writes for one request, with
    the parameters nginx's fastcgi_params would give it."""
    path, _, query = uri.partition("?")
    req = harness.FastCGIRequest(
        sock_path, method, uri, body,
        "application/x-www-form-urlencoded" if body else None,
        extra={"DOCUMENT_URI": path, "SCRIPT_NAME": path, "QUERY_STRING": query,
               "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1",
               "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "localhost",
               "SERVER_PORT": str(port), "HTTP_HOST": "127.0.0.1:%d" % port})
    req.send_body(body)
    req.finish_body()
    return req.response()


def cgi_status(response):
    m = re.match(rb"(?i)status:\s*(\d+)", response)
    return int(m.group(1)) if m else 200


# --- form bodies --------------------------------------------------------------
def token(key, kind, issued):
    mac = hmac.new(key, struct.pack(">Q", issued) + kind.encode(), hashlib.sha512).digest()[:32]
    return base64.urlsafe_b64encode(struct.pack(">Q", issued) + mac).decode().rstrip("=")


def contact_body(key, i, issued, forge=False):
    t = token(key, "contact", issued)
    if forge:  # one changed character of the MAC: a forged token
        t = t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1]
    return urllib.parse.urlencode({
        "name": "Bench Visitor %06d" % i, "email": "visitor%06d@example.org" % i,
        "phone": "", "message": "I would like to ask about therapy for myself. Could "
        "somebody tell me how the first appointment works and how long I might wait?",
        "consent": "yes", "token": t, "website": ""})


# --- the bench ----------------------------------------------------------------
class Bench:
    def __init__(self, args):
        self.args = args
        self.state = tempfile.mkdtemp(prefix="clinic-bench-", dir=args.state_dir)
        self.ports = {name: stack_module.free_port() for name in "ABCDE"}
        self.stack = stack_module.Stack(self.state, self.ports["A"], workers=args.workers,
                                        contact_workers=args.contact_workers,
                                        token_min_age=3, rate_limit_posts=1000000000)
        self.rows = []
        self.results = {}
        self.notes = []

    def path(self, *parts):
        return os.path.join(self.state, *parts)

    # -- set-up ----------------------------------------------------------------
    def setup(self):
        os.makedirs(self.path("bench"), exist_ok=True)
        # The staff key, made by lib's own keyring code with the interactive
        # Argon2id limits, so the tool's timings include a real unlock.
        write(self.stack.passphrase_file, "bench-" + secrets.token_hex(12) + "\n", 0o600)
        run([os.path.join(BIN, "seed"), "keys", self.path("staff.keyring"),
             self.path("staff.pub"), self.stack.passphrase_file])
        self.stack.setup()
        conf = read(self.stack.config).decode()
        team = self.make_team()
        # More contact programs, each with its own config, socket and
        # database (so their posts never count as the main run's).
        for name, settings in CONTACT_VARIANTS.items():
            variant = conf
            settings = dict(settings, contact_listen="unix:" + self.path("run", name + ".sock"),
                            enquiry_db="enquiries-%s.db" % name)
            if name == "contact-team":
                settings.update(team)
            for key, value in settings.items():
                if re.search(r"(?m)^%s = " % key, variant):
                    variant = re.sub(r"(?m)^%s = .*$" % key, "%s = %s" % (key, value), variant)
                else:
                    variant += "%s = %s\n" % (key, value)
            write(self.path("site-%s.conf" % name), variant)
        write(self.path("site-10k.conf"),
              re.sub(r"(?m)^enquiry_db = .*$", "enquiry_db = enquiries-10k.db", conf))
        with open(self.path("token.key")) as f:
            self.token_key = bytes.fromhex(f.read().strip())

    def make_team(self):
        """TEAM_MEMBERS, each with their own keyring, made and published with the
        staff tool (fast key derivation: only sealing is measured): the
        team_file and team_admin_key settings of the contact-team variant."""
        folder = self.path("team")
        os.makedirs(folder, exist_ok=True)
        conf = os.path.join(folder, "site.conf")
        write(conf, "team_key = team.key\nteam_roster = team.roster\n")
        env = dict(os.environ, CLINIC_PWHASH_FAST="1")
        tool = [os.path.join(ROOT, "tools", "enquiries"), "--config", conf,
                "--passphrase-file", self.stack.passphrase_file]
        for name in TEAM_MEMBERS:
            run(tool + ["--keyring", os.path.join(folder, name + ".keyring"), "init", "--name",
                        name], env=env, stdout=subprocess.DEVNULL)
        run(tool + ["team", "init"], env=env, stdout=subprocess.DEVNULL)
        for i, name in enumerate(TEAM_MEMBERS):
            run(tool + ["team", "add", name, os.path.join(folder, name + ".identity")] +
                (["--lead"] if i == 0 else []), env=env, stdout=subprocess.DEVNULL)
        team_file = os.path.join(folder, "team.signed")
        run(tool + ["team", "publish", team_file], env=env, stdout=subprocess.DEVNULL)
        admin = re.search(r"(?m)^admin ([0-9a-f]{64})$", read(team_file).decode()).group(1)
        return {"team_file": team_file, "team_admin_key": admin}

    def start_programs(self):
        self.stack.start_program("pages")
        self.stack.start_program("contact")
        for name in CONTACT_VARIANTS:
            self.start_process(name, [os.path.join(ROOT, "cgi-bin", "contact.fcgi"),
                                      "--config", self.path("site-%s.conf" % name)],
                               self.path("run", name + ".sock"))

    def start_process(self, name, cmd, sock):
        if os.path.exists(sock):
            os.unlink(sock)
        proc = subprocess.Popen(cmd, env=self.stack.env(), start_new_session=True)
        self.stack.procs[name] = proc
        stack_module.wait_for(lambda: os.path.exists(sock) or proc.poll() is not None, 10,
                              name + " socket")
        if proc.poll() is not None:
            raise RuntimeError("%s exited at start" % name)

    def capture(self):
        """The exact bytes each null responder will send, from our programs."""
        run_dir = self.path("run")
        page = fcgi_capture(os.path.join(run_dir, "pages.sock"), "GET", PAGE)
        search = fcgi_capture(os.path.join(run_dir, "pages.sock"), "GET",
                              "/faq?q=" + SEARCHES[0])
        now = int(time.time())
        forged = fcgi_capture(os.path.join(run_dir, "contact.sock"), "POST", "/contact",
                              contact_body(self.token_key, 0, now - 10, forge=True).encode())
        limited_sock = os.path.join(run_dir, "contact-limited.sock")
        first = fcgi_capture(limited_sock, "POST", "/contact",
                             contact_body(self.token_key, 0, now - 10).encode())
        limited = fcgi_capture(limited_sock, "POST", "/contact",
                               contact_body(self.token_key, 1, now - 10).encode())
        for what, response, status in (("page", page, 200), ("search", search, 200),
                                       ("forged-token post", forged, 403),
                                       ("first post to the limited program", first, 303),
                                       ("second post to the limited program", limited, 429)):
            if cgi_status(response) != status:
                raise RuntimeError("%s: expected %d, got %d:\n%s" % (
                    what, status, cgi_status(response), response[:400].decode("utf-8",
                                                                              "replace")))
        self.page_body = page.split(b"\r\n\r\n", 1)[1]
        write(self.path("bench", "page.html"), self.page_body)
        for name, response in (("page", page), ("search", search), ("403", forged),
                               ("429", limited)):
            write(self.path("bench", "null-%s.response" % name), response)
        self.response_sizes = {"page": len(self.page_body),
                               "search": len(search.split(b"\r\n\r\n", 1)[1]),
                               "403": len(forged.split(b"\r\n\r\n", 1)[1]),
                               "429": len(limited.split(b"\r\n\r\n", 1)[1])}

    def start_nulls(self):
        for name, response in NULLS:
            sock = self.path("run", "null-%s.sock" % name)
            extra = ["--library-accept"] if name.endswith("-libaccept") else []
            # As many workers as the program each one stands in for.
            workers = self.args.contact_workers if name in ("403", "429") else self.args.workers
            self.start_process("null-" + name,
                               [os.path.join(BIN, "null-responder")] + extra +
                               [sock, str(workers),
                                self.path("bench", "null-%s.response" % response)], sock)

    def write_nginx(self):
        nginx_dir = self.path("nginx")
        shipped = read(os.path.join(nginx_dir, "clinic-locations.conf")).decode()
        if "fastcgi_cache clinic_pages;" not in shipped:
            raise RuntimeError("the shipped clinic-locations.conf no longer says "
                               "`fastcgi_cache clinic_pages;`: update bench/run.py")
        write(os.path.join(nginx_dir, "bench-nocache-locations.conf"),
              "# make bench: the shipped locations with nginx's page cache off.\n" +
              shipped.replace("fastcgi_cache clinic_pages;", "fastcgi_cache off;"))
        contact_sock = self.path("run", "contact.sock")
        if contact_sock not in shipped:
            raise RuntimeError("the shipped locations do not name %s" % contact_sock)
        for name in CONTACT_VARIANTS:
            write(os.path.join(nginx_dir, "bench-%s-locations.conf" % name),
                  "# make bench: the shipped locations, the forms going to %s.\n" % name +
                  shipped.replace(contact_sock, self.path("run", name + ".sock")))
        headers = os.path.join(nginx_dir, "clinic-headers.conf")
        fcgi = ("\tinclude /etc/nginx/fastcgi_params;\n"
                "\tfastcgi_max_temp_file_size 0;\n")
        post_buffers = "\tfastcgi_buffers 16 16k;\n\tfastcgi_buffer_size 16k;\n"
        ceilings = ["# make bench: the ceilings, each configured like the location it is "
                    "compared with.",
                    "location = /bench/page.html {\n\tinclude %s;\n\talias %s;\n}" % (
                        headers, self.path("bench", "page.html"))]
        for name, _ in NULLS:
            extra = post_buffers if name in ("403", "429") else ""
            ceilings.append("location = /bench/null-%s {\n\tfastcgi_pass unix:%s;\n%s%s}" % (
                name, self.path("run", "null-%s.sock" % name), fcgi, extra))
        write(os.path.join(nginx_dir, "bench-ceilings.conf"), "\n".join(ceilings) + "\n")
        servers = ""
        for port, includes in ((self.ports["A"], ["bench-ceilings.conf",
                                                  "bench-nocache-locations.conf"]),
                               (self.ports["B"], ["bench-ceilings.conf", "clinic-locations.conf"]),
                               ) + tuple((self.ports[port], ["bench-%s-locations.conf" % name])
                                         for port, name in sorted(VARIANT_PORTS.items())):
            servers += ("\tserver {\n\t\tlisten 127.0.0.1:%d;\n\t\tserver_name localhost;\n"
                        "\t\taccess_log %s clinic_private;\n" % (
                            port, self.path("log", "nginx-access.log")))
            servers += "".join("\t\tinclude %s;\n" % os.path.join(nginx_dir, i) for i in includes)
            servers += "\t}\n"
        conf = stack_module.NGINX_CONF.format(state=self.state, port=self.ports["A"],
                                              user="user root root;" if os.geteuid() == 0
                                              else "")
        # The stack's own nginx.conf, with its one server replaced by ours.
        start = conf.index("\tserver {")
        end = conf.rindex("}")
        conf = conf[:start] + servers + conf[end:]
        write(os.path.join(nginx_dir, "nginx.conf"), conf)

    def check_pages(self):
        """Every GET compared serves the same body before anything is measured."""
        for port, path in ((self.ports["A"], PAGE), (self.ports["A"], "/bench/page.html"),
                           (self.ports["A"], "/bench/null-page"), (self.ports["B"], PAGE)):
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
                body = r.read()
            if body != self.page_body:
                raise RuntimeError("http://127.0.0.1:%d%s does not serve the page's bytes" % (
                    port, path))

    # -- measuring ---------------------------------------------------------------
    def workers(self, program):
        proc = self.stack.procs.get(program)
        return harness.worker_pids(proc.pid) if proc else []

    def snapshot(self, program):
        pids = self.workers(program)
        ticks = [cpu_ticks(p) for p in pids]
        return {"pids": pids, "rss_kib": [harness.rss_kib(p) for p in pids],
                "user_ticks": sum(t[0] for t in ticks), "system_ticks": sum(t[1] for t in ticks),
                "runqueue_wait_ns": sum(runqueue_wait_ns(p) for p in pids)}

    def wrk(self, url, script, script_args=(), duration=None, profile=None):
        a = self.args
        cmd = ["wrk", "-t", str(a.threads), "-c", str(a.connections), "-d",
               "%ds" % (duration or a.duration), "--timeout", "5s",
               "-s", os.path.join(BENCH, script), url]
        if script_args:
            cmd += ["--"] + [str(x) for x in script_args]
        perf = None
        if profile:
            perf = subprocess.Popen(["perf", "record", "-a", "-g", "-e", "cpu-clock", "-F",
                                     "499", "-o", profile, "--", "sleep",
                                     str(duration or a.duration)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=(duration or a.duration) + 60)
        if perf:
            perf.wait()
        m = re.search(r"^BENCH-JSON (.*)$", out.stdout, re.M)
        if out.returncode != 0 or not m:
            raise RuntimeError("wrk failed (%d): %s %s" % (out.returncode, out.stdout[-800:],
                                                            out.stderr[-800:]))
        r = json.loads(m.group(1))
        r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
        return r

    def wait_quiet(self):
        """With --wait-quiet, waits (up to that many seconds) for a second in
        which other processes use less than BUSY of the machine."""
        deadline = time.monotonic() + self.args.wait_quiet
        while time.monotonic() < deadline:
            others = OtherLoad()
            time.sleep(1)
            if others.share() < BUSY:
                return

    def measure(self, name, what, url, script="get.lua", script_args=(), program=None,
                before_run=None, duration=None, warmup=True):
        """A warm-up, then the measured run; worker RSS and CPU before and after."""
        if warmup and self.args.warmup > 0:
            self.wrk(url, script, script_args, duration=self.args.warmup)
        profile = None
        if self.args.profile == name:
            profile = os.path.join(RESULTS, "perf-%s.data" % name)
        # With --wait-quiet, a run that other processes disturbed is done again
        # (twice at most); the last attempt is the one reported.
        attempts = 3 if self.args.wait_quiet else 1
        for attempt in range(attempts):
            self.wait_quiet()
            if before_run:
                before_run()
            before = self.snapshot(program) if program else None
            others = OtherLoad()
            r = self.wrk(url, script, script_args, duration=duration, profile=profile)
            other_share = others.share()
            if other_share <= BUSY or attempt + 1 == attempts:
                break
            say("  %-22s other processes took %.0f%% of the CPU: measuring again" % (
                name, other_share * 100))
        row = {"name": name, "what": what, "rps": r["rps"], "p50_ms": r["p50_us"] / 1000,
               "p90_ms": r["p90_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
               "max_ms": r["max_us"] / 1000, "requests": r["requests"], "errors": r["errors"],
               "statuses": {int(k): v for k, v in r["statuses"].items()},
               "other_cpu_share": round(other_share, 3)}
        if program:
            after = self.snapshot(program)
            tick = os.sysconf("SC_CLK_TCK")
            row["program"] = program
            row["rss_before_kib"] = before["rss_kib"]
            row["rss_after_kib"] = after["rss_kib"]
            row["workers_restarted"] = before["pids"] != after["pids"]
            if before["pids"] == after["pids"] and r["requests"]:
                for kind in ("user", "system"):
                    row["worker_%s_us_per_request" % kind] = round(
                        (after[kind + "_ticks"] - before[kind + "_ticks"]) * 1e6 / tick /
                        r["requests"], 1)
                # Time a worker was ready to run but had no CPU: contention.
                row["worker_cpu_wait_us_per_request"] = round(
                    (after["runqueue_wait_ns"] - before["runqueue_wait_ns"]) / 1000 /
                    r["requests"], 1)
        if profile:
            row["profile"] = os.path.relpath(self.perf_report(profile, program), ROOT)
        self.results[name] = row
        say("  %-22s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms%s%s" % (
            name, row["rps"], row["p50_ms"], row["p99_ms"],
            "  (other processes: %.0f%% CPU)" % (other_share * 100) if other_share > BUSY else "",
            "" if not program else "  %s RSS %s -> %s KiB" % (
                program, max(row["rss_before_kib"] or [0]), max(row["rss_after_kib"] or [0]))))
        return row

    def measure_pair(self, figure, ceiling):
        """A figure and its ceiling measured in the order figure, ceiling,
        ceiling, figure, each for half the time: whatever the machine drifts
        by during the pair (other tenants, clocks, caches) falls on both
        alike. Each is (name, what, url, options) as for measure()."""
        half = max(1, self.args.duration // 2)
        rows = {}
        for name, what, url, options in (figure, ceiling, ceiling, figure):
            if not self.wanted(name):
                continue
            row = self.measure(name, what, url, duration=half, warmup=name not in rows,
                               **options)
            rows[name] = merge_halves(rows[name], row) if name in rows else row
        self.results.update(rows)

    def perf_report(self, data, program):
        """Where the CPU went: by process, then inside the program by symbol
        (with callers), then inside nginx."""
        report = data[:-len(".data")] + ".txt"
        base = ["perf", "report", "-i", data, "--stdio", "--no-children"]
        comm = None
        if program:
            comm = "null-responder" if program.startswith("null-") else (
                program.split("-")[0] + ".fcgi")
        comms = [c for c in (comm, "nginx") if c]
        with open(report, "w") as f:
            f.write("# CPU by process (all CPUs, cpu-clock samples)\n")
            f.flush()
            subprocess.run(base + ["--sort", "comm", "-g", "none", "--percent-limit", "0.5"],
                           stdout=f, stderr=subprocess.DEVNULL)
            for comm in comms:
                f.write("\n# %s by library\n" % comm)
                f.flush()
                subprocess.run(base + ["--comms", comm, "--sort", "dso", "-g", "none"],
                               stdout=f, stderr=subprocess.DEVNULL)
                f.write("\n# %s by symbol, with callers\n" % comm)
                f.flush()
                subprocess.run(base + ["--comms", comm, "--sort", "dso,symbol", "-G",
                                       "--percent-limit", "0.3"],
                               stdout=f, stderr=subprocess.DEVNULL)
        return report

    def enquiry_count(self, db="enquiries.db"):
        path = self.path(db)
        if not os.path.exists(path):
            return 0
        conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM enquiries").fetchone()[0]
        finally:
            conn.close()

    def sealed_size(self, db="enquiries.db"):
        conn = sqlite3.connect("file:%s?mode=ro" % self.path(db), uri=True, timeout=30)
        try:
            return int(conn.execute("SELECT avg(length(sealed)) FROM enquiries").fetchone()[0])
        finally:
            conn.close()

    def team_row_bytes(self):
        """The size of a contact message sealed to the bench's team (a warm-up post)."""
        if not hasattr(self, "_team_row_bytes"):
            sock = self.path("run", "contact-team.sock")
            response = fcgi_capture(sock, "POST", "/contact", contact_body(
                self.token_key, 999999, int(time.time()) - 10).encode())
            if cgi_status(response) != 303:
                raise RuntimeError("contact-team did not take a post: %r" % response[:300])
            self._team_row_bytes = self.sealed_size("enquiries-contact-team.db")
        return self._team_row_bytes

    def wanted(self, name):
        return not self.args.only or name in self.args.only

    def phase_pages(self):
        """Each figure right next to its ceiling, so that both see the same machine."""
        a = "http://127.0.0.1:%d" % self.ports["A"]
        b = "http://127.0.0.1:%d" % self.ports["B"]
        runs = [
            ("page-nocache", "content page GET, pages.fcgi, nginx cache off", a + PAGE,
             {"program": "pages"}),
            ("null-page", "the same bytes from the null FastCGI responder",
             a + "/bench/null-page", {"program": "null-page"}),
            ("null-page-libaccept", "the null responder with libfcgi's own accept loop",
             a + "/bench/null-page-libaccept", {"program": "null-page-libaccept"}),
            ("page-cache", "content page GET, shipped nginx cache on", b + PAGE,
             {"program": "pages"}),
            ("static", "the same bytes as a static file (nginx)", a + "/bench/page.html", {}),
            ("search", "/faq?q=... search (%d queries in turn), cache off" % len(SEARCHES),
             a + "/faq", {"script": "search.lua", "script_args": ["/faq"] + SEARCHES,
                          "program": "pages"}),
            ("null-search", "one search's bytes from the null responder",
             a + "/bench/null-search", {"program": "null-search"}),
        ]
        by_name = {r[0]: r for r in runs}
        for figure, ceiling in (("page-nocache", "null-page"), ("page-cache", "static"),
                                ("search", "null-search")):
            self.measure_pair(by_name[figure], by_name[ceiling])
        if self.wanted("null-page-libaccept"):
            name, what, url, options = by_name["null-page-libaccept"]
            self.measure(name, what, url, **options)

    def write_bodies(self):
        issued = int(time.time()) - 10
        valid, forged = [], []
        for i in range(POST_POOL):
            # Tokens issued 10 to 69 seconds ago: past the minimum age, each
            # one different, and every name distinct.
            valid.append(contact_body(self.token_key, i, issued - i % 60))
            forged.append(contact_body(self.token_key, i, issued - i % 60, forge=True))
        write(self.path("bench", "posts.txt"), "\n".join(valid) + "\n")
        write(self.path("bench", "forged-posts.txt"), "\n".join(forged) + "\n")

    def commit_ceiling(self, name, processes, what, row_bytes):
        db = self.path(name + ".db")
        for attempt in range(3 if self.args.wait_quiet else 1):
            self.wait_quiet()
            others = OtherLoad()
            out = subprocess.run([os.path.join(BIN, "commit-ceiling"), db,
                                  str(min(self.args.duration, 5)), str(row_bytes),
                                  str(processes)], capture_output=True, text=True, check=True)
            other_share = others.share()
            for suffix in ("", "-wal", "-shm", ".lock"):
                if os.path.exists(db + suffix):
                    os.unlink(db + suffix)
            if other_share <= BUSY:
                break
        r = json.loads(out.stdout)
        self.results[name] = {
            "name": name, "what": what, "rps": r["per_second"], "p50_ms": r["p50_ms"],
            "p99_ms": r["p99_ms"], "requests": r["commits"], "row_bytes": row_bytes,
            "processes": processes, "other_cpu_share": round(other_share, 3)}
        say("  %-22s %9.0f commits/s  p50 %7.2f ms  p99 %7.2f ms%s" % (
            name, r["per_second"], r["p50_ms"], r["p99_ms"],
            "  (other processes: %.0f%% CPU)" % (other_share * 100)
            if other_share > BUSY else ""))

    def accepted(self, name, what, base, program, db):
        """Posts that are sealed and committed; then every 303 must have its row."""
        posts = self.path("bench", "posts.txt")
        counted = {}

        def count_before():
            counted["before"] = self.enquiry_count(db)

        row = self.measure(name, what, base + "/contact", script="post.lua",
                           script_args=["/contact", posts, self.args.threads], program=program,
                           before_run=count_before)
        # Requests still in flight when wrk stopped may commit a moment later.
        stable = None
        for _ in range(50):
            time.sleep(0.1)
            n = self.enquiry_count(db)
            if n == stable:
                break
            stable = n
        committed = stable - counted["before"]
        answered = row["statuses"].get(303, 0)
        row["committed"] = committed
        row["answered_303"] = answered
        row["lost"] = max(0, answered - committed)
        row["committed_unanswered"] = max(0, committed - answered)
        say("  %-22s %d answered 303, %d rows committed, %d lost" % (
            "", answered, committed, row["lost"]))

    def phase_posts(self):
        a = "http://127.0.0.1:%d" % self.ports["A"]
        c = "http://127.0.0.1:%d" % self.ports["C"]
        posts = self.path("bench", "posts.txt")
        forged = self.path("bench", "forged-posts.txt")
        threads = self.args.threads
        if self.wanted("accepted"):
            self.accepted("accepted", "form posts accepted: sealed, committed "
                          "(synchronous=FULL), 303", a, "contact", "enquiries.db")
            row_bytes = self.sealed_size()
        else:
            row_bytes = 1072
        if self.wanted("accepted-team"):
            self.accepted("accepted-team", "the same posts sealed to a team of %d and the "
                          "recovery key (format 2, %d-byte rows)" % (
                              len(TEAM_MEMBERS), self.team_row_bytes()),
                          "http://127.0.0.1:%d" % self.ports["E"], "contact-team",
                          "enquiries-contact-team.db")
        for name, processes, what in (
                ("commit-ceiling", 1, "SQLite insert loop, one process, WAL, synchronous=FULL, "
                 "%d-byte rows" % row_bytes),
                ("commit-ceiling-2-writers", 2, "the same loop in 2 processes taking turns under "
                 "a flock, as the store's writers do")):
            if self.wanted(name):
                self.commit_ceiling(name, processes, what, row_bytes)
        if self.wanted("accepted-2-workers"):
            self.accepted("accepted-2-workers", "the same with 2 contact workers: too few "
                          "to share a commit", "http://127.0.0.1:%d" % self.ports["D"],
                          "contact-2-workers", "enquiries-contact-2-workers.db")
        self.measure_pair(
            ("refused-token", "form posts refused: forged token (403)", a + "/contact",
             {"script": "post.lua", "script_args": ["/contact", forged, threads],
              "program": "contact"}),
            ("null-403", "the 403 page's bytes from the null responder, same posts",
             a + "/bench/null-403", {"script": "post.lua",
                                     "script_args": ["/bench/null-403", forged, threads],
                                     "program": "null-403"}))
        self.measure_pair(
            ("refused-limit", "form posts refused: rate limited (429)", c + "/contact",
             {"script": "post.lua", "script_args": ["/contact", posts, threads],
              "program": "contact-limited"}),
            ("null-429", "the 429 page's bytes from the null responder, same posts",
             a + "/bench/null-429", {"script": "post.lua",
                                     "script_args": ["/bench/null-429", posts, threads],
                                     "program": "null-429"}))

    def time_command(self, cmd, env, out_path):
        times = []
        for _ in range(TOOL_RUNS):
            with open(out_path, "wb") as out:
                started = time.monotonic()
                result = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, env=env,
                                        timeout=300)
                times.append((time.monotonic() - started) * 1000)
            if result.returncode != 0:
                raise RuntimeError("%s exited %d: %s" % (" ".join(cmd[-3:]), result.returncode,
                                                         result.stderr.decode()[:400]))
        return times

    def phase_tool(self):
        if not any(self.wanted(n) for n in ("list", "export", "stats")):
            return
        say("  sealing %d enquiries for the staff tool..." % ENQUIRY_COUNT)
        db = self.path("enquiries-10k.db")
        run([os.path.join(BIN, "seed"), "enquiries", db, self.path("staff.pub"),
             str(ENQUIRY_COUNT)])
        others = OtherLoad()
        floors = [json.loads(run([os.path.join(BIN, "seed"), "open", db,
                                  self.path("staff.keyring"), self.stack.passphrase_file],
                                 capture_output=True, text=True).stdout)
                  for _ in range(TOOL_RUNS)]
        totals = [f["unlock_ms"] + f["open_ms"] for f in floors]
        unlock_ms = statistics.median(f["unlock_ms"] for f in floors)
        open_ms = statistics.median(f["open_ms"] for f in floors)
        self.results["open-floor"] = {
            "name": "open-floor", "what": "unlock + open and decode all %d (lib, no output)" %
            floors[0]["rows"], "p50_ms": statistics.median(totals), "max_ms": max(totals),
            "unlock_ms": unlock_ms, "open_ms": open_ms,
            "other_cpu_share": round(others.share(), 3)}
        say("  %-22s unlock %.0f ms + open %d rows %.0f ms (medians of %d)" % (
            "open-floor", unlock_ms, floors[0]["rows"], open_ms, TOOL_RUNS))
        tool = os.path.join(ROOT, "tools", "enquiries")
        env = dict(os.environ)
        env.pop("CLINIC_PWHASH_FAST", None)
        base = [tool, "--config", self.path("site-10k.conf"), "--passphrase-file",
                self.stack.passphrase_file]
        for name, args, what in (
                ("stats", ["stats"], "enquiries stats (no key: a walk of the rows)"),
                ("list", ["list"], "enquiries list, %d enquiries" % ENQUIRY_COUNT),
                ("export", ["export", "--format", "json"],
                 "enquiries export --format json, %d enquiries" % ENQUIRY_COUNT)):
            if not self.wanted(name):
                continue
            row = {"name": name, "what": what, "kind": "tool"}
            out_path = self.path("bench", "%s.out" % name)
            try:
                if not os.path.exists(tool):
                    raise RuntimeError("tools/enquiries is not built")
                others = OtherLoad()
                times = self.time_command(base + args, env, out_path)
                row["other_cpu_share"] = round(others.share(), 3)
                row.update({"runs": len(times), "p50_ms": statistics.median(times),
                            "max_ms": max(times), "runs_ms": [round(t, 1) for t in times],
                            "output_bytes": os.path.getsize(out_path)})
                if name == "export":
                    row["exported"] = count_exported(out_path)
                    if row["exported"] != ENQUIRY_COUNT:
                        raise RuntimeError("export wrote %d enquiries, not %d" % (
                            row["exported"], ENQUIRY_COUNT))
                say("  %-22s median %7.0f ms  slowest %7.0f ms  (%d runs)" % (
                    name, row["p50_ms"], row["max_ms"], len(times)))
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                row["unavailable"] = str(e)
                say("  %-22s not measured: %s" % (name, e))
            self.results[name] = row

    # -- the whole run -------------------------------------------------------------
    def go(self):
        started = time.time()
        self.others = OtherLoad()
        say("make bench: state in %s (%s)" % (self.state, fs_type(self.state)))
        self.setup()
        self.start_programs()
        self.capture()
        self.start_nulls()
        self.write_nginx()
        self.stack.start_nginx()
        self.check_pages()
        self.write_bodies()
        idle = {p: self.snapshot(p)["rss_kib"] for p in ("pages", "contact")}
        say("  %d s per run after a %d s warm-up, %d connections, %d wrk threads, %d workers "
            "(contact: %d)" % (self.args.duration, self.args.warmup, self.args.connections,
                               self.args.threads, self.args.workers, self.args.contact_workers))
        self.phase_pages()
        self.phase_posts()
        self.phase_tool()
        final = {p: self.snapshot(p)["rss_kib"] for p in ("pages", "contact")}
        return {
            "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "git": git_describe(),
            "machine": machine(self.state),
            "settings": {"duration_s": self.args.duration, "warmup_s": self.args.warmup,
                         "connections": self.args.connections, "threads": self.args.threads,
                         "workers": self.args.workers,
                         "contact_workers": self.args.contact_workers, "page": PAGE, "searches": SEARCHES,
                         "response_bytes": self.response_sizes},
            "rss_kib": {"idle": idle, "final": final},
            "other_cpu_share": round(self.others.share(), 3),
            "results": self.results,
            "seconds": round(time.time() - started, 1),
        }

    def close(self):
        self.stack.stop()
        if self.args.keep:
            say("state kept in %s" % self.state)
        else:
            shutil.rmtree(self.state, ignore_errors=True)


def merge_halves(first, second):
    """One row from two measured halves of the same run: rates from the
    totals, the median-like figures weighted by requests, the tails and the
    CPU wait from the worse half, memory from before the first to after the
    second."""
    n1, n2 = first["requests"], second["requests"]
    seconds = n1 / first["rps"] + n2 / second["rps"] if first["rps"] and second["rps"] else 0
    row = dict(second)
    row["requests"] = n1 + n2
    row["rps"] = (n1 + n2) / seconds if seconds else 0
    for counts in ("errors", "statuses"):
        row[counts] = {k: first[counts].get(k, 0) + second[counts].get(k, 0)
                       for k in set(first[counts]) | set(second[counts])}
    for key in ("p50_ms", "p90_ms"):
        row[key] = (first[key] * n1 + second[key] * n2) / (n1 + n2) if n1 + n2 else 0
    for key in ("p99_ms", "max_ms", "other_cpu_share"):
        row[key] = max(first[key], second[key])
    if "rss_before_kib" in first:
        row["rss_before_kib"] = first["rss_before_kib"]
        row["workers_restarted"] = first["workers_restarted"] or second["workers_restarted"]
    for key in ("worker_user_us_per_request", "worker_system_us_per_request",
                "worker_cpu_wait_us_per_request"):
        if key in first and key in second and n1 + n2:
            row[key] = round((first[key] * n1 + second[key] * n2) / (n1 + n2), 1)
        else:
            row.pop(key, None)
    row["halves"] = 2
    return row


def count_exported(path):
    text = read(path).decode("utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return sum(1 for line in text.splitlines() if line.strip().startswith("{"))
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if lists else [data]
    return len(data)


def git_describe():
    out = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


# --- the report ---------------------------------------------------------------
# (row, its ceiling, target ratio or None, p99 limit in ms or None)
COMPARISONS = [
    ("page-nocache", "null-page", 0.9, 5),
    ("null-page", None, None, None),
    ("null-page-libaccept", "null-page", None, None),
    ("page-cache", "static", 0.8, 5),
    ("static", None, None, None),
    ("search", "null-search", None, None),
    ("null-search", None, None, None),
    ("accepted", "commit-ceiling", 0.8, 20),
    ("commit-ceiling", None, None, None),
    ("commit-ceiling-2-writers", "commit-ceiling", None, None),
    ("accepted-2-workers", "commit-ceiling", None, None),
    ("accepted-team", "commit-ceiling", 0.8, 20),
    ("refused-token", "null-403", 0.8, None),
    ("null-403", None, None, None),
    ("refused-limit", "null-429", 0.8, None),
    ("null-429", None, None, None),
]
RSS_LIMIT_KIB = 8 * 1024
RSS_FLAT_KIB = 256


def mib(kib_list):
    values = [k for k in kib_list or [] if k is not None]
    return "%.1f" % (max(values) / 1024) if values else "—"


def evaluate(report):
    """Fills in ratios and the targets, met or missed and by how much."""
    res = report["results"]
    targets = []

    def skewed(*names):
        return any(res.get(n, {}).get("other_cpu_share", 0) > BUSY for n in names)

    for name, ceiling, want, p99_limit in COMPARISONS:
        row = res.get(name)
        if not row:
            continue
        if ceiling and ceiling in res and res[ceiling].get("rps"):
            row["ceiling"] = ceiling
            row["ratio"] = row["rps"] / res[ceiling]["rps"]
            if want is not None:
                targets.append({"target": "%s >= %.1fx %s" % (name, want, ceiling),
                                "met": row["ratio"] >= want,
                                "measured": "%.2fx" % row["ratio"],
                                "by": "%+.0f%%" % ((row["ratio"] / want - 1) * 100),
                                "skewed": skewed(name, ceiling)})
        if p99_limit is not None:
            targets.append({"target": "%s p99 < %d ms at %d connections" % (
                name, p99_limit, report["settings"]["connections"]),
                "met": row["p99_ms"] < p99_limit, "measured": "%.2f ms" % row["p99_ms"],
                "by": "%+.0f%%" % ((row["p99_ms"] / p99_limit - 1) * 100),
                "skewed": skewed(name)})
    for name in ("accepted", "accepted-2-workers", "accepted-team"):
        row = res.get(name)
        if row:
            targets.append({"target": "%s: nothing lost (rows committed >= 303s seen)" % name,
                            "met": row["lost"] == 0, "measured": "%d lost of %d" % (
                                row["lost"], row["answered_303"]), "by": ""})
    floor = res.get("open-floor")
    for name in ("list", "export", "stats"):
        row = res.get(name)
        if row and floor and "p50_ms" in row and name != "stats":
            row["ceiling"] = "open-floor"
            row["ratio"] = floor["p50_ms"] / row["p50_ms"]
    # Worker memory: under the limit everywhere, and flat from the first
    # measured run to the last (the first fills the page cache).
    programs = []
    for name, *_ in COMPARISONS:
        program = res.get(name, {}).get("program")
        if program and not program.startswith("null-") and program not in programs:
            programs.append(program)
    for program in programs:
        rows = [res[n] for n, *_ in COMPARISONS if res.get(n, {}).get("program") == program]
        if not rows:
            continue
        peak = max(k for r in rows for k in r["rss_after_kib"] if k is not None)
        growth = (max(k for k in rows[-1]["rss_after_kib"] if k is not None) -
                  max(k for k in rows[0]["rss_after_kib"] if k is not None))
        restarted = any(r.get("workers_restarted") for r in rows)
        targets.append({"target": "%s worker RSS < 8 MiB" % program, "met": peak < RSS_LIMIT_KIB,
                        "measured": "%.1f MiB" % (peak / 1024),
                        "by": "%+.0f%%" % ((peak / RSS_LIMIT_KIB - 1) * 100)})
        targets.append({"target": "%s worker RSS flat (grows < %d KiB after the first run)" % (
            program, RSS_FLAT_KIB), "met": growth < RSS_FLAT_KIB and not restarted,
            "measured": "%+d KiB%s" % (growth, ", workers restarted" if restarted else ""),
            "by": ""})
    report["targets"] = targets


def table(report):
    res = report["results"]
    lines = ["| run | what | req/s | p50 ms | p99 ms | ceiling | ratio | worker RSS before → "
             "after, MiB | worker CPU µs/req: user + sys (waiting for a CPU) |",
             "| --- | --- | ---: | ---: | ---: | --- | ---: | --- | ---: |"]
    for name, *_ in COMPARISONS:
        row = res.get(name)
        if not row:
            continue
        rss = cpu = ""
        if row.get("program"):
            rss = "%s → %s (%s)" % (mib(row["rss_before_kib"]), mib(row["rss_after_kib"]),
                                    row["program"])
        if "worker_user_us_per_request" in row:
            cpu = "%.0f + %.0f (%.0f)" % (row["worker_user_us_per_request"],
                                          row["worker_system_us_per_request"],
                                          row["worker_cpu_wait_us_per_request"])
        busy = row.get("other_cpu_share", 0) > BUSY
        lines.append("| %s%s | %s | %.0f | %.2f | %.2f | %s | %s | %s | %s |" % (
            name, " ⚠" if busy else "", row["what"], row["rps"], row["p50_ms"], row["p99_ms"],
            row.get("ceiling", ""), "%.2f" % row["ratio"] if "ratio" in row else "", rss, cpu))
    tool_rows = [res[n] for n in ("open-floor", "stats", "list", "export") if n in res]
    if tool_rows:
        lines += ["", "| staff tool | what | median ms | slowest ms | ceiling | ratio |",
                  "| --- | --- | ---: | ---: | --- | ---: |"]
        for row in tool_rows:
            if row.get("unavailable"):
                lines.append("| %s | %s | — | — | | not measured: %s |" % (
                    row["name"], row["what"], row["unavailable"]))
                continue
            lines.append("| %s%s | %s | %.0f | %s | %s | %s |" % (
                row["name"], " ⚠" if row.get("other_cpu_share", 0) > BUSY else "",
                row["what"], row["p50_ms"],
                "%.0f" % row["max_ms"] if "max_ms" in row else "",
                row.get("ceiling", ""), "%.2f" % row["ratio"] if "ratio" in row else ""))
        if "open-floor" in res:
            lines.append("")
            lines.append("Unlocking the keyring (Argon2id, interactive limits) takes %.0f ms of "
                         "every command that opens enquiries." % res["open-floor"]["unlock_ms"])
    for name in ("accepted", "accepted-2-workers", "accepted-team"):
        acc = res.get(name)
        if acc:
            lines += ["", "%s: %d answered 303, %d rows committed in the same window "
                      "(%d committed as wrk stopped, answer unread), %d lost." % (
                          name, acc["answered_303"], acc["committed"],
                          acc["committed_unanswered"], acc["lost"])]
    lines += ["", "| target | measured | met |", "| --- | --- | --- |"]
    for t in report["targets"]:
        lines.append("| %s | %s | %s%s |" % (t["target"], t["measured"],
                                             "yes" if t["met"] else "**no** (%s)" % t["by"],
                                             " ⚠ skewed" if t.get("skewed") else ""))
    m = report["machine"]
    s = report["settings"]
    lines += ["", "Machine: %s, %d cores, %.1f GiB, %s, kernel %s%s; state on %s. nginx %s, "
              "libfcgi %s, SQLite %s, libsodium %s, wrk %s." % (
                  m["cpu"], m["cores"], m["memory_gib"], m["os"], m["kernel"],
                  "" if m["virtualisation"] in ("none", "?") else " (%s)" % m["virtualisation"],
                  m["state_filesystem"], m["nginx"], m["libfcgi"], m["sqlite"], m["libsodium"],
                  m["wrk"]),
              "Run: %s, %s; wrk %d threads, %d connections, %d s per run after %d s warm-up "
              "(a figure and its ceiling in the order figure, ceiling, ceiling, figure, half "
              "the time each); "
              "%d workers for pages.fcgi, %d for contact.fcgi (null responders: as many as the "
              "program each stands in for); "
              "everything (wrk included) on the same cores; %.0f s in "
              "all; other processes took %.0f%% of the CPU during the run." % (
                  report["when"], report["git"], s["threads"], s["connections"], s["duration_s"],
                  s["warmup_s"], s["workers"], s.get("contact_workers", s["workers"]),
                  report["seconds"],
                  report["other_cpu_share"] * 100)]
    busy = [r["name"] for r in res.values() if r.get("other_cpu_share", 0) > BUSY]
    if busy:
        lines.append("⚠ other processes took more than %.0f%% of the CPU during %s: those "
                     "figures are skewed; run again on a quiet machine." % (
                         BUSY * 100, ", ".join(busy)))
    return "\n".join(lines)


def compare(report, previous):
    lines = []
    for name, row in report["results"].items():
        old = previous.get("results", {}).get(name)
        if not old:
            continue
        if row.get("rps") and old.get("rps"):
            lines.append("  %-16s req/s %9.0f -> %9.0f (%+.0f%%)   p99 %.2f -> %.2f ms" % (
                name, old["rps"], row["rps"], (row["rps"] / old["rps"] - 1) * 100,
                old["p99_ms"], row["p99_ms"]))
        elif row.get("p50_ms") and old.get("p50_ms"):
            lines.append("  %-16s median %7.0f -> %7.0f ms (%+.0f%%)" % (
                name, old["p50_ms"], row["p50_ms"], (row["p50_ms"] / old["p50_ms"] - 1) * 100))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2,
                        help="workers of pages.fcgi (and of the null responders)")
    parser.add_argument("--contact-workers", type=int, default=12,
                        help="workers of contact.fcgi (the shipped default is 12)")
    parser.add_argument("--only", type=lambda s: set(s.split(",")), default=None,
                        help="comma-separated run names (see the table)")
    parser.add_argument("--profile", metavar="RUN",
                        help="record perf (cpu-clock, all CPUs) during RUN's measured run")
    parser.add_argument("--state-dir", default="/var/tmp",
                        help="where the throwaway state goes (a real disk, not tmpfs)")
    parser.add_argument("--keep", action="store_true", help="keep the state folder")
    parser.add_argument("--wait-quiet", type=int, default=0, metavar="SECONDS",
                        help="before each run, wait up to SECONDS for other processes to "
                        "go quiet (a shared machine)")
    args = parser.parse_args()
    for name in ("null-responder", "commit-ceiling", "seed"):
        if not os.access(os.path.join(BIN, name), os.X_OK):
            sys.exit("bench: build/bench/%s is missing; run `make bench`" % name)
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (apt-get install wrk)")
    os.makedirs(RESULTS, exist_ok=True)
    bench = Bench(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        report = bench.go()
    finally:
        bench.close()
    evaluate(report)
    text = table(report)
    previous = None
    latest = os.path.join(RESULTS, "latest.json")
    if os.path.exists(latest):
        with open(latest) as f:
            previous = json.load(f)
    stamp = report["when"].replace(":", "").replace("-", "")
    for path in (os.path.join(RESULTS, "bench-%s.json" % stamp), latest):
        with open(path, "w") as f:
            json.dump(report, f, indent=2, sort_keys=True)
            f.write("\n")
    write(os.path.join(RESULTS, "latest.md"), text + "\n")
    say("")
    say(text)
    if previous:
        changes = compare(report, previous)
        if changes:
            say("\nAgainst the previous run (%s, %s):\n%s" % (previous.get("when"),
                                                             previous.get("git"), changes))
    say("\nWritten: %s, %s" % (os.path.relpath(latest, ROOT),
                               os.path.relpath(os.path.join(RESULTS, "latest.md"), ROOT)))


if __name__ == "__main__":
    main()
