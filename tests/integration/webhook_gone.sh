#!/usr/bin/env bash
# Case: a receiver that answers 410 Gone.
#   config     one source (cpu from a test API), cpu.high above 90 / clear 85,
#              one subscriber "gone" with short retry delays
#   behaviour  gone answers 410; the CPU goes to 95, 30, 97 (firing,
#              resolved, firing); `deliveries retry --all` replays the dead
#              letter; then the daemon stops, gone's url changes in the
#              config, gone answers 200 and the daemon starts again
#   expected   one attempt only, answered 410: the subscriber is disabled
#              (logged) and the letter is dead with last_status 410; the later
#              events and the replayed letter wait in the outbox, nothing is
#              sent; after the configuration change gone gets all three, in
#              order, each verified
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

echo '{"cpu": 20}' | put status.json
start_api api
start_receiver gone standard "$SECRET_A"
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "gone"; url = "http://127.0.0.1:$gone_PORT/hook"; secret = "$SECRET_A";
    retry = { first_delay = 0.2; max_delay = 0.5; }; } );
CONF

# pending_are N: the outbox holds exactly N pending deliveries, all for gone.
pending_are() {
	deliveries pending >"$TMP/pending.json"
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if [x['subscriber'] for x in r]==['gone']*int(sys.argv[2]) else 1)" \
	    "$TMP/pending.json" "$1"
}

mode gone 410
start_daemon "$TMP/pollhook.conf"
wait_served api 1
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/gone.jsonl" 'r["status"] == 410' 1 15 || fail "no attempt answered 410"
wait_grep "gone.*disabled" "$TMP/daemon.err" 10 || fail "no log line about disabling 'gone'"
# The outbox is written once per loop iteration: the log line may come first.
dead_listed() {
	deliveries dead >"$TMP/dead.json"
	python3 -c "import json,sys; sys.exit(0 if json.load(open(sys.argv[1])) else 1)" "$TMP/dead.json"
}
wait_for 10 dead_listed || fail "no dead letter listed"
python3 - "$TMP/dead.json" <<'PY' || fail "dead letters: $(cat "$TMP/dead.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1 and rows[0]["subscriber"] == "gone", rows
assert rows[0]["event"] == "cpu.high" and rows[0]["last_status"] == 410, rows
PY
pass "410 disables the subscriber; its letter is dead with status 410"

# Later events of a disabled subscriber wait in the outbox.
echo '{"cpu": 30}' | put status.json
wait_grep 'event [^ ]* cpu\.high\.resolved source=' "$TMP/daemon.err" 10 || fail "no cpu.high.resolved"
echo '{"cpu": 97}' | put status.json
wait_for 10 pending_are 2 || fail "pending: $(cat "$TMP/pending.json")"
"$POLLHOOK" deliveries retry --all -c "$TMP/pollhook.conf" >"$TMP/retry.out" 2>&1 ||
	fail "deliveries retry --all: $(cat "$TMP/retry.out")"
grep -q "^1 dead delivery queued for retry" "$TMP/retry.out" || fail "retry said: $(cat "$TMP/retry.out")"
# The replayed 410 letter, the resolved and the second firing: all for gone.
wait_for 10 pending_are 3 || fail "pending after the replay: $(cat "$TMP/pending.json")"
stop_daemon
[ "$(count_lines "$TMP/gone.jsonl" 'True')" -eq 1 ] || fail "a disabled subscriber got requests"
pass "a disabled subscriber's deliveries, a replayed one too, wait in the outbox"

# Changing its configuration enables it again: the pending ones go out.
mode gone 200
sed -i "s|url = \"http://127.0.0.1:$gone_PORT/hook\"|url = \"http://127.0.0.1:$gone_PORT/hook2\"|" "$TMP/pollhook.conf"
start_daemon "$TMP/pollhook.conf"
wait_count "$TMP/gone.jsonl" 'r["status"] == 200' 3 15 || fail "the re-configured subscriber got nothing"
stop_daemon
all_verified gone
got=$(events gone 200 | tr '\n' ' ')
[ "$got" = "cpu.high cpu.high.resolved cpu.high " ] || fail "after re-enabling, gone got: $got"
pass "a configuration change enables a 410-disabled subscriber again"
