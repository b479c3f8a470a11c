#!/usr/bin/env bash
# The database going away under load. PostgreSQL is stopped for
# STORE_OUTAGE_SECONDS (default 8; the issue's figure is 60) while a source
# makes 40 events a second: polling goes on, events wait in memory (a log
# line when it starts and one when it ends, pollhook_store_queued_events),
# none made meanwhile is attempted before it is stored, and once PostgreSQL
# is back every event is stored and delivered, in order per key. Then, with
# queue_max = 30, an outage past the bound: the daemon says so loudly, counts
# what it drops (pollhook_store_dropped_events_total: exactly the events
# made but not stored) and delivers the rest.
POLLHOOK_TEST_STORE=postgres
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/store_outage_common.sh"

OUTAGE=${STORE_OUTAGE_SECONDS:-8}

store_ids() {
	pg_sql "SELECT id FROM events ORDER BY id"
}
drained() {
	[ "$(pg_sql "SELECT count(*) FROM deliveries")" -eq 0 ]
}
wait_drained() {
	wait_for 60 drained || fail "$(pg_sql "SELECT count(*) FROM deliveries") deliveries left after 60 s"
}

cpus 20
start_api api
start_receiver r standard "$SECRET_A"
start_receiver r2 standard "$SECRET_A"
API_PORT=$(free_port)

# conf SUBSCRIBER [QUEUE_MAX]
conf() {
	outage_conf "backend = \"postgres\"; conninfo = \"$PG_CONNINFO\"; node = \"outage\";
    lease_ttl = 2.0;" "$@"
}

# 1. Within the bound (the default, 100000).
conf r
start_daemon "$TMP/pollhook.conf"
wait_grep "started:" "$TMP/daemon.err" 15 || fail "pollhook did not start"
flip_start
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 20 15 || fail "no deliveries before the outage"
polls0=$(metric 'pollhook_polls_total{source="edge"}')
pg_down || fail "PostgreSQL did not stop"
t_down=$(now)
wait_grep "cannot store" "$TMP/daemon.err" 10 || fail "no log line when the database went away"
sleep 2
[ "$(metric pollhook_store_up)" = 0 ] || fail "pollhook_store_up is not 0 during the outage"
sleep "$OUTAGE"
queued=$(metric pollhook_store_queued_events)
polls1=$(metric 'pollhook_polls_total{source="edge"}')
[ "${queued:-0}" -gt 0 ] || fail "no events queued in memory during the outage"
[ "$polls1" -gt $((polls0 + OUTAGE * 5)) ] || fail "polling stopped during the outage ($polls0 -> $polls1)"
t_up=$(now)
pg_up || fail "PostgreSQL did not start again"
wait_grep "reachable again" "$TMP/daemon.err" 15 || fail "no log line when the database came back"
pass "outage of $OUTAGE s: polling went on ($polls0 -> $polls1 polls), $queued events waited in memory"
sleep 2
flip_stop
sleep 1
wait_drained
stop_daemon
check_all_stored outage "$t_down" "$t_up"
pass "after the outage every event made is stored and delivered once, in order; none before it was stored"

# 2. Past the bound: 30 events in memory at most.
conf r2 30
start_daemon "$TMP/pollhook.conf"
wait_grep "started:" "$TMP/daemon.err" 15 || fail "pollhook did not start"
flip_start
wait_count "$TMP/r2.jsonl" 'r["status"] == 200' 10 15 || fail "no deliveries before the second outage"
pg_down || fail "PostgreSQL did not stop"
wait_grep "memory queue is full (30 events" "$TMP/daemon.err" 15 ||
	fail "no loud log line when the memory queue filled up"
sleep 2
dropped=$(metric pollhook_store_dropped_events_total)
[ "${dropped:-0}" -gt 0 ] || fail "no dropped events counted"
pg_up || fail "PostgreSQL did not start again"
wait_grep "events were dropped while it was full" "$TMP/daemon.err" 15 ||
	fail "no log line saying how many were dropped"
flip_stop
sleep 1
wait_drained
dropped=$(metric pollhook_store_dropped_events_total)
stop_daemon
check_dropped outage "$dropped"
