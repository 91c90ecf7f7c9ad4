"""An enquiry a visitor was thanked for is never lost: not when workers are
killed mid-burst, and a full or read-only disk is answered with 503 (never a
thank-you) until it is fixed, after which posts are accepted again."""
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

from harness import (Context, assert_equal, assert_in, enquiry_rows, ref_of, stack_module,
                     staff_export, wait_until, worker_pids)

WORKERS = 4
STACK_OPTIONS = {"rate_limit_posts": 100000, "workers": WORKERS}
PHONE = "020 7946 0000"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_state(pid):
    """The one-letter state of pid ("R" running, "D" in I/O, "S" waiting...)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


def process_age(pid):
    """Seconds since pid started (0 if it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19]) / CLOCK_TICKS
        with open("/proc/uptime") as f:
            return float(f.read().split()[0]) - started
    except (OSError, IndexError, ValueError):
        return 0.0


def test_every_acknowledged_enquiry_survives_workers_killed_mid_burst(ctx):
    parent = ctx.stack.procs["contact"].pid
    assert wait_until(lambda: len(worker_pids(parent)) == WORKERS), "workers up"
    lock = threading.Lock()
    attempts = []  # (message, status or exception text, ref)
    kills = []
    done = threading.Event()
    started = time.time()

    def enough():
        return (len(attempts) >= 40 and len(kills) >= 8) or len(attempts) >= 400 or \
            time.time() - started > 25

    def client(n):
        while not done.is_set():
            with lock:
                if enough():
                    done.set()
                    return
                index = len(attempts)
                attempts.append(None)
            message = "Durability check %d from client %d\nsecond line \u00e9 %s" % (
                index, n, os.urandom(4).hex())
            try:
                resp = ctx.post("/contact", ctx.form("contact", message=message))
                attempts[index] = (message, resp.status, ref_of(resp))
            except Exception as e:  # noqa: BLE001 — recorded and reported below
                attempts[index] = (message, "%s: %s" % (type(e).__name__, e), None)
            time.sleep(random.uniform(0.02, 0.08))

    def killer():
        while not done.wait(0.1):
            # The parent gives up after a run of workers dying within a second
            # of starting (it takes that for a broken build), so only workers
            # that have been up a while are killed; one caught busy (running
            # or in I/O, not waiting for a request) is preferred, to land the
            # kill inside a request as often as possible.
            victim = None
            for _ in range(20):
                grown = [pid for pid in worker_pids(parent) if process_age(pid) > 1.1]
                busy = [pid for pid in grown if process_state(pid) in ("R", "D")]
                if busy or not grown:
                    victim = random.choice(busy) if busy else None
                    break
                time.sleep(0.002)
            else:
                victim = random.choice(grown)
            if victim:
                try:
                    os.kill(victim, signal.SIGKILL)
                    kills.append(victim)
                except ProcessLookupError:
                    pass

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    threads.append(threading.Thread(target=killer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    done.set()
    assert all(not t.is_alive() for t in threads), "the burst finished"

    statuses = {}
    for _, status, _ in attempts:
        statuses[status] = statuses.get(status, 0) + 1
    summary = "%d posts, %d kills, statuses %r" % (len(attempts), len(kills), statuses)
    assert len(kills) >= 5, "too few workers were killed to show anything: " + summary
    # A worker killed mid-request: nginx answers 502, Apache 503.
    odd = {s: c for s, c in statuses.items() if s not in (303, 502, 503)}
    assert not odd, "answers other than 303, 502 or 503 (worker gone): " + summary
    acknowledged = {ref: message for message, status, ref in attempts if status == 303}
    assert all(ref for _, status, ref in attempts if status == 303), "303 without a reference"
    assert len(acknowledged) >= 20, "too few posts acknowledged: " + summary
    assert_equal(len(acknowledged), statuses.get(303, 0), "every reference is different")

    # The program is whole again and the database is sound.
    assert ctx.stack.procs["contact"].poll() is None, "the contact program is still running"
    assert wait_until(lambda: len(worker_pids(parent)) == WORKERS), "workers replaced"
    after = ctx.post("/contact", ctx.form("contact", message="After the burst"))
    assert_equal(after.status, 303, "a post after the burst")
    acknowledged[ref_of(after)] = "After the burst"
    conn = sqlite3.connect(ctx.stack.path("enquiries.db"))
    try:
        assert_equal(conn.execute("PRAGMA integrity_check").fetchall(), [("ok",)],
                     "integrity_check")
    finally:
        conn.close()

    stored = {row["ref"] for row in enquiry_rows(ctx.stack.path("enquiries.db"))}
    missing = sorted(set(acknowledged) - set(stored))
    assert not missing, "acknowledged but not stored: %r (%s)" % (missing, summary)

    opened = staff_export(ctx.stack)
    assert_equal(set(opened), set(stored), "the staff tool opens every stored enquiry")
    for ref, message in acknowledged.items():
        assert_equal(opened[ref].get("message"), message,
                     "%s: the message field the staff read" % ref)


# --- a disk that is full or read-only ------------------------------------------------
def run(*command):
    result = subprocess.run(list(command), capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError("%s failed: %s" % (" ".join(command), result.stderr.strip()))


def fill(folder):
    """Writes a filler file until the file system has not one byte left."""
    path = os.path.join(folder, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (65536, 4096, 512, 64, 1):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError:
                    break
    finally:
        os.close(fd)
    return path


def refused_for_disk(client, what):
    """Both forms get 503 and no thank-you; the caller checks nothing was stored."""
    for kind in ("contact", "start"):
        resp = client.post("/" + kind, client.form(kind))
        assert_equal(resp.status, 503, "%s: %s post (page %r)" % (what, kind, resp.text[:300]))
        assert_equal(resp.header("Location"), None, what + ": no thank-you")
        assert_in(PHONE, resp.text, what + ": the page gives the clinic's phone number")
        assert_in("NOT saved", resp.text, what + ": the page says it was not saved")


def accepted_again(client, what):
    resp = client.post("/contact", client.form("contact"))
    assert_equal(resp.status, 303, "%s (page %r)" % (what, resp.text[:300]))
    return ref_of(resp)


def test_a_full_or_read_only_disk_gives_503_and_then_recovers(ctx):
    state = tempfile.mkdtemp(prefix="clinic-disk-")
    disk = os.path.join(state, "disk")
    os.mkdir(disk)
    stack = stack_module.Stack(state, stack_module.free_port(), fast_keys=True,
                               rate_limit_posts=1000)
    mounted = False
    try:
        run("mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", disk)
        mounted = True
        stack.setup()
        db = os.path.join(disk, "enquiries.db")
        with open(stack.config) as f:
            conf = f.read()
        conf, n = re.subn(r"(?m)^enquiry_db = .*$", "enquiry_db = " + db, conf)
        assert_equal(n, 1, "the enquiry_db line in site.conf")
        with open(stack.config, "w") as f:
            f.write(conf)
        stack.start()
        client = Context(stack)
        refs = [accepted_again(client, "before the disk fills")]

        filler = fill(disk)
        refused_for_disk(client, "a full disk")
        os.unlink(filler)
        assert_equal(len(enquiry_rows(db)), len(refs), "full disk: nothing stored")
        refs.append(accepted_again(client, "after space was freed"))
        refs.append(accepted_again(client, "and again"))

        # A file system cannot become read-only while files on it are open for
        # writing, so the program is stopped around the remount.
        contact = stack.procs["contact"]
        contact.send_signal(signal.SIGTERM)
        contact.wait(timeout=35)
        run("mount", "-o", "remount,ro", disk)
        stack.start_program("contact")
        refused_for_disk(client, "a read-only disk")
        run("mount", "-o", "remount,rw", disk)
        refs.append(accepted_again(client, "after the disk was writable again"))

        stored = [row["ref"] for row in enquiry_rows(db)]
        assert_equal(sorted(stored), sorted(refs), "exactly the acknowledged enquiries")
    finally:
        stack.stop()
        if mounted:
            if subprocess.run(["umount", disk]).returncode != 0:
                subprocess.run(["umount", "-l", disk])
        shutil.rmtree(state, ignore_errors=True)
