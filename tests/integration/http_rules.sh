#!/bin/sh
# http poller in the daemon: a threshold rule firing and resolving, on_new
# with items added, removed and reordered (one event per new key, the item
# as payload.object), and conditional requests (If-None-Match answered 304
# reuses the last values: no spurious events).

. "$top_srcdir/tests/lib/http_common.sh"

start_api api
EVENTS=$TMP/events.jsonl

doc() {
	# doc CPU ID... : the API's current document
	cpu=$1
	shift
	items=""
	for id in "$@"; do
		items="$items${items:+, }{\"id\": \"$id\", \"title\": \"rec $id\"}"
	done
	echo "{\"cpu\": $cpu, \"recordings\": [$items]}" | put api.json
}

doc 20 r1 r2

cat >"$TMP/rules.conf" <<EOF
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "api"; poller = "http"; interval = 0.2; timeout = 0.2;
    labels = { site = "test"; };
    http = { url = "http://127.0.0.1:$api_PORT/api.json"; };
    metrics = (
      { name = "cpu"; json = "/cpu"; },
      { name = "recordings"; json = "/recordings"; items = true; key = "/id"; }
    ); }
);
rules = (
  { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; },
  { name = "recording.new"; metric = "recordings"; on_new = true; }
);
subscribers = ( { name = "t"; emitter = "log"; path = "$EVENTS"; } );
EOF

start_daemon "$TMP/rules.conf"

polls() {
	count_lines "$TMP/api.log" 'r["path"] == "/api.json"'
}

# wait_polls N: waits for N more polls of the API than now.
wait_polls() {
	target=$(($(polls) + $1))
	wait_count "$TMP/api.log" 'r["path"] == "/api.json"' "$target" 10 ||
	    fail "the daemon did not poll the API $1 more times in 10 s"
}

wait_polls 5
n=$(count_lines "$TMP/api.log" 'r["path"] == "/api.json" and r["status"] == 304 and r["headers"].get("if-none-match", "").startswith("\"")')
[ "$n" -ge 3 ] || fail "the server answered $n conditional requests with 304, want several"
[ "$(count_lines "$EVENTS" 'True')" -eq 0 ] || fail "events before anything changed: $(cat "$EVENTS")"
pass "conditional requests: If-None-Match sent, 304 answered, no events"

# Threshold: fires once above 90, stays quiet while high, resolves below 85.
doc 95 r1 r2
wait_count "$EVENTS" 'r["event"] == "cpu.high"' 1 10 || fail "cpu.high did not fire"
wait_polls 4
n=$(count_lines "$EVENTS" 'r["event"] == "cpu.high"')
[ "$n" -eq 1 ] || fail "cpu.high fired $n times while cpu stayed at 95, want 1"
n=$(count_lines "$EVENTS" 'r["event"] == "cpu.high" and r["payload"]["value"] == 95 and r["payload"]["source"] == "api" and r["payload"]["labels"] == {"site": "test"}')
[ "$n" -eq 1 ] || fail "cpu.high payload is not value 95 from source api: $(cat "$EVENTS")"
doc 88 r1 r2
wait_polls 4
n=$(count_lines "$EVENTS" 'r["event"] == "cpu.high.resolved"')
[ "$n" -eq 0 ] || fail "cpu.high resolved at 88, inside the hysteresis band"
doc 80 r1 r2
wait_count "$EVENTS" 'r["event"] == "cpu.high.resolved"' 1 10 || fail "cpu.high did not resolve at 80"
pass "threshold rule fires and resolves with hysteresis"

# on_new: nothing for the items present at the start.
n=$(count_lines "$EVENTS" 'r["event"] == "recording.new"')
[ "$n" -eq 0 ] || fail "$n recording.new events for the initial items, want 0"
# Added: one event per new key, with the item as payload.object.
doc 80 r1 r2 r3 r4
wait_count "$EVENTS" 'r["event"] == "recording.new"' 2 10 || fail "no events for r3 and r4"
wait_polls 3
for id in r3 r4; do
	n=$(count_lines "$EVENTS" "r['event'] == 'recording.new' and r['payload']['object'] == {'id': '$id', 'title': 'rec $id'}")
	[ "$n" -eq 1 ] || fail "$n recording.new events with object $id, want 1"
done
# Reordered and removed: no event.
doc 80 r4 r2 r1
wait_polls 4
doc 80 r4
wait_polls 4
n=$(count_lines "$EVENTS" 'r["event"] == "recording.new"')
[ "$n" -eq 2 ] || fail "$n recording.new events after reordering and removing, want 2"
# A new one among old ones: exactly one more.
doc 80 r5 r4 r1
wait_count "$EVENTS" 'r["event"] == "recording.new"' 3 10 || fail "no event for r5"
wait_polls 3
n=$(count_lines "$EVENTS" 'r["event"] == "recording.new"')
[ "$n" -eq 3 ] || fail "$n recording.new events after adding r5, want 3"
n=$(count_lines "$EVENTS" 'r["event"] == "recording.new" and r["payload"]["object"]["id"] == "r5"')
[ "$n" -eq 1 ] || fail "the third event is not r5"
pass "on_new: one event per new key; removed and reordered items are quiet"

stop_daemon
exit 0
