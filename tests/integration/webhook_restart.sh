#!/usr/bin/env bash
# Case: rule state across clean restarts.
#   config     one source with four CPU instances (a to d), cpu.high above 90
#              / clear 85, one subscriber "r" that answers 200
#   behaviour  the CPUs go to 95 (four firings delivered); the daemon stops
#              and starts with them still at 95; it stops, they drop to 10
#              while it is down, and it starts again
#   expected   four firings, no second firing after the first restart (none
#              emitted, none delivered), four resolved after the second
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

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
    timeout = 1.0; retry = { first_delay = 0.2; max_delay = 0.5; }; } );
CONF

start_daemon "$TMP/pollhook.conf"
wait_served api 1
cpus 95
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 4 20 || fail "the four firings were not delivered"
stop_daemon

# High while stopped and after: nothing fires again.
start_daemon "$TMP/pollhook.conf"
# Three answers after the restart, the CPU still at 95: the rule stays quiet.
wait_served api $(($(count_lines "$TMP/api.log" True) + 3))
stop_daemon
! grep -q 'event [^ ]* cpu\.high source=' "$TMP/daemon.err" || fail "a restart with the CPU still high fired again"
[ "$(count_lines "$TMP/r.jsonl" 'r["status"] == 200')" -eq 4 ] ||
	fail "a restart with the CPU still high delivered again"
pass "a firing rule does not fire again after a restart"

# Cleared while the daemon was down: resolves at the next start.
cpus 10
start_daemon "$TMP/pollhook.conf"
wait_count "$TMP/r.jsonl" 'r["status"] == 200 and json.loads(r["body"])["event"] == "cpu.high.resolved"' 4 20 ||
	fail "a rule that cleared while the daemon was down did not resolve"
stop_daemon
all_verified r
python3 - "$TMP/r.jsonl" <<'PY' || fail "deliveries: $(cat "$TMP/r.jsonl")"
import json, sys
seen = {}
for r in map(json.loads, open(sys.argv[1])):
    p = json.loads(r["body"])["payload"]
    seen.setdefault(p["instance"], []).append(p["state"])
assert seen == {i: ["firing", "resolved"] for i in "abcd"}, seen
PY
grep -q "stopped" "$TMP/daemon.err" || fail "no clean stop logged"
pass "a rule that cleared during the downtime resolves at start"
