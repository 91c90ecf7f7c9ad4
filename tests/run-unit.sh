#!/bin/sh
# Runs the cmocka unit test binaries given as arguments; prints one line per
# binary and a total. Exit status 1 if any test failed or a binary crashed.
passed=0
failed=0
skipped=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	s=${s:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed before cmocka could count
	fi
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) |error|Error|Assert' | head -n 20
	fi
	if [ "$s" -ne 0 ]; then
		printf '%s\n' "$out" | grep -E '^\[  SKIPPED \] [a-z_]' | sed 's/^\[  SKIPPED \]/  skip/' | awk '!seen[$0]++'
		printf '  %-28s %3d passed, %d failed, %d skipped\n' "$(basename "$t")" "$p" "$f" "$s"
	else
		printf '  %-28s %3d passed, %d failed\n' "$(basename "$t")" "$p" "$f"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
done
echo "unit: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
