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

echo "== integration tests (real nginx, SQLite, libsodium)"
python3 tests/integration/run.py "$@" | tee "$log"
count "$log"

echo
echo "total: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
