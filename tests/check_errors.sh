#!/bin/sh
# The error table (common/errors.c) is the one source of error codes:
# every code the sources answer with is in it, and README's table is a
# copy of it (eugate --list-errors).
set -u
build=${EUGATE_BUILDDIR:-.}
src=${EUGATE_SRCDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/eugate" --list-errors >"$tmp/table" || { echo "not ok 1 - eugate --list-errors"; echo "1..1"; exit 1; }
cut -d' ' -f1 "$tmp/table" | sort >"$tmp/codes"
n=0
fail=0

# Codes given to the funnels and set on refusals, in every folder.
n=$((n + 1))
(cd "$src" && grep -hozE '(req_fail|reply_error|req_set_error_body|sse_fail)\((r|c),[[:space:]]*"[a-z_]+"|code = "[a-z_]+"|refuse\(b, "[a-z_]+"|return "[a-z_]+";|NOTFOUND \?[[:space:]]*"[a-z_]+"' \
    gateway/*.c policy/*.c admin/*.c) | tr '\0' '\n' | grep -oE '"[a-z_]+"' | tr -d '"' |
    sort -u >"$tmp/used"
# conn.c's framing codes are returned by error_code(): "return" lines there.
missing=$(comm -23 "$tmp/used" "$tmp/codes" | grep -vE '^(text|json|model|day|team|key|page|offset)$')
if [ -z "$missing" ]; then
	echo "ok $n - every code the sources answer with is in the table ($(wc -l <"$tmp/used") used)"
else
	echo "not ok $n - codes not in the table:"
	echo "$missing" | sed 's/^/#   /'
	fail=1
fi

n=$((n + 1))
sed -n 's/^| `\([a-z_]*\)` | \([0-9]*\) | `\([a-z_]*\)` | \(.*\) |$/\1 \2 \3 \4/p' \
    "$src/README.md" >"$tmp/readme"
if diff "$tmp/table" "$tmp/readme" >"$tmp/diff"; then
	echo "ok $n - README's error table is the table ($(wc -l <"$tmp/table") codes)"
else
	echo "not ok $n - README's error table differs from eugate --list-errors"
	sed 's/^/#   /' "$tmp/diff" | head -20
	fail=1
fi
echo "1..$n"
exit $fail
