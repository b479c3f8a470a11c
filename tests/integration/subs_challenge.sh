#!/usr/bin/env bash
# Case: POST /v1/subscribers validates the URL with the endpoint.url_validation
# challenge, the API request waiting while the loop goes on.
#   config     bridge.api.subscriptions with loopback allowed, 1 s to answer
#   behaviour  receivers that answer the challenge right, with another secret,
#              not at all (hang), with a redirect, with a 500; one without a
#              secret of its own (202 pending, then /validate)
#   expected   201 and deliveries for the right one; 422 saying how for each
#              wrong one, which gets no event; 202 pending_validation, nothing
#              delivered until /validate (200); fields checked one by one
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"
. "$(dirname "$0")/../lib/subs_common.sh"

start_receiver good standard "$SECRET_A"
start_receiver other standard "$SECRET_B"
start_receiver hang standard "$SECRET_A"
mode hang hang
start_receiver moved standard "$SECRET_A"
mode moved 302
start_receiver broken standard "$SECRET_A"
mode broken 500
start_receiver later standard "$SECRET_A"
subs_start "$LOOPBACK_OK" "subscribers = ( { name = \"r\"; url = \"http://127.0.0.1:$r_PORT/hook\"; secret = \"$SECRET_A\"; events = [ \"nothing\" ]; } );"
wait_served api 1

want 201 POST /v1/subscribers "{\"name\": \"good\", \"url\": \"$(hook_url good)\", \"secret\": \"$SECRET_A\", \"events\": [\"cpu.*\"]}"
[ "$(body 'd["state"]')" = active ] || fail "good is not active: $(cat "$TMP/body")"
[ "$(body 'd["origin"]')" = api ] || fail "good's origin: $(cat "$TMP/body")"
grep -q endpoint.url_validation "$TMP/good.jsonl" || fail "good got no challenge"
all_verified good

# Wrong answers: each a 422 that says how; the subscriber does not exist after.
check422() {
	want 422 POST /v1/subscribers "{\"name\": \"$1\", \"url\": \"$(hook_url "$1")\", \"secret\": \"$SECRET_A\"}"
	error_has "$2"
	want 404 GET "/v1/subscribers/$1"
}
check422 other "encryptedToken"
check422 hang "did not answer within 1 s"
check422 moved "redirect (HTTP 302"
check422 broken "HTTP 500"
pass "the challenge: right 201; another secret, a hang, a redirect, a 500 are 422 saying which"

# Without a secret: 202, pending, a generated whsec_ secret, nothing delivered yet.
want 202 POST /v1/subscribers "{\"name\": \"later\", \"url\": \"$(hook_url later)\"}"
[ "$(body 'd["state"]')" = pending_validation ] || fail "later: $(cat "$TMP/body")"
gen=$(body 'd["secret"]')
case $gen in whsec_*) ;; *) fail "generated secret: $gen" ;; esac
want 200 GET /v1/subscribers/later
[ "$(body '"secret" in d')" = False ] || fail "GET shows the secret"
# The receiver does not know the generated secret: validation fails.
want 422 POST /v1/subscribers/later/validate
error_has encryptedToken
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/good.jsonl" '"cpu.high" in r["body"]' 1 10 || fail "good got no cpu.high"
sleep 0.5
[ "$(count_lines "$TMP/later.jsonl" '"cpu.high" in r["body"]')" -eq 0 ] || fail "a pending subscriber got an event"
for n in other hang moved broken; do
	[ "$(count_lines "$TMP/$n.jsonl" '"cpu.high" in r["body"]')" -eq 0 ] || fail "$n got an event"
done
# The client gives the secret to its endpoint (here: a receiver started with
# it; the new url is validated), then asks for the validation: 200, active.
start_receiver later2 standard "$gen"
want 200 PATCH /v1/subscribers/later "{\"url\": \"$(hook_url later2)\"}"
[ "$(body 'd["state"]')" = pending_validation ] || fail "later after PATCH: $(cat "$TMP/body")"
want 422 PATCH /v1/subscribers/later "{\"url\": \"$(hook_url other)\"}"
error_has "validation of the new url failed"
want 200 POST /v1/subscribers/later/validate
[ "$(body 'd["state"]')" = active ] || fail "later after /validate: $(cat "$TMP/body")"
[ "$(body '"secret" in d')" = False ] || fail "/validate shows the secret"
echo '{"cpu": 30}' | put status.json
wait_count "$TMP/later2.jsonl" '"cpu.high.resolved" in r["body"]' 1 10 ||
	fail "later got no cpu.high.resolved once validated"
all_verified later2
pass "202 pending_validation with a generated secret; nothing delivered to pending or refused ones; /validate makes it active"

# Field by field: every error names its field.
bad() {
	want "$1" POST /v1/subscribers "$2"
	error_has "$3"
}
u=$(hook_url good)
bad 400 '[1]' "JSON object"
bad 400 '{"url": ' "not JSON"
bad 400 '{}' '"url" is required'
bad 400 "{\"url\": \"ftp://x/\"}" '"url"'
bad 400 "{\"url\": \"$u\", \"name\": \"a b\"}" '"name"'
bad 400 "{\"url\": \"$u\", \"events\": []}" '"events"'
bad 400 "{\"url\": \"$u\", \"events\": [\"\"]}" '"events"[0]'
bad 400 "{\"url\": \"$u\", \"sources\": \"x\"}" '"sources"'
bad 400 "{\"url\": \"$u\", \"labels\": {\"site\": 1}}" '"labels"'
bad 400 "{\"url\": \"$u\", \"signature\": \"md5\"}" '"signature"'
bad 400 "{\"url\": \"$u\", \"secret\": \"nope\"}" '"secret"'
bad 400 "{\"url\": \"$u\", \"headers\": [\"X-Bad\"]}" '"headers"[0]'
bad 400 "{\"url\": \"$u\", \"headers\": [\"webhook-id: x\"]}" 'set by pollhook'
bad 400 "{\"url\": \"$u\", \"format\": \"discord\"}" '"format"'
bad 400 "{\"url\": \"$u\", \"colour\": 1}" 'unknown field "colour"'
bad 409 "{\"url\": \"$u\", \"name\": \"good\", \"secret\": \"$SECRET_A\"}" 'taken'
bad 409 "{\"url\": \"$u\", \"name\": \"r\", \"secret\": \"$SECRET_A\"}" 'taken'
big=$(python3 -c 'print("{\"url\": \"%s\", \"description\": \"%s\"}" % ("'"$u"'", "x" * 70000))')
want 413 POST /v1/subscribers "$big"
pass "bad fields answer 400 naming the field; taken names 409; a body over 64 KiB 413"
stop_daemon
