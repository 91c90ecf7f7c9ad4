#!/usr/bin/env python3
"""Runs the integration suites: python3 tests/integration/run.py [SUITE [TEST]]

Every suite runs twice: behind nginx, then behind Apache (both with the
shipped configs). CLINIC_WEB_SERVER=nginx or =apache runs one pass only."""
import importlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402


def main():
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    only = sys.argv[2] if len(sys.argv) > 2 else None
    names = sorted(f[:-3] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))
    if wanted:
        names = [n for n in names if wanted in n]
    chosen = os.environ.get("CLINIC_WEB_SERVER")
    passed = failed = skipped = 0
    distinct = set()
    for server in [chosen] if chosen else ["nginx", "apache"]:
        # Stacks made by the harness or directly by a suite use this server.
        harness.stack_module.WEB_SERVER = server
        os.environ["CLINIC_WEB_SERVER"] = server
        print("  -- behind %s" % server, flush=True)
        started = time.time()
        pass_passed = pass_failed = pass_skipped = 0
        for name in names:
            module = importlib.import_module(name)
            try:
                p, f, s, tests = harness.run_suite(module, only)
                distinct.update(tests)
            except Exception as e:  # a suite whose stack would not start
                print("  %s: could not start: %s" % (name, e))
                p, f, s = 0, 1, 0
            pass_passed += p
            pass_failed += f
            pass_skipped += s
        print("  -- behind %s: %d passed, %d failed, %d skipped  (%.0fs)" % (
            server, pass_passed, pass_failed, pass_skipped, time.time() - started), flush=True)
        passed += pass_passed
        failed += pass_failed
        skipped += pass_skipped
    if chosen is None:
        os.environ.pop("CLINIC_WEB_SERVER", None)
    # Distinct test functions, whichever server ran them; then every run.
    print("integration: %d distinct tests" % len(distinct))
    print("integration: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
