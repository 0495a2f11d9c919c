#!/bin/sh
# The storage unit tests (tests/test_store, or the one EUGATE_PG_TEST
# names: tests/test_store_admins_pg.sh) on a real PostgreSQL: a private
# cluster (tests/pg-cluster) whose database is theirs alone, skipped when
# the server binaries are not installed.
b=${EUGATE_BUILDDIR:-.}
s=${EUGATE_SRCDIR:-.}
prog=${EUGATE_PG_TEST:-test_store}
out=$("$s/tests/pg-cluster" start)
rc=$?
if [ $rc -eq 77 ]; then
	echo "1..0 # SKIP PostgreSQL's server binaries are not installed"
	exit 0
fi
if [ $rc -ne 0 ]; then
	echo "Bail out! cannot start a PostgreSQL cluster"
	exit 1
fi
set -- $out
# Stopped however the test ends (make's interrupt or a timeout too).
trap '"$s/tests/pg-cluster" stop "$1"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
EUGATE_TEST_PG_URL=$2 "$b/tests/$prog"
