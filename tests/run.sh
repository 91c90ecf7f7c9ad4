#!/bin/sh
# `make test`: every suite, then one closing line with the totals.
cd "$(dirname "$0")/.." || exit 1
total_passed=0
total_failed=0
status=0

count() { # reads "...: N passed, M failed" from the last such line of $1
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	p=$(echo "$line" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	total_passed=$((total_passed + ${p:-0}))
	total_failed=$((total_failed + ${f:-1}))
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== unit tests (cmocka)"
sh tests/run-unit.sh build/tests/test_* | tee "$log"
count "$log"

echo "== boundary: no web program holds code that opens an enquiry"
sh tests/boundary.sh | tee "$log"
count "$log"

echo "== integration tests (real nginx, SQLite, libsodium)"
python3 tests/integration/run.py "$@" | tee "$log"
count "$log"

echo "== fuzz targets: seed corpora and regression inputs replayed under ASan+UBSan"
sh fuzz/run.sh replay | tee "$log"
count "$log"

echo "== fuzz targets: each run with libFuzzer for ${FUZZ_SHORT_SECONDS:=10}s (make fuzz runs longer)"
sh fuzz/run.sh short "$FUZZ_SHORT_SECONDS" | tee "$log"
count "$log"

echo "== unit tests under ASan+UBSan"
UBSAN_OPTIONS=print_stacktrace=1 sh tests/run-unit.sh build/asan/tests/test_* |
	sed 's/^unit:/unit-asan:/' | tee "$log"
count "$log"

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
line=$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
p=$(echo "$line" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')
f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
echo "integration-asan: ${p:-0} passed, $((${f:-1} + found)) failed ($found sanitizer reports)" |
	tee "$log"
count "$log"
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
awk '/^integration: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4; n++ }
	END { printf "integration-valgrind: %d passed, %d failed\n", p, n == 2 ? f : f + 1 }' "$log" |
	tee "$log.sum"
count "$log.sum"
rm -f "$log.sum"
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
count "$log"
rm -rf "$vg_logs"

echo "== browser: Chromium, keyboard only, no JavaScript; axe-core WCAG 2.2 AA"
if [ -d tests/browser/node_modules/playwright-core ] ||
	(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error); then
	python3 tests/browser/run.py | tee "$log"
else
	echo "browser: 0 passed, 1 failed (npm ci in tests/browser failed)" | tee "$log"
fi
count "$log"

echo "== lighthouse: every page in Chromium, mobile: Accessibility and SEO 100, Best Practices and Performance >= 95"
if [ -d tests/lighthouse/node_modules/lighthouse ] ||
	(cd tests/lighthouse && npm ci --no-audit --no-fund --loglevel=error); then
	python3 tests/lighthouse/run.py | tee "$log"
else
	echo "lighthouse: 0 passed, 1 failed (npm ci in tests/lighthouse failed)" | tee "$log"
fi
count "$log"

echo "== soak: mixed load, workers killed, the database's disk full and read-only"
python3 tests/soak/run.py | tee "$log"
count "$log"

echo "== package: the Debian packages built, linted, installed, upgraded and purged (tests/package)"
sh tests/package/run.sh | tee "$log"
count "$log"

echo
echo "total: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
