#!/usr/bin/env bash
# Case: a second daemon on an API port in use.
#   config     bridge.api with a token; a second config, same port
#   behaviour  the second daemon starts while the first runs
#   expected   it exits 1 saying 'cannot listen on ...: Address already in
#              use'; the first daemon's API still answers
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

api_start

# A port in use at start: exit 1 with a message.
sed "s|$TMP/state|$TMP/state2|" "$TMP/pollhook.conf" >"$TMP/second.conf"
rc=0
timeout 20 "$POLLHOOK" -c "$TMP/second.conf" 2>"$TMP/second.err" || rc=$?
[ "$rc" = 1 ] || fail "a second daemon on the same API port exited $rc: $(cat "$TMP/second.err")"
grep -q "api: cannot listen on 127.0.0.1:$API_PORT: Address already in use" "$TMP/second.err" ||
	fail "no clear message for the port in use: $(cat "$TMP/second.err")"
healthy || fail "the first daemon's API stopped answering"
pass "a port in use at start: exit 1, 'cannot listen on ...: Address already in use'"
