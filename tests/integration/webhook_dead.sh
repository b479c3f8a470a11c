#!/usr/bin/env bash
# Case: a receiver that answers 400 Bad Request.
#   config     one source (cpu from a test API), cpu.high above 90 / clear 85,
#              one subscriber "r" with short retry delays (0.2 s to 0.5 s)
#   behaviour  r answers 400; the CPU goes to 95, then to 30 (a firing and
#              its resolved); then r answers 200 and `deliveries retry --all`
#              replays the dead letters
#   expected   each event is tried once, answered 400, never retried, and is
#              listed as a dead letter (status, attempts, error); the replay
#              queues both and r gets cpu.high then cpu.high.resolved, 200
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

echo '{"cpu": 20}' | put status.json
start_api api
start_receiver r standard "$SECRET_A"
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    timeout = 2.0; retry = { first_delay = 0.2; max_delay = 0.5; max_attempts = 100; }; } );
CONF

# dead_are N: N dead letters listed.
dead_are() {
	deliveries dead >"$TMP/dead.json"
	python3 -c "import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1]))) == int(sys.argv[2]) else 1)" \
	    "$TMP/dead.json" "$1"
}

mode r 400
start_daemon "$TMP/pollhook.conf"
wait_served api 1
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 400' 1 15 || fail "no attempt answered 400"
echo '{"cpu": 30}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 400' 2 15 || fail "the resolved was not tried after its firing died"
wait_for 10 dead_are 2 || fail "dead letters: $(cat "$TMP/dead.json")"
# Retries would come within max_delay (0.5 s): give them twice that.
sleep 1
[ "$(count_lines "$TMP/r.jsonl" 'r["status"] == 400')" -eq 2 ] || fail "a 400 was retried: $(cat "$TMP/r.jsonl")"
deliveries dead >"$TMP/dead.json"
python3 - "$TMP/dead.json" <<'PY' || fail "dead letters: $(cat "$TMP/dead.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [x["event"] for x in rows] == ["cpu.high", "cpu.high.resolved"], rows
for x in rows:
    assert x["subscriber"] == "r" and x["state"] == "dead", rows
    assert x["last_status"] == 400 and x["attempts"] == 1 and x["last_error"] == "HTTP 400", rows
PY
pass "a 400 is a dead letter at once, listed with its status"

mode r 200
"$POLLHOOK" deliveries retry --all -c "$TMP/pollhook.conf" >"$TMP/retry.out" 2>&1 ||
	fail "deliveries retry --all: $(cat "$TMP/retry.out")"
grep -q "^2 dead deliveries queued for retry" "$TMP/retry.out" || fail "retry said: $(cat "$TMP/retry.out")"
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 2 15 || fail "the replayed dead letters were not delivered"
stop_daemon
all_verified r
got=$(events r 200 | tr '\n' ' ')
[ "$got" = "cpu.high cpu.high.resolved " ] || fail "the replay delivered: $got"
pass "deliveries retry --all replays the dead letters, in order"
