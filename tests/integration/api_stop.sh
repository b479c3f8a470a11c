#!/usr/bin/env bash
# Case: stopping with a delivery in flight.
#   config     bridge.api with a token; cpu.high on one http source; one
#              subscriber (timeout 5 s)
#   behaviour  the subscriber hangs on the firing; SIGTERM while it hangs
#   expected   /healthz answers 503 with Connection: close while the daemon
#              finishes; it exits 0 within 20 s and the API is closed
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

api_start
wait_served api 1

# Stopping: /healthz answers 503 while work in flight finishes.
mode r hang
echo '{"cpu": 95}' | put status.json
in_flight() {
	[ "$(req GET /metrics "$TOKEN")" = 200 ] && grep -q '^pollhook_deliveries_in_flight 1$' "$TMP/body"
}
wait_for 15 in_flight || fail "no delivery in flight"
kill -TERM "$DAEMON_PID"
unhealthy() {
	[ "$(req GET /healthz)" = 503 ]
}
wait_for 5 unhealthy || fail "/healthz did not answer 503 while stopping"
[ "$(header Connection)" = "close" ] || fail "no Connection: close while stopping"
rc=0
for _ in $(seq 100); do
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.2
done
kill -0 "$DAEMON_PID" 2>/dev/null && fail "pollhook did not stop within 20 s"
wait "$DAEMON_PID" || rc=$?
[ "$rc" = 0 ] || fail "pollhook exited $rc after SIGTERM"
grep -q 'Sanitizer' "$TMP/daemon.err" && fail "pollhook reported a sanitizer error"
[ "$(req GET /healthz)" = 000 ] || fail "the API still answers after the stop"
DAEMON_PID=""
pass "stopping: /healthz 503, exit 0, API closed"
