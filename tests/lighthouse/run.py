#!/usr/bin/env python3
"""The Lighthouse stage of `make test`: starts the stack (nginx and the
programs, as the integration suites do) and runs lighthouse.mjs, which audits
every page /sitemap.xml lists in one Debian Chromium with Lighthouse's Node
API: mobile emulation, simulated throttling, and Accessibility 100, SEO 100,
Best Practices >= 95 and Performance >= 95 on every page.

    python3 tests/lighthouse/run.py

Reports (HTML and JSON per page, scores.json) go to tests/artifacts/lighthouse/
(git-ignored). Needs `npm ci` in tests/lighthouse first (tests/run.sh does it).
"""
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "lighthouse")
NODE_TIMEOUT = 300


def priority():
    """A command prefix that runs node and the Chromium it starts ahead of the
    machine's other work (others run tests here too): Lighthouse measures how
    long the browser's own tasks take and multiplies them by its simulated
    CPU slowdown, so time the browser spent waiting for a CPU would count as
    the page's. Only root may raise a priority; others run as they are."""
    return ["nice", "-n", "-10"] if os.geteuid() == 0 else []


def main():
    sys.stdout.reconfigure(line_buffering=True)  # in order with node's output
    started = time.time()
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for need, what in ((shutil.which("node"), "node (apt-get install nodejs)"),
                       (os.path.exists(chromium), chromium + " (apt-get install chromium)"),
                       (os.path.isdir(os.path.join(HERE, "node_modules", "lighthouse")),
                        "tests/lighthouse/node_modules (cd tests/lighthouse && npm ci)")):
        if not need:
            print("  missing: " + what)
            print("lighthouse: 0 passed, 1 failed")
            return 1
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    stack = harness.new_stack()
    try:
        env = dict(os.environ, CLINIC_URL="http://127.0.0.1:%d" % stack.port,
                   ARTIFACTS=ARTIFACTS, CHROMIUM=chromium)
        try:
            node = subprocess.run(priority() + ["node", os.path.join(HERE, "lighthouse.mjs")], cwd=HERE,
                                  env=env, stdout=subprocess.PIPE, text=True,
                                  timeout=NODE_TIMEOUT)
            output, status = node.stdout, node.returncode
        except subprocess.TimeoutExpired as e:
            output, status = e.stdout or "", -1
            output += "  FAIL the Lighthouse run took longer than %d s\n" % NODE_TIMEOUT
    finally:
        harness.destroy_stack(stack)
    passed = failed = 0
    for line in output.splitlines():
        if line.startswith("lighthouse-node:"):
            counts = line.split(":", 1)[1].split(",")
            passed, failed = int(counts[0].split()[0]), int(counts[1].split()[0])
        else:
            print(line)
    if status != 0 and failed == 0:
        failed = 1
        print("  FAIL node exited with status %s" % status)
    print("  reports: %s  (%.1fs)" % (os.path.relpath(ARTIFACTS, ROOT), time.time() - started))
    print("lighthouse: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
