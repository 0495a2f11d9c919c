#!/bin/sh
# Every configuration key that eugate knows is documented in conf/eugate.ini
# (as "key =" or "; key =" under its section kind).
set -u
build=${EUGATE_BUILDDIR:-.}
src=${EUGATE_SRCDIR:-.}
conf="$src/conf/eugate.ini"
n=0
fail=0
keys=$("$build/eugate" -k) || { echo "not ok 1 - eugate -k failed"; echo "1..1"; exit 1; }
echo "$keys" | {
	while read -r section key; do
		n=$((n + 1))
		if grep -Eq "^[;# ]*$key *=" "$conf"; then
			echo "ok $n - [$section] $key is documented"
		else
			echo "not ok $n - [$section] $key is not in conf/eugate.ini"
			fail=1
		fi
	done
	echo "1..$n"
	exit $fail
}
