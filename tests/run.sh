#!/bin/sh
# `make test`: every suite, then a summary that keeps apart what it counts:
# distinct tests and their runs (across builds and web servers), fuzz inputs
# and targets, and processes checked by Valgrind; a skipped test is counted
# as skipped, never as passed. With CLINIC_NO_SKIPS=1 (CI sets it: its
# machine can run everything) any skip fails the run.
cd "$(dirname "$0")/.." || exit 1
tests=0         # distinct tests (functions, checks, pages), each counted once
test_kinds=""   # "291 unit, 9 boundary, ..."
runs_passed=0   # executions of those tests, in every build and behind every server
runs_failed=0
runs_skipped=0
fuzz_passed=0   # seed and regression inputs replayed, fuzz targets run
fuzz_failed=0
fuzz_inputs=0
fuzz_targets=0
vg_clean=0      # processes under Valgrind
vg_dirty=0
stage_started=$(date +%s)

# The last "...: N passed, M failed[, K skipped]" line of $1, as "N M K".
counts() {
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	p=$(echo "$line" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	echo "${p:-0} ${f:-1} ${s:-0}"
}

# count KIND [NAME DISTINCT]: adds a stage's line to the totals. KIND is
# "tests" (new tests, run once each here: DISTINCT of them, or as many as
# ran), "runs" (tests counted already, run again), "fuzz-inputs",
# "fuzz-targets" or "valgrind".
count() {
	set -- "$1" "${2:-}" "${3:-}" $(counts "$log")
	kind=$1 name=$2 distinct=$3 p=$4 f=$5 s=$6
	case $kind in
	tests)
		n=${distinct:-$((p + f + s))}
		tests=$((tests + n))
		test_kinds="$test_kinds${test_kinds:+, }$n $name"
		;;
	fuzz-inputs) fuzz_inputs=$((fuzz_inputs + p + f)) ;;
	fuzz-targets) fuzz_targets=$((fuzz_targets + p + f)) ;;
	esac
	case $kind in
	tests | runs)
		runs_passed=$((runs_passed + p))
		runs_failed=$((runs_failed + f))
		runs_skipped=$((runs_skipped + s))
		;;
	fuzz-*)
		fuzz_passed=$((fuzz_passed + p))
		fuzz_failed=$((fuzz_failed + f))
		;;
	valgrind)
		vg_clean=$((vg_clean + p))
		vg_dirty=$((vg_dirty + f))
		;;
	esac
	now=$(date +%s)
	echo "  (stage: $((now - stage_started)) s)"
	stage_started=$now
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== unit tests (cmocka)"
sh tests/run-unit.sh build/tests/test_* | tee "$log"
count tests unit

echo "== boundary: no web program holds code that opens an enquiry"
sh tests/boundary.sh | tee "$log"
count tests boundary

# The faults `make mutants` plants must still be where its list says: a
# snippet that has moved fails here, not months later (about a second).
echo "== mutants: every fault of tests/mutants/mutants.py still plants (make mutants runs them)"
python3 tests/mutants/run.py --check | tee "$log"
count tests mutant-definitions

echo "== integration tests (real nginx, SQLite, libsodium)"
python3 tests/integration/run.py "$@" | tee "$log"
count tests integration "$(sed -n 's/^integration: \([0-9]*\) distinct tests$/\1/p' "$log")"

echo "== fuzz targets: seed corpora and regression inputs replayed under ASan+UBSan"
sh fuzz/run.sh replay | tee "$log"
count fuzz-inputs

echo "== fuzz targets: each run with libFuzzer for ${FUZZ_SHORT_SECONDS:=10}s (make fuzz runs longer)"
sh fuzz/run.sh short "$FUZZ_SHORT_SECONDS" | tee "$log"
count fuzz-targets

echo "== unit tests under ASan+UBSan"
UBSAN_OPTIONS=print_stacktrace=1 sh tests/run-unit.sh build/asan/tests/test_* |
	sed 's/^unit:/unit-asan:/' | tee "$log"
count runs

# The programs built with ASan+UBSan behind the real web servers. A report
# from a program (on its stderr) fails the stage even if every test passed.
# Workers are sandboxed: no symbolizer may run there, so reports are
# symbolized here afterwards.
echo "== integration tests under ASan+UBSan (build/asan programs)"
reports=$(mktemp)
CLINIC_BIN_DIR=build/asan ASAN_OPTIONS=symbolize=0 UBSAN_OPTIONS=print_stacktrace=1:symbolize=0 \
	python3 tests/integration/run.py "$@" 2>"$reports" | tee "$log" |
	grep --line-buffered -v '^integration:'
