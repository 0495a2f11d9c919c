#!/bin/sh
# The man pages: scripts/mkman makes eugate.8, eugatectl.1 and eugate.ini.5
# from README.md, the programs' tables and conf/eugate.ini; groff reads
# them without a warning; they hold every option, command, key, metric and
# error code; and README lists every option of eugate -h and every command
# of eugatectl --help (what the pages' prose is made from can not drift).
set -u
build=${EUGATE_BUILDDIR:-.}
src=${EUGATE_SRCDIR:-.}
py=${PYTHON3:-python3}
n=0
fail=0
t() {	# t COND-EXIT-STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
	fi
}
out=$(mktemp -d "${TMPDIR:-/tmp}/eugate-man.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$py" "$src/scripts/mkman" --src "$src" --build "$build" --out "$out" 2>"$out/err"
t $? "scripts/mkman makes the pages $(cat "$out/err")"
for p in eugate.8 eugatectl.1 eugate.ini.5; do
	[ -s "$out/$p" ]
	t $? "$p is made"
	if command -v groff >/dev/null 2>&1; then
		warn=$(groff -man -ww -z -Tutf8 "$out/$p" 2>&1)
		[ -z "$warn" ]
		t $? "$p: groff reads it without a warning $(echo "$warn" | head -3)"
	else
		echo "# groff is not installed: $p not read"
	fi
	for s in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
		grep -q "^\.SH $s" "$out/$p"
		t $? "$p has $s"
	done
done
# Every option, command, key, metric and error code is in its page.
missing=""
for o in $("$build/eugate" -h | sed -n 's/^  \(-[^ ]*\).*/\1/p'); do
	grep -q "^\.B $(echo "$o" | sed 's/-/\\\\-/g')" "$out/eugate.8" ||
	    missing="$missing $o"
	grep -q "^| \`$o[ \`]" "$src/README.md" || missing="$missing README:$o"
done
[ -z "$missing" ]
t $? "every option of eugate -h is in eugate.8 and README's table:$missing"
missing=""
for c in $("$build/eugatectl" --help | awk '/^  [a-z]/ { print $1 ($2 ~ /^[a-z]/ ? "_" $2 : "") }'); do
	c=$(echo "$c" | tr _ ' ')
	grep -q "^\.B $c" "$out/eugatectl.1" || missing="$missing '$c'"
	grep -q "eugatectl $c" "$src/README.md" || missing="$missing README:'$c'"
done
[ -z "$missing" ]
t $? "every command of eugatectl --help is in eugatectl.1 and README:$missing"
missing=""
for k in $("$build/eugate" -k | awk '{ print $2 }' | sort -u); do
	grep -q "^\.B ;* *$k =" "$out/eugate.ini.5" || missing="$missing $k"
done
[ -z "$missing" ]
t $? "every configuration key is in eugate.ini.5:$missing"
missing=""
for m in $("$build/eugate" --list-metrics | awk '{ print $1 }') \
    $("$build/eugate" --list-errors | awk '{ print $1 }'); do
	grep -q "$(echo "$m" | sed 's/_/\\\\[_u]*/g')\|$m" "$out/eugate.8" ||
	    missing="$missing $m"
done
[ -z "$missing" ]
t $? "every metric and error code is in eugate.8:$missing"
echo "1..$n"
exit $fail
