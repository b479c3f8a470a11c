#!/usr/bin/env bash
# Case: the WebSub hub, POST /websub.
#   config     loopback allowed
#   behaviour  a subscriber that verifies intent subscribes to cpu.* with a
#              secret and a 3 s lease, renews it, gets events, lets the lease
#              lapse; one that refuses verification; an unsubscribe
#   expected   202, then the verification GET (mode, topic, challenge,
#              lease_seconds); deliveries with X-Hub-Signature and Link
#              rel=hub, rel=self; a renewal keeps one subscriber; after the
#              lease lapses it is gone and gets nothing; a refused
#              verification adds nothing; an unsubscribe is verified too
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"
. "$(dirname "$0")/../lib/subs_common.sh"

ws() {
	python3 "$top_srcdir/tests/lib/websub_sub.py" --port-file "$TMP/$1.port" --log "$TMP/$1.jsonl" "${@:2}" \
	    2>>"$TMP/$1.err" &
	PIDS="$PIDS $!"
	wait_file "$TMP/$1.port" 10 || fail "websub subscriber $1 did not start"
	: >>"$TMP/$1.jsonl"
	eval "${1}_PORT=\$(cat \"\$TMP/\$1.port\")"
}
ws sub --secret hubsecret
ws no --refuse
subs_start
wait_served api 1
hub() {
	curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	    -X POST "http://127.0.0.1:$API_PORT/websub" "$@"
}
cb="http://127.0.0.1:$sub_PORT/cb"
[ "$(hub --data-urlencode "hub.mode=subscribe" --data-urlencode "hub.topic=cpu.*" --data-urlencode "hub.callback=$cb" \
    --data-urlencode "hub.secret=hubsecret" --data-urlencode "hub.lease_seconds=3")" = 202 ] || fail "subscribe: $(cat "$TMP/body")"
wait_count "$TMP/sub.jsonl" 'r["method"] == "GET" and r["query"]["hub.mode"] == "subscribe" and r["query"]["hub.topic"] == "cpu.*" and r["query"]["hub.lease_seconds"] == "3"' 1 10 ||
	fail "no intent verification: $(cat "$TMP/sub.jsonl")"
wait_for 5 sh -c "curl -s -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$API_PORT/v1/subscribers | grep -q websub-" ||
	fail "not subscribed"
# Renewed: still one subscriber.
[ "$(hub --data-urlencode "hub.mode=subscribe" --data-urlencode "hub.topic=cpu.*" --data-urlencode "hub.callback=$cb" \
    --data-urlencode "hub.secret=hubsecret" --data-urlencode "hub.lease_seconds=4")" = 202 ] || fail "renew: $(cat "$TMP/body")"
wait_count "$TMP/sub.jsonl" 'r["method"] == "GET"' 2 10 || fail "the renewal was not verified"
want 200 GET /v1/subscribers
[ "$(body 'len([s for s in d["subscribers"] if s["origin"] == "websub"])')" = 1 ] || fail "after renewal: $(cat "$TMP/body")"
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/sub.jsonl" 'r["method"] == "POST" and "cpu.high" in r["body"]' 1 10 || fail "no delivery"
python3 - "$TMP/sub.jsonl" "$API_PORT" <<'PY' || fail "delivery headers: $(grep POST "$TMP/sub.jsonl")"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"POST"' in l][0]
assert r["verified"], r
link = r["headers"]["link"]
assert '<http://127.0.0.1:%s/websub>; rel="hub"' % sys.argv[2] in link and '<cpu.*>; rel="self"' in link, link
PY
pass "subscribe with intent verification, a renewal, deliveries with X-Hub-Signature and Link headers"

# The lease lapses: the subscriber goes and gets nothing more.
wait_grep "WebSub lease expired" "$TMP/daemon.err" 10 || fail "the lease did not expire"
n=$(count_lines "$TMP/sub.jsonl" 'r["method"] == "POST"')
echo '{"cpu": 30}' | put status.json
sleep 1
[ "$(count_lines "$TMP/sub.jsonl" 'r["method"] == "POST"')" = "$n" ] || fail "delivered after the lease lapsed"
want 200 GET /v1/subscribers
[ "$(body 'len([s for s in d["subscribers"] if s["origin"] == "websub"])')" = 0 ] || fail "still listed: $(cat "$TMP/body")"
pass "a lapsed lease removes the subscriber"

# A subscriber that does not confirm is not added; an unsubscribe is verified.
[ "$(hub --data-urlencode "hub.mode=subscribe" --data-urlencode "hub.topic=cpu.*" \
    --data-urlencode "hub.callback=http://127.0.0.1:$no_PORT/cb")" = 202 ] || fail "subscribe no: $(cat "$TMP/body")"
wait_count "$TMP/no.jsonl" 'r["method"] == "GET"' 1 10 || fail "no verification of no"
[ "$(hub --data-urlencode "hub.mode=subscribe" --data-urlencode "hub.topic=cpu.*" --data-urlencode "hub.callback=$cb" \
    --data-urlencode "hub.secret=hubsecret")" = 202 ] || fail "subscribe again"
wait_for 5 sh -c "curl -s -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$API_PORT/v1/subscribers | grep -q websub-" ||
	fail "not subscribed again"
[ "$(hub --data-urlencode "hub.mode=unsubscribe" --data-urlencode "hub.topic=cpu.*" --data-urlencode "hub.callback=$cb")" = 202 ] ||
	fail "unsubscribe: $(cat "$TMP/body")"
wait_count "$TMP/sub.jsonl" 'r["method"] == "GET" and r["query"]["hub.mode"] == "unsubscribe"' 1 10 || fail "unsubscribe not verified"
wait_grep "websub/.*: unsubscribed" "$TMP/daemon.err" 10 || fail "not unsubscribed"
want 200 GET /v1/subscribers
[ "$(body 'len([s for s in d["subscribers"] if s["origin"] == "websub"])')" = 0 ] || fail "after unsubscribe: $(cat "$TMP/body")"
[ "$(hub --data-urlencode "hub.mode=watch" --data-urlencode "hub.topic=x" --data-urlencode "hub.callback=$cb")" = 400 ] || fail "bad mode"
[ "$(hub -H 'Content-Type: application/json' --data '{}')" = 415 ] || fail "json body"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data 'hub.mode=subscribe' "http://127.0.0.1:$API_PORT/websub")" = 401 ] ||
	fail "no token: not 401"
pass "a refused verification adds nothing; unsubscribe is verified; bad requests 400/415; the token is required"
stop_daemon
