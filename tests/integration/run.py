#!/usr/bin/env python3
"""Runs the integration suites: python3 tests/integration/run.py [SUITE [TEST]]"""
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402


def main():
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    only = sys.argv[2] if len(sys.argv) > 2 else None
    names = sorted(f[:-3] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))
    if wanted:
        names = [n for n in names if wanted in n]
    passed = failed = 0
    for name in names:
        module = importlib.import_module(name)
        try:
            p, f = harness.run_suite(module, only)
        except Exception as e:  # a suite whose stack would not start
            print("  %s: could not start: %s" % (name, e))
            p, f = 0, 1
        passed += p
        failed += f
    print("integration: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
