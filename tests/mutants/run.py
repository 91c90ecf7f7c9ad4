#!/usr/bin/env python3
"""`make mutants`: plants each fault of tests/mutants/mutants.py, one at a time,
in a scratch copy of the tree, builds only what the fault touches, runs the
suites named for it, and fails unless every suite-set catches its fault. The
report names each mutant and the tests that killed it.

    python3 tests/mutants/run.py [--list] [--check] [--no-baseline] [NAME ...]

Before any mutant, the named suites run once on an unplanted copy and must
pass: a "kill" by a suite that fails anyway would prove nothing.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from mutants import MUTANTS  # noqa: E402

# Never copied: big, and nothing a mutant's suites read.
SKIP = shutil.ignore_patterns(".git", "node_modules", "artifacts", "var")


class PlantError(Exception):
    pass


def plant(mutant, tree):
    """Applies mutant's edits under tree; PlantError if a snippet is not
    there exactly once (the code has moved: update mutants.py)."""
    texts = {}
    for path, snippet, replacement in mutant.edits:
        full = os.path.join(tree, path)
        if path not in texts:
            with open(full) as f:
                texts[path] = f.read()
        found = texts[path].count(snippet)
        if found != 1:
            raise PlantError("%s: the snippet %r is in %s %d times, not once: update "
                             "tests/mutants/mutants.py" % (mutant.name, snippet[:60], path,
                                                            found))
        texts[path] = texts[path].replace(snippet, replacement)
    for path, text in texts.items():
        with open(os.path.join(tree, path), "w") as f:
            f.write(text)


def check_all_plant():
    """Every mutant plants on the tree as it is now, before anything runs."""
    problems = []
    for mutant in MUTANTS:
        scratch = {}
        for path, _, _ in mutant.edits:
            if path not in scratch:
                with open(os.path.join(ROOT, path)) as f:
                    scratch[path] = f.read()
        for path, snippet, replacement in mutant.edits:
            found = scratch[path].count(snippet)
            if found != 1:
                problems.append("%s: the snippet %r is in %s %d times, not once" % (
                    mutant.name, snippet[:60], path, found))
            else:
                scratch[path] = scratch[path].replace(snippet, replacement)
    return problems


def unit_binary(suite):
    return "build/tests/" + suite.split(":", 1)[1]


def build(tree, suites):
    """Builds, incrementally, the programs and the unit binaries the suites need."""
    targets = ["all", "build/test-hooks/pages.fcgi"] + [
        unit_binary(s) for s in suites if s.startswith("unit:")]
    result = subprocess.run(["make", "--no-print-directory", "-s"] + targets, cwd=tree,
                            capture_output=True, text=True)
    return result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def run_suite(tree, suite):
    """Runs one suite in tree: (passed, names of the tests that failed, output)."""
    kind, name = suite.split(":", 1)
    if kind == "unit":
        cmd = [os.path.join(tree, unit_binary(suite))]
        env = dict(os.environ)
    else:
        cmd = [sys.executable, os.path.join(tree, "tests", "integration", "run.py"), name]
        env = dict(os.environ, CLINIC_WEB_SERVER="nginx")
    env.pop("CLINIC_BIN_DIR", None)
    env.pop("CLINIC_WRAPPER", None)
    try:
        result = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True,
                                timeout=600)
        out, code = result.stdout + result.stderr, result.returncode
    except subprocess.TimeoutExpired as e:
        out, code = "timed out after 600 s: %s" % (e.stdout or "")[-2000:], -1
    if kind == "unit":
        failed = ["%s.%s" % (name, t) for t in
                  dict.fromkeys(re.findall(r"^\[  FAILED  \] (\w+)$", out, re.M))]
    else:
        failed = re.findall(r"^  FAIL (test_\w+\.test_\w+)", out, re.M)
        failed += ["%s (could not start)" % s for s in
                   re.findall(r"^  (test_\w+): could not start", out, re.M)]
    if code != 0 and not failed:
        failed = ["%s (exit status %d)" % (suite, code)]
    return code == 0 and not failed, failed, out


def copy_tree(dest):
    shutil.copytree(ROOT, dest, symlinks=True, ignore=SKIP)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--no-baseline", action="store_true",
                        help="do not run the suites on an unplanted copy first")
    parser.add_argument("--check", action="store_true",
                        help="only check that every mutant still plants (make test does)")
    args = parser.parse_args()
    if args.check:
        problems = check_all_plant()
        for p in problems:
            print("  FAIL cannot plant " + p + ": update tests/mutants/mutants.py")
        print("mutants-plant: %d passed, %d failed" % (
            len(MUTANTS) - len({p.split(":")[0] for p in problems}),
            len({p.split(":")[0] for p in problems})))
        return 1 if problems else 0
    if args.list:
        for m in MUTANTS:
            print("%-26s %s  [%s]%s" % (m.name, m.what, ", ".join(m.suites),
                                        "  (make test)" if m.make_test else ""))
        return 0
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    unknown = set(args.names) - {m.name for m in MUTANTS}
    if unknown:
        print("mutants: no mutant called %s" % ", ".join(sorted(unknown)))
        return 2
    sys.stdout.reconfigure(line_buffering=True)
    started = time.time()
    problems = check_all_plant()
    if problems:
        for p in problems:
            print("  FAIL cannot plant " + p)
        print("mutants: 0 passed, %d failed (update tests/mutants/mutants.py)" % len(problems))
        return 1

    work = tempfile.mkdtemp(prefix="clinic-mutants-")
    killed, survived = [], []
    try:
        base = os.path.join(work, "base")
        copy_tree(base)
        suites = sorted({s for m in chosen for s in m.suites})
        ok, out = build(base, suites)
        if not ok:
            print("  FAIL the unplanted copy does not build:\n" + out)
            print("mutants: 0 passed, 1 failed")
            return 1
        if not args.no_baseline:
            for suite in suites:
                passed, failed, out = run_suite(base, suite)
                print("  baseline %-24s %s" % (suite, "passes" if passed else
                                                "FAILS: " + ", ".join(failed)))
                if not passed:
                    print("\n".join("    " + line for line in out.splitlines()[-40:]))
                    print("mutants: 0 passed, 1 failed (a suite fails with no fault planted)")
                    return 1
        for mutant in chosen:
            t0 = time.time()
            tree = os.path.join(work, mutant.name)
            shutil.copytree(base, tree, symlinks=True)
            try:
                plant(mutant, tree)
                ok, out = build(tree, mutant.suites)
                if not ok:
                    survived.append(mutant.name)
                    print("  FAIL %-24s does not build, so proves nothing:\n%s" % (
                        mutant.name, out))
                    continue
                killers = []
                for suite in mutant.suites:
                    _, failed, _ = run_suite(tree, suite)
                    killers += failed
                if killers:
                    killed.append((mutant, killers))
                    print("  killed   %-24s %s (%.0fs)\n           by %s" % (
                        mutant.name, mutant.what, time.time() - t0,
                        "\n              ".join(killers)))
                else:
                    survived.append(mutant.name)
                    print("  FAIL survived %-24s %s: %s all pass (%.0fs)" % (
                        mutant.name, mutant.what, ", ".join(mutant.suites), time.time() - t0))
            except PlantError as e:
                survived.append(mutant.name)
                print("  FAIL cannot plant %s" % e)
            finally:
                shutil.rmtree(tree, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("%-26s %s" % ("mutant", "killed by"))
    for mutant, killers in killed:
        print("%-26s %s%s" % (mutant.name, killers[0],
                              " (+%d more)" % (len(killers) - 1) if len(killers) > 1 else ""))
    for name in survived:
        print("%-26s SURVIVED" % name)
    print("  (%.0fs)" % (time.time() - started))
    print("mutants: %d passed, %d failed" % (len(killed), len(survived)))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
