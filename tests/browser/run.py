#!/usr/bin/env python3
"""The browser stage of `make test`: starts the stack, runs browser.mjs in
Debian's Chromium (playwright-core, no browser download), then checks that
every enquiry the browser was thanked for is in the database and, through the
staff tool, holds exactly the words typed with the keyboard.

    python3 tests/browser/run.py

Screenshots and the axe report go to tests/artifacts/browser/ (git-ignored).
Needs `npm ci` in tests/browser first (tests/run.sh does it).
"""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "browser")
TOKEN_MIN_AGE = 1  # typing takes longer; checked before each submit anyway
NODE_TIMEOUT = 300


def main():
    sys.stdout.reconfigure(line_buffering=True)  # in order with node's output
    started = time.time()
    passed = failed = skipped = 0
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for need, what in ((shutil.which("node"), "node (apt-get install nodejs)"),
                       (os.path.exists(chromium), chromium + " (apt-get install chromium)"),
                       (os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")),
                        "tests/browser/node_modules (cd tests/browser && npm ci)")):
        if not need:
            print("  missing: " + what)
            print("browser: 0 passed, 1 failed")
            return 1

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    results_file = os.path.join(ARTIFACTS, "sent.json")
    stack = harness.new_stack(token_min_age=TOKEN_MIN_AGE, rate_limit_posts=1000)
    try:
        env = dict(os.environ, CLINIC_URL="http://127.0.0.1:%d" % stack.port,
                   ARTIFACTS=ARTIFACTS, RESULTS_FILE=results_file,
                   TOKEN_MIN_AGE=str(TOKEN_MIN_AGE), CHROMIUM=chromium)
        try:
            node = subprocess.run(["node", os.path.join(HERE, "browser.mjs")], cwd=HERE, env=env,
                                  timeout=NODE_TIMEOUT)
            node_status = node.returncode
        except subprocess.TimeoutExpired:
            print("  FAIL the browser run took longer than %d s" % NODE_TIMEOUT)
            node_status = -1
        try:
            with open(results_file) as f:
                results = json.load(f)
        except (OSError, ValueError):
            results = {"passed": 0, "failed": 1, "sent": []}
        passed += results["passed"]
        failed += results["failed"]
        skipped += results.get("skipped", 0)
        if node_status != 0 and results["failed"] == 0:
            failed += 1
            print("  FAIL node exited with status %s" % node_status)

        p, f = check_sent(stack, results["sent"])
        passed += p
        failed += f
    finally:
        harness.destroy_stack(stack)
    print("  screenshots and axe report: %s  (%.1fs)" % (os.path.relpath(ARTIFACTS, ROOT),
                                                        time.time() - started))
    print("browser: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


def check_sent(stack, sent):
    """Every reference the browser was shown is stored, and opens to what was typed."""
    passed = failed = 0
    expected_count = 4  # two forms at two widths

    def outcome(ok, name, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("  ok   " + name)
        else:
            failed += 1
            print("  FAIL %s\n         %s" % (name, detail))

    outcome(len(sent) == expected_count, "the browser was thanked %d times" % expected_count,
            "thanked %d times: %r" % (len(sent), [s["ref"] for s in sent]))
    rows = {r["ref"]: r for r in harness.enquiry_rows(stack.path("enquiries.db"))}
    for s in sent:
        row = rows.get(s["ref"])
        outcome(row is not None and row["kind"] == s["kind"],
                "%s %s (%s) is in the database" % (s["kind"], s["ref"], s["width"]),
                "row: %r" % (row and {k: row[k] for k in ("ref", "kind")}))
    try:
        opened = harness.staff_export(stack)
    except AssertionError as e:
        outcome(False, "the staff tool opens what the browser sent", str(e)[:400])
        return passed, failed
    for s in sent:
        record = opened.get(s["ref"])
        wrong = ["%s: %r" % (name, record.get(name) if record else None)
                 for name, value in s["fields"].items()
                 if record is None or record.get(name) != value]
        outcome(not wrong, "%s %s opens to the words typed" % (s["kind"], s["ref"]),
                "differs: " + "; ".join(wrong))
    return passed, failed


if __name__ == "__main__":
    sys.exit(main())
