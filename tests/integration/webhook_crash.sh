#!/usr/bin/env bash
# Case: kill -9 with deliveries pending.
#   config     one source with four CPU instances (a to d), cpu.high above 90
#              / clear 85, one subscriber "r" with short retry delays
#   behaviour  r answers 503; the CPUs go to 95 then 30 (eight events, none
#              delivered); once all eight are in the outbox the daemon is
#              killed with SIGKILL; r answers 200 and the daemon starts again
#   expected   the eight deliveries pending after the kill, then each
#              delivered once with the id recorded, its body unchanged, each
#              instance's firing before its resolved; nothing left pending
# (Rule state across clean restarts: webhook_restart.sh.)
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

# Four CPUs, one instance each: several independent events per change.
cpus() {
	printf '{"cpus": {"a": %s, "b": %s, "c": %s, "d": %s}}\n' "$1" "$1" "$1" "$1" | put status.json
}
cpus 20
start_api api
start_receiver r standard "$SECRET_A"

cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpus/*"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = ( { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    timeout = 1.0; retry = { first_delay = 0.2; max_delay = 0.5; max_attempts = 1000; }; } );
CONF

# pending_count N: the outbox holds N pending deliveries (read while the
# daemon runs, as an operator would).
pending_count() {
	deliveries pending >"$TMP/pending_now.json"
	[ "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$TMP/pending_now.json")" -eq "$1" ]
}

# 1. The receiver is down (503) while 8 events happen; then kill -9.
mode r 503
start_daemon "$TMP/pollhook.conf"
wait_served api 1
cpus 95
wait_count "$TMP/r.jsonl" 'True' 4 15 || fail "no attempts while the receiver is down"
cpus 30
# The four resolved events are in the outbox (behind their firings) before the kill.
wait_for 15 pending_count 8 || fail "8 deliveries never pending: $(cat "$TMP/pending_now.json")"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=""
deliveries pending >"$TMP/pending.json"
n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$TMP/pending.json")
[ "$n" -eq 8 ] || fail "after kill -9, $n deliveries pending, want 8: $(cat "$TMP/pending.json")"
pass "kill -9 with the receiver down: 8 deliveries pending in the outbox"

# 2. Restart with the receiver up: all 8 delivered, ids as recorded, each
# instance's firing before its resolved; the CPU is still low, so nothing
# fires again and nothing new resolves.
mode r 200
start_daemon "$TMP/pollhook.conf"
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 8 20 || fail "pending deliveries not resumed"
wait_for 10 pending_count 0 || fail "deliveries left pending: $(cat "$TMP/pending_now.json")"
all_verified r
python3 - "$TMP/r.jsonl" "$TMP/pending.json" <<'PY' || fail "resumed deliveries are wrong"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
pending = json.load(open(sys.argv[2]))
ok = [r for r in reqs if r["status"] == 200]
ids = [r["headers"]["webhook-id"] for r in ok]
assert sorted(ids) == sorted(p["event_id"] for p in pending), (ids, pending)
assert len(set(ids)) == 8, ids
# Every attempt of one id carried the same body.
bodies = {}
for r in reqs:
    bodies.setdefault(r["headers"]["webhook-id"], set()).add(r["body"])
assert all(len(b) == 1 for b in bodies.values())
seen = {}
for r in ok:
    p = json.loads(r["body"])["payload"]
    seen.setdefault(p["instance"], []).append(p["state"])
assert seen == {i: ["firing", "resolved"] for i in "abcd"}, seen
PY
stop_daemon
pass "after the restart every pending event is delivered once, in order, same ids"
