#!/bin/sh
# README's table of admin routes and roles is a copy of the route table
# (eugate --list-admin-routes): the same routes in the same order, each
# role's cell as the table says (a team admin's "its teams" where the
# route finds a team), and each route's eugatectl command is one that
# eugatectl --help lists.
set -u
build=${EUGATE_BUILDDIR:-.}
src=${EUGATE_SRCDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/eugate" --list-admin-routes >"$tmp/routes" ||
    { echo "not ok 1 - eugate --list-admin-routes"; echo "1..1"; exit 1; }
# What README's rows should say, from the route table.
awk '{
	split($3, r, ",");
	for (k in have) delete have[k];
	for (i in r) have[r[i]] = 1;
	line = "`" $1 " " $2 "`";
	n = split("owner admin team-admin auditor", roles, " ");
	for (i = 1; i <= n; i++) {
		cell = "no";
		if (roles[i] in have)
			cell = (roles[i] == "team-admin" && $4 != "-") ? \
			    "its teams" : "yes";
		line = line " | " cell;
	}
	print line;
}' "$tmp/routes" >"$tmp/want"
sed -n 's/^| \(`[A-Z]* \/admin[^`]*`\) | `[a-z0-9 ]*` | \(.*\) |$/\1 | \2/p' \
    "$src/README.md" >"$tmp/readme"
n=1
fail=0
if diff "$tmp/want" "$tmp/readme" >"$tmp/diff"; then
	echo "ok $n - README's role table is the route table ($(wc -l <"$tmp/want") routes)"
else
	echo "not ok $n - README's role table differs from eugate --list-admin-routes"
	sed 's/^/#   /' "$tmp/diff" | head -20
	fail=1
fi
n=$((n + 1))
"$build/eugatectl" --help >"$tmp/help"
sed -n 's/^| `[A-Z]* \/admin[^`]*` | `\([a-z0-9 ]*\)` | .*$/\1/p' \
    "$src/README.md" >"$tmp/cmds"
missing=""
while read -r cmd; do
	grep -q "^  $cmd\( \|\$\)" "$tmp/help" || missing="$missing '$cmd'"
done <"$tmp/cmds"
if [ -z "$missing" ] && [ -s "$tmp/cmds" ]; then
	echo "ok $n - each route's eugatectl command is in eugatectl --help ($(wc -l <"$tmp/cmds"))"
else
	echo "not ok $n - not in eugatectl --help:$missing"
	fail=1
fi
echo "1..$n"
exit $fail
