#!/usr/bin/env bash
# Case: bridge.api.read_token, the token for GET and HEAD only.
#   config     bridge.api with token_file and read_token_file
#   behaviour  GET /metrics, /v1/sources, /v1/events, /v1/subscribers with
#              the read token; POST, DELETE and PATCH with it; the same with
#              the admin token; a reload with a new read token
#   expected   GETs 200 with either token; mutating methods 403 (JSON error,
#              insufficient_scope) with the read token and not 403 with the
#              admin one, which still adds and removes; a wrong token 401;
#              after the reload the old read token is refused, the new one
#              accepted
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

READ="read-$$-$RANDOM"
printf '%s\n' "$READ" >"$TMP/read.token"
api_start "token_file = \"$TMP/api.token\"; read_token_file = \"$TMP/read.token\";"

for p in /metrics /v1/sources /v1/events /v1/subscribers /v1/silences "/v1/deliveries?state=dead"; do
	expect_status 200 GET "$p" "$READ"
	expect_status 200 GET "$p" "$TOKEN"
done
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -I -H "Authorization: Bearer $READ" \
    "http://127.0.0.1:$API_PORT/metrics")" = 200 ] || fail "HEAD /metrics with the read token"
pass "read token: GET and HEAD answered"

# req_body METHOD PATH TOKEN BODY: as req, with a JSON body.
req_body() {
	curl -s --max-time 5 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$1" \
	    -H "Authorization: Bearer $3" -H 'Content-Type: application/json' --data "$4" \
	    "http://127.0.0.1:$API_PORT$2"
}
silence='{"matchers": {"source": "edge-*"}, "ends": "2099-01-01T00:00:00Z", "comment": "t", "creator": "t"}'
for m in "POST /v1/silences" "POST /v1/deliveries/retry" "POST /v1/deliveries/1/retry" \
    "DELETE /v1/subscribers/r" "PATCH /v1/subscribers/r" "POST /v1/subscribers"; do
	# shellcheck disable=SC2086
	st=$(req_body $m "$READ" "$silence")
	[ "$st" = 403 ] || fail "$m with the read token: $st, want 403: $(cat "$TMP/body")"
	is_json_error
	header WWW-Authenticate | grep -q 'error="insufficient_scope"' ||
		fail "$m: WWW-Authenticate: $(header WWW-Authenticate)"
done
pass "read token: mutating methods 403"

st=$(req_body POST /v1/silences "$TOKEN" "$silence")
[ "$st" = 201 ] || fail "POST /v1/silences with the admin token: $st: $(cat "$TMP/body")"
id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/body") ||
	fail "no id in $(cat "$TMP/body")"
expect_status 403 DELETE "/v1/silences/$id" "$READ"
st=$(req DELETE "/v1/silences/$id" "$TOKEN")
case $st in 200 | 204) ;; *) fail "DELETE the silence with the admin token: $st" ;; esac
expect_status 401 GET /metrics "${READ}x"
expect_status 401 POST /v1/deliveries/retry "${READ}x"
pass "admin token: full access; a wrong token 401"

# A new read token at reload: the old one goes at once.
printf '%s\n' "${READ}-2" >"$TMP/read.token"
kill -HUP "$DAEMON_PID"
new_read() {
	[ "$(req GET /metrics "${READ}-2")" = 200 ]
}
wait_for 10 new_read || fail "the new read token not accepted after SIGHUP"
expect_status 401 GET /metrics "$READ"
pass "reload: new read token applied"
stop_daemon
