#!/usr/bin/env bash
# Case: reloading the API's settings.
#   config     bridge.api with a token file
#   behaviour  SIGHUP with a new token in the file; with a new address; with
#              no token
#   expected   the new token works and the old one is refused; the API moves
#              to the new port and the old one closes; without a token the
#              API is open, and the log warns about it
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

api_start

# Reload: a new token at once, then a new address, then no token.
NEW_TOKEN="new-$TOKEN"
printf '%s\n' "$NEW_TOKEN" >"$TMP/api.token"
kill -HUP "$DAEMON_PID"
new_token_works() {
	[ "$(req GET /v1/sources "$NEW_TOKEN")" = 200 ]
}
wait_for 10 new_token_works || fail "the new token was not accepted after a reload"
expect_status 401 GET /v1/sources "$TOKEN"
OLD_PORT=$API_PORT
NEW_PORT=$(free_port)
sed -i "s|127.0.0.1:$OLD_PORT|127.0.0.1:$NEW_PORT|" "$TMP/pollhook.conf"
kill -HUP "$DAEMON_PID"
API_PORT=$NEW_PORT
wait_for 10 healthy || fail "the API did not move to the new port after a reload"
[ "$(req GET /healthz "" "$OLD_PORT")" = 000 ] || fail "the old port still answers"
write_conf ""
sed -i "s|127.0.0.1:$OLD_PORT|127.0.0.1:$NEW_PORT|" "$TMP/pollhook.conf"
kill -HUP "$DAEMON_PID"
open_api() {
	[ "$(req GET /metrics)" = 200 ]
}
wait_for 10 open_api || fail "without a token the API is not open after a reload"
grep -q "no bridge.api.token: anyone who can connect" "$TMP/daemon.err" ||
	fail "no warning about the open API"
# A reload that leaves it open says nothing more: the warning is given once per server.
reloads=$(grep -c "reloaded:" "$TMP/daemon.err")
reloaded_again() {
	[ "$(grep -c "reloaded:" "$TMP/daemon.err")" -gt "$reloads" ]
}
kill -HUP "$DAEMON_PID"
wait_for 10 reloaded_again || fail "the third reload did not end"
[ "$(grep -c "no bridge.api.token: anyone who can connect" "$TMP/daemon.err")" = 1 ] ||
	fail "the open API was warned about at every reload: $(grep -c "no bridge.api.token" "$TMP/daemon.err") times"
pass "reload: token and address applied, an open API warned about once"
