#!/bin/sh
# Keys' lives and admin principals (tests/test_store_admins) on a real
# PostgreSQL, as tests/test_store_pg.sh runs tests/test_store.
EUGATE_PG_TEST=test_store_admins exec /bin/sh \
    "${EUGATE_SRCDIR:-.}/tests/test_store_pg.sh"
