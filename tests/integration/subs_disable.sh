#!/usr/bin/env bash
# Case: health of dynamic subscribers, and disabling.
#   config     loopback allowed, disable_after = 2 s; a config subscriber "ops"
#              of pollhook.*; dynamic subscribers "f" (answering 503) and "g"
#              (answering 410)
#   behaviour  cpu.high fires; f fails for longer than disable_after; g
#              answers 410; then f's receiver recovers and PATCH enables f
#   expected   f and g disabled, each with pollhook.subscriber.disabled at ops
#              saying why; f's failed delivery waits and, after PATCH
#              {"disabled": false}, arrives with pollhook.subscriber.enabled
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"
. "$(dirname "$0")/../lib/subs_common.sh"

start_receiver ops standard "$SECRET_A"
start_receiver f standard "$SECRET_A"
start_receiver g standard "$SECRET_A"
subs_start "$LOOPBACK_OK disable_after = 2.0;" "subscribers = ( { name = \"ops\";
    url = \"http://127.0.0.1:$ops_PORT/hook\"; secret = \"$SECRET_A\"; events = [ \"pollhook.*\" ]; } );"
wait_served api 1
for n in f g; do
	want 201 POST /v1/subscribers "{\"name\": \"$n\", \"url\": \"$(hook_url $n)\", \"secret\": \"$SECRET_A\", \"events\": [\"cpu.*\"]}"
done
mode f 503
mode g 410
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/ops.jsonl" '"pollhook.subscriber.disabled" in r["body"] and "\"g\"" in r["body"]' 1 10 ||
	fail "no pollhook.subscriber.disabled for g (410)"
wait_count "$TMP/ops.jsonl" '"pollhook.subscriber.disabled" in r["body"] and "\"f\"" in r["body"]' 1 15 ||
	fail "no pollhook.subscriber.disabled for f (disable_after)"
python3 - "$TMP/ops.jsonl" <<'PY' || fail "disabled events: $(cat "$TMP/ops.jsonl")"
import json, sys
ev = {}
for line in open(sys.argv[1]):
    b = json.loads(json.loads(line)["body"])
    if b["event"] == "pollhook.subscriber.disabled":
        ev[b["payload"]["subscriber"]] = b["payload"]
assert "410" in ev["g"]["reason"], ev
assert "disable_after" in ev["f"]["reason"], ev
assert ev["f"]["consecutive_failures"] >= 1 and ev["f"]["failing_since"], ev
PY
want 200 GET /v1/subscribers/f
[ "$(body 'd["state"]')" = disabled ] || fail "f: $(cat "$TMP/body")"
[ "$(body 'd["health"]["disabled"]')" = True ] || fail "f health: $(cat "$TMP/body")"
all_verified ops
pass "410 and continuous failure past disable_after disable, with pollhook.subscriber.disabled saying why"

# f's delivery waits while disabled; enabling it sends it.
mode f 200
n=$(count_lines "$TMP/f.jsonl" 'r["status"] == 200 and "cpu.high" in r["body"]')
sleep 1
[ "$(count_lines "$TMP/f.jsonl" 'r["status"] == 200 and "cpu.high" in r["body"]')" = "$n" ] ||
	fail "f got a delivery while disabled"
want 400 PATCH /v1/subscribers/f '{"disabled": "no"}'
error_has '"disabled"'
want 200 PATCH /v1/subscribers/f '{"disabled": false}'
[ "$(body 'd["state"]')" = active ] || fail "f after PATCH: $(cat "$TMP/body")"
wait_count "$TMP/f.jsonl" 'r["status"] == 200 and "cpu.high" in r["body"]' 1 10 ||
	fail "f's waiting delivery did not resume"
wait_count "$TMP/ops.jsonl" '"pollhook.subscriber.enabled" in r["body"]' 1 10 ||
	fail "no pollhook.subscriber.enabled"
want 200 GET /v1/subscribers/f
[ "$(body 'd["health"]["consecutive_failures"]')" = 0 ] || fail "f health after: $(cat "$TMP/body")"
body 'd["health"]["last_success"]' | grep -q '^20' || fail "no last_success: $(cat "$TMP/body")"
pass "PATCH {\"disabled\": false} enables it: pollhook.subscriber.enabled, the waiting delivery arrives"
stop_daemon
