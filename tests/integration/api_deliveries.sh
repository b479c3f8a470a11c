#!/usr/bin/env bash
# Case: a dead letter through /v1/deliveries.
#   config     bridge.api with a token; cpu.high on one http source; one
#              subscriber
#   behaviour  the subscriber answers 400 to the firing; then 200, and the
#              dead letter is retried with POST /v1/deliveries/ID/retry
#   expected   the dead letter listed as by the CLI, counted in /metrics;
#              the retry 202, logged, delivered, no longer dead; retrying it
#              again or an unknown id 404
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

api_start
wait_served api 1

# A dead letter, listed and retried through the API.
mode r 400
echo '{"cpu": 97}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 400' 1 15 || fail "no attempt answered 400"
dead_listed() {
	[ "$(req GET "/v1/deliveries?state=dead" "$TOKEN")" = 200 ] &&
	    python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1])) else 1)' "$TMP/body"
}
wait_for 10 dead_listed || fail "no dead letter listed: $(cat "$TMP/body")"
cp "$TMP/body" "$TMP/dead_api.json"
deliveries dead >"$TMP/dead_cli.json"
python3 - "$TMP/dead_api.json" "$TMP/dead_cli.json" <<'PY' || fail "dead letters: $(cat "$TMP/dead_api.json") vs CLI $(cat "$TMP/dead_cli.json")"
import json, sys
api, cli = (json.load(open(f)) for f in sys.argv[1:3])
assert api == cli, (api, cli)
assert len(api) == 1 and api[0]["subscriber"] == "r" and api[0]["state"] == "dead", api
assert api[0]["event"] == "cpu.high" and api[0]["last_status"] == 400, api
PY
dead_id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$TMP/dead_api.json")
dead_event=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["event_id"])' "$TMP/dead_api.json")
expect_status 200 GET "/v1/deliveries?state=dead&limit=1&after=$dead_id" "$TOKEN"
[ "$(tr -d ' \n' <"$TMP/body")" = "[]" ] || fail "after= the only dead letter: $(cat "$TMP/body")"
expect_status 200 GET "/v1/deliveries" "$TOKEN"
python3 -c 'import json, sys; assert isinstance(json.load(open(sys.argv[1])), list)' "$TMP/body" ||
	fail "/v1/deliveries (pending): $(cat "$TMP/body")"
expect_status 400 GET "/v1/deliveries?state=weird" "$TOKEN"
is_json_error
scrape "$TMP/m4"
grep -q '^pollhook_dead_letters{subscriber="r"} 1$' "$TMP/m4" || fail "no per-subscriber dead letter metric"
grep -q '^pollhook_deliveries_total{outcome="dead"} 1$' "$TMP/m4" || fail "dead deliveries not counted"

mode r 200
expect_status 202 POST "/v1/deliveries/$dead_id/retry" "$TOKEN"
wait_count "$TMP/r.jsonl" "r['status'] == 200 and json.loads(r['body'])['id'] == '$dead_event'" 1 10 ||
	fail "the dead letter retried through the API was not delivered"
grep -q "api: dead delivery $dead_id queued for retry" "$TMP/daemon.err" || fail "no log line for the retry"
expect_status 200 GET "/v1/deliveries?state=dead" "$TOKEN"
[ "$(tr -d ' \n' <"$TMP/body")" = "[]" ] || fail "still dead after the retry: $(cat "$TMP/body")"
expect_status 404 POST "/v1/deliveries/$dead_id/retry" "$TOKEN"
is_json_error
expect_status 404 POST "/v1/deliveries/999999/retry" "$TOKEN"
expect_status 404 POST "/v1/deliveries/0/retry" "$TOKEN"
expect_status 404 POST "/v1/deliveries/abc/retry" "$TOKEN"
pass "a dead letter listed as by the CLI, retried through the API and delivered"

# Every dead letter at once: POST /v1/deliveries/retry.
mode r 400
echo '{"cpu": 20}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 400' 2 15 || fail "the resolved event was not refused"
wait_for 10 dead_listed || fail "no second dead letter listed: $(cat "$TMP/body")"
resolved_event=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["event_id"])' "$TMP/body")
mode r 200
expect_status 202 POST "/v1/deliveries/retry" "$TOKEN"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d == {"retried": 1}, d' "$TMP/body" ||
	fail "retry of every dead letter: $(cat "$TMP/body")"
wait_count "$TMP/r.jsonl" "r['status'] == 200 and json.loads(r['body'])['id'] == '$resolved_event'" 1 10 ||
	fail "the dead letter retried with every other was not delivered"
expect_status 202 POST "/v1/deliveries/retry" "$TOKEN"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d == {"retried": 0}, d' "$TMP/body" ||
	fail "retry with no dead letter: $(cat "$TMP/body")"
expect_status 405 GET "/v1/deliveries/retry" "$TOKEN"
expect_status 401 POST "/v1/deliveries/retry"
pass "every dead letter retried at once with POST /v1/deliveries/retry, 0 when there is none"
