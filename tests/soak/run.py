#!/usr/bin/env python3
"""Soak and faults: the real stack under a bounded load of mixed page views
and form posts, then the faults a small server meets.

    python3 tests/soak/run.py                 # make test: about 20 s
    python3 tests/soak/run.py --seconds 60    # make soak: a full minute

1. clean: a mix of page views, searches, form views and posts from several
   clients. No 5xx at all, every answer the expected one, and the workers'
   memory (VmRSS) flat from the start of the window to its end.
2. kills: the same load while workers are killed at random (SIGKILL). Only
   requests in flight in a killed worker may fail (nginx's 502); the dead are
   replaced.
3. disk full: the enquiry database sits on a small tmpfs of its own, which a
   filler file fills. Posts answer 503 (never a 303 for an enquiry not kept),
   and enquiries are taken again once the filler is gone.
4. read-only: the same filesystem is remounted read-only (contact's workers
   are restarted so none holds it open for writing), then read-write again.

Afterwards every acknowledged submission (a 303 to /thanks?ref=...) must be in
the database and open with the staff key. Steps 3 and 4 need root (mount);
without it they are skipped and said so. The figures are printed at the end,
then "soak: N passed, M failed".
"""
import argparse
import http.client
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402

CLIENTS = 6
WORKERS = 2
# contact.fcgi runs more, as shipped, so that posts share commits while
# workers (committing ones among them) are killed.
CONTACT_WORKERS = 4
# The database's own tmpfs: room for every post of the run (about 2.5 KB each,
# at up to about 1000 a second here), twice over; the filler takes what is left.
DBFS_BASE_MIB = 64
DBFS_MIB_PER_SECOND = 5
RSS_GROWTH_LIMIT_KIB = 1024  # per worker, over the clean window after warm-up

PAGES = ["/", "/therapies/dynamic-interpersonal-therapy", "/faq", "/team",
         "/team/athena-lazaridou", "/faq?q=sessions"]
SEARCH_WORDS = ["sessions", "therapy", "how long", "cost", "dit", "online", "zzzz",
                "feelings", "first appointment", "privacy", "\u00e9t\u00e9", "a*", "\"quoted\""]
WORDS = ("I have been feeling low and anxious about work and my relationships, and a friend "
         "suggested talking to someone. Caf\u00e9 na\u00efve \u2014 \u263a \u00fc\u00df").split()


