#!/usr/bin/env bash
# Case: a burst of 3,000 events from one poll, and a clean stop.
#   config     one http source with 3,000 instances of "v", a threshold rule
#              "flip" above 0.5, the log emitter as the subscriber
#   behaviour  every instance goes from 0 to 1 at once; then SIGTERM
#   expected   3,000 flip events, once each; exit status 0, "stopped" logged
. "$(dirname "$0")/../lib/http_common.sh"

burst() {	# burst N V: N instances, all at V
	python3 -c 'import json,sys; n,v=int(sys.argv[1]),int(sys.argv[2]); print(json.dumps({"v": {"i%d" % i: v for i in range(n)}}))' "$1" "$2" | put status.json
}
burst 3000 0
start_api api
EVENTS=$TMP/events.jsonl
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; log_level = "info"; };
sources = ( { name = "api"; poller = "http"; interval = 0.5; timeout = 0.5;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "v"; json = "/v/*"; } ); } );
rules = ( { name = "flip"; metric = "v"; above = 0.5; } );
subscribers = ( { name = "log"; emitter = "log"; path = "$EVENTS"; } );
CONF
start_daemon "$TMP/pollhook.conf"
wait_served api 1

burst 3000 1
wait_count "$EVENTS" 'r["event"] == "flip"' 3000 30 || fail "the burst did not arrive whole"
# Two more answers of the same document: nothing more may come.
wait_served api $(($(count_lines "$TMP/api.log" True) + 2))
[ "$(count_lines "$EVENTS" 'r["event"] == "flip"')" -eq 3000 ] || fail "more than 3,000 flip events"
python3 - "$EVENTS" <<'PY' || fail "the flips are not one per instance"
import json, sys
inst = [json.loads(l)["payload"]["instance"] for l in open(sys.argv[1])]
assert sorted(inst) == sorted("i%d" % i for i in range(3000)), len(set(inst))
PY
pass "3,000 events in one poll reach the log subscriber, once each"

kill "$DAEMON_PID"
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=""
[ "$rc" -eq 0 ] || fail "SIGTERM: exit status $rc"
grep -q 'stopped' "$TMP/daemon.err" || fail "no clean stop logged"
if grep -q 'Sanitizer' "$TMP/daemon.err"; then fail "sanitizer report"; fi
pass "SIGTERM stops cleanly with status 0"
