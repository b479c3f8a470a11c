#!/bin/bash
# test_store against the PostgreSQL store: the same test body, with a
# server of its own (tests/lib/pg.sh).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
POLLHOOK=$top_builddir/bridge/pollhook
. "$top_srcdir/tests/lib/pg.sh"
need_pg
trap pg_stop EXIT
pg_start || { echo "FAIL: PostgreSQL did not start"; exit 1; }
POLLHOOK_TEST_PG_CONNINFO="host=$PG_DIR port=$PG_PORT user=postgres" \
    "$top_builddir/tests/unit/test_store"