class Stats:
    """Answers counted per window; acknowledged references kept."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows = {}
        self.acknowledged = set()

    def window(self, name):
        return self.windows.setdefault(name, {
            "requests": 0, "pages": 0, "posts": 0, "status": {}, "unexpected": [],
            "client_errors": 0, "started": time.time(), "ended": None})

    def record(self, window, category, status, expected, ref=None, detail=""):
        with self.lock:
            w = self.window(window)
            w["requests"] += 1
            if category in ("post", "bad-post"):
                w["posts"] += 1
            elif category != "error":
                w["pages"] += 1
            w["status"][status] = w["status"].get(status, 0) + 1
            if status not in expected and len(w["unexpected"]) < 20:
                w["unexpected"].append("%s %s -> %s %s" % (category, detail, status, expected))
            if ref:
                self.acknowledged.add(ref)

    def count(self, window, test):
        w = self.windows.get(window, {"status": {}})
        return sum(n for status, n in w["status"].items() if test(status))


class Load:
    """Client threads on keep-alive connections, each from its own loopback
    address, until stopped. mode "mixed" includes the forms; "pages" leaves
    contact.fcgi alone while a fault is being set up."""

    def __init__(self, ctx, stats):
        self.ctx = ctx
        self.stats = stats
        self.window = "warm-up"
        self.mode = "mixed"
        self.stopping = False
        self.contact_in_flight = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True)
                        for i in range(CLIENTS)]
        self.refs_seen = []

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(timeout=30)

    def quiet_contact(self):
        """Pages only from now on; returns once no form request is in flight."""
        self.mode = "pages"
        harness.wait_until(lambda: self.contact_in_flight == 0, 30)

    def pick(self, rng):
        r = rng.random()
        if self.mode == "mixed":
            if r < 0.18:
                kind = rng.choice(["contact", "start"])
                return "post", kind
            if r < 0.23:
                return "bad-post", rng.choice(["contact", "start"])
            if r < 0.30:
                return "form", rng.choice(["/contact", "/start"])
            if r < 0.32 and self.refs_seen:
                return "thanks", "/thanks?ref=" + rng.choice(self.refs_seen[-50:])
        if r < 0.47:
            words = rng.choice(SEARCH_WORDS)
            return "search", "/faq?" + urllib.parse.urlencode({"q": words})
        if r < 0.52:
            return "missing", "/no-such-page-%d" % rng.randrange(1000)
        if r < 0.55:
            return "static", "/static/style.css"
        return "page", rng.choice(PAGES)

    def post_fields(self, rng, kind, valid=True):
        length = rng.choice([3, 10, 40, 200, 600])
        text = " ".join(rng.choice(WORDS) for _ in range(length))[:4900]
        if kind == "contact":
            fields = self.ctx.form("contact", message=text, name="Soak %d" % rng.randrange(10**6))
        else:
            fields = self.ctx.form("start", reason=text, interest=rng.choice(
                ["dit", "other-therapy", "pilates", "not-sure"]))
        if not valid:
            fields["email"] = "not-an-email"
        return fields

    def client(self, index):
        rng = random.Random(index * 7919 + int(time.time()))
        source = ("127.0.0.%d" % (10 + index), 0)
        conn = None
        while not self.stopping:
            window = self.window
            category, target = self.pick(rng)
            contact = category in ("post", "bad-post", "form", "thanks")
            if contact:
                with self.lock:
                    if self.mode != "mixed":
                        continue
                    self.contact_in_flight += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.ctx.port, timeout=30,
                                                      source_address=source)
                if category in ("post", "bad-post"):
                    body = urllib.parse.urlencode(self.post_fields(rng, target,
                                                                   category == "post")).encode()
                    conn.request("POST", "/" + target, body=body, headers={
                        "Content-Type": "application/x-www-form-urlencoded"})
                else:
                    conn.request("GET", target)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                location = resp.getheader("Location") or ""
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                if conn:
                    conn.close()
                conn = None
                self.stats.record(window, "error", "client error", (), detail=str(e)[:80])
                time.sleep(0.01)
                continue
            finally:
                if contact:
                    with self.lock:
                        self.contact_in_flight -= 1
            expected = {"post": (303,), "bad-post": (422,), "missing": (404,)}.get(category,
                                                                                  (200,))
            ref = None
            if category == "post" and status == 303:
                m = re.search(r"/thanks\?ref=(" + harness.REF_PATTERN + ")$", location)
                ref = m.group(1) if m else None
                if ref:
                    self.refs_seen.append(ref)
                else:
                    status = "303 without a reference"
            self.stats.record(window, category, status, expected, ref, target)


# --- processes ---------------------------------------------------------------
def worker_rss(stack):
    """program -> {worker pid: VmRSS in KiB}"""
    return {name: {pid: harness.rss_kib(pid)
                   for pid in harness.worker_pids(stack.procs[name].pid)}
            for name in ("pages", "contact")}


def process_age(pid):
    """Seconds since pid started, from /proc."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def killer(stack, until, killed, rng):
    """SIGKILLs a random worker now and then. Only workers older than 1.5 s:
    the parent gives up on workers that keep dying at start, as it should."""
    while time.time() < until:
        time.sleep(rng.uniform(0.4, 1.0))
        name = rng.choice(["pages", "contact"])
        pids = [p for p in harness.worker_pids(stack.procs[name].pid) if process_age(p) > 1.5]
        if pids:
            pid = rng.choice(pids)
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append((name, pid))
            except ProcessLookupError:
                pass


