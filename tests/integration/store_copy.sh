#!/usr/bin/env bash
# Growing from one box to many: the state of a single instance's SQLite
# store is copied into PostgreSQL with `pollhook store copy`, and a daemon on
# PostgreSQL goes on from there: the pending deliveries are delivered with
# their ids, in order; the dead letters are the same; the firing rule does
# not fire again; new deliveries get new ids. A second copy into the now
# full database is refused.
POLLHOOK_TEST_STORE=postgres
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

echo '{"cpu": 20}' | put status.json
start_api api
start_receiver r standard "$SECRET_A"
start_receiver d standard "$SECRET_A"

# conf STORE: the same instance on either store.
conf() {
	cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $1 };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    retry = { first_delay = 0.2; max_delay = 0.5; max_attempts = 1000; }; },
  { name = "d"; url = "http://127.0.0.1:$d_PORT/hook"; secret = "$SECRET_A"; } );
CONF
}

# 1. On SQLite: r is down (503), d refuses (400): pending and dead letters.
conf ""
mode r 503
mode d 400
start_daemon "$TMP/pollhook.conf"
sleep 1
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 503' 1 15 || fail "no attempt to r"
echo '{"cpu": 30}' | put status.json
sleep 1
echo '{"cpu": 96}' | put status.json
wait_count "$TMP/d.jsonl" 'r["status"] == 400' 3 15 || fail "d did not refuse three events"
sleep 0.5
stop_daemon
deliveries pending >"$TMP/pending.json"
deliveries dead >"$TMP/dead.json"
python3 -c 'import json, sys; p, d = (json.load(open(f)) for f in sys.argv[1:]); assert len(p) == 3 and len(d) == 3, (p, d)' \
    "$TMP/pending.json" "$TMP/dead.json" || fail "on SQLite: $(cat "$TMP/pending.json" "$TMP/dead.json")"

# A subscriber added through the API is a record in its own table: copied as it is.
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO api_subscribers(name, record) VALUES (?, ?)", ("dyn-1", "{\"copied\": 1}")); c.commit()' \
    "$TMP/state/pollhook.db" || fail "cannot add a dynamic subscriber's record to the SQLite store"

# 2. The copy, and a second one refused.
"$POLLHOOK" store copy --from "sqlite:$TMP/state" --to "postgres:$PG_CONNINFO" >"$TMP/copy.out" 2>&1 ||
	fail "store copy failed: $(cat "$TMP/copy.out")"
grep -q "^copied 3 events, 6 deliveries, 1 rule states, 0 subscriber states and 1 dynamic subscribers from sqlite to postgres$" \
    "$TMP/copy.out" || fail "store copy said: $(cat "$TMP/copy.out")"
got=$(pg_sql "SELECT name || ' ' || record FROM api_subscribers")
[ "$got" = 'dyn-1 {"copied": 1}' ] || fail "the dynamic subscriber's record in PostgreSQL: '$got'"
# The record was made up by this test: the daemon below runs without it.
pg_sql "DELETE FROM api_subscribers" >/dev/null
rc=0
"$POLLHOOK" store copy --from "sqlite:$TMP/state/pollhook.db" --to "postgres:$PG_CONNINFO" \
    >"$TMP/copy2.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "already holds events or deliveries" "$TMP/copy2.out" ||
	fail "a copy into a full store: exit $rc: $(cat "$TMP/copy2.out")"
for bad in "--from sqlite:$TMP/state" "--from mysql:x --to sqlite:/tmp/x" "--to postgres:x"; do
	rc=0
	# shellcheck disable=SC2086
	"$POLLHOOK" store copy $bad >"$TMP/bad.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] && [ -s "$TMP/bad.out" ] || fail "store copy $bad: exit $rc"
done
pass "store copy: 3 events, 6 deliveries, the rule state, a dynamic subscriber; a second copy refused"

# 3. The same instance on PostgreSQL: what SQLite held goes on.
conf "$STORE_CONF"
deliveries pending >"$TMP/pending_pg.json"
deliveries dead >"$TMP/dead_pg.json"
cmp -s "$TMP/pending.json" "$TMP/pending_pg.json" ||
	fail "pending deliveries differ: $(cat "$TMP/pending.json") vs $(cat "$TMP/pending_pg.json")"
cmp -s "$TMP/dead.json" "$TMP/dead_pg.json" ||
	fail "dead letters differ: $(cat "$TMP/dead.json") vs $(cat "$TMP/dead_pg.json")"
: >"$TMP/r.jsonl"
mode r 200
start_daemon "$TMP/pollhook.conf"
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 3 20 || fail "the copied pending deliveries were not delivered"
sleep 1
# Still high: no new firing. Then a new event, with a new delivery id.
[ "$(count_lines "$TMP/r.jsonl" 'r["status"] == 200')" -eq 3 ] || fail "the firing rule fired again"
echo '{"cpu": 20}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 4 15 || fail "no new event after the copy"
stop_daemon
all_verified r
python3 - "$TMP/r.jsonl" "$TMP/pending.json" <<'PY' || fail "after the copy r got: $(cat "$TMP/r.jsonl")"
import json, sys
got = [json.loads(r["body"]) for r in map(json.loads, open(sys.argv[1])) if r["status"] == 200]
pending = json.load(open(sys.argv[2]))
assert [b["id"] for b in got[:3]] == [p["event_id"] for p in pending], (got, pending)
assert [b["event"] for b in got] == ["cpu.high", "cpu.high.resolved", "cpu.high",
                                     "cpu.high.resolved"], got
PY
max=$(python3 -c 'import json, sys; print(max(r["id"] for f in sys.argv[1:] for r in json.load(open(f))))' \
    "$TMP/pending.json" "$TMP/dead.json")
[ "$(pg_sql "SELECT last_value FROM deliveries_seq_seq")" -gt "$max" ] ||
	fail "new deliveries did not get ids above the copied ones ($max)"
pass "on PostgreSQL: the copied deliveries delivered in order with their ids, no refire, new ids after"
