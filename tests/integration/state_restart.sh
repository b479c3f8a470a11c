#!/usr/bin/env bash
# Rule state in the state store across restarts: on_new does not re-send
# items it has seen (none after a restart), and on_change compares with the
# value from before the restart.
. "$(dirname "$0")/../lib/http_common.sh"

items() {	# items KEY... : the recordings list and a mode value
	python3 -c 'import json,sys; print(json.dumps({"mode": sys.argv[1], "meetings": [{"uuid": k, "topic": "t-" + k} for k in sys.argv[2:]]}))' "$@" | put api.json
}
items auto a b
start_api api
EVENTS=$TMP/events.jsonl
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "rec"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/api.json"; };
    metrics = ( { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; },
                { name = "mode"; json = "/mode"; } ); } );
rules = ( { name = "recording.completed"; metric = "meetings"; on_new = true; },
          { name = "mode.changed"; metric = "mode"; on_change = true; } );
subscribers = ( { name = "log"; emitter = "log"; path = "$EVENTS"; } );
CONF

start_daemon "$TMP/pollhook.conf"
# The first answer (a and b) seeds the seen set; only then does c appear.
wait_served api 1
items auto a b c
wait_count "$EVENTS" 'r["event"] == "recording.completed"' 1 10 || fail "no event for a new item"
stop_daemon
[ "$(count_lines "$EVENTS" 'r["event"] == "recording.completed" and r["payload"]["object"]["uuid"] == "c"')" -eq 1 ] ||
	fail "the first new item: $(cat "$EVENTS")"
pass "the first poll seeds the seen set; a new item fires once"

# While the daemon is down: one item added, the mode changed, items reordered.
items manual c d b a
start_daemon "$TMP/pollhook.conf"
wait_count "$EVENTS" 'r["event"] == "recording.completed"' 2 10 || fail "no event for the item added while down"
wait_count "$EVENTS" 'r["event"] == "mode.changed"' 1 10 || fail "no change event for a value changed while down"
# A few more answers of the same document: nothing more may fire.
wait_served api $(($(count_lines "$TMP/api.log" True) + 3))
stop_daemon
python3 - "$EVENTS" <<'PY' || fail "events after the restart: $(cat "$EVENTS")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
new = [e["payload"]["object"]["uuid"] for e in evs if e["event"] == "recording.completed"]
assert new == ["c", "d"], new
ch = [e["payload"] for e in evs if e["event"] == "mode.changed"]
assert len(ch) == 1 and ch[0]["previous"] == "auto" and ch[0]["value"] == "manual", ch
PY
pass "after a restart only the item added while down fires; on_change compares with the value before"
