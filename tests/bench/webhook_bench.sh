#!/usr/bin/env bash
# Benchmark of the push half: bursts of events delivered as signed, durable
# webhooks to a loopback nginx answering 204. Prints figures; never fails on
# them. Usage: tests/bench/webhook_bench.sh [BUILD_DIR] (default: .)
#
#   burst:  100,000 events (10,000 instances x 10 flips of a threshold) ->
#           deliveries per second, events per fsync (outbox commit), p50/p99
#           from event creation to the 204, pollhook CPU s per 1,000
#           deliveries and peak RSS; nginx's CPU s per 1,000 requests is the
#           same-run reference.
#   steady: 100 events per second for 20 s -> p50/p99 latency.
set -u
BUILD=$(cd "${1:-.}" && pwd)
POLLHOOK=$BUILD/bridge/pollhook
INSTANCES=${INSTANCES:-10000}
FLIPS=${FLIPS:-10}
[ -x "$POLLHOOK" ] || { echo "no $POLLHOOK: build first" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-bench.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/www" "$TMP/state"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
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
    location = /hook { client_max_body_size 1m; return 204; }
    location / { root $TMP/www; }
  }
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP" || { echo "nginx did not start" >&2; exit 1; }

# make_values N: the two source documents, N instances all at 0 or all at 10.
# Their sizes differ: nginx's ETag (mtime in seconds, size) would otherwise
# not change when the file changes twice within a second.
make_values() {
	for v in 0 1; do
		python3 - "$1" "$v" >"$TMP/v$1-$v.json" <<'PY'
import json, sys
n, v = int(sys.argv[1]), int(sys.argv[2]) * 10
json.dump({"v": {"i%d" % i: v for i in range(n)}}, sys.stdout)
PY
	done
}
# values N V: serves the document of N instances at V (made by make_values).
values() {
	cp "$TMP/v$1-$2.json" "$TMP/www/v.json.tmp" && mv "$TMP/www/v.json.tmp" "$TMP/www/v.json"
}

cpu_of() {	# utime + stime of a pid, in seconds
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
nginx_worker() {
	pgrep -P "$(cat "$TMP/nginx.pid")" | head -n 1
}
requests() {
	awk '/ "POST \/hook/ { n++ } END { print n + 0 }' "$TMP/access.log" 2>/dev/null
}

# run_pollhook INTERVAL: starts pollhook on the current document.
run_pollhook() {
	cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; log_level = "info"; };
sources = ( { name = "bench"; poller = "http"; interval = $1; timeout = $1;
    http = { url = "http://127.0.0.1:$PORT/v.json"; max_body = 8388608; };
    metrics = ( { name = "v"; json = "/v/*"; } ); } );
rules = ( { name = "flip"; metric = "v"; above = 0.5; } );
subscribers = ( { name = "nginx"; url = "http://127.0.0.1:$PORT/hook";
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; } );
CONF
	rm -rf "$TMP/state"
	"$POLLHOOK" -c "$TMP/pollhook.conf" 2>"$TMP/pollhook.err" &
	PH=$!
	PIDS="$PIDS $PH"
}

stop_pollhook() {
	kill "$PH"
	wait "$PH" 2>/dev/null
}

# wait_requests N SECONDS: until nginx has logged N webhook POSTs.
wait_requests() {
	local deadline=$((SECONDS + $2))
	while [ "$(requests)" -lt "$1" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

summary() {	# the delivery summary pollhook logs when it stops
	grep -o 'deliveries: .*' "$TMP/pollhook.err" | tail -n 1
}

echo "== burst: $((INSTANCES * FLIPS)) events, $INSTANCES instances x $FLIPS flips"
make_values "$INSTANCES"
make_values 10
values "$INSTANCES" 0
: >"$TMP/access.log"
run_pollhook 0.5
sleep 2
cpu0=$(cpu_of "$PH")
ncpu0=$(cpu_of "$(nginx_worker)")
t0=$(date +%s.%N)
target=0
for i in $(seq 1 "$FLIPS"); do
	values "$INSTANCES" $((i % 2))
	target=$((target + INSTANCES))
	wait_requests "$target" 120 || { echo "stalled at $(requests) of $target deliveries" >&2; break; }
done
t1=$(date +%s.%N)
cpu1=$(cpu_of "$PH")
ncpu1=$(cpu_of "$(nginx_worker)")
rss=$(awk '/VmHWM/ { print $2 / 1024 }' "/proc/$PH/status")
stop_pollhook
n=$(requests)
python3 - "$n" "$t0" "$t1" "$cpu0" "$cpu1" "$ncpu0" "$ncpu1" "$rss" "$(summary)" <<'PY'
import re, sys
n = int(sys.argv[1]); t0, t1, c0, c1, n0, n1, rss = map(float, sys.argv[2:9]); summ = sys.argv[9]
m = re.search(r"(\d+) events, (\d+) delivered.*p50 ([\d.]+) ms, p99 ([\d.]+) ms; (\d+) outbox commits", summ)
events, commits = int(m.group(1)), int(m.group(5))
el = t1 - t0
ph = (c1 - c0) / n * 1000
ng = (n1 - n0) / n * 1000
print("deliveries:          %d in %.2f s = %.0f per second (target >= 5,000)" % (n, el, n / el))
print("events per fsync:    %.0f (%d events, %d outbox commits, polls included)" % (events / max(commits, 1), events, commits))
print("event to 204:        p50 %s ms, p99 %s ms (includes waiting behind the burst)" % (m.group(3), m.group(4)))
print("pollhook CPU:        %.3f s per 1,000 deliveries (polls, rules, outbox, signing, HTTP)" % ph)
print("nginx CPU:           %.3f s per 1,000 requests (reference)" % ng)
print("ratio pollhook/nginx %.1f" % (ph / ng if ng > 0 else float("nan")))
print("pollhook peak RSS:   %.1f MiB" % rss)
PY

echo "== steady: 100 events per second for 20 s (10 instances flipping every 0.1 s)"
values 10 0
: >"$TMP/access.log"
run_pollhook 0.1
sleep 1
for i in $(seq 1 200); do
	values 10 $((i % 2))
	sleep 0.1
done
sleep 1
stop_pollhook
echo "deliveries:          $(requests)"
summary | sed 's/^/summary:             /'
