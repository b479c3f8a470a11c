#!/usr/bin/env bash
# The SQLite store's disk filling up. The database lives on a small file
# system the test makes (a 4 MiB tmpfs, or an ext4 image on a loop device;
# both need root), a source makes 40 events a second, and a filler file
# takes the rest of the space. Without root (or with
# STORE_DISK_FULL_MODE=max_size) the same case runs on
# bridge.store.max_size_mb = 2 (SQLite's max_page_count), the filler then a
# table another connection fills up to the limit and drops; without python3's
# sqlite3 module either, the test is skipped (exit 77).
#   expected  one clear log line naming the database and "disk full" (not
#             one per commit), pollhook_store_up 0 and
#             pollhook_store_errors_total{kind="full"} on /metrics, polling
#             going on (/v1/sources last poll times move), the events made
#             meanwhile waiting in memory (pollhook_store_queued_events) and
#             none attempted before it is stored; when the filler is deleted,
#             a log line, every event made stored and delivered in order per
#             key, and PRAGMA integrity_check "ok". Then with queue_max = 30,
#             the events past the bound are dropped, counted
#             (pollhook_store_dropped_events_total: exactly those made and
#             not stored) and logged, and the rest delivered.
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

. "$(dirname "$0")/../lib/store_outage_common.sh"

DISK=$TMP/disk
DB=$DISK/pollhook.db
mkdir -p "$DISK"

# The small file system: tmpfs, else an ext4 image on a loop device.
MOUNTED=
MODE=${STORE_DISK_FULL_MODE:-mount}
disk_umount() {
	[ "$MODE" = mount ] && [ -n "$MOUNTED" ] && umount "$DISK" 2>/dev/null
	MOUNTED=
}
CLEANUP_HOOKS="${CLEANUP_HOOKS:-} disk_umount"
if [ "$MODE" != mount ]; then
	:
