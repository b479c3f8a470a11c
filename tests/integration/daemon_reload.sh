#!/usr/bin/env bash
# Case: SIGHUP reloads, a bad configuration and a good one.
#   config     one http source (3,000 instances of "v" and a cpu), rules
#              flip (v above 0.5), cpu.high (above 90), device.unreachable,
#              the log emitter as the subscriber
#   behaviour  all the v instances go to 1 (3,000 flips); SIGHUP with a
#              file that does not validate; SIGHUP with cpu.high's threshold
#              at 10 and a second subscriber for cpu.* events
#   expected   the bad reload is logged with FILE:LINE and the daemon keeps
#              running; the good one is logged, cpu.high (changed) starts
#              afresh and fires at 20, flip (unchanged) keeps its state and
#              does not fire again, the new subscriber gets cpu.* only
. "$(dirname "$0")/../lib/http_common.sh"

burst() {	# burst N V: N instances, all at V
	python3 -c 'import json,sys; n,v=int(sys.argv[1]),int(sys.argv[2]); print(json.dumps({"cpu": 20, "v": {"i%d" % i: v for i in range(n)}}))' "$1" "$2" | put status.json
}
burst 3000 0
start_api api
EVENTS=$TMP/events.jsonl

write_conf() {	# write_conf THRESHOLD EXTRA-SUBSCRIBER
	cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; log_level = "info"; };
sources = ( { name = "api"; poller = "http"; interval = 0.5; timeout = 0.5;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "v"; json = "/v/*"; }, { name = "cpu"; json = "/cpu"; } ); } );
rules = (
  { name = "flip"; metric = "v"; above = 0.5; },
  { name = "cpu.high"; metric = "cpu"; above = $1; },
  { name = "device.unreachable"; metric = "up"; below = 1.0; for = 0.5; }
);
subscribers = ( { name = "log"; emitter = "log"; path = "$EVENTS"; } $2 );
CONF
}
write_conf 90.0 ""
start_daemon "$TMP/pollhook.conf"
wait_served api 1
burst 3000 1
wait_count "$EVENTS" 'r["event"] == "flip"' 3000 30 || fail "the burst did not arrive whole"

# A bad config on SIGHUP: the daemon keeps running on the old one.
echo 'sources = ( { name = "x"; intervall = 1.0; } );' >"$TMP/pollhook.conf"
kill -HUP "$DAEMON_PID"
wait_grep 'reload failed: keeping the running configuration' "$TMP/daemon.err" 10 ||
	fail "no reload failure logged"
kill -0 "$DAEMON_PID" || fail "a bad config on SIGHUP killed the daemon"
grep -q 'pollhook.conf:1: unknown key "intervall"' "$TMP/daemon.err" || fail "the reload error has no FILE:LINE"
pass "a bad config on SIGHUP is reported with FILE:LINE and the old one keeps running"

# A good reload: cpu.high's threshold changes (its state starts afresh and
# it fires at 20 > 10); flip is unchanged (no re-fire); a second subscriber.
write_conf 10.0 ", { name = \"log2\"; emitter = \"log\"; path = \"$TMP/events2.jsonl\"; events = [ \"cpu.*\" ]; }"
kill -HUP "$DAEMON_PID"
wait_count "$EVENTS" 'r["event"] == "cpu.high"' 1 10 || fail "the changed rule did not fire after reload"
wait_count "$TMP/events2.jsonl" 'r["event"] == "cpu.high"' 1 10 || fail "the new subscriber got nothing"
wait_served api $(($(count_lines "$TMP/api.log" True) + 2))
stop_daemon
[ "$(count_lines "$EVENTS" 'r["event"] == "flip"')" -eq 3000 ] || fail "an unchanged rule fired again after reload"
[ "$(count_lines "$TMP/events2.jsonl" 'not r["event"].startswith("cpu.")')" -eq 0 ] || fail "log2's filter leaked"
grep -q 'reloaded: 1 sources, 3 rules, 2 subscribers' "$TMP/daemon.err" || fail "no reload logged"
pass "SIGHUP applies a new config, keeping the state of unchanged rules"
