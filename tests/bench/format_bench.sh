#!/usr/bin/env bash
# Benchmark of the payload formats: the same burst of events delivered as
# signed webhooks to a loopback nginx answering 204, once per format and once
# with a small jq transform, each against the envelope measured in the same
# round. Prints figures; never fails on them.
# Usage: tests/bench/format_bench.sh [BUILD_DIR] (default: .)
#
#   per format: INSTANCES instances x FLIPS flips of a threshold (default
#   2,000 x 4 = 8,000 deliveries), ROUNDS times (default 3), the order of the
#   formats turned by one each round (the machine's load drifts):
#   - deliveries per second while they flow: from nginx's log ($msec), the
#     first to the last request of each flip's burst (the wait for the next
#     poll after a flip, up to one interval, is the same for every format and
#     was most of the noise when the rate was counted over the whole run);
#   - pollhook CPU s per 1,000 deliveries (the transform worker counted in),
#     its idle polling (measured for a second before the burst) taken out;
#   - the receiver's own CPU (nginx's worker) per 1,000 requests and the
#     rate it could take at most at that cost, and the body bytes per request:
#     bodies differ in size, so the receiver must not be the bottleneck.
#   Ratios are to the envelope's in the same round; the median over the
#   rounds is printed with the lowest and highest ratio.
#   Targets: every format >= 0.8x the envelope's rate, the jq transform >= 0.5x.
set -u
BUILD=$(cd "${1:-.}" && pwd)
POLLHOOK=$BUILD/bridge/pollhook
INSTANCES=${INSTANCES:-2000}
FLIPS=${FLIPS:-4}
ROUNDS=${ROUNDS:-3}
[ -x "$POLLHOOK" ] || { echo "no $POLLHOOK: build first" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }

