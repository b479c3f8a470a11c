#!/usr/bin/env bash
# Case: the management API's authentication.
#   config     bridge.api with a token file
#   behaviour  requests without a token, with a wrong one, with Basic, with
#              the scheme name in lower case
#   expected   /healthz open (200 "ok", text/plain); everything else 401 with
#              a JSON error and WWW-Authenticate (error="invalid_token" for a
#              wrong token); the listening address logged, no open-API warning
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

api_start
grep -q "api: listening on 127.0.0.1:$API_PORT" "$TMP/daemon.err" || fail "no 'listening' log line"
grep -q "no bridge.api.token" "$TMP/daemon.err" && fail "warned about a missing token that is set"

# Auth: /healthz is open, everything else needs the token.
[ "$(cat "$TMP/body")" = "ok" ] || fail "/healthz body: $(cat "$TMP/body")"
case $(header Content-Type) in text/plain*) ;; *) fail "/healthz content type: $(header Content-Type)" ;; esac
for p in "GET /metrics" "GET /v1/sources" "GET /v1/events" "GET /v1/deliveries?state=dead" \
    "POST /v1/deliveries/1/retry" "GET /v1/subscribers" "GET /nope"; do
	# shellcheck disable=SC2086
	expect_status 401 $p
	is_json_error
	header WWW-Authenticate | grep -q '^Bearer realm="pollhook"$' ||
		fail "$p: WWW-Authenticate: $(header WWW-Authenticate)"
	# shellcheck disable=SC2086
	expect_status 401 $p wrong-token
	header WWW-Authenticate | grep -q 'error="invalid_token"' ||
		fail "$p with a wrong token: WWW-Authenticate: $(header WWW-Authenticate)"
done
expect_status 401 GET /metrics "${TOKEN}x"
expect_status 401 GET /metrics "${TOKEN%?}"
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Basic $TOKEN" \
    "http://127.0.0.1:$API_PORT/metrics")" = 401 ] || fail "a Basic authorization was accepted"
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: bearer $TOKEN" \
    "http://127.0.0.1:$API_PORT/metrics")" = 200 ] || fail "the scheme name is case-insensitive"
pass "auth: 401 with WWW-Authenticate without or with a wrong token, /healthz open"
