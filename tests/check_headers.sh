#!/bin/sh
# Every header compiles on its own (it includes what it uses).
set -u
src=${EUGATE_SRCDIR:-.}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
for h in $(cd "$src" && ls common/*.h gateway/*.h policy/*.h storage/*.h admin/*.h tests/*.h); do
	n=$((n + 1))
	printf '#include "%s"\n' "$h" >"$tmp/t.c"
	if $cc -std=c11 -Wall -Werror -fsyntax-only -I"$src" ${EUGATE_CPPFLAGS:-} "$tmp/t.c" 2>"$tmp/err"; then
		echo "ok $n - $h compiles alone"
	else
		echo "not ok $n - $h does not compile alone"
		sed 's/^/#   /' "$tmp/err"
		fail=1
	fi
done
echo "1..$n"
exit $fail
