#!/bin/sh
# Fails on functions that STYLE.md bans, in every C file of the project.
set -u
src=${EUGATE_SRCDIR:-.}
n=0
fail=0
for f in $(cd "$src" && ls common/*.[ch] gateway/*.[ch] policy/*.[ch] storage/*.[ch] admin/*.[ch] tests/*.[ch] tests/fuzz/*.c bench/*.c); do
	n=$((n + 1))
	hits=$(grep -nE '\b(sprintf|strcpy|strcat|strncpy|strtok|atoi|atol|alloca|system|rand)[[:space:]]*\(' "$src/$f" |
		grep -vE '\b(snprintf|vsnprintf)\(' | grep -v '^[0-9]*:[[:space:]]*/\*' || true)
	# Secrets are compared with CRYPTO_memcmp (tests compare known values).
	mem=""
	case "$f" in
	tests/*) ;;
	*) mem=$(grep -nE '(^|[^_])memcmp' "$src/$f" | grep -iE 'secret|hmac|passw|\bmac\b' || true) ;;
	esac
	if [ -z "$hits$mem" ]; then
		echo "ok $n - $f uses no banned function"
	else
		echo "not ok $n - $f uses a banned function"
		echo "$hits$mem" | sed 's/^/#   /'
		fail=1
	fi
done
echo "1..$n"
exit $fail
