"""The seccomp sandbox in the running programs: every worker of both programs
is filtered, and a worker that tries what its profile forbids (through the
/__test/ paths compiled only into build/test-hooks/pages.fcgi) is killed with
SIGSYS, logged, and replaced, while the site keeps answering."""
import os

from harness import assert_equal, assert_in, stack_module, wait_until, worker_pids

STACK_OPTIONS = {"test_hooks": True}
UNAVAILABLE = "This page is not available just now"  # htdocs/static/errors/503.html


def status_fields(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return fields


def filtered(pid):
    """Whether pid runs under a seccomp filter (or is gone)."""
    try:
        return status_fields(pid).get("Seccomp") == "2"
    except OSError:
        return True


def workers_of(ctx, name):
    parent = ctx.stack.procs[name].pid
    assert wait_until(lambda: len(worker_pids(parent)) == ctx.stack.workers), (
        "%s has all its workers" % name)
    return parent, worker_pids(parent)


def log_text(ctx):
    with open(ctx.stack.path("log", "clinic.log")) as f:
        return f.read()


def test_every_worker_of_both_programs_is_filtered(ctx):
    # A form post goes through the contact sandbox (SQLite writes, sealing).
    resp = ctx.post("/contact", ctx.form("contact"))
    assert_equal(resp.status, 303, "a post is accepted by a sandboxed contact worker")
    for name in ("pages", "contact"):
        parent, workers = workers_of(ctx, name)
        # A worker enters its sandbox a moment after it is forked.
        wait_until(lambda: all(filtered(pid) for pid in workers), 10)
        for pid in workers:
            fields = status_fields(pid)
            assert_equal(fields.get("Seccomp"), "2", "%s worker %d is in filter mode" % (name,
                                                                                      pid))
            assert_equal(fields.get("NoNewPrivs"), "1", "%s worker %d: no_new_privs" % (name,
                                                                                    pid))


def forbidden_call_kills_one_worker(ctx, what):
    parent, before = workers_of(ctx, "pages")
    resp = ctx.get("/__test/" + what)
    # The web server lost its upstream: nginx answers 502, Apache 503, both
    # with the shipped error page.
    assert resp.status in (502, 503), "%s: the worker died mid-request (%r)" % (what, resp)
    assert_in(UNAVAILABLE, resp.text, "%s: the shipped error page" % what)
    assert wait_until(lambda: len(set(before) - set(worker_pids(parent))) == 1), (
        "%s: exactly one worker died" % what)
    gone = (set(before) - set(worker_pids(parent))).pop()
    assert wait_until(lambda: len(worker_pids(parent)) == ctx.stack.workers), (
        "%s: the worker was replaced" % what)
    line = "worker %d broke the seccomp sandbox (SIGSYS)" % gone
    assert wait_until(lambda: line in log_text(ctx), 5), "%s: logged %r" % (what, line)
    # A replacement enters its sandbox a moment after it is forked: wait for it.
    assert wait_until(lambda: all(filtered(pid) for pid in worker_pids(parent))), (
        "%s: the replacement is filtered (Seccomp: %r)" % (what, [
            status_fields(pid).get("Seccomp") for pid in worker_pids(parent)]))
    for _ in range(2 * ctx.stack.workers):
        assert_equal(ctx.get("/faq?q=sessions").status, 200, "the site still answers")


def test_exec_kills_the_worker_which_is_replaced(ctx):
    forbidden_call_kills_one_worker(ctx, "exec")


def test_creating_a_socket_kills_the_worker(ctx):
    forbidden_call_kills_one_worker(ctx, "socket")


def test_opening_a_file_for_writing_kills_a_pages_worker(ctx):
    probe = ctx.stack.path("content.db") + ".probe"
    forbidden_call_kills_one_worker(ctx, "write")
    assert not os.path.exists(probe), "the file was never created"


# server.c: a worker that dies within a second of its start counts as dying at
# start, for which the parent slows down (and at last gives up); these
# violations are meant to be the other kind.
START_WINDOW = 1.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def age(pid):
    """Seconds since pid started, from /proc (0 if it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19]) / CLOCK_TICKS
        with open("/proc/uptime") as f:
            return float(f.read().split()[0]) - started
    except (OSError, IndexError, ValueError):
        return 0.0


def test_the_parent_keeps_serving_after_many_violations(ctx):
    parent = ctx.stack.procs["pages"].pid
    for i in range(3):
        # Each violation kills a worker past its start-up, as in service.
        assert wait_until(lambda: len(worker_pids(parent)) == ctx.stack.workers and all(
            age(pid) > START_WINDOW for pid in worker_pids(parent)), 10), (
            "violation %d: every worker is past its start-up" % (i + 1))
        before = worker_pids(parent)
        resp = ctx.get("/__test/exec")
        assert resp.status in (502, 503), "violation %d: the worker died mid-request (%r)" % (
            i + 1, resp)
        assert_in(UNAVAILABLE, resp.text, "violation %d: the shipped error page" % (i + 1))
        assert wait_until(lambda: len(set(before) - set(worker_pids(parent))) == 1 and len(
            worker_pids(parent)) == ctx.stack.workers), "violation %d: replaced" % (i + 1)
    assert ctx.stack.procs["pages"].poll() is None, "pages.fcgi is still running"
    assert_equal(ctx.get("/").status, 200)


def test_the_test_paths_exist_only_in_the_test_build(ctx):
    assert_equal(ctx.stack.procs["pages"].args[len(stack_module.WRAPPER)],
                 stack_module.TEST_HOOKS_PAGES, "the program running")
    with open(stack_module.TEST_HOOKS_PAGES, "rb") as f:
        assert b"/__test/" in f.read(), "the test build has its hooks"
    for program in ("pages", "contact"):
        with open(os.path.join(stack_module.BIN_DIR, "cgi-bin", program + ".fcgi"), "rb") as f:
            assert b"/__test/" not in f.read(), "cgi-bin/%s.fcgi has no test paths" % program
