#!/bin/sh
# tests/mistral_operations.txt is what scripts/openapi-operations makes of
# Mistral's OpenAPI spec, when the spec is at hand (EUGATE_OPENAPI, or the
# workplace's shared reference copy next to the source tree).
set -u
src=${EUGATE_SRCDIR:-.}
spec=${EUGATE_OPENAPI:-$src/../shared/reference/mistral-openapi.yaml}
if [ ! -f "$spec" ]; then
	echo "ok 1 - # SKIP no spec at $spec"
	echo "1..1"
	exit 0
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
${PYTHON3:-python3} "$src/scripts/openapi-operations" "$spec" >"$tmp"
if grep -v '^#' "$src/tests/mistral_operations.txt" | diff - "$tmp" >/dev/null; then
	echo "ok 1 - tests/mistral_operations.txt lists the spec's $(wc -l <"$tmp") operations"
else
	echo "not ok 1 - tests/mistral_operations.txt differs from the spec"
	grep -v '^#' "$src/tests/mistral_operations.txt" | diff - "$tmp" | head -20 | sed 's/^/#   /'
fi
echo "1..1"