elif [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=4m,mode=0700 tmpfs "$DISK" 2>/dev/null; then
	MOUNTED=tmpfs
elif [ "$(id -u)" -eq 0 ] && command -v mkfs.ext4 >/dev/null 2>&1 &&
    truncate -s 8m "$TMP/disk.img" && mkfs.ext4 -q -F "$TMP/disk.img" >/dev/null 2>&1 &&
    mount -o loop "$TMP/disk.img" "$DISK" 2>/dev/null; then
	MOUNTED=ext4
else
	MODE=max_size
fi
MAX_SIZE=
FULL_PAT='disk full'
if [ "$MODE" = max_size ]; then
	python3 -c 'import sqlite3' 2>/dev/null ||
		{ echo "SKIP: no small file system (needs root) and no python3 sqlite3 module"; exit 77; }
	MAX_SIZE="max_size_mb = 2;"
	FULL_PAT='full: bridge.store.max_size_mb (2 MiB) reached'
	MOUNTED="max_size_mb = 2"
fi

# last_poll SOURCE: its last poll time on /v1/sources.
last_poll() {
	curl -s --max-time 5 "http://127.0.0.1:$API_PORT/v1/sources" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
items = doc["sources"] if isinstance(doc, dict) else doc
print([s for s in items if s["name"] == sys.argv[1]][0]["last_poll"])' "$1"
}
sql() {
	python3 - "$DB" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
for row in db.execute(sys.argv[2]):
    print("|".join(str(c) for c in row))
PY
}
store_ids() {
	sql "SELECT id FROM events ORDER BY id"
}
drained() {
	[ "$(sql "SELECT count(*) FROM deliveries")" -eq 0 ]
}
wait_store_ids() {
	sql "SELECT id FROM events ORDER BY id"
}
drained() {
	wait_for 60 drained || fail "$(sql "SELECT count(*) FROM deliveries") deliveries left after 60 s"
}
# fill: takes every free block of the file system with $DISK/filler, or
# (max_size) every page up to 2 MiB with the table filler.
fill() {
	if [ "$MODE" = max_size ]; then
		python3 - "$DB" <<'PY' || fail "the filler table did not fill $DB"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute("CREATE TABLE IF NOT EXISTS filler (b BLOB)")
db.commit()
size = lambda: db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
free = lambda: db.execute("PRAGMA freelist_count").fetchone()[0]
while size() < 2 * 1048576 or free() > 0:
    db.execute("INSERT INTO filler VALUES (zeroblob(16384))")
    db.commit()
PY
		return
	fi
	dd if=/dev/zero of="$DISK/filler" bs=16k 2>/dev/null
	sync
	[ "$(df --output=avail -k "$DISK" | tail -1)" -le 16 ] || fail "the filler did not fill $DISK"
}
# unfill: the filler goes, and with it the lack of room.
unfill() {
	if [ "$MODE" = max_size ]; then
		sql "DROP TABLE filler" >/dev/null || fail "cannot drop the filler table"
		return
	fi
	rm -f "$DISK/filler"
}
# full_lines: the daemon's log lines that say the disk is full.
full_lines() {
	grep -cF "$FULL_PAT" "$TMP/daemon.err"
}

cpus 20
start_api api
start_receiver r standard "$SECRET_A"
start_receiver r2 standard "$SECRET_A"
API_PORT=$(free_port)

# conf SUBSCRIBER [QUEUE_MAX]
conf() {
	outage_conf "backend = \"sqlite\"; path = \"$DB\"; $MAX_SIZE" "$@"
}

# 1. Within the bound (the default, 100000).
conf r
start_daemon "$TMP/pollhook.conf"
wait_grep "started:" "$TMP/daemon.err" 15 || fail "pollhook did not start"
flip_start
wait_count "$TMP/r.jsonl" 'r["status"] == 200' 20 15 || fail "no deliveries before the disk filled up"
fill
t_down=$(now)
wait_for 60 grep -qsF "$FULL_PAT" "$TMP/daemon.err" || fail "no log line saying: $FULL_PAT"
grep -F "$FULL_PAT" "$TMP/daemon.err" | grep -qF "$DB" || fail "the line saying $FULL_PAT does not name $DB: $(grep -F "$FULL_PAT" "$TMP/daemon.err")"
[ "$(metric pollhook_store_up)" = 0 ] || fail "pollhook_store_up is not 0 while the disk is full"
poll0=$(last_poll edge)
polls0=$(metric 'pollhook_polls_total{source="edge"}')
sleep 6
poll1=$(last_poll edge)
polls1=$(metric 'pollhook_polls_total{source="edge"}')
queued=$(metric pollhook_store_queued_events)
errors=$(metric 'pollhook_store_errors_total{kind="full"}')
[ "$poll1" != "$poll0" ] || fail "the last poll time did not move while the disk was full ($poll0)"
[ "$polls1" -gt $((polls0 + 20)) ] || fail "polling stopped while the disk was full ($polls0 -> $polls1)"
[ "${queued:-0}" -gt 0 ] || fail "no events waiting in memory while the disk was full"
[ "${errors:-0}" -gt 0 ] || fail "pollhook_store_errors_total{kind=\"full\"} is '${errors}'"
[ "$(full_lines)" -eq 1 ] || fail "$(full_lines) log lines say $FULL_PAT, want 1: $(grep -F "$FULL_PAT" "$TMP/daemon.err" | head -5)"
echo "the line: $(grep -F "$FULL_PAT" "$TMP/daemon.err")"
pass "disk full ($MOUNTED): one log line, $errors failed commits counted, polling went on ($polls0 -> $polls1), $queued events wait in memory"
t_up=$(now)
unfill
wait_grep "stored now" "$TMP/daemon.err" 30 || fail "no log line when space came back"
echo "the line: $(grep 'stored now' "$TMP/daemon.err")"
[ "$(metric pollhook_store_up)" = 1 ] || fail "pollhook_store_up is not 1 after space came back"
sleep 2
flip_stop
sleep 1
wait_drained
stop_daemon
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity_check after the disk was full: $(sql "PRAGMA integrity_check" | head -5)"
check_all_stored "disk full" "$t_down" "$t_up"
pass "space back: every event made is stored and delivered once, in order, none before it was stored; integrity_check ok"

# 2. Past the bound: 30 events in memory at most.
conf r2 30
start_daemon "$TMP/pollhook.conf"
wait_grep "started:" "$TMP/daemon.err" 15 || fail "pollhook did not start"
flip_start
wait_count "$TMP/r2.jsonl" 'r["status"] == 200' 10 15 || fail "no deliveries before the disk filled up again"
fill
wait_grep "memory queue is full (30 events" "$TMP/daemon.err" 60 ||
	fail "no loud log line when the memory queue filled up"
sleep 2
dropped=$(metric pollhook_store_dropped_events_total)
[ "${dropped:-0}" -gt 0 ] || fail "no dropped events counted"
unfill
wait_grep "events were dropped while it was full" "$TMP/daemon.err" 30 ||
	fail "no log line saying how many were dropped"
flip_stop
sleep 1
wait_drained
dropped=$(metric pollhook_store_dropped_events_total)
stop_daemon
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity_check after the second disk full: $(sql "PRAGMA integrity_check" | head -5)"
check_dropped "disk full" "$dropped"
