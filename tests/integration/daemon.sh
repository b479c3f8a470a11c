#!/usr/bin/env bash
# The daemon's life cycle with the log emitter: a burst of events, the
# built-in up metric with a `for` duration, SIGHUP reloads (good and bad),
# and a clean SIGTERM.
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
# A poll that times out would log a failure of its own: the timeout is
# generous (a 3,000-instance document, a loaded machine), the test counts logs.
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

# 1. A burst of 3,000 events through the synchronous log emitter.
burst 3000 1
wait_count "$EVENTS" 'r["event"] == "flip"' 3000 30 || fail "the burst did not arrive whole"
wait_served api $(($(count_lines "$TMP/api.log" True) + 2))
[ "$(count_lines "$EVENTS" 'r["event"] == "flip"')" -eq 3000 ] || fail "more than 3,000 flip events"
pass "3,000 events in one poll reach the log subscriber, once each"

# 2. The source fails (404): up = 0 for 0.5 s fires device.unreachable once.
rm "$WWW/status.json"
wait_count "$EVENTS" 'r["event"] == "device.unreachable"' 1 10 || fail "no device.unreachable"
burst 3000 1
wait_count "$EVENTS" 'r["event"] == "device.unreachable.resolved"' 1 10 ||
	fail "no device.unreachable.resolved"
[ "$(count_lines "$EVENTS" 'r["event"] == "device.unreachable"')" -eq 1 ] || fail "unreachable fired twice"
# The failure is logged once when it starts and once when it ends.
[ "$(grep -c 'http/api: poll failed' "$TMP/daemon.err")" -eq 1 ] ||
	fail "the poll failure was logged $(grep -c 'http/api: poll failed' "$TMP/daemon.err") times"
grep -q 'http/api: polling again' "$TMP/daemon.err" || fail "no recovery logged"
pass "up = 0 held for 0.5 s fires and resolves device.unreachable; logged on change only"

# 3. A bad config on SIGHUP: the daemon keeps running on the old one.
echo 'sources = ( { name = "x"; intervall = 1.0; } );' >"$TMP/bad.conf"
cp "$TMP/pollhook.conf" "$TMP/good.conf"
cp "$TMP/bad.conf" "$TMP/pollhook.conf"
kill -HUP "$DAEMON_PID"
wait_grep 'reload failed: keeping the running configuration' "$TMP/daemon.err" 10 ||
	fail "no reload failure logged"
kill -0 "$DAEMON_PID" || fail "a bad config on SIGHUP killed the daemon"
grep -q 'pollhook.conf:1: unknown key "intervall"' "$TMP/daemon.err" || fail "the reload error has no FILE:LINE"
pass "a bad config on SIGHUP is reported with FILE:LINE and the old one keeps running"

# 4. A good reload: cpu.high's threshold changes (its state starts afresh and
# it fires at 20 > 10); flip is unchanged (no re-fire); a second subscriber.
write_conf 10.0 ", { name = \"log2\"; emitter = \"log\"; path = \"$TMP/events2.jsonl\"; events = [ \"cpu.*\" ]; }"
kill -HUP "$DAEMON_PID"
wait_count "$EVENTS" 'r["event"] == "cpu.high"' 1 10 || fail "the changed rule did not fire after reload"
wait_count "$TMP/events2.jsonl" 'r["event"] == "cpu.high"' 1 10 || fail "the new subscriber got nothing"
wait_served api $(($(count_lines "$TMP/api.log" True) + 2))
[ "$(count_lines "$EVENTS" 'r["event"] == "flip"')" -eq 3000 ] || fail "an unchanged rule fired again after reload"
[ "$(count_lines "$TMP/events2.jsonl" 'not r["event"].startswith("cpu.")')" -eq 0 ] || fail "log2's filter leaked"
grep -q 'reloaded: 1 sources, 3 rules, 2 subscribers' "$TMP/daemon.err" || fail "no reload logged"
pass "SIGHUP applies a new config, keeping the state of unchanged rules"

# 5. SIGTERM: exit status 0.
kill "$DAEMON_PID"
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=""
[ "$rc" -eq 0 ] || fail "SIGTERM: exit status $rc"
grep -q 'stopped' "$TMP/daemon.err" || fail "no clean stop logged"
if grep -q 'Sanitizer' "$TMP/daemon.err"; then fail "sanitizer report"; fi
pass "SIGTERM stops cleanly with status 0"
