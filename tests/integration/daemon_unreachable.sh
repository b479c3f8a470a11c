#!/usr/bin/env bash
# Case: the built-in up metric with a `for` duration.
#   config     one http source, device.unreachable when up < 1 for 0.5 s,
#              the log emitter as the subscriber
#   behaviour  the source's document goes (404) until the rule fires, then
#              comes back
#   expected   one device.unreachable, then one device.unreachable.resolved;
#              the failure logged once when it starts, its end once
. "$(dirname "$0")/../lib/http_common.sh"

echo '{"cpu": 20}' | put status.json
start_api api
EVENTS=$TMP/events.jsonl
# A poll that times out would log a failure of its own: the timeout is
# generous (a loaded machine), the case counts log lines.
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; log_level = "info"; };
sources = ( { name = "api"; poller = "http"; interval = 0.5; timeout = 0.5;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "device.unreachable"; metric = "up"; below = 1.0; for = 0.5; } );
subscribers = ( { name = "log"; emitter = "log"; path = "$EVENTS"; } );
CONF
start_daemon "$TMP/pollhook.conf"
wait_served api 1

rm "$WWW/status.json"
wait_count "$EVENTS" 'r["event"] == "device.unreachable"' 1 10 || fail "no device.unreachable"
echo '{"cpu": 20}' | put status.json
wait_count "$EVENTS" 'r["event"] == "device.unreachable.resolved"' 1 10 ||
	fail "no device.unreachable.resolved"
stop_daemon
[ "$(count_lines "$EVENTS" 'r["event"] == "device.unreachable"')" -eq 1 ] || fail "unreachable fired twice"
[ "$(grep -c 'http/api: poll failed' "$TMP/daemon.err")" -eq 1 ] ||
	fail "the poll failure was logged $(grep -c 'http/api: poll failed' "$TMP/daemon.err") times"
grep -q 'http/api: polling again' "$TMP/daemon.err" || fail "no recovery logged"
pass "up = 0 held for 0.5 s fires and resolves device.unreachable; logged on change only"