top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
. "$top_srcdir/tests/lib/ports.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-fmtbench.XXXXXX")
PH=""
cleanup() {
	[ -n "$PH" ] && kill "$PH" 2>/dev/null && wait "$PH" 2>/dev/null
	[ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	sleep 0.2
	free_port_release
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/www"
PORT=$(free_port)
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
user root;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/body;
  keepalive_requests 1000000;
  log_format hook '\$msec \$http_content_length';
  server {
    listen 127.0.0.1:$PORT;
    location = /hook { client_max_body_size 1m; access_log $TMP/hook.log hook; return 204; }
    location / { root $TMP/www; }
  }
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP" || { echo "nginx did not start" >&2; exit 1; }

for v in 0 1; do
	python3 - "$INSTANCES" "$v" >"$TMP/src-$v.json" <<'PY'
import json, sys
n, v = int(sys.argv[1]), int(sys.argv[2]) * 95
json.dump({"v": {"i%d" % i: v for i in range(n)}}, sys.stdout)
PY
done
values() { cp "$TMP/src-$1.json" "$TMP/www/src.json.tmp" && mv "$TMP/www/src.json.tmp" "$TMP/www/src.json"; }
requests() { if [ -f "$TMP/hook.log" ]; then wc -l <"$TMP/hook.log"; else echo 0; fi; }
nginx_worker() { pgrep -P "$(cat "$TMP/nginx.pid")" | head -1; }
cpu_of() {	# utime + stime of pollhook and its children (the transform worker)
	local t=0 p
	for p in "$1" $(pgrep -P "$1"); do
		[ -r "/proc/$p/stat" ] || continue
		t=$(awk -v hz="$(getconf CLK_TCK)" -v t="$t" '{ print t + ($14 + $15) / hz }' "/proc/$p/stat")
	done
	echo "$t"
}

# run ROUND NAME KEYS: the burst with one subscriber whose format keys are KEYS;
# prints "ROUND NAME deliveries counted seconds-flowing cpu-net nginx-cpu body-bytes-per-request".
run() {
	local round=$1 name=$2 keys=$3 target=0 t0 t1 c0 c1 ci n0 n1 idle i
	rm -rf "$TMP/state"
	cat >"$TMP/p.conf" <<CONF
bridge = { state_dir = "$TMP/state"; log_level = "info"; };
sources = ( { name = "edge-router-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    labels = { site = "fra1"; };
    http = { url = "http://127.0.0.1:$PORT/src.json"; max_body = 8388608; };
    metrics = ( { name = "cpu"; json = "/v/*"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; severity = "critical"; } );
subscribers = ( { name = "nginx"; url = "http://127.0.0.1:$PORT/hook";
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; $keys } );
CONF
	values 0
	: >"$TMP/hook.log"
	"$POLLHOOK" -c "$TMP/p.conf" 2>"$TMP/ph.err" &
	PH=$!
	sleep 2
	kill -0 "$PH" 2>/dev/null || { echo "$name: pollhook did not start: $(cat "$TMP/ph.err")" >&2; exit 1; }
	ci=$(cpu_of "$PH")
	sleep 1
	c0=$(cpu_of "$PH")
	idle=$(echo "$c0 - $ci" | bc -l)	# one second of polls that change nothing
	n0=$(cpu_of "$(nginx_worker)")
	t0=$(date +%s.%N)
	for i in $(seq 1 "$FLIPS"); do
		values $((i % 2))
		target=$((target + INSTANCES))
		local deadline=$((SECONDS + 120))
		while [ "$(requests)" -lt "$target" ]; do
			[ "$SECONDS" -lt "$deadline" ] || { echo "$name: stalled at $(requests) of $target" >&2; break 2; }
			sleep 0.05
		done
	done
	t1=$(date +%s.%N)
	c1=$(cpu_of "$PH")
	n1=$(cpu_of "$(nginx_worker)")
	kill "$PH"
	wait "$PH" 2>/dev/null
	PH=""
	python3 - "$TMP/hook.log" "$INSTANCES" "$round $name" "$(echo "$c1 - $c0 - $idle * ($t1 - $t0)" | bc -l)" \
	    "$(echo "$n1 - $n0" | bc -l)" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
per, name, cpu, ncpu = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
flowing, counted = 0.0, 0
for at in range(0, len(rows) - per + 1, per):	# each flip's burst
    burst = [float(r[0]) for r in rows[at:at + per]]
    flowing += max(burst) - min(burst)
    counted += per - 1
size = sum(int(r[1]) for r in rows) / len(rows) if rows else 0
print(name, len(rows), counted, flowing, cpu, ncpu, int(size))
PY
}

# ROUNDS rounds of the envelope and every format, the order turned by one each
# round: the machine's noise spreads over all of them, and medians take it out.
NAMES=(envelope cloudevents cloudevents-binary slack teams pagerduty alertmanager jq-small)
declare -A KEYS=(
	[envelope]=''
	[cloudevents]='format = "cloudevents";'
	[cloudevents-binary]='format = "cloudevents"; cloudevents_mode = "binary";'
	[slack]='format = "slack";'
	[teams]='format = "teams";'
	[pagerduty]='format = "pagerduty"; routing_key = "R0123456789abcdefghijklmnopqrstu";'
	[alertmanager]='format = "alertmanager";'
	[jq-small]='transform = "{text: \"\\(.event) on \\(.payload.source)\", value: .payload.value}";'
)
{
	for r in $(seq 1 "$ROUNDS"); do
		for k in $(seq 0 $((${#NAMES[@]} - 1))); do
			name=${NAMES[$(((k + r - 1) % ${#NAMES[@]}))]}
			run "$r" "$name" "${KEYS[$name]}"
		done
	done
} >"$TMP/results"

python3 - "$TMP/results" "$INSTANCES" "$FLIPS" "$ROUNDS" <<'PY'
import statistics, sys
print("format bench: %s instances x %s flips per run, %s rounds, one subscriber, nginx 204 "
      "on loopback; medians over the rounds [lowest..highest ratio to the envelope of the "
      "same round]" % tuple(sys.argv[2:5]))
rounds = {}
for l in open(sys.argv[1]):
    r, name, n, counted, flowing, cpu, ncpu, size = l.split()
    n, counted = int(n), int(counted)
    rounds.setdefault(r, {})[name] = (counted / float(flowing) if float(flowing) > 0 else 0.0,
        float(cpu) / n * 1000 if n else 0.0, float(ncpu) / n * 1000 if n else 0.0, int(size))
names = list(next(iter(rounds.values())).keys())
names.sort(key=lambda k: (k != "envelope", k.startswith("jq")))
def med(v): return statistics.median(v)
print("%-19s %7s %18s %10s %18s %9s %9s %6s %s" % ("format", "per s", "x env", "CPU s/1k",
      "x env", "nginx s/1k", "nginx max", "bytes", "target (rate)"))
for name in names:
    rows = [rd[name] for rd in rounds.values() if name in rd]
    ratios = [rd[name][0] / rd["envelope"][0] for rd in rounds.values()
              if name in rd and rd["envelope"][0] > 0]
    cratios = [rd[name][1] / rd["envelope"][1] for rd in rounds.values()
               if name in rd and rd["envelope"][1] > 0]
    rate, cpu, ncpu = med(r[0] for r in rows), med(r[1] for r in rows), med(r[2] for r in rows)
    target = 0.5 if name.startswith("jq") else 0.8
    ok = "" if name == "envelope" else "%.1fx %s" % (target,
        "met" if med(ratios) >= target else "MISSED")
    print("%-19s %7.0f %6.2f [%4.2f..%4.2f] %10.4f %6.2f [%4.2f..%4.2f] %9.4f %9.0f %6d %s" % (
        name, rate, med(ratios), min(ratios), max(ratios), cpu, med(cratios), min(cratios),
        max(cratios), ncpu, 1000 / ncpu if ncpu > 0 else 0, med(r[3] for r in rows), ok))
PY
