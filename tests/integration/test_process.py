"""The process model: crashed workers are replaced; SIGTERM lets requests finish."""
import os
import signal
import time

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
    time.sleep(0.3)  # the worker is now inside the request, reading the body
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert proc.poll() is None, "the parent waits for the request in flight"
    req.send_body(body[20:])
    req.finish_body()
    answer = req.response().decode("utf-8", "replace")
    assert_in("Status: 303", answer, "the request in flight was answered in full")
    assert wait_until(lambda: proc.poll() is not None, 10), "then everything stops"
    assert_equal(proc.returncode, 0, "clean exit")
    assert not os.path.exists(ctx.stack.path("run", "contact.sock")), "socket removed"
