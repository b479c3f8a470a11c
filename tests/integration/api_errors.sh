#!/usr/bin/env bash
# Case: answers to requests the API does not serve.
#   config     bridge.api with a token
#   behaviour  unknown paths, wrong methods, the dynamic subscriber
#              endpoints, a POST with a large body
#   expected   404, 405 with Allow, 400 for a subscriber without a body,
#              each with a JSON error body; the large body is not read and
#              the answer comes
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

api_start

# Unknown paths, wrong methods, the dynamic subscribers.
for p in /nope /v1 /v1/sources/ /metrics/x /v1/deliveries/1/retry/x; do
	expect_status 404 GET "$p" "$TOKEN"
	is_json_error
done
for p in "POST /metrics" "DELETE /v1/sources" "PUT /v1/events" "POST /healthz"; do
	# shellcheck disable=SC2086
	expect_status 405 $p "$TOKEN"
	is_json_error
	[ "$(header Allow)" = "GET, HEAD" ] || fail "$p: Allow: $(header Allow)"
done
expect_status 405 GET "/v1/deliveries/1/retry" "$TOKEN"
[ "$(header Allow)" = "POST" ] || fail "retry: Allow: $(header Allow)"
expect_status 405 PUT /v1/subscribers "$TOKEN"
[ "$(header Allow)" = "GET, HEAD, POST" ] || fail "subscribers: Allow: $(header Allow)"
expect_status 400 POST /v1/subscribers "$TOKEN"
is_json_error
expect_status 404 DELETE /v1/subscribers/x "$TOKEN"
is_json_error
# A body is not read: the answer comes anyway.
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data-binary @"$POLLHOOK" \
    -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API_PORT/v1/deliveries/1/retry")
[ "$code" = 404 ] || fail "a POST with a large body: $code"
pass "404, 405 (with Allow) and 400 answers, JSON error bodies"
