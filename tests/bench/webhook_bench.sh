#!/usr/bin/env bash
# Benchmark of the push half: bursts of events delivered as signed, durable
# webhooks to a loopback nginx answering 204, on each store backend in the
# same run. Prints figures; never fails on them.
# Usage: tests/bench/webhook_bench.sh [BUILD_DIR] (default: .)
#
#   burst:  100,000 events (10,000 instances x 10 flips of a threshold) ->
#           deliveries per second, events per commit, p50/p99 from event
#           creation to the 204, pollhook CPU s per 1,000 deliveries and peak
#           RSS; nginx's (and PostgreSQL's) CPU s per 1,000 requests beside it.
#   steady: 100 events per second for 20 s -> p50/p99 latency.
#   two:    the burst on PostgreSQL with two instances sharing the database,
#           each polling half of the instances (a source of its own).
#
# BACKENDS (default "sqlite postgres") picks the backends; PostgreSQL runs in
# a server of the benchmark's own (tests/lib/pg.sh), with its default
# durability (fsync, synchronous_commit on), as the SQLite store's is.
set -u
BUILD=$(cd "${1:-.}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
POLLHOOK=$BUILD/bridge/pollhook
INSTANCES=${INSTANCES:-10000}
FLIPS=${FLIPS:-10}
BACKENDS=${BACKENDS:-sqlite postgres}
[ -x "$POLLHOOK" ] || { echo "no $POLLHOOK: build first" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }

. "$(dirname "$0")/lib.sh"
bench_tmp bench
mkdir -p "$TMP/www"

PORT=$(free_port)

cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
user root;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 1024; }
http {
  access_log $TMP/access.log;
  client_body_temp_path $TMP/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT;
    location = /hook { client_max_body_size 1m; access_log $TMP/hook.log; return 204; }
    location / { root $TMP/www; }
  }
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP" || { echo "nginx did not start" >&2; exit 1; }

case " $BACKENDS " in
*" postgres "*)
	. "$SRC/tests/lib/pg.sh"
	need_pg
	pg_start || { echo "PostgreSQL did not start" >&2; exit 1; }
	;;
esac

# make_values NAME N: the two source documents NAME-0 and NAME-1, N instances
# all at 0 or all at 10. Their sizes differ: nginx's ETag (mtime in seconds,
# size) would otherwise not change when the file changes twice within a second.
make_values() {
	for v in 0 1; do
		python3 - "$2" "$v" >"$TMP/$1-$v.json" <<'PY'
import json, sys
n, v = int(sys.argv[1]), int(sys.argv[2]) * 10
json.dump({"v": {"i%d" % i: v for i in range(n)}}, sys.stdout)
PY
	done
}
# values NAME V: serves document NAME-V as NAME.json.
values() {
	cp "$TMP/$1-$2.json" "$TMP/www/$1.json.tmp" && mv "$TMP/www/$1.json.tmp" "$TMP/www/$1.json"
}

cpu_of() {	# utime + stime of pids, in seconds
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$(awk -v hz="$(getconf CLK_TCK)" -v t="$t" '{ print t + ($14 + $15) / hz }' "/proc/$p/stat")
	done
	echo "$t"
}
nginx_worker() {
	pgrep -P "$(cat "$TMP/nginx.pid")" | head -n 1
}
postgres_pids() {	# the server and its processes (the backends serving pollhook among them)
	[ -n "${PG_DIR:-}" ] || return 0
	local pm
	pm=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	echo "$pm" $(pgrep -P "$pm")
}
requests() {	# the webhook POSTs nginx answered (a log of their own: counting stays cheap)
	if [ -f "$TMP/hook.log" ]; then wc -l <"$TMP/hook.log"; else echo 0; fi
}

# run_pollhook NAME INTERVAL BACKEND SOURCE: starts instance NAME polling
# SOURCE.json on BACKEND; its pid in PH_NAME.
run_pollhook() {
	local store=""
	[ "$3" = postgres ] && store="store = { backend = \"postgres\"; conninfo = \"$PG_CONNINFO\"; node = \"$1\"; };"
	cat >"$TMP/$1.conf" <<CONF
bridge = { state_dir = "$TMP/state-$1"; log_level = "info"; $store };
sources = ( { name = "$4"; poller = "http"; interval = $2; timeout = $2;
    http = { url = "http://127.0.0.1:$PORT/$4.json"; max_body = 8388608; };
    metrics = ( { name = "v"; json = "/v/*"; } ); } );
rules = ( { name = "flip"; metric = "v"; above = 0.5; } );
subscribers = ( { name = "nginx"; url = "http://127.0.0.1:$PORT/hook";
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; } );
CONF
	rm -rf "$TMP/state-$1"
	"$POLLHOOK" -c "$TMP/$1.conf" 2>"$TMP/$1.err" &
	eval "PH_$1=$!"
	PIDS="$PIDS $!"
}

stop_pollhook() {
	local pid
	eval "pid=\$PH_$1"
	kill "$pid"
	wait "$pid" 2>/dev/null
}

