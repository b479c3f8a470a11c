#!/bin/sh
# The test of the same name one directory up, against the PostgreSQL store
# (a server of its own, started by tests/lib/pg.sh through http_common.sh).
POLLHOOK_TEST_STORE=postgres exec bash "$(dirname "$0")/../$(basename "$0")"