def all_workers_back(stack, killed):
    dead = {pid for _, pid in killed}
    return all(len(pids) == want and not (set(pids) & dead)
               for pids, want in ((harness.worker_pids(stack.procs["pages"].pid), WORKERS),
                                  (harness.worker_pids(stack.procs["contact"].pid),
                                   CONTACT_WORKERS)))


# --- the enquiry database's own filesystem -------------------------------------
def run(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True)


def fill(directory):
    """Writes a filler file until the filesystem is full; returns its size."""
    path = os.path.join(directory, "filler")
    written = 0
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 4096, 1):
            block = b"\0" * chunk
            while True:
                try:
                    n = f.write(block)
                except OSError:
                    break
                written += n
                if n < chunk:
                    break
    return written


def post_once(ctx, stats, window, kind="contact"):
    text = "Sent while the disk is in trouble."
    fields = ctx.form(kind, **({"message": text} if kind == "contact" else {"reason": text}))
    resp = ctx.post("/" + kind, fields)
    ref = harness.ref_of(resp)
    status = resp.status if resp.status != 303 or ref else "303 without a reference"
    stats.record(window, "post", status, (303, 503), ref, kind)
    if status == 503:
        assert "NOT saved" in resp.text and not resp.header("Location"), \
            "a 503 without the 'not saved' page, or with a Location"
    return status


def post_until(ctx, stats, window, want, seconds, limit):
    """Posts one at a time until want(statuses) holds; returns the statuses."""
    statuses = []
    deadline = time.time() + seconds
    while time.time() < deadline and len(statuses) < limit:
        statuses.append(post_once(ctx, stats, window, random.choice(["contact", "start"])))
        if want(statuses):
            break
    return statuses


def recover(ctx, stats, window, seconds=10):
    """Seconds until posts are taken again, then five more in a row; or None."""
    started = time.time()
    first = post_until(ctx, stats, window, lambda s: s[-1] == 303, seconds, 10000)
    if not first or first[-1] != 303:
        return None, first
    took = time.time() - started
    more = [post_once(ctx, stats, window) for _ in range(5)]
    return (took if all(s == 303 for s in more) else None), first + more


def stopped_workers_then(stack, action):
    """Stops contact's parent, kills its workers (so nothing holds the
    database open), runs action, then lets the parent start new workers."""
    parent = stack.procs["contact"].pid
    os.kill(parent, signal.SIGSTOP)
    try:
        pids = harness.worker_pids(parent)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

        def gone():
            for pid in pids:
                try:
                    with open("/proc/%d/stat" % pid) as f:
                        if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                            return False
                except OSError:
                    pass
            return True
        harness.wait_until(gone, 10)
        return action()
    finally:
        os.kill(parent, signal.SIGCONT)
        harness.wait_until(lambda: len(harness.worker_pids(parent)) == CONTACT_WORKERS, 10)


# --- the run -------------------------------------------------------------------
class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def skip(self, names, why):
        """Checks that cannot run here: counted as skipped, never as passed."""
        for name in names:
            self.skipped += 1
            print("  skip %s: %s" % (name, why), flush=True)

    def __call__(self, ok, name, detail=""):
        if ok:
            self.passed += 1
            print("  ok   " + name, flush=True)
        else:
            self.failed += 1
            print("  FAIL %s\n         %s" % (name, detail), flush=True)