found=$(grep -cE '^==[0-9]+==ERROR: |runtime error:' "$reports")
if [ "$found" -ne 0 ]; then
	grep -E -A 40 '^==[0-9]+==ERROR: |runtime error:' "$reports" | head -n 200 |
		asan_symbolize 2>/dev/null || grep -E -A 40 '^==[0-9]+==ERROR: |runtime error:' "$reports"
fi
read -r p f s <<EOF
$(counts "$log")
EOF
echo "integration-asan: $p passed, $((f + found)) failed, $s skipped ($found sanitizer reports)" |
	tee "$log"
count runs
rm -f "$reports"

# One pass of the pages and forms suites with each FastCGI process (parents
# and forked workers) in Valgrind's memcheck, one log per process: every log
# must end with zero errors and nothing definitely lost.
echo "== integration tests under Valgrind (pages and forms suites, behind nginx)"
vg_logs=$(mktemp -d)
for suite in pages forms; do
	CLINIC_BIN_DIR=build/valgrind CLINIC_WEB_SERVER=nginx \
		CLINIC_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite \
		--errors-for-leak-kinds=definite --num-callers=30 --log-file=$vg_logs/%p.log" \
		python3 tests/integration/run.py "$suite"
done >"$log"
grep -v '^integration:' "$log"
awk '/^integration: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4; s += $6; n++ }
	END { printf "integration-valgrind: %d passed, %d failed, %d skipped\n", p, n == 2 ? f : f + 1, s }' \
	"$log" >"$log.sum"
cat "$log.sum" >"$log"
rm -f "$log.sum"
cat "$log"
count runs
clean=0
dirty=0
for f in "$vg_logs"/*.log; do
	[ -e "$f" ] || continue
	if grep -q 'ERROR SUMMARY: 0 errors' "$f" && ! grep -qE 'definitely lost: [1-9]' "$f"; then
		clean=$((clean + 1))
	else
		dirty=$((dirty + 1))
		echo "  $(basename "$f" .log): $(grep -E 'ERROR SUMMARY|definitely lost' "$f" | tr -s ' ' |
			tr '\n' ' ')"
		grep -v '^==[0-9]*== *$' "$f" | head -n 60
	fi
done
[ $((clean + dirty)) -eq 0 ] && dirty=1 # no process ran under Valgrind at all
echo "valgrind: $clean passed, $dirty failed (processes with zero errors and no definite leaks)" |
	tee "$log"
count valgrind
rm -rf "$vg_logs"

echo "== browser: Chromium, keyboard only, no JavaScript; axe-core WCAG 2.2 AA"
if [ -d tests/browser/node_modules/playwright-core ] ||
	(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error); then
	python3 tests/browser/run.py | tee "$log"
else
	echo "browser: 0 passed, 1 failed (npm ci in tests/browser failed)" | tee "$log"
fi
count tests browser

echo "== lighthouse: every page in Chromium, mobile: Accessibility and SEO 100, Best Practices and Performance >= 95"
if [ -d tests/lighthouse/node_modules/lighthouse ] ||
	(cd tests/lighthouse && npm ci --no-audit --no-fund --loglevel=error); then
	python3 tests/lighthouse/run.py | tee "$log"
else
	echo "lighthouse: 0 passed, 1 failed (npm ci in tests/lighthouse failed)" | tee "$log"
fi
count tests lighthouse

echo "== soak: mixed load, workers killed, the database's disk full and read-only"
python3 tests/soak/run.py | tee "$log"
count tests soak

echo "== package: the Debian packages built, linted, installed, upgraded and purged (tests/package)"
sh tests/package/run.sh | tee "$log"
count tests package

failed=$((runs_failed + fuzz_failed + vg_dirty))
echo
echo "summary: $tests tests ($test_kinds) in $((runs_passed + runs_failed + runs_skipped)) runs" \
	"(unit and integration again under ASan+UBSan, integration behind nginx and Apache," \
	"pages and forms under Valgrind): $runs_passed passed, $runs_failed failed, $runs_skipped skipped;" \
	"fuzzing: $fuzz_inputs inputs replayed and $fuzz_targets targets run, $fuzz_failed failed;" \
	"Valgrind: $((vg_clean + vg_dirty)) processes, $vg_dirty with errors or leaks"
if [ "$runs_skipped" -ne 0 ] && [ "${CLINIC_NO_SKIPS:-0}" = 1 ]; then
	echo "skipped: $runs_skipped tests that this machine must run (CLINIC_NO_SKIPS=1): see the skip lines above"
	failed=$((failed + runs_skipped))
fi
echo "total: $runs_passed passed, $failed failed, $runs_skipped skipped"
[ "$failed" -eq 0 ]
