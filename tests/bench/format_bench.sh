#!/usr/bin/env bash
# Benchmark of the payload formats: the same burst of events delivered as
# signed webhooks to a loopback nginx answering 204, once per format and once
# with a small jq transform, each against the envelope measured in the same
# run. Prints figures; never fails on them.
# Usage: tests/bench/format_bench.sh [BUILD_DIR] (default: .)
#
#   per format: INSTANCES instances x FLIPS flips of a threshold (default
#   2,000 x 4 = 8,000 deliveries), ROUNDS times (default 3) -> deliveries per second and pollhook CPU s
#   per 1,000 deliveries (the transform worker's CPU counted in), and both as
#   a ratio to the envelope's in the same run (medians over the rounds).
#   Targets: every format >= 0.8x the envelope's
#   rate, the jq transform >= 0.5x.
set -u
BUILD=$(cd "${1:-.}" && pwd)
POLLHOOK=$BUILD/bridge/pollhook
INSTANCES=${INSTANCES:-2000}
FLIPS=${FLIPS:-4}
ROUNDS=${ROUNDS:-3}
[ -x "$POLLHOOK" ] || { echo "no $POLLHOOK: build first" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-fmtbench.XXXXXX")
PH=""
cleanup() {
	[ -n "$PH" ] && kill "$PH" 2>/dev/null && wait "$PH" 2>/dev/null
	[ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/www"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
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
  server {
    listen 127.0.0.1:$PORT;
    location = /hook { client_max_body_size 1m; access_log $TMP/hook.log; return 204; }
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
cpu_of() {	# utime + stime of pollhook and its children (the transform worker)
	local t=0 p
	for p in "$1" $(pgrep -P "$1"); do
		[ -r "/proc/$p/stat" ] || continue
		t=$(awk -v hz="$(getconf CLK_TCK)" -v t="$t" '{ print t + ($14 + $15) / hz }' "/proc/$p/stat")
	done
	echo "$t"
}

# run NAME KEYS: the burst with one subscriber whose format keys are KEYS;
# prints "NAME deliveries seconds cpu".
run() {
	local name=$1 keys=$2 target=0 t0 t1 c0 c1 i
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
	c0=$(cpu_of "$PH")
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
	kill "$PH"
	wait "$PH" 2>/dev/null
	PH=""
	echo "$name $(requests) $(echo "$t1 - $t0" | bc -l) $(echo "$c1 - $c0" | bc -l)"
}

# ROUNDS rounds, each the envelope then every format: the machine's noise
# (other work on it) spreads over all of them, and medians take it out.
{
	for r in $(seq 1 "$ROUNDS"); do
		run envelope ''
		run cloudevents 'format = "cloudevents";'
		run cloudevents-binary 'format = "cloudevents"; cloudevents_mode = "binary";'
		run slack 'format = "slack";'
		run teams 'format = "teams";'
		run pagerduty 'format = "pagerduty"; routing_key = "R0123456789abcdefghijklmnopqrstu";'
		run alertmanager 'format = "alertmanager";'
		run jq-small 'transform = "{text: \"\\(.event) on \\(.payload.source)\", value: .payload.value}";'
	done
} >"$TMP/results"

python3 - "$TMP/results" "$INSTANCES" "$FLIPS" "$ROUNDS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("format bench: %s instances x %s flips per run, %s rounds, one subscriber, nginx 204 "
      "on loopback; medians over the rounds" % tuple(sys.argv[2:5]))
by = {}
for name, n, secs, cpu in rows:
    n, secs, cpu = int(n), float(secs), float(cpu)
    by.setdefault(name, []).append((n / secs, cpu / n * 1000 if n else 0.0))
ref_rate = statistics.median(r for r, _ in by["envelope"])
ref_cpu = statistics.median(c for _, c in by["envelope"])
print("%-20s %10s %8s %12s %8s %s" % ("format", "per s", "x env", "CPU s/1000", "x env",
                                     "target (rate)"))
for name, v in by.items():
    rate = statistics.median(r for r, _ in v)
    cpu = statistics.median(c for _, c in v)
    target = 0.5 if name.startswith("jq") else 0.8
    ok = "" if name == "envelope" else "%.1fx %s" % (target,
        "met" if rate / ref_rate >= target else "MISSED")
    print("%-20s %10.0f %8.2f %12.3f %8.2f %s" % (name, rate, rate / ref_rate, cpu,
                                                 cpu / ref_cpu, ok))
PY
