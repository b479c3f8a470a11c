#!/usr/bin/env bash
# Case: a receiver outage answering 503 with Retry-After: 2.
#   config     one source (cpu from a test API), cpu.high above 90 / clear 85,
#              one subscriber "r" with short retry delays (0.2 s to 0.5 s)
#   behaviour  r answers 503, Retry-After: 2; the CPU goes to 95 and, once r
#              has refused the firing, to 30; after two refusals r answers 200
#   expected   r gets cpu.high, then cpu.high.resolved, each answered 200 once;
#              every attempt of an event has the same id and body, attempts
#              of the firing are at least Retry-After apart, the resolved is
#              never sent before the firing was delivered; all verify
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

mode r 503 2
start_daemon "$TMP/pollhook.conf"
wait_served api 1
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 503' 1 15 || fail "no attempt during the outage"
echo '{"cpu": 30}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 503' 2 15 || fail "no retry during the outage"
# The resolved is in the outbox behind its firing before the outage ends.
wait_grep 'event [^ ]* cpu\.high\.resolved source=' "$TMP/daemon.err" 10 || fail "cpu.high.resolved was not emitted"
mode r 200
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 2 20 || fail "events not delivered after the outage"
stop_daemon

all_verified r
got=$(events r 200 | tr '\n' ' ')
[ "$got" = "cpu.high cpu.high.resolved " ] || fail "after the outage the receiver got: $got"
python3 - "$TMP/r.jsonl" <<'PY' || fail "retries changed the id or body, or ignored Retry-After: $(cat "$TMP/r.jsonl")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
def event(r):
    return json.loads(r["body"])["event"]
for name in ("cpu.high", "cpu.high.resolved"):
    tries = [r for r in reqs if event(r) == name]
    # Same id, same body on every attempt; the timestamp header may differ.
    assert len({r["headers"]["webhook-id"] for r in tries}) == 1, (name, tries)
    assert len({r["body"] for r in tries}) == 1, (name, tries)
    assert [r["status"] for r in tries][-1] == 200, tries
    assert [r["status"] for r in tries].count(200) == 1, tries
firing = [r for r in reqs if event(r) == "cpu.high"]
# Retry-After: 2 was honoured between the firing's attempts (first_delay is 0.2).
ts = [r["ts"] for r in firing]
gaps = [b - a for a, b in zip(ts, ts[1:])]
assert gaps and min(gaps) >= 1.8, gaps
# The resolved never went out before its firing was delivered.
first_ok = min(r["ts"] for r in firing if r["status"] == 200)
assert all(r["ts"] > first_ok for r in reqs if event(r) == "cpu.high.resolved"), reqs
PY
pass "outage: same id and body on every attempt, Retry-After honoured, firing before resolved"
