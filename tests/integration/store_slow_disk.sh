#!/usr/bin/env bash
# Case: the store's disk stops answering (SQLite).
#   config     one http source every 0.1 s (cpu.high above 90, clear 85),
#              one subscriber r, the management API; pollhook runs with
#              tests/lib/hold_sync.c preloaded: while $TMP/hold exists,
#              every sync of the write-ahead log waits
#   behaviour  a first event is delivered; the hold starts and the CPU
#              resolves; once a sync is held, the API and the polls are
#              watched for 3 s; the hold ends. Then with
#              bridge.durability = "process": an event, the hold, another
#   expected   during the hold /healthz answers every time within 2 s and
#              the source is still polled (the loop never waits for the
#              disk), while the event's delivery waits for its sync
#              (durability fsync: nothing is sent before it is on disk); it
#              is delivered once the hold ends. With "process" an event is
#              delivered during a hold (its commit waits for no sync); both
#              daemons stop cleanly with nothing left pending
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

command -v curl >/dev/null 2>&1 || fail "curl is required"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || fail "a C compiler ($CC) is required to build the preloaded disk"
"$CC" -shared -fPIC -O1 -o "$TMP/hold_sync.so" "$top_srcdir/tests/lib/hold_sync.c" 2>"$TMP/cc.err" ||
    fail "cannot build tests/lib/hold_sync.c: $(cat "$TMP/cc.err")"
HOLD=$TMP/hold

echo '{"cpu": 95}' | put status.json
start_api api
start_receiver r standard "$SECRET_A"
mode r 200
API_PORT=$(free_port)

# conf DURABILITY: the daemon's configuration.
conf() {
	cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; durability = "$1";
  api = { listen = "127.0.0.1:$API_PORT"; }; };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.1; timeout = 0.1;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = ( { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    timeout = 2.0; retry = { first_delay = 0.2; max_delay = 0.5; }; } );
CONF
}

# no_pending: fails unless the outbox holds no pending delivery.
no_pending() {
	deliveries pending >"$TMP/pending.json"
	python3 -c 'import json, sys; sys.exit(len(json.load(open(sys.argv[1]))) != 0)' "$TMP/pending.json" ||
	    fail "deliveries left pending: $(cat "$TMP/pending.json")"
}

healthz() {
	[ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/healthz")" = 200 ]
}

# run_preloaded: starts the daemon with the held disk preloaded.
run_preloaded() {
	HOLD_SYNC_FILE=$HOLD LD_PRELOAD=$TMP/hold_sync.so \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$POLLHOOK" -c "$TMP/pollhook.conf" 2>"$TMP/daemon.err" &
	DAEMON_PID=$!
	PIDS="$PIDS $DAEMON_PID"
	wait_for 10 healthz || fail "the API did not answer /healthz: $(tail -3 "$TMP/daemon.err")"
}

# 1. durability fsync (the default).
conf fsync
run_preloaded
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 1 15 || fail "the first event was not delivered"
[ "$(events r)" = cpu.high ] || fail "first delivery: $(events r)"
pass "durability fsync: cpu.high delivered with the disk answering"

: >"$HOLD"
echo '{"cpu": 30}' | put status.json
wait_for 15 test -e "$HOLD.seen" ||
    fail "no sync of the write-ahead log reached the disk within 15 s"
polls0=$(count_lines "$TMP/api.log" 'True')
for i in 1 2 3 4 5 6; do
	healthz || fail "/healthz did not answer within 2 s while a sync was held ($i)"
	sleep 0.5
done
polls1=$(count_lines "$TMP/api.log" 'True')
[ "$((polls1 - polls0))" -ge 5 ] ||
    fail "the source was polled $((polls1 - polls0)) times in 3 s while a sync was held"
n=$(count_lines "$TMP/r.jsonl" 'r["status"] == 200')
[ "$n" -eq 1 ] || fail "$n deliveries while the sync of cpu.high.resolved was held, want 1 (it must wait for the disk)"
pass "sync held: /healthz answered 6 times, $((polls1 - polls0)) polls in 3 s, the resolved event waits for its sync"

rm -f "$HOLD" "$HOLD.seen"
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 2 15 || fail "cpu.high.resolved not delivered after the hold"
[ "$(events r | tail -n 1)" = cpu.high.resolved ] || fail "second delivery: $(events r | tail -n 1)"
pass "hold over: cpu.high.resolved delivered"
stop_daemon
! grep -q 'Z error ' "$TMP/daemon.err" || fail "pollhook logged an error: $(grep 'Z error ' "$TMP/daemon.err" | head -3)"
no_pending

# 2. durability process: commits wait for no sync (but for the log's
# header, synced once when SQLite starts the log again: the first commit
# after the start, and after a checkpoint of the whole log).
conf process
run_preloaded
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 3 15 || fail "durability process: cpu.high not delivered"
: >"$HOLD"
echo '{"cpu": 30}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 4 15 ||
    fail "durability process: cpu.high.resolved not delivered while syncs would be held"
[ -e "$HOLD" ] || fail "the hold went away"
pass "durability process: cpu.high.resolved delivered while syncs would be held"
rm -f "$HOLD"
stop_daemon
all_verified r
no_pending
pass "both daemons stopped cleanly, nothing pending"