def main():
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8,
                        help="length of the clean window (make soak: 60)")
    parser.add_argument("--kill-seconds", type=float, default=None,
                        help="length of the window with kills (default: a third of --seconds, "
                             "at least 5)")
    args = parser.parse_args()
    kill_seconds = args.kill_seconds if args.kill_seconds is not None else max(5.0,
                                                                               args.seconds / 3)
    check = Checks()
    started = time.time()
    faults = os.geteuid() == 0
    state = tempfile.mkdtemp(prefix="clinic-soak-")
    dbfs = os.path.join(state, "dbfs")
    mounted = False
    stack = harness.stack_module.Stack(state, harness.stack_module.free_port(), workers=WORKERS,
                                       contact_workers=CONTACT_WORKERS,
                                       rate_limit_posts=1000000000, fast_keys=True)
    stats = Stats()
    load = None
    figures = {}
    skipped_faults = ""
    try:
        stack.setup()
        db_path = stack.path("enquiries.db")
        if faults:
            os.makedirs(dbfs)
            load_seconds = 5 + args.seconds + kill_seconds + 5
            size = DBFS_BASE_MIB + int(DBFS_MIB_PER_SECOND * load_seconds)
            result = run("mount", "-t", "tmpfs", "-o", "size=%dm,mode=0700" % size, "tmpfs", dbfs)
            if result.returncode != 0:
                faults = False
                skipped_faults = "cannot mount a tmpfs (%s)" % result.stderr.strip()
                print("  note: %s: the disk faults are skipped" % skipped_faults)
            else:
                mounted = True
                db_path = os.path.join(dbfs, "enquiries.db")
                with open(stack.config) as f:
                    conf = f.read()
                conf = re.sub(r"(?m)^enquiry_db = .*$", "enquiry_db = " + db_path, conf)
                with open(stack.config, "w") as f:
                    f.write(conf)
        else:
            skipped_faults = "not root, so no tmpfs to fill or make read-only"
            print("  note: %s: disk faults skipped" % skipped_faults)
        stack.start()
        ctx = harness.Context(stack)
        load = Load(ctx, stats)

        # 1. warm-up, then the clean window with memory measured at both ends.
        for path in PAGES + ["/contact", "/start", "/no-such-page", "/faq?q=therapy"]:
            ctx.get(path)
        load.start()
        time.sleep(2 if args.seconds < 30 else 5)
        load.window = "clean"
        stats.window("clean")
        rss_start = worker_rss(stack)
        time.sleep(args.seconds / 2)
        rss_mid = worker_rss(stack)
        time.sleep(args.seconds / 2)
        rss_end = worker_rss(stack)
        stats.window("clean")["ended"] = time.time()

        # 2. the same load, with workers killed at random.
        load.window = "kills"
        stats.window("kills")
        killed = []
        killer(stack, time.time() + kill_seconds, killed, random.Random())
        stats.window("kills")["ended"] = time.time()
        load.window = "after kills"
        replaced = harness.wait_until(lambda: all_workers_back(stack, killed), 10)

        # 3 and 4. the database's filesystem full, then read-only.
        if faults:
            load.quiet_contact()
            load.window = "faults (page views)"
            filler = fill(dbfs)
            full = post_until(ctx, stats, "disk full", lambda s: s.count(503) >= 3, 15, 5000)
            os.unlink(os.path.join(dbfs, "filler"))
            full_recovery, full_after = recover(ctx, stats, "disk full, after")
            figures["full"] = (filler, full, full_recovery, full_after)

            remount = stopped_workers_then(
                stack, lambda: harness.wait_until(
                    lambda: run("mount", "-o", "remount,ro", dbfs).returncode == 0, 5, 0.1))
            if remount:
                readonly = post_until(ctx, stats, "read-only", lambda s: len(s) >= 20, 10, 20)
                back = run("mount", "-o", "remount,rw", dbfs)
                ro_recovery, ro_after = recover(ctx, stats, "read-only, after")
            else:
                readonly, back, ro_recovery, ro_after = [], None, None, []
            figures["ro"] = (remount, readonly, back, ro_recovery, ro_after)
            load.mode = "mixed"
            load.window = "after faults"
            time.sleep(1)
        load.stop()
        load = None

        # --- the checks ---------------------------------------------------
        clean = stats.windows["clean"]
        clean_5xx = stats.count("clean", lambda s: isinstance(s, int) and s >= 500)
        check(clean_5xx == 0 and clean["requests"] > 0,
              "clean window: %d requests, no 5xx" % clean["requests"],
              "%d x 5xx: %r" % (clean_5xx, clean["status"]))
        check(not clean["unexpected"] and stats.count("clean", lambda s: s == "client error") == 0,
              "clean window: every answer the expected one",
              "; ".join(clean["unexpected"][:8]) or repr(clean["status"]))
        growth = []
        for name in ("pages", "contact"):
            for pid, before in rss_start[name].items():
                after = rss_end[name].get(pid)
                if before is None or after is None:
                    growth.append("%s worker %d went away during the clean window" % (name, pid))
                elif after - before > RSS_GROWTH_LIMIT_KIB:
                    growth.append("%s worker %d: %d -> %d KiB" % (name, pid, before, after))
        check(not growth and all(rss_start[n] for n in rss_start),
              "worker memory flat (VmRSS growth at most %d KiB per worker)" % RSS_GROWTH_LIMIT_KIB,
              "; ".join(growth) or "no workers found")

        kills = stats.windows["kills"]
        bad_kill = stats.count("kills", lambda s: s != 502 and (
            not isinstance(s, int) or s >= 500))
        n502 = stats.count("kills", lambda s: s == 502)
        check(len(killed) >= 3 and replaced,
              "%d workers killed at random, every one replaced" % len(killed),
              "killed %r; workers now: %r" % (killed, {n: harness.worker_pids(
                  stack.procs[n].pid) for n in ("pages", "contact")}))
        check(bad_kill == 0 and n502 <= len(killed) * CLIENTS and not [
            u for u in kills["unexpected"] if "-> 502 " not in u],
              "while killing: only requests in flight failed (502), nothing else",
              "%d x 502 for %d kills; other: %r" % (n502, len(killed), [
                  u for u in kills["unexpected"] if "-> 502 " not in u][:8]))
        after_kill_bad = stats.count("after kills", lambda s: not isinstance(s, int) or s >= 500)
        check(after_kill_bad == 0, "after the kills: no 5xx",
              repr(stats.windows.get("after kills", {}).get("status")))

        if faults:
            filler, full, full_recovery, full_after = figures["full"]
            others = [s for s in full if s not in (303, 503)]
            check(full.count(503) >= 3 and not others,
                  "disk full: posts answered 503 (%d x 303 fitted first, %d x 503)"
                  % (full.count(303), full.count(503)),
                  "statuses: %r" % (sorted(set(map(str, full))),))
            check(full_recovery is not None, "disk full: enquiries taken again once space "
                  "returned", "statuses after the filler went: %r" % full_after[-10:])
            remount, readonly, back, ro_recovery, ro_after = figures["ro"]
            check(remount and readonly and all(s == 503 for s in readonly),
                  "read-only: every post answered 503",
                  "remounted: %r; statuses: %r" % (remount, readonly))
            check(back is not None and back.returncode == 0 and ro_recovery is not None,
                  "read-only: enquiries taken again once writable",
                  "remount rw: %r; statuses: %r" % (back and back.stderr, ro_after[-10:]))
            pages_bad = stats.count("faults (page views)", lambda s: not isinstance(s, int) or
                                    s >= 500)
            check(pages_bad == 0, "while the disk was in trouble: pages served, no 5xx",
                  repr(stats.windows.get("faults (page views)", {}).get("status")))
            after = stats.windows.get("after faults", {"requests": 0, "unexpected": ["none"]})
            check(after["requests"] > 0 and not after["unexpected"],
                  "after the faults: the mixed load answered as expected again",
                  "; ".join(after["unexpected"][:8]))
        else:
            check.skip(["disk full: posts answered 503",
                        "disk full: enquiries taken again once space returned",
                        "read-only: every post answered 503",
                        "read-only: enquiries taken again once writable",
                        "while the disk was in trouble: pages served, no 5xx",
                        "after the faults: the mixed load answered as expected again"],
                       skipped_faults or "no disk faults")

        rows = {r["ref"] for r in harness.enquiry_rows(db_path)}
        missing = sorted(stats.acknowledged - rows)
        check(stats.acknowledged and not missing,
              "every acknowledged submission is in the database",
              "%d of %d missing: %s" % (len(missing), len(stats.acknowledged), missing[:10]))
        opened = None
        if os.path.exists(os.path.join(ROOT, "tools", "enquiries")):
            try:
                opened = set(harness.staff_export(stack))
                unopened = sorted(stats.acknowledged - opened)
                check(not unopened, "the staff tool opens every acknowledged submission",
                      "%d not opened: %s" % (len(unopened), unopened[:10]))
            except AssertionError as e:
                check(False, "the staff tool opens every acknowledged submission", str(e)[:400])
        else:
            check.skip(["the staff tool opens every acknowledged submission"],
                       "tools/enquiries is not built")

        # --- the figures -------------------------------------------------
        total = sum(w["requests"] for w in stats.windows.values())
        total_5xx = sum(stats.count(n, lambda s: isinstance(s, int) and s >= 500)
                        for n in stats.windows)
        print("  figures (%.0f s in all, %d clients, %d pages and %d contact workers):"
              % (time.time() - started, CLIENTS, WORKERS, CONTACT_WORKERS))
        for name, w in stats.windows.items():
            seconds = (w["ended"] or time.time()) - w["started"]
            statuses = ", ".join("%s x %s" % (n, s) for s, n in sorted(
                w["status"].items(), key=lambda kv: -kv[1]))
            print("    %-20s %6d requests (%d page views, %d posts)%s: %s" % (
                name, w["requests"], w["pages"], w["posts"],
                " in %.1f s, %.0f/s" % (seconds, w["requests"] / seconds)
                if name in ("clean", "kills") else "", statuses))
        print("    requests %d, 5xx %d (%d in the clean window)" % (total, total_5xx, clean_5xx))
        for name in ("pages", "contact"):
            print("    %-7s worker VmRSS KiB start -> middle -> end of the clean window: %s" % (
                name, ", ".join("%s -> %s -> %s" % (rss_start[name][pid], rss_mid[name].get(pid),
                                                    rss_end[name].get(pid))
                                for pid in sorted(rss_start[name]))))
        print("    kills: %d (%d pages, %d contact) in %.1f s; %d x 502 for requests in flight"
              % (len(killed), sum(1 for n, _ in killed if n == "pages"),
                 sum(1 for n, _ in killed if n == "contact"), kill_seconds, n502))
        if faults:
            print("    disk full: filler %.1f MiB; %d posts: %d x 303 into space SQLite already "
                  "had, %d x 503; taken again %s after the filler went"
                  % (filler / 1048576, len(full), full.count(303), full.count(503),
                     "%.2f s" % full_recovery if full_recovery is not None else "never"))
            print("    read-only: %d posts: %d x 503; taken again %s after remounting read-write"
                  % (len(readonly), readonly.count(503),
                     "%.2f s" % ro_recovery if ro_recovery is not None else "never"))
        print("    submissions acknowledged %d, found in the database %d, opened by the staff "
              "tool %s; stored without an acknowledgement %d (killed after the commit)"
              % (len(stats.acknowledged), len(stats.acknowledged & rows),
                 len(stats.acknowledged & opened) if opened is not None else "-",
                 len(rows - stats.acknowledged)))
    except Exception as e:  # noqa: BLE001 — a broken run is a failure, with its cause
        import traceback
        check(False, "the soak ran to the end", traceback.format_exc().strip()[-1500:])
        del e
    finally:
        if load:
            load.stop()
        if stack.procs.get("contact"):
            try:
                os.kill(stack.procs["contact"].pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        stack.stop()
        try:
            with open(stack.path("log", "clinic.log"), errors="replace") as f:
                shared = re.findall(r"(\d+) enquiries were stored in (\d+) commits", f.read())
            if shared:
                print("    commits shared: %s enquiries in %s commits" % shared[-1])
        except OSError:
            pass
        if mounted:
            if run("umount", dbfs).returncode != 0:
                run("umount", "-l", dbfs)
        shutil.rmtree(state, ignore_errors=True)
    print("  (%.1fs)" % (time.time() - started))
    print("soak: %d passed, %d failed, %d skipped" % (check.passed, check.failed, check.skipped))
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
