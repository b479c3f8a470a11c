#!/usr/bin/env bash
# A store made by an earlier pollhook migrates: the SQLite outbox from before
# schema versions (user_version 0), or with POLLHOOK_TEST_STORE=postgres a
# PostgreSQL store at schema version 1 (before claims). `pollhook store
# check` says a migration is due (exit 1), `pollhook store migrate` applies
# it, and the daemon then delivers the pending delivery it held, lists its
# dead letter and keeps its firing rule from firing again.
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

DATA=$top_srcdir/tests/integration/data
ID_PENDING=evt_01KB3EXAMPLE0000000000PEND
ID_DEAD=evt_01KB3EXAMPLE0000000000DEAD

echo '{"cpu": 95}' | put status.json	# still high: the firing rule must not fire again
start_api api
start_receiver r standard "$SECRET_A"
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = ( { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    retry = { first_delay = 0.2; max_delay = 0.5; }; } );
CONF

# The rows of the old store, the same for both backends.
rows_sql() {
	python3 - "$ID_PENDING" "$ID_DEAD" <<'PY'
import json, sys
sep = "\x1f"
for i, eid in enumerate(sys.argv[1:3]):
    body = json.dumps({"event": "cpu.high", "event_ts": 1764393600123 + i, "id": eid,
                       "payload": {"source": "edge-1", "labels": {}, "metric": "cpu",
                                   "instance": None, "state": "firing", "value": 95}})
    print("INSERT INTO events(id, name, source, rule, instance, ts_ms, body) VALUES"
          " ('%s', 'cpu.high', 'edge-1', 'cpu.high', NULL, %d, '%s');" % (eid, 1764393600123 + i, body))
    print("INSERT INTO deliveries(event_id, subscriber, okey, state, attempts, created, next_at,"
          " updated, last_status, last_error) VALUES ('%s', 'r', 'edge-1%scpu.high%s', %d, %d,"
          " 1764393600.0, 1764393600.0, 1764393600.0, %d, %s);"
          % (eid, sep, sep, i, i, 400 * i, "'HTTP 400'" if i else "NULL"))
print("INSERT INTO rule_state(key, json) VALUES ('cpu.high%sedge-1%s',"
      " '{\"kind\":\"above\",\"phase\":\"firing\",\"since\":1764393600.0}');" % (sep, sep))
PY
}

if [ -n "$STORE_CONF" ]; then
	pg_sql "$(cat "$DATA/store-pg-v1.sql")" >/dev/null || fail "cannot make the version 1 schema"
	pg_sql "$(rows_sql)" >/dev/null || fail "cannot fill the version 1 schema"
	old=1
else
	python3 - "$TMP/state/pollhook.db" "$DATA/store-sqlite-v0.sql" "$(rows_sql)" <<'PY' ||
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(open(sys.argv[2]).read())
db.executescript(sys.argv[3])
db.commit()
PY
		fail "cannot make the SQLite store of an earlier version"
	old=0
fi

rc=0
"$POLLHOOK" store check -c "$TMP/pollhook.conf" >"$TMP/check.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "store check of an old schema exited $rc: $(cat "$TMP/check.out")"
grep -q "schema version $old; this pollhook writes .*: run pollhook store migrate" "$TMP/check.out" ||
	fail "store check said: $(cat "$TMP/check.out")"
"$POLLHOOK" store migrate -c "$TMP/pollhook.conf" >"$TMP/migrate.out" 2>&1 ||
	fail "store migrate failed: $(cat "$TMP/migrate.out")"
grep -q "schema version [0-9]* (current), 1 pending deliveries" "$TMP/migrate.out" ||
	fail "store migrate said: $(cat "$TMP/migrate.out")"
"$POLLHOOK" store check -c "$TMP/pollhook.conf" >"$TMP/check.out" 2>&1 ||
	fail "store check after the migration: $(cat "$TMP/check.out")"
pass "store check: version $old needs a migration; store migrate: $(tail -n 1 "$TMP/migrate.out")"

start_daemon "$TMP/pollhook.conf"
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 1 15 || fail "the pending delivery of the old store was not delivered"
sleep 1.5
stop_daemon
all_verified r
python3 - "$TMP/r.jsonl" "$ID_PENDING" <<'PY' || fail "after the migration the receiver got: $(cat "$TMP/r.jsonl")"
import json, sys
ok = [json.loads(r["body"]) for r in map(json.loads, open(sys.argv[1])) if r["status"] == 200]
assert [b["id"] for b in ok] == [sys.argv[2]], ok
PY
deliveries dead >"$TMP/dead.json"
python3 - "$TMP/dead.json" "$ID_DEAD" <<'PY' || fail "dead letters after the migration: $(cat "$TMP/dead.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1 and rows[0]["event_id"] == sys.argv[2] and rows[0]["last_status"] == 400, rows
PY
pass "after the migration: the old pending delivery delivered, the dead letter listed, no refire"
