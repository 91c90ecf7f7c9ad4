#!/bin/sh
# Runs the fuzz targets (fuzz/fuzz_*.c) in one of three ways:
#
#   sh fuzz/run.sh replay              every seed and regression input, once, under ASan+UBSan
#   sh fuzz/run.sh short SECONDS       each libFuzzer target SECONDS; new finds are discarded
#   sh fuzz/run.sh long SECONDS [T..]  each (or each named) target SECONDS, keeping what it
#                                      finds in build/fuzz/corpus/T (`make fuzz`)
#
# Prints a line per target and a closing "NAME: N passed, M failed". A crash,
# sanitizer report, leak, hang (10 s on one input) or memory blow-up (2 GB) is
# a failure; its input is saved under build/fuzz/artifacts/T/ to be fixed and
# then kept as a regression input in fuzz/regressions/T/.
cd "$(dirname "$0")/.." || exit 1
mode=${1:-replay}
[ $# -gt 0 ] && shift
seconds=10
if [ "$mode" != replay ] && [ $# -gt 0 ]; then
	seconds=$1
	shift
fi
targets="$*"
if [ -z "$targets" ]; then
	for src in fuzz/fuzz_*.c; do
		name=${src#fuzz/fuzz_}
		targets="$targets ${name%.c}"
	done
fi
lanes=$(nproc 2>/dev/null || echo 2)
[ "$lanes" -gt 4 ] && lanes=4
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# The symbolizer turns addresses into file:line in reports.
for s in llvm-symbolizer llvm-symbolizer-14; do
	if command -v "$s" >/dev/null 2>&1; then
		ASAN_SYMBOLIZER_PATH=$(command -v "$s")
		export ASAN_SYMBOLIZER_PATH
		break
	fi
done
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export UBSAN_OPTIONS

replay() {
	passed=0
	failed=0
	for t in $targets; do
		out=$("build/asan/fuzz/replay_$t" "fuzz/corpus/$t" "fuzz/regressions/$t" 2>"$results/$t.err")
		printf '%s\n' "$out"
		case "$out" in
		*"FAIL "*) sed -n '1,60p' "$results/$t.err" ;;
		esac
		p=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -n 1)
		f=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -n 1)
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-1}))
	done
	echo "fuzz-replay: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# Runs one target for $seconds; writes "ok" or "failed" to $results/$t.status.
fuzz_one() {
	t=$1
	artifacts="build/fuzz/artifacts/$t"
	mkdir -p "$artifacts"
	if [ "$mode" = long ]; then
		corpus="build/fuzz/corpus/$t"
		mkdir -p "$corpus"
	else
		corpus="$results/corpus-$t"
		mkdir -p "$corpus"
	fi
	dict=""
	[ -f "fuzz/dict/$t.dict" ] && dict="-dict=fuzz/dict/$t.dict"
	seeds=""
	for d in "fuzz/corpus/$t" "fuzz/regressions/$t"; do
		[ -d "$d" ] && seeds="$seeds $d"
	done
	started=$(date +%s)
	# shellcheck disable=SC2086
	"build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" $dict "$corpus" $seeds \
		>"$results/$t.log" 2>&1
	rc=$?
	took=$(($(date +%s) - started))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$results/$t.log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+' "$results/$t.log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		printf '  %-28s ok: %s runs in %ss, %s\n' "fuzz_$t" "${runs:-?}" "$took" "${cov:-cov: ?}" \
			>"$results/$t.line"
		echo ok >"$results/$t.status"
	else
		{
			printf '  FAIL %-23s exit %s after %ss; the input:\n' "fuzz_$t" "$rc" "$took"
			grep -E 'Test unit written to|ERROR:|runtime error|property does not hold|SUMMARY' \
				"$results/$t.log" | head -n 8 | sed 's/^/    /'
			grep -q 'Test unit written to' "$results/$t.log" ||
				tail -n 5 "$results/$t.log" | sed 's/^/    /'
			echo "    full report: rerun build/fuzz/fuzz_$t on that file; once fixed, keep it"
			echo "    in fuzz/regressions/$t/ so make test replays it"
		} >"$results/$t.line"
		echo failed >"$results/$t.status"
	fi
}

fuzz_all() {
	lane=0
	while [ "$lane" -lt "$lanes" ]; do
		(
			i=0
			for t in $targets; do
				[ $((i % lanes)) -eq "$lane" ] && fuzz_one "$t"
				i=$((i + 1))
			done
		) &
		lane=$((lane + 1))
	done
	wait
	passed=0
	failed=0
	for t in $targets; do
		cat "$results/$t.line" 2>/dev/null || echo "  FAIL fuzz_$t: did not run"
		if [ "$(cat "$results/$t.status" 2>/dev/null)" = ok ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
	echo "fuzz-$mode: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

case "$mode" in
replay) replay ;;
short | long) fuzz_all ;;
*)
	echo "usage: sh fuzz/run.sh replay | short SECONDS | long SECONDS [TARGET...]" >&2
	exit 2
	;;
esac
