#!/usr/bin/env bash
# PostgreSQL restarted under load loses nothing: while bursts of events are
# being stored and delivered, the server is restarted (fast shutdown: every
# connection closed, commits in flight lost with their answers). Every event
# made is stored once, delivered once to each subscriber, in order per key;
# commits sent again after the restart change nothing twice (idempotent).
POLLHOOK_TEST_STORE=postgres
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

N=200	# instances: events per flip
CHECK=$top_srcdir/tests/lib/check_deliveries.py

cpus() {
	python3 -c 'import json, sys; n, v = int(sys.argv[1]), float(sys.argv[2]); print(json.dumps({"cpus": {"c%03d" % i: v for i in range(n)}}))' "$N" "$1" | put status.json
}
drained() {
	[ "$(pg_sql "SELECT count(*) FROM deliveries")" -eq 0 ]
}

cpus 20
start_api api
start_receiver r1 standard "$SECRET_A"
start_receiver r2 standard "$SECRET_A"
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "edge"; poller = "http"; interval = 0.1; timeout = 0.1;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpus/*"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "r1"; url = "http://127.0.0.1:$r1_PORT/hook"; secret = "$SECRET_A";
    retry = { first_delay = 0.2; max_delay = 0.5; max_attempts = 1000; }; },
  { name = "r2"; url = "http://127.0.0.1:$r2_PORT/hook"; secret = "$SECRET_A";
    retry = { first_delay = 0.2; max_delay = 0.5; max_attempts = 1000; }; } );
CONF
start_daemon "$TMP/pollhook.conf"
i=0
until grep -q "started:" "$TMP/daemon.err"; do
	i=$((i + 1))
	[ "$i" -le 75 ] || fail "pollhook did not start"
	sleep 0.2
done
sleep 0.5

# Six flips of 200 events; the server restarts twice in the middle.
for f in 1 2 3 4 5 6; do
	cpus $(( f % 2 == 1 ? 95 : 20 ))
	sleep 0.3
	if [ "$f" -eq 2 ] || [ "$f" -eq 4 ]; then
		pg_restart 0.5 || fail "PostgreSQL did not restart"
		pass "PostgreSQL restarted after flip $f"
	fi
	sleep 0.4
done
i=0
until drained; do
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "$(pg_sql "SELECT count(*) FROM deliveries") deliveries left after 60 s"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "pollhook died"
	sleep 0.2
done
stop_daemon
grep -q "reachable again" "$TMP/daemon.err" || fail "the restarts were not noticed: $(grep store "$TMP/daemon.err" | tail -n 5)"
sed -n 's/.* info    event \(evt_[0-9A-Z]*\) .*/\1/p' "$TMP/daemon.err" | sort >"$TMP/made.txt"
pg_sql "SELECT id FROM events ORDER BY id" >"$TMP/stored.txt"
[ "$(wc -l <"$TMP/made.txt")" -eq $((N * 6)) ] || fail "$(wc -l <"$TMP/made.txt") events made, want $((N * 6))"
cmp -s "$TMP/made.txt" "$TMP/stored.txt" ||
	fail "events made and stored differ: $(diff "$TMP/made.txt" "$TMP/stored.txt" | head -5)"
python3 "$CHECK" "$TMP/stored.txt" "$TMP/r1.jsonl" "$TMP/r2.jsonl" ||
	fail "deliveries across the restarts are wrong"
all_verified r1
all_verified r2
pass "two restarts under load: every event stored once and delivered once to each subscriber, in order"
