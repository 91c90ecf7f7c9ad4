#!/bin/sh
# No web program can open an enquiry: every build of pages.fcgi and
# contact.fcgi (plain, test hooks, ASan+UBSan with and without, Valgrind) is checked for the
# symbols that opening takes. The staff side's own functions are read from
# build/libstaff.a, so a module added under staff/ is covered without a list
# kept here; libsodium's opening calls are named, since they live in a shared
# library. The staff tool itself must show those very symbols, which proves
# that the check can see them. Prints one line per program and a total.
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
opening='^(crypto_box_seal_open|crypto_box_open.*|crypto_box_beforenm|crypto_secretbox_open.*|crypto_pwhash.*)$'

staff_functions=$(mktemp)
trap 'rm -f "$staff_functions"' EXIT
nm -g --defined-only build/libstaff.a 2>/dev/null | awk 'NF == 3 && $2 == "T" { print $3 }' |
	sort -u >"$staff_functions"
if [ ! -s "$staff_functions" ]; then
	echo "  build/libstaff.a holds no functions: run make first"
	echo "boundary: 0 passed, 1 failed"
	exit 1
fi

# Prints what program holds of the staff side: its defined functions that
# libstaff.a defines, and the opening calls it imports from libsodium.
staff_symbols() {
	{
		nm --defined-only "$1" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u |
			comm -12 - "$staff_functions"
		nm -D --undefined-only "$1" 2>/dev/null | awk '{ print $NF }' | sed 's/@.*//' |
			grep -E "$opening"
	} | sort -u | tr '\n' ' '
}

for program in cgi-bin/pages.fcgi cgi-bin/contact.fcgi build/test-hooks/pages.fcgi \
	build/asan/cgi-bin/pages.fcgi build/asan/cgi-bin/contact.fcgi build/asan/test-hooks/pages.fcgi \
	build/valgrind/cgi-bin/pages.fcgi build/valgrind/cgi-bin/contact.fcgi; do
	if [ ! -x "$program" ]; then
		echo "  $program: not built"
		failed=$((failed + 1))
		continue
	fi
	found=$(staff_symbols "$program")
	if [ -z "$found" ]; then
		echo "  $program: no staff code"
		passed=$((passed + 1))
	else
		echo "  $program: holds staff code: $found"
		failed=$((failed + 1))
	fi
done

for program in tools/enquiries build/asan/tools/enquiries; do
	found=$(staff_symbols "$program")
	case " $found" in
	*" crypto_box_seal_open "*" keyring_load "* | *" keyring_load "*" crypto_box_seal_open "*)
		echo "  $program: the check sees crypto_box_seal_open and keyring_load"
		passed=$((passed + 1))
		;;
	*)
		echo "  $program: the check does not see what the staff tool holds (saw: $found)"
		failed=$((failed + 1))
		;;
	esac
done

echo "boundary: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
