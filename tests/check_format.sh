#!/bin/sh
# The layout rules of ../shared/STYLE.md that a machine can hold without
# getting KNF wrong, on every C file the repository tracks: at most 80
# columns (tabs of 8), tabs for indentation, no trailing white space, no
# carriage returns. `make format-check` runs it; .clang-format formats new
# code close to KNF (clang-format cannot express KNF's four-space
# continuation after nested parentheses, so it is an aid, not the check).
set -u
src=${EUGATE_SRCDIR:-.}
cd "$src" || exit 1
if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h' '*.cc')
else
	files=$(find admin common gateway policy storage tests bench \
	    -name '*.c' -o -name '*.h' -o -name '*.cc' 2>/dev/null)
fi
n=0
fail=0
check() {
	n=$((n + 1))
	what=$1
	shift
	bad=$(for f in $files; do "$@" "$f"; done | head -20)
	if [ -z "$bad" ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		echo "$bad" | sed 's/^/#   /'
		fail=1
	fi
}
# A string literal of 60 bytes without a space (an API path, a URL) may run
# over: split, it could not be found by searching for it.
cols() { expand -t8 "$1" | grep -nE '^.{81,}' | grep -vE '"[^" ]{60,}"' | cut -d: -f1 | sed "s|^|$1:|; s|\$|: over 80 columns|"; }
indent() { grep -nP '^\t*( {8,}| +\t)' "$1" | sed "s|^|$1:|" | cut -c1-100; }
trailing() { grep -nE '[[:space:]]$' "$1" | sed "s|^|$1:|" | cut -c1-100; }
cr() { grep -lc "$(printf '\r')" "$1"; }
check "lines fit in 80 columns" cols
check "indentation is tabs (and KNF's four-space continuation)" indent
check "no trailing white space" trailing
check "no carriage returns" cr
echo "1..$n"
exit $fail