# fresh BACKEND: an empty store for the next run.
fresh() {
	[ "$1" = postgres ] || return 0
	pg_sql "DROP TABLE IF EXISTS events, deliveries, rule_state, subscriber_state, members, pollhook_schema" >/dev/null
}

# wait_requests N SECONDS: until nginx has logged N webhook POSTs.
wait_requests() {
	local deadline=$((SECONDS + $2))
	while [ "$(requests)" -lt "$1" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

summary() {	# the delivery summary instance NAME logs when it stops
	grep -o 'deliveries: .*' "$TMP/$1.err" | tail -n 1
}

# burst BACKEND INSTANCES...: the burst, spread over one source per instance.
burst() {
	local backend=$1 names n per i target t0 t1 c0 c1 ng0 ng1 pg0 pg1 rss
	shift
	names=$*
	n=$#
	per=$((INSTANCES / n))
	echo "== burst on $backend, $n instance(s): $((per * n * FLIPS)) events, $((per * n)) instances x $FLIPS flips"
	fresh "$backend"
	for name in $names; do
		make_values "src-$name" "$per"
		values "src-$name" 0
	done
	: >"$TMP/hook.log"
	for name in $names; do
		run_pollhook "$name" 0.5 "$backend" "src-$name"
	done
	sleep 3
	pids() { for name in $names; do eval "echo \$PH_$name"; done; }
	c0=$(cpu_of $(pids))
	ng0=$(cpu_of "$(nginx_worker)")
	pg0=$(cpu_of $(postgres_pids))
	t0=$(date +%s.%N)
	target=0
	for i in $(seq 1 "$FLIPS"); do
		for name in $names; do
			values "src-$name" $((i % 2))
		done
		target=$((target + per * n))
		wait_requests "$target" 120 || { echo "stalled at $(requests) of $target deliveries" >&2; break; }
	done
	t1=$(date +%s.%N)
	c1=$(cpu_of $(pids))
	ng1=$(cpu_of "$(nginx_worker)")
	pg1=$(cpu_of $(postgres_pids))
	rss=0
	for p in $(pids); do
		rss=$(awk -v r="$rss" '/VmHWM/ { print (r > $2 / 1024) ? r : $2 / 1024 }' "/proc/$p/status")
	done
	for name in $names; do
		stop_pollhook "$name"
	done
	python3 - "$(requests)" "$t0" "$t1" "$c0" "$c1" "$ng0" "$ng1" "$pg0" "$pg1" "$rss" "$backend" \
	    $(for name in $names; do printf '%s\n' "$(summary "$name" | tr ' ' '_')"; done) <<'PY'
import re, sys
n = int(sys.argv[1]); t0, t1, c0, c1, n0, n1, p0, p1, rss = map(float, sys.argv[2:11])
backend = sys.argv[11]
events = commits = 0
lat = []
for s in sys.argv[12:]:
    m = re.search(r"(\d+)_events,_(\d+)_delivered.*p50_([\d.]+)_ms,_p99_([\d.]+)_ms;_(\d+)_outbox_commits", s)
    events += int(m.group(1)); commits += int(m.group(5)); lat.append((m.group(3), m.group(4)))
el = t1 - t0
ph = (c1 - c0) / n * 1000
ng = (n1 - n0) / n * 1000
print("deliveries:          %d in %.2f s = %.0f per second (target >= 5,000)" % (n, el, n / el))
print("events per commit:   %.0f (%d events, %d store commits, polls included)" % (events / max(commits, 1), events, commits))
print("event to 204:        %s (includes waiting behind the burst)" % ", ".join("p50 %s ms, p99 %s ms" % l for l in lat))
print("pollhook CPU:        %.3f s per 1,000 deliveries (polls, rules, store, signing, HTTP)" % ph)
if backend == "postgres":
    print("postgres CPU:        %.3f s per 1,000 deliveries (the server's processes)" % ((p1 - p0) / n * 1000))
print("nginx CPU:           %.3f s per 1,000 requests (reference)" % ng)
print("ratio pollhook/nginx %.1f" % (ph / ng if ng > 0 else float("nan")))
print("pollhook peak RSS:   %.1f MiB" % rss)
PY
}

# steady BACKEND: 100 events per second for 20 s (10 instances flipping every 0.1 s).
steady() {
	echo "== steady on $1: 100 events per second for 20 s (10 instances flipping every 0.1 s)"
	fresh "$1"
	make_values steady 10
	values steady 0
	: >"$TMP/hook.log"
	run_pollhook steady 0.1 "$1" steady
	sleep 2
	for i in $(seq 1 200); do
		values steady $((i % 2))
		sleep 0.1
	done
	sleep 1
	stop_pollhook steady
	echo "deliveries:          $(requests)"
	summary steady | sed 's/^/summary:             /'
}

for backend in $BACKENDS; do
	burst "$backend" a
	steady "$backend"
done
case " $BACKENDS " in
*" postgres "*) burst postgres a b ;;
esac
