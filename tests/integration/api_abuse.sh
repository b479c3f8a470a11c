#!/usr/bin/env bash
# Case: the management API under abuse (issue 16).
#   config     bridge.api with a token, header_timeout 2, body_timeout 2, the
#              default connection limits (1024, 64 per address); then with
#              the timeouts at 60 s, max_body 4096 and max_form_body 1024
#   behaviour  1,000 idle connections from 127.0.0.1; headers and a body
#              trickled a byte at a time; bodies over the bounds, announced
#              and chunked; a reload with a lower per-address limit; a
#              descriptor limit (ulimit -n 700) below max_connections; 1,200
#              idle connections from 20 addresses
#   expected   /healthz and an authorised GET from 127.0.0.2 are answered
#              meanwhile, at most 64 of the idle connections stay open and
#              the server closes those; trickled headers and bodies are cut;
#              413 before an oversized body is sent, a chunked one cut; the
#              source is still polled during the attack; cuts and 413s are
#              counted in /metrics; past max_connections the oldest idle ones
#              are evicted; the reload applies the new limit; the low
#              descriptor limit is said at start, with the number it takes;
#              no sanitizer report
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

ABUSE=$top_srcdir/tests/lib/api_abuse.py
# 127.0.0.2 must reach the API on 127.0.0.1 (Linux answers all of 127/8).
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null || {
	echo "SKIP: cannot bind 127.0.0.2"
	exit 77
}
# A thousand sockets here, as many in the daemon.
[ "$(ulimit -n)" -ge 1400 ] || ulimit -n 4096 2>/dev/null || {
	echo "SKIP: ulimit -n is $(ulimit -n), below 1400"
	exit 77
}

api_start "token_file = \"$TMP/api.token\"; header_timeout = 2.0; body_timeout = 2.0;
    max_body = 4096; max_form_body = 1024;"

polls() {
	expect_status 200 GET /metrics "$TOKEN"
	awk '/^pollhook_polls_total/ { s += $2 } END { print s + 0 }' "$TMP/body"
}

before=$(polls)
python3 "$ABUSE" "$API_PORT" idle 1000 "$TOKEN" || fail "idle connections"
after=$(polls)
[ "$after" -gt "$before" ] || fail "no poll during the idle connections ($before, then $after)"
pass "polled during the attack: $before polls, then $after"

python3 "$ABUSE" "$API_PORT" slowloris || fail "slowloris"
python3 "$ABUSE" "$API_PORT" slowbody "$TOKEN" || fail "slow body"
expect_status 200 GET /metrics "$TOKEN"
for r in headers body; do
	n=$(sed -n "s/^pollhook_api_connections_cut_total{reason=\"$r\"} //p" "$TMP/body")
	[ "${n:-0}" -ge 1 ] || fail "pollhook_api_connections_cut_total{reason=\"$r\"}: '$n'"
done
pass "late headers and bodies counted"
# The bounds, with deadlines far off: what stops a body here is its size.
healthy || fail "/healthz after the slow clients"
stop_daemon
api_start "token_file = \"$TMP/api.token\"; header_timeout = 60.0; body_timeout = 60.0;
    max_body = 4096; max_form_body = 1024;"
# Idle connections from many addresses, more than max_connections in all:
# the oldest idle ones make room.
python3 "$ABUSE" "$API_PORT" spread 20 60 "$TOKEN" | tee "$TMP/spread.out" || fail "spread idle connections"
expect_status 200 GET /metrics "$TOKEN"
ev=$(sed -n 's/^pollhook_api_connections_cut_total{reason="evicted"} //p' "$TMP/body")
[ "${ev:-0}" -ge 100 ] || fail "1,200 idle connections and max_connections 1024: evicted '$ev'"
pass "1,200 idle connections from 20 addresses: $ev evicted"
python3 "$ABUSE" "$API_PORT" big /v1/silences 4096 "$TOKEN" || fail "oversized JSON body"
python3 "$ABUSE" "$API_PORT" big /v1/subscribers 4096 "$TOKEN" || fail "oversized JSON body"
python3 "$ABUSE" "$API_PORT" big /websub 1024 "$TOKEN" || fail "oversized form body"
python3 "$ABUSE" "$API_PORT" bigchunked /v1/silences 4096 "$TOKEN" || fail "oversized chunked body"

# What was cut is counted.
expect_status 200 GET /metrics "$TOKEN"
cut() {
	sed -n "s/^pollhook_api_connections_cut_total{reason=\"$1\"} //p" "$TMP/body"
}
[ "$(cut too_large)" -ge 4 ] || fail "too_large cuts: '$(cut too_large)', want 4"
grep -q '^pollhook_api_connections [0-9]' "$TMP/body" || fail "no pollhook_api_connections"
pass "413s and cuts counted: too_large $(cut too_large)"

# A body within the bound is still read and answered (400: not a silence).
st=$(curl -s --max-time 5 -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' --data "{\"pad\": \"$(head -c 3000 /dev/zero | tr '\0' a)\"}" \
    "http://127.0.0.1:$API_PORT/v1/silences")
[ "$st" = 400 ] || fail "a 3 KB body under max_body 4096: status $st, want 400: $(cat "$TMP/body")"
pass "a body under the bound is read: $st"

healthy || fail "/healthz after the attacks"

# A reload with new limits: the listening socket moves to a server with them.
write_conf "token_file = \"$TMP/api.token\"; header_timeout = 2.0; max_connections_per_ip = 4;"
kill -HUP "$DAEMON_PID"
wait_for 10 grep -q 'reloaded:' "$TMP/daemon.err" || fail "no reload"
wait_for 10 healthy || fail "/healthz after the reload with new limits"
python3 "$ABUSE" "$API_PORT" idle 40 "$TOKEN" 4 || fail "idle connections after the reload"
stop_daemon

# A descriptor limit that cannot hold max_connections: said at start, fewer taken.
write_conf "token_file = \"$TMP/api.token\"; max_connections = 1024;"
(ulimit -Sn 700 && ulimit -Hn 700 && exec "$POLLHOOK" -c "$TMP/pollhook.conf") 2>"$TMP/daemon.err" &
DAEMON_PID=$!
PIDS="$PIDS $DAEMON_PID"
wait_for 10 healthy || fail "the API did not answer with ulimit -n 700"
grep -q 'bridge.api.max_connections is 1024, but the descriptor limit (RLIMIT_NOFILE) is 700.*at most 428 connections.*raise the limit' \
    "$TMP/daemon.err" || fail "no clear word of the descriptor limit: $(grep api: "$TMP/daemon.err")"
python3 "$ABUSE" "$API_PORT" idle 100 "$TOKEN" || fail "idle connections with ulimit -n 700"
stop_daemon
pass "ulimit -n 700: $(grep -o 'the API takes at most [0-9]* connections' "$TMP/daemon.err")"
pass "the API under abuse"
