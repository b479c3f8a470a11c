#!/usr/bin/env bash
# Delivery rules through receiver failures: retries with the same id and body
# until success, Retry-After honoured, order kept through an outage, 4xx to
# the dead letters and back with `deliveries retry`, 410 disabling.
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

echo '{"cpu": 20}' | put status.json
start_api api
start_receiver r standard "$SECRET_A"
start_receiver gone standard "$SECRET_A"

cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    timeout = 2.0; retry = { first_delay = 0.2; max_delay = 0.5; max_attempts = 100; }; },
  { name = "gone"; url = "http://127.0.0.1:$gone_PORT/hook"; secret = "$SECRET_A";
    retry = { first_delay = 0.2; max_delay = 0.5; }; }
);
CONF
mode gone 410

# 1. An outage answering 503 with Retry-After: 2, during which the CPU goes
# up and down again: both events wait, in order, with the same ids.
mode r 503 2
start_daemon "$TMP/pollhook.conf"
sleep 1
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 503' 1 15 || fail "no attempt during the outage"
echo '{"cpu": 30}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 503' 2 15 || fail "no retry during the outage"
sleep 1
mode r 200
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 2 20 || fail "events not delivered after the outage"
all_verified r
got=$(events r 200 | tr '\n' ' ')
[ "$got" = "cpu.high cpu.high.resolved " ] || fail "after the outage the receiver got: $got"
python3 - "$TMP/r.jsonl" <<'PY' || fail "retries changed the id or body, or ignored Retry-After"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
by_id = {}
for r in reqs:
    by_id.setdefault(r["headers"]["webhook-id"], []).append(r)
firing = [r for r in reqs if json.loads(r["body"])["event"] == "cpu.high"]
# Same id, same body on every attempt; the timestamp header may differ.
ids = {r["headers"]["webhook-id"] for r in firing}
assert len(ids) == 1 and len({r["body"] for r in firing}) == 1, ids
# Retry-After: 2 was honoured between the firing's attempts (first_delay is 0.2).
ts = [r["ts"] for r in firing]
gaps = [b - a for a, b in zip(ts, ts[1:])]
assert gaps and min(gaps) >= 1.8, gaps
# The resolved never went out before its firing was delivered.
first_ok = min(r["ts"] for r in firing if r["status"] == 200)
assert all(r["ts"] > first_ok for r in reqs if json.loads(r["body"])["event"] == "cpu.high.resolved"), reqs
PY
pass "outage: same id and body on every attempt, Retry-After honoured, firing before resolved"

# 2. 410: the subscriber is disabled after one attempt, later events wait.
[ "$(count_lines "$TMP/gone.jsonl" 'r["status"] == 410')" -eq 1 ] ||
	fail "the 410 receiver got $(count_lines "$TMP/gone.jsonl" 'True') requests, want 1"
grep -q "gone.*disabled" "$TMP/daemon.err" || fail "no log line about disabling 'gone'"
pass "410 disables the subscriber"

# 3. A 400 goes to the dead letters at once; `deliveries retry` sends it again.
mode r 400
echo '{"cpu": 97}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 400' 1 15 || fail "no attempt answered 400"
sleep 1
[ "$(count_lines "$TMP/r.jsonl" 'r["status"] == 400')" -eq 1 ] || fail "a 400 was retried"
deliveries dead >"$TMP/dead.json"
python3 - "$TMP/dead.json" <<'PY' || fail "dead letters: $(cat "$TMP/dead.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
r = [x for x in rows if x["subscriber"] == "r"]
assert len(r) == 1 and r[0]["event"] == "cpu.high" and r[0]["last_status"] == 400, rows
assert r[0]["attempts"] == 1 and r[0]["last_error"] == "HTTP 400", rows
g = [x for x in rows if x["subscriber"] == "gone"]
assert len(g) == 1 and g[0]["last_status"] == 410, rows
PY
pass "a 400 is a dead letter at once, listed with its status"

mode r 200
"$POLLHOOK" deliveries retry --all -c "$TMP/pollhook.conf" >"$TMP/retry.out" 2>&1 ||
	fail "deliveries retry --all: $(cat "$TMP/retry.out")"
grep -q "^2 dead deliveries queued for retry" "$TMP/retry.out" || fail "retry said: $(cat "$TMP/retry.out")"
wait_count "$TMP/r.jsonl" 'r["status"] == 200 and json.loads(r["body"])["event"] == "cpu.high"' 2 15 ||
	fail "the replayed dead letter was not delivered"
pass "deliveries retry --all replays a dead letter"

# 4. The 410 subscriber stays disabled: its replayed delivery waits pending.
sleep 1
[ "$(count_lines "$TMP/gone.jsonl" 'True')" -eq 1 ] || fail "a disabled subscriber got requests"
deliveries pending >"$TMP/pending.json"
# The replayed 410 letter, the resolved and the second firing: all for "gone".
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if [x['subscriber'] for x in r]==['gone']*3 else 1)" \
    "$TMP/pending.json" || fail "pending: $(cat "$TMP/pending.json")"
stop_daemon
pass "a disabled subscriber's deliveries wait in the outbox"

# 5. Changing its configuration enables it again: the pending one goes out.
mode gone 200
sed -i "s|url = \"http://127.0.0.1:$gone_PORT/hook\"|url = \"http://127.0.0.1:$gone_PORT/hook2\"|" "$TMP/pollhook.conf"
start_daemon "$TMP/pollhook.conf"
wait_count "$TMP/gone.jsonl" 'r["status"] == 200' 3 15 || fail "the re-configured subscriber got nothing"
stop_daemon
all_verified gone
got=$(events gone 200 | tr '\n' ' ')
[ "$got" = "cpu.high cpu.high.resolved cpu.high " ] || fail "after re-enabling, gone got: $got"
pass "a configuration change enables a 410-disabled subscriber again"

# 6. Bad command lines for the deliveries subcommand.
for args in "retry" "retry abc" "list --state weird" "purge" "purge --older-than 5x" "bogus"; do
	rc=0
	# shellcheck disable=SC2086
	"$POLLHOOK" deliveries $args -c "$TMP/pollhook.conf" >"$TMP/cli.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "deliveries $args exited $rc"
	[ -s "$TMP/cli.out" ] || fail "deliveries $args printed nothing"
done
"$POLLHOOK" deliveries purge --older-than 0 -c "$TMP/pollhook.conf" | grep -q "purged" || fail "purge"
pass "deliveries subcommand errors are clear"
