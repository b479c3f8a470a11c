#!/usr/bin/env bash
# Case: POST /v1/subscribers/NAME/secret rotates with a grace, and /test.
#   config     loopback allowed; one dynamic subscriber with secret A
#   behaviour  /test; rotate to B with an 8 s grace; /test during the grace;
#              /test after it; a zoom subscriber rotated (one signature only)
#   expected   during the grace two Standard Webhooks signatures, one by A
#              and one by B; after it one, by B; the answers show the new
#              secret and when the old one stops; GET never shows a secret
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"
. "$(dirname "$0")/../lib/subs_common.sh"

start_receiver rot standard "$SECRET_A" "$SECRET_B"
subs_start
want 201 POST /v1/subscribers "{\"name\": \"rot\", \"url\": \"$(hook_url rot)\", \"secret\": \"$SECRET_A\", \"events\": [\"nothing\"]}"

test_event() {
	want 202 POST /v1/subscribers/rot/test
	[ "$(body 'd["event"]')" = pollhook.test ] || fail "test answer: $(cat "$TMP/body")"
	wait_count "$TMP/rot.jsonl" '"pollhook.test" in r["body"]' "$1" 10 || fail "test event $1 not received"
}
test_event 1
want 200 POST /v1/subscribers/rot/secret "{\"secret\": \"$SECRET_B\", \"grace\": 8}"
[ "$(body 'd["secret"]')" = "$SECRET_B" ] || fail "rotation answer: $(cat "$TMP/body")"
[ "$(body 'd["previous_valid_until"] is not None')" = True ] || fail "no previous_valid_until: $(cat "$TMP/body")"
want 200 GET /v1/subscribers/rot
grep -q whsec_ "$TMP/body" && fail "GET shows a secret: $(cat "$TMP/body")"
test_event 2
wait_grep "subs/rot: the previous secret's grace ended" "$TMP/daemon.err" 15 || fail "the grace did not end"
test_event 3
a=$(signed_by rot "$SECRET_A" | tail -n 3 | tr '\n' ' ')
b=$(signed_by rot "$SECRET_B" | tail -n 3 | tr '\n' ' ')
# The challenge, then test 1 by A alone; test 2 by A and B; test 3 by B alone.
[ "$a" = "1/1 1/2 0/1 " ] || fail "signatures by A of the three tests: $a"
[ "$b" = "0/1 1/2 1/1 " ] || fail "signatures by B of the three tests: $b"
all_verified rot
pass "during the grace both secrets sign (two signatures), after it only the new one"

# A generated secret, and a scheme with one signature: the switch is at once.
want 200 POST /v1/subscribers/rot/secret '{}'
body 'd["secret"]' | grep -q '^whsec_' || fail "generated secret: $(cat "$TMP/body")"
want 400 POST /v1/subscribers/rot/secret '{"secret": "nope"}'
error_has '"secret"'
want 400 POST /v1/subscribers/rot/secret '{"grace": -1}'
error_has '"grace"'
start_receiver zm zoom "zoom-secret-1"
want 201 POST /v1/subscribers "{\"name\": \"zm\", \"url\": \"$(hook_url zm)\", \"secret\": \"zoom-secret-1\", \"signature\": \"zoom\", \"events\": [\"nothing\"]}"
want 200 POST /v1/subscribers/zm/secret '{"secret": "zoom-secret-2"}'
[ "$(body 'd["previous_valid_until"]')" = None ] || fail "zoom keeps a grace: $(cat "$TMP/body")"
want 404 POST /v1/subscribers/nobody/secret '{}'
pass "generated secrets, bad fields 400, a zoom subscriber switches at once"
stop_daemon
