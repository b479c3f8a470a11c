#!/usr/bin/env bash
# Case: a flapping interface, across a restart.
#   config     one http source (interval 0.3 s), if.changed (on_change) with
#              flap = { changes = 3; window = 6.0; }; a verifying receiver
#   behaviour  the status goes 1, 2, 1, 2 (three changes); the daemon
#              restarts; the status goes 1, 2, 1 and stays 1
#   expected   if.changed twice, one if.changed.flapping, nothing for the
#              changes after the restart (the flap state survived it), then
#              one if.changed.flapping.resolved with value 1; all verified
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

echo '{"v": 1}' | put status.json
start_api api
start_receiver r standard "$SECRET_A"
mode r 200
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; log_level = "info"; };
sources = ( { name = "eth0"; poller = "http"; interval = 0.3; timeout = 0.3;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "v"; json = "/v"; } ); } );
rules = ( { name = "if.changed"; metric = "v"; on_change = true;
    flap = { changes = 3; window = 6.0; }; } );
subscribers = ( { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A"; } );
CONF

# set V: the status becomes V, and stays until the daemon polled it twice.
set_v() {
	local n
	echo "{\"v\": $1}" | put status.json
	n=$(count_lines "$TMP/api.log" 'True')
	wait_served api $((n + 2)) 10
}
named() {
	count_lines "$TMP/r.jsonl" "json.loads(r['body'])['event'] == '$1'"
}

start_daemon "$TMP/pollhook.conf"
wait_served api 2
set_v 2
set_v 1
set_v 2
wait_count "$TMP/r.jsonl" "json.loads(r['body'])['event'] == 'if.changed.flapping'" 1 10 ||
	fail "no if.changed.flapping after three changes"
[ "$(named if.changed)" -eq 2 ] || fail "$(named if.changed) if.changed before flapping, not 2"
stop_daemon
pass "three changes within the window: two if.changed, then one if.changed.flapping"

start_daemon "$TMP/pollhook.conf"
n=$(count_lines "$TMP/api.log" 'True')
wait_served api $((n + 2))
set_v 1
set_v 2
set_v 1
wait_count "$TMP/r.jsonl" "json.loads(r['body'])['event'] == 'if.changed.flapping.resolved'" 1 20 ||
	fail "no if.changed.flapping.resolved once the status was stable"
stop_daemon
all_verified r
[ "$(named if.changed)" -eq 2 ] ||
	fail "$(named if.changed) if.changed: the changes after the restart were not held back"
[ "$(count_lines "$TMP/r.jsonl" 'True')" -eq 4 ] ||
	fail "$(count_lines "$TMP/r.jsonl" 'True') requests, not 4"
python3 - "$TMP/r.jsonl" <<'PY' || fail "flapping.resolved does not carry the state: $(tail -1 "$TMP/r.jsonl")"
import json, sys
b = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
last = b[-1]
assert last["event"] == "if.changed.flapping.resolved", last
assert last["payload"]["value"] == 1 and last["payload"]["state"] == "changed", last
PY
pass "the flap state survives a restart; stable for a window: flapping.resolved with the value"
