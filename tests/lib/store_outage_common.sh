# Sourced by the tests of a store that cannot take writes for a while
# (store_pg_outage.sh: PostgreSQL stopped; store_disk_full.sh: the SQLite
# disk full), after http_common.sh and webhook_common.sh. One http source
# "edge" with ten CPUs that flip between 20 and 95, cpu.high on them; the
# test provides store_ids (prints the ids of the events stored, one a line).
#
#   outage_conf STORE SUBSCRIBER [QUEUE_MAX]   writes $TMP/pollhook.conf with
#                                   bridge.store = { STORE queue_max; }
#   flip_start, flip_stop           the flipping CPUs (40 events a second)
#   metric NAME                     its value on /metrics
#   check_all_stored WHAT T_DOWN T_UP   every event made stored, and
#                                   delivered to r once, in order, none before
#                                   T_UP that was made after T_DOWN
#   check_dropped WHAT DROPPED      the second case, the daemon stopped after
#                                   DROPPED was read from /metrics: made -
#                                   stored = dropped, every stored one
#                                   delivered to r2

CHECK=$top_srcdir/tests/lib/check_deliveries.py

cpus() {
	python3 -c 'import json, sys; print(json.dumps({"cpus": {"c%d" % i: float(sys.argv[1]) for i in range(10)}}))' "$1" | put status.json
}
now() {
	python3 -c 'import time; print("%.3f" % time.time())'
}
# metric NAME: its value on /metrics (empty when unanswered).
metric() {
	curl -s --max-time 5 "http://127.0.0.1:$API_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}
# events_made ERRFILE: the ids of the events the daemon logged as made.
events_made() {
	sed -n 's/.* info    event \(evt_[0-9A-Z]*\) .*/\1/p' "$1" | sort
}

outage_conf() {
	cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; api = { listen = "127.0.0.1:$API_PORT"; };
  store = { $1 ${3:+queue_max = $3;} }; };
sources = ( { name = "edge"; poller = "http"; interval = 0.1; timeout = 0.1;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpus/*"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = ( { name = "$2"; url = "http://127.0.0.1:$(eval echo "\$${2}_PORT")/hook";
    secret = "$SECRET_A"; retry = { first_delay = 0.2; max_delay = 1.0; max_attempts = 1000; }; } );
CONF
}

FLIPPER=
flip_start() {
	( while :; do cpus 95; sleep 0.25; cpus 20; sleep 0.25; done ) &
	FLIPPER=$!
	PIDS="$PIDS $FLIPPER"
}
flip_stop() {
	kill "$FLIPPER" 2>/dev/null
	{ wait "$FLIPPER"; } 2>/dev/null
	# Its last write may still be on the way.
	sleep 0.5
	cpus 20
}

check_all_stored() {
	events_made "$TMP/daemon.err" >"$TMP/made.txt"
	store_ids >"$TMP/stored.txt"
	cmp -s "$TMP/made.txt" "$TMP/stored.txt" ||
		fail "events made and events stored differ: $(diff "$TMP/made.txt" "$TMP/stored.txt" | head -5)"
	python3 "$CHECK" "$TMP/stored.txt" "$TMP/r.jsonl" --not-before "$2:$3:$3" ||
		fail "deliveries after the $1 are wrong"
	all_verified r
}

check_dropped() {
	local dropped=$2 made stored
	events_made "$TMP/daemon.err" >"$TMP/made2.txt"
	store_ids | sort >"$TMP/all.txt"
	comm -12 "$TMP/made2.txt" "$TMP/all.txt" >"$TMP/stored2.txt"
	made=$(wc -l <"$TMP/made2.txt")
	stored=$(wc -l <"$TMP/stored2.txt")
	[ $((made - stored)) -eq "$dropped" ] ||
		fail "$made events made, $stored stored, but $dropped counted as dropped"
	python3 - "$TMP/stored2.txt" "$TMP/r2.jsonl" <<'PY' || fail "the stored events of the second $1 were not all delivered"
import json, sys
ids = set(open(sys.argv[1]).read().split())
got = {json.loads(json.loads(l)["body"])["id"] for l in open(sys.argv[2]) if json.loads(l)["status"] == 200}
assert ids <= got and got <= ids, (len(ids - got), len(got - ids))
PY
	pass "past the bound: $dropped of $made events dropped, counted and logged; the $stored stored delivered"
}
