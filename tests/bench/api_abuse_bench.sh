#!/usr/bin/env bash
# Benchmark of the management API under connection floods (issue 16): the
# latency of GET /healthz and of an authorised GET /v1/sources from
# 127.0.0.2 (median, p99, max over WINDOW seconds; 10000 ms counts a request
# not answered 200 within 5 s) and the polling rate of SOURCES sources
# (pollhook_polls_total per second), without an attack and then, in the
# same run, while 127.0.0.1 holds FLOOD connections open, and while 20
# addresses hold 1,200 (past max_connections: evictions), the attacker
# re-opening each connection the server closes. Prints the figures and the
# attacked / quiet ratios, ROUNDS times; never fails on them.
# Usage: tests/bench/api_abuse_bench.sh [BUILD_DIR] (default: .)
#
# SOURCES (default 20) sources polled every INTERVAL (default 0.05) s;
# WINDOW (default 10) s per measure; ROUNDS (default 3); FLOOD (default
# 1000). Build without sanitizers.
set -u
BUILD=$(cd "${1:-.}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SOURCES=${SOURCES:-20}
INTERVAL=${INTERVAL:-0.05}
WINDOW=${WINDOW:-10}
ROUNDS=${ROUNDS:-3}
FLOOD=${FLOOD:-1000}
ABUSE=$SRC/tests/lib/api_abuse.py
[ -x "$BUILD/bridge/pollhook" ] || { echo "no $BUILD/bridge/pollhook: build first" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
ulimit -n 4096 2>/dev/null

. "$(dirname "$0")/lib.sh"
bench_tmp apiabuse


mkdir -p "$TMP/www" "$TMP/state"
echo '{"cpu": 20}' >"$TMP/www/status.json"
python3 "$SRC/tests/lib/httpserver.py" --dir "$TMP/www" --port-file "$TMP/dev.port" \
    --log /dev/null 2>"$TMP/dev.err" &
PIDS="$PIDS $!"
for _ in $(seq 50); do [ -s "$TMP/dev.port" ] && break; sleep 0.1; done
DEV=$(cat "$TMP/dev.port")
PORT=$(free_port)
TOKEN=bench-token-$$
{
	echo "bridge = { state_dir = \"$TMP/state\"; log_level = \"warning\";"
	echo "  api = { listen = \"127.0.0.1:$PORT\"; token = \"$TOKEN\"; }; };"
	echo "sources = ("
	for i in $(seq "$SOURCES"); do
		[ "$i" -gt 1 ] && echo ","
		echo "{ name = \"s$i\"; poller = \"http\"; interval = $INTERVAL; timeout = 0.04;"
		echo "  http = { url = \"http://127.0.0.1:$DEV/status.json\"; };"
		echo "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); }"
	done
	echo ");"
	echo "rules = ( { name = \"cpu.high\"; metric = \"cpu\"; above = 90.0; clear = 85.0; } );"
	echo "subscribers = ( { name = \"r\"; url = \"http://127.0.0.1:9/hook\";"
	echo "  secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"; } );"
} >"$TMP/pollhook.conf"
"$BUILD/bridge/pollhook" -c "$TMP/pollhook.conf" 2>"$TMP/daemon.err" &
PIDS="$PIDS $!"
for _ in $(seq 100); do
	curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
	sleep 0.1
done

polls() {
	curl -s --max-time 5 --interface 127.0.0.2 -H "Authorization: Bearer $TOKEN" \
	    "http://127.0.0.1:$PORT/metrics" |
	    awk '/^pollhook_polls_total/ { s += $2 } END { print s + 0 }'
}

# measure FLOOD [ADDRS]: prints "h_median h_p99 h_max a_median a_p99 a_max polls_per_s"
# over WINDOW seconds (h: /healthz, a: the authorised GET).
measure() {
	local p0 p1 lat fpid=""
	if [ "$1" -gt 0 ]; then
		python3 "$ABUSE" "$PORT" flood "$1" $((WINDOW + 2)) "${2:-0}" >"$TMP/flood.out" &
		fpid=$!
		sleep 1.5
	fi
	p0=$(polls)
	lat=$(python3 "$ABUSE" "$PORT" latency 0 "$WINDOW" "$TOKEN")
	p1=$(polls)
	[ -n "$fpid" ] && wait "$fpid"
	echo "$lat $(awk -v a="$p0" -v b="$p1" -v w="$WINDOW" 'BEGIN { printf "%.1f", (b - a) / w }')"
}

echo "api_abuse_bench: $SOURCES sources every $INTERVAL s, windows of $WINDOW s, $(nproc) cores"
echo "per round: quiet; flood ($FLOOD from 127.0.0.1); spread (1200 from 20 addresses,"
echo "past max_connections): /healthz and authorised GET med/p99/max ms, polls/s; then"
echo "the attacked/quiet ratios of the medians, the p99s, the polling rates"
for r in $(seq "$ROUNDS"); do
	q=$(measure 0)
	read -r qm qp qx am ap ax qr <<<"$q"
	echo "round $r quiet: healthz $qm/$qp/$qx auth $am/$ap/$ax polls/s $qr"
	for kind in flood spread; do
		if [ $kind = flood ]; then f=$(measure "$FLOOD"); else f=$(measure 1200 20); fi
		made=$(cat "$TMP/flood.out")
		read -r fm fp fx bm bp bx fr <<<"$f"
		echo "round $r $kind: healthz $fm/$fp/$fx auth $bm/$bp/$bx polls/s $fr" \
		    "($made connections opened)"
		awk -v r="$r" -v k="$kind" -v a="$qm" -v b="$fm" -v c="$qp" -v d="$fp" \
		    -v e="$am" -v f="$bm" -v g="$ap" -v h="$bp" -v i="$qr" -v j="$fr" \
		    'BEGIN { printf "round %s %s/quiet: healthz med %.2f p99 %.2f, auth med %.2f " \
		    "p99 %.2f, polls %.3f\n", r, k, b / a, d / c, f / e, h / g, j / i }'
	done
done
grep -c . "$TMP/daemon.err" >/dev/null && grep -v 'loop: timers' "$TMP/daemon.err" | head -5
