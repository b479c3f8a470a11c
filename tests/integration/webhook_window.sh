#!/usr/bin/env bash
# Case: a receiver down while many events are made, with a memory window of
# 10 deliveries (bridge.delivery.memory_window).
#   config     one source with ten CPU instances flipping across cpu.high
#              (above 90 / clear 85) four times a second, one subscriber "r"
#              with short retry delays; the API for /metrics
#   behaviour  r answers 503 while about 200 events are made; the flipping
#              stops; the daemon is restarted (the backlog is resumed through
#              the window); then r answers 200
#   expected   while r is down: at most 10 deliveries in memory
#              (pollhook_deliveries_in_memory), far fewer than pending, and
#              pollhook_outbox_depth equal to the pending rows of the store,
#              before and after the restart; then every event stored is
#              delivered once, in order per key, and nothing is left pending
#              or in memory
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

CHECK=$top_srcdir/tests/lib/check_deliveries.py
WINDOW=10

cpus() {
	python3 -c 'import json, sys; print(json.dumps({"cpus": {"c%d" % i: float(sys.argv[1]) for i in range(10)}}))' "$1" | put status.json
}
# metric NAME: its value on /metrics (empty when unanswered).
metric() {
	curl -s --max-time 5 "http://127.0.0.1:$API_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}
# sql QUERY: one value from the store, either backend.
sql() {
	if [ "${POLLHOOK_TEST_STORE:-sqlite}" = postgres ]; then
		pg_sql "$1"
	else
		python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=10)
for row in c.execute(sys.argv[2]): print("|".join(str(x) for x in row))' "$TMP/state/pollhook.db" "$1"
	fi
}
pending_rows() {
	sql "SELECT count(*) FROM deliveries WHERE state = 0"
}
# check_window WHEN: the memory bound holds and the depth metric is the store's count.
check_window() {
	local mem depth rows
	mem=$(metric pollhook_deliveries_in_memory)
	depth=$(metric pollhook_outbox_depth)
	rows=$(pending_rows)
	[ -n "$mem" ] && [ -n "$depth" ] || fail "$1: /metrics did not answer"
	[ "$mem" -le "$WINDOW" ] || fail "$1: $mem deliveries in memory, the window is $WINDOW"
	[ "$depth" -eq "$rows" ] || fail "$1: pollhook_outbox_depth $depth, $rows pending rows in the store"
	[ "$rows" -gt $((WINDOW * 5)) ] || fail "$1: only $rows deliveries pending"
	pass "$1: $mem deliveries in memory (window $WINDOW), outbox depth $depth = pending rows"
}
wait_started() {
	wait_for 15 grep -q "started:" "$TMP/daemon.err" || fail "pollhook did not start: $(tail -5 "$TMP/daemon.err")"
}

cpus 20
start_api api
start_receiver r standard "$SECRET_A"
API_PORT=$(free_port)
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF
  api = { listen = "127.0.0.1:$API_PORT"; };
  delivery = { memory_window = $WINDOW; }; };
sources = ( { name = "edge"; poller = "http"; interval = 0.1; timeout = 0.1;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpus/*"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = ( { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    timeout = 1.0; retry = { first_delay = 0.2; max_delay = 0.5; max_attempts = 1000; }; } );
CONF

# 1. The receiver is down while about 200 events are made.
mode r 503
start_daemon "$TMP/pollhook.conf"
wait_started
wait_served api 1
# The flipper ends between two writes: a killed one could leave its file half moved.
( while [ ! -e "$TMP/stop" ]; do cpus 95; sleep 0.25; cpus 20; sleep 0.25; done ) &
FLIPPER=$!
PIDS="$PIDS $FLIPPER"
i=0
until [ "$(pending_rows)" -ge 200 ]; do
	i=$((i + 1))
	[ "$i" -le 150 ] || fail "fewer than 200 deliveries pending after 30 s: $(pending_rows)"
	sleep 0.2
done
touch "$TMP/stop"
{ wait "$FLIPPER"; } 2>/dev/null
sleep 1	# the last events are stored
check_window "receiver down"

# 2. Restarted with the receiver still down: the backlog comes back through the window.
stop_daemon
start_daemon "$TMP/pollhook.conf"
wait_started
sleep 1
check_window "receiver down, after a restart"

# 3. The receiver is back: everything is delivered, in order per key.
mode r 200
i=0
until [ "$(pending_rows)" -eq 0 ]; do
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "$(pending_rows) deliveries still pending 60 s after the receiver came back"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "pollhook died"
	sleep 0.2
done
sleep 0.5
mem=$(metric pollhook_deliveries_in_memory)
depth=$(metric pollhook_outbox_depth)
[ "$mem" = 0 ] && [ "$depth" = 0 ] || fail "drained, but $mem in memory and outbox depth $depth"
stop_daemon
sql "SELECT id FROM events ORDER BY id" >"$TMP/stored.txt"
[ "$(wc -l <"$TMP/stored.txt")" -ge 200 ] || fail "only $(wc -l <"$TMP/stored.txt") events stored"
python3 "$CHECK" "$TMP/stored.txt" "$TMP/r.jsonl" || fail "deliveries after the outage are wrong"
all_verified r
pass "after the outage every stored event is delivered once, in order per key; nothing left"
