"""The process model: crashed workers are replaced; SIGTERM lets requests finish."""
import os
import re
import signal
import subprocess

from harness import FastCGIRequest, assert_equal, assert_in, wait_until, worker_pids


def test_a_killed_worker_is_replaced(ctx):
    for name, path in (("pages", "/team?kill=1"), ("contact", "/contact")):
        parent = ctx.stack.procs[name].pid
        assert wait_until(lambda: len(worker_pids(parent)) == ctx.stack.workers), "workers up"
        before = worker_pids(parent)
        os.kill(before[0], signal.SIGKILL)
        assert wait_until(lambda: len(worker_pids(parent)) == ctx.stack.workers
                          and before[0] not in worker_pids(parent)), "replaced " + name
        for _ in range(6):
            assert_equal(ctx.get(path).status, 200, "after the kill: " + name)


def test_sigterm_lets_a_request_in_flight_finish(ctx):
    proc = ctx.stack.procs["contact"]
    fields = ctx.form("contact", message="Sent while the server was stopping.")
    import urllib.parse
    body = urllib.parse.urlencode(fields).encode()
    req = FastCGIRequest(ctx.stack.path("run", "contact.sock"), "POST", "/contact", body,
                         "application/x-www-form-urlencoded")
    req.send_body(body[:20])
    busy = []
    assert wait_until(lambda: busy.extend(holders_of_peer(req.sock)) or busy, 10), (
        "a contact worker took the request")
    assert busy[0] in worker_pids(proc.pid), "the request is held by a worker of contact.fcgi"
    with open(ctx.stack.path("log", "clinic.log")) as f:
        log_before = len(f.read())
    proc.send_signal(signal.SIGTERM)

    def stopping():
        with open(ctx.stack.path("log", "clinic.log")) as f:
            said = "contact stopping: letting requests in flight finish" in f.read()[log_before:]
        return said and worker_pids(proc.pid) == [busy[0]]
    assert wait_until(stopping, 10), (
        "the parent took the SIGTERM: it said so and its idle workers left (workers now %r)"
        % worker_pids(proc.pid))
    assert proc.poll() is None, "the parent waits for the request in flight"
    req.send_body(body[20:])
    req.finish_body()
    answer = req.response().decode("utf-8", "replace")
    assert_in("Status: 303", answer, "the request in flight was answered in full")
    assert wait_until(lambda: proc.poll() is not None, 10), "then everything stops"
    assert_equal(proc.returncode, 0, "clean exit")
    assert not os.path.exists(ctx.stack.path("run", "contact.sock")), "socket removed"


def holders_of_peer(sock):
    """Pids of the processes holding the other end of our unix socket (the
    worker that accepted it), from `ss`; empty until a process accepts it."""
    ours = os.fstat(sock.fileno()).st_ino
    listing = subprocess.run(["ss", "-xpnH"], capture_output=True, text=True).stdout
    pids = []
    for line in listing.splitlines():
        fields = line.split()
        # Netid State Recv-Q Send-Q Local Port Peer Port [Process]
        if len(fields) >= 8 and fields[7] == str(ours):
            pids += [int(p) for p in re.findall(r"pid=(\d+)", line)]
    return pids
