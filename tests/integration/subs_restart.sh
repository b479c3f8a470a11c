#!/usr/bin/env bash
# Case: dynamic subscribers live in the store.
#   config     loopback allowed; a config subscriber "r"
#   behaviour  three dynamic subscribers (one pending, one disabled); SIGHUP;
#              a reload whose config names a dynamic subscriber; a restart;
#              a delivery goes dead and /recover re-queues it; DELETE
#   expected   every dynamic subscriber, its state and secret kept across
#              the reload and the restart and still delivered to; the
#              clashing reload refused; recover 202 with the count and the
#              delivery arrives; DELETE counts the dropped deliveries
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"
. "$(dirname "$0")/../lib/subs_common.sh"

start_receiver a standard "$SECRET_A"
CONFSUB="subscribers = ( { name = \"r\"; url = \"http://127.0.0.1:$r_PORT/hook\"; secret = \"$SECRET_A\"; events = [ \"nothing\" ]; } );"
subs_start "$LOOPBACK_OK" "$CONFSUB"
wait_served api 1
want 201 POST /v1/subscribers "{\"name\": \"a\", \"url\": \"$(hook_url a)\", \"secret\": \"$SECRET_A\", \"events\": [\"cpu.*\"], \"sources\": [\"edge-*\"], \"description\": \"kept\"}"
want 202 POST /v1/subscribers "{\"name\": \"p\", \"url\": \"$(hook_url a)\"}"
want 201 POST /v1/subscribers "{\"name\": \"d\", \"url\": \"$(hook_url a)\", \"secret\": \"$SECRET_A\", \"events\": [\"nothing\"]}"
want 200 PATCH /v1/subscribers/d '{"disabled": true}'
want 200 GET /v1/subscribers
cp "$TMP/body" "$TMP/before.json"
[ "$(body '[s["name"] for s in d["subscribers"]]')" = "['a', 'd', 'p', 'r']" ] || fail "list: $(cat "$TMP/body")"
same() {
	want 200 GET /v1/subscribers
	python3 - "$TMP/before.json" "$TMP/body" <<'PY' || fail "$1: $(cat "$TMP/body")"
import json, sys
a, b = (json.load(open(f))["subscribers"] for f in sys.argv[1:])
key = lambda s: {k: v for k, v in s.items() if k != "health"}
assert [key(s) for s in a] == [key(s) for s in b], (a, b)
PY
}
kill -HUP "$DAEMON_PID"
wait_grep "reloaded" "$TMP/daemon.err" 10 || fail "no reload"
same "after SIGHUP"
# A config that names a dynamic subscriber is refused; the running one stays.
subs_conf "$LOOPBACK_OK" "subscribers = ( { name = \"a\"; url = \"http://127.0.0.1:$r_PORT/hook\"; secret = \"$SECRET_A\"; } );"
kill -HUP "$DAEMON_PID"
wait_grep "reload failed: subscriber \"a\" of the configuration has the name of a dynamic" "$TMP/daemon.err" 10 ||
	fail "the clashing reload was not refused"
same "after the refused reload"
subs_conf "$LOOPBACK_OK" "$CONFSUB"
stop_daemon
start_daemon "$TMP/pollhook.conf"
wait_for 10 healthy || fail "the API did not answer /healthz after the restart"
wait_grep "3 dynamic subscribers loaded" "$TMP/daemon.err" 10 || fail "not loaded at start"
same "after the restart"
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/a.jsonl" '"cpu.high" in r["body"] and r["status"] == 200' 1 10 || fail "a got nothing after the restart"
all_verified a
pass "SIGHUP and a restart keep every dynamic subscriber (pending, disabled, its secret); a clashing config is refused"

# A dead letter (404 goes dead at once), recovered since a time before it.
mode a 404
echo '{"cpu": 30}' | put status.json
wait_count "$TMP/a.jsonl" '"cpu.high.resolved" in r["body"] and r["status"] == 404' 1 10 || fail "no 404"
mode a 200
want 400 POST /v1/subscribers/a/recover '{"since": "yesterday"}'
error_has '"since"'
want 202 POST /v1/subscribers/a/recover '{"since": "2099-01-01T00:00:00Z"}'
[ "$(body 'd["recovered"]')" = 0 ] || fail "recover since the future: $(cat "$TMP/body")"
want 202 POST /v1/subscribers/a/recover '{"since": "2020-01-01T00:00:00+01:00"}'
[ "$(body 'd["recovered"]')" = 1 ] || fail "recover: $(cat "$TMP/body")"
wait_count "$TMP/a.jsonl" '"cpu.high.resolved" in r["body"] and r["status"] == 200' 1 10 ||
	fail "the recovered delivery did not arrive"
pass "/recover re-queues the dead letters since the time given"

# DELETE: the pending deliveries of the subscriber are dropped and counted.
mode a 503
echo '{"cpu": 96}' | put status.json
wait_count "$TMP/a.jsonl" 'r["status"] == 503' 1 10 || fail "no 503"
want 200 DELETE /v1/subscribers/a
[ "$(body 'd["dropped_deliveries"]')" = 1 ] || fail "delete: $(cat "$TMP/body")"
want 404 GET /v1/subscribers/a
want 409 DELETE /v1/subscribers/r
error_has "configuration"
stop_daemon
start_daemon "$TMP/pollhook.conf"
wait_for 10 healthy || fail "the API did not answer /healthz after the second restart"
want 404 GET /v1/subscribers/a
[ "$(grep -c 'belong to subscribers no longer configured' "$TMP/daemon.err")" = 0 ] ||
	fail "the deleted subscriber left deliveries behind"
pass "DELETE drops and counts its deliveries; config subscribers are read-only (409)"
stop_daemon
