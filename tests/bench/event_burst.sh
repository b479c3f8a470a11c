#!/usr/bin/env bash
# Benchmark of a burst on the bridge: 10,000 events at once (one http source
# of 10,000 instances whose values all cross a threshold together), delivered
# as signed webhooks to a loopback nginx answering 204, while 200 small probe
# sources poll at 1 s. Prints figures; never fails on them.
# Usage: tests/bench/event_burst.sh [BUILD_DIR] (default: .)
#
#   loop lag:   p99 and max of pollhook_loop_lag_seconds over the burst (from
#               /metrics; target: max under 50 ms), and the same measured from
#               outside: how late the probes' requests reach nginx compared to
#               their one-second grid, modulo 1 s (works for any build);
#   last hook:  the time from the flip until nginx logged the last webhook
#               (the flip falls anywhere in the source's interval), and from
#               the burst's first webhook to its last.
#
# REF=DIR runs the same burst with DIR/bridge/pollhook first, as the reference
# row of the same run (e.g. a build of the commit before a change). BACKEND
# (sqlite, the default, or postgres) picks the store, DURABILITY (fsync, the
# default, or process) bridge.durability; each row ends with the daemon's own
# event -> 2xx p50/p99 (event time: the poll's scheduled start). Build without
# sanitizers for figures that mean something. PERF=FILE records the last
# run's bursts with perf record -g into FILE; LOG=FILE keeps its log.
set -u
BUILD=$(cd "${1:-.}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
INSTANCES=${INSTANCES:-10000}
PROBES=${PROBES:-200}
ROUNDS=${ROUNDS:-3}
BACKEND=${BACKEND:-sqlite}
[ -x "$BUILD/bridge/pollhook" ] || { echo "no $BUILD/bridge/pollhook: build first" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-burst.XXXXXX")
PID=""
cleanup() {
	free_port_release 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	[ "$BACKEND" = postgres ] && pg_stop 2>/dev/null
	sleep 0.2
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/www"

. "$(dirname "$0")/lib.sh"
PORT=$(free_port)
API=$(free_port)

cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
user root;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 1024; }
http {
  log_format t '\$msec \$request_uri';
  access_log off;
  client_body_temp_path $TMP/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT;
    location = /hook { client_max_body_size 1m; access_log $TMP/hook.log t; return 204; }
    location /probe/ { access_log $TMP/probe.log t; alias $TMP/www/; }
    location / { root $TMP/www; }
  }
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP" || { echo "nginx did not start" >&2; exit 1; }
if [ "$BACKEND" = postgres ]; then
	. "$SRC/tests/lib/pg.sh"
	need_pg
	pg_start || { echo "PostgreSQL did not start" >&2; exit 1; }
fi

for v in 0 1; do
	python3 - "$INSTANCES" "$v" >"$TMP/burst-$v.json" <<'PY'
import json, sys
n, v = int(sys.argv[1]), int(sys.argv[2]) * 10
json.dump({"v": {"i%d" % i: v for i in range(n)}}, sys.stdout)
PY
done
echo '{"v": 1}' >"$TMP/www/probe.json"
values() {	# serves burst-V as burst.json
	cp "$TMP/burst-$1.json" "$TMP/www/burst.json.tmp" && mv "$TMP/www/burst.json.tmp" "$TMP/www/burst.json"
}
hooks() { if [ -f "$TMP/hook.log" ]; then wc -l <"$TMP/hook.log"; else echo 0; fi; }

# run BIN: starts pollhook BIN on a fresh store.
run() {
	local store=""
	[ "$BACKEND" = postgres ] && store="store = { backend = \"postgres\"; conninfo = \"$PG_CONNINFO\"; };"
	{
		echo "bridge = { state_dir = \"$TMP/state\"; log_level = \"info\"; $store"
		echo "  durability = \"${DURABILITY:-fsync}\";"
		echo "  api = { listen = \"127.0.0.1:$API\"; }; };"
		echo "sources = ("
		echo "  { name = \"burst\"; poller = \"http\"; interval = 1.0; timeout = 1.0;"
		echo "    http = { url = \"http://127.0.0.1:$PORT/burst.json\"; max_body = 8388608; };"
		echo "    metrics = ( { name = \"v\"; json = \"/v/*\"; } ); }"
		for i in $(seq 1 "$PROBES"); do
			echo " ,{ name = \"p$i\"; poller = \"http\"; interval = 1.0; timeout = 0.9;"
			echo "    http = { url = \"http://127.0.0.1:$PORT/probe/probe.json?p=$i\"; };"
			echo "    metrics = ( { name = \"v\"; json = \"/v\"; } ); }"
		done
		echo ");"
		echo "rules = ( { name = \"flip\"; metric = \"v\"; above = 0.5; sources = [ \"burst\" ]; } );"
		echo "subscribers = ( { name = \"nginx\"; url = \"http://127.0.0.1:$PORT/hook\";"
		echo "    secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"; } );"
	} >"$TMP/pollhook.conf"
	rm -rf "$TMP/state"
	[ "$BACKEND" = postgres ] && pg_sql "DROP TABLE IF EXISTS events, deliveries, rule_state, subscriber_state, members, pollhook_schema" >/dev/null
	"$1" -c "$TMP/pollhook.conf" 2>"$TMP/pollhook.err" &
	PID=$!
}

# one LABEL BIN: ROUNDS bursts (flip up, flip down) with BIN; prints a row.
one() {
	DURABILITY_LABEL="durability ${DURABILITY:-fsync}: "
	local label=$1 bin=$2 r target=0 t0 m0 m1
	values 0
	: >"$TMP/hook.log"
	run "$bin"
	sleep 4
	curl -s "http://127.0.0.1:$API/metrics" >"$TMP/m0"
	: >"$TMP/probe.log"
	: >"$TMP/flips"
	local perf=""
	if [ -n "${PERF:-}" ] && [ "$label" = this ]; then
		perf record -q -g -o "$PERF" -p "$PID" 2>/dev/null &
		perf=$!
	fi
	sleep 2
	for r in $(seq 1 $((ROUNDS * 2))); do
		t0=$(date +%s.%N)
		echo "$t0" >>"$TMP/flips"
		values $((r % 2))
		target=$((target + INSTANCES))
		local deadline=$((SECONDS + 120))
		while [ "$(hooks)" -lt "$target" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
		sed -n "$((target - INSTANCES + 1))p" "$TMP/hook.log" | cut -d' ' -f1 >>"$TMP/first"
		tail -n 1 "$TMP/hook.log" | cut -d' ' -f1 >>"$TMP/last"
		sleep 2
	done
	curl -s "http://127.0.0.1:$API/metrics" >"$TMP/m1"
	[ -n "$perf" ] && kill -INT "$perf" && wait "$perf"
	kill "$PID"; wait "$PID" 2>/dev/null; PID=""
	[ -n "${LOG:-}" ] && [ "$label" = this ] && cp "$TMP/pollhook.err" "$LOG"
	python3 - "$label" "$TMP" "$INSTANCES" "$(hooks)" "$((ROUNDS * 2 * INSTANCES))" <<'PY'
import re, sys, collections
label, tmp, inst, got, want = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def buckets(path):
    b, mx = {}, None
    for line in open(path):
        m = re.match(r'pollhook_loop_lag_seconds_bucket\{le="([^"]+)"\} (\d+)', line)
        if m: b[m.group(1)] = int(m.group(2))
        m = re.match(r'pollhook_loop_lag_max_seconds (\S+)', line)
        if m: mx = float(m.group(1))
    return b, mx
b0, _ = buckets(tmp + "/m0"); b1, mx = buckets(tmp + "/m1")
inner = "n/a"
if b1:
    d = {k: b1[k] - b0.get(k, 0) for k in b1}
    tot = d["+Inf"]
    p99 = next((k for k in sorted((k for k in d if k != "+Inf"), key=float) if d[k] >= 0.99 * tot), "+Inf")
    inner = "p99 <= %s ms, max %.1f ms (%d timers)" % (
        "%g" % (float(p99) * 1e3) if p99 != "+Inf" else "inf", mx * 1e3, tot)
# Outside: each probe's requests against its one-second grid.
per = collections.defaultdict(list)
for line in open(tmp + "/probe.log"):
    t, uri = line.split()
    per[uri].append(float(t))
lags = []
for ts in per.values():
    # Requests are due on a one-second grid of unknown phase: the phase is
    # where the arrival times (modulo 1 s) begin after their largest gap.
    fr = sorted(t % 1.0 for t in ts)
    gaps = [(fr[(i + 1) % len(fr)] - fr[i]) % 1.0 for i in range(len(fr))]
    base = fr[(gaps.index(max(gaps)) + 1) % len(fr)]
    lags += [(t - base) % 1.0 for t in ts]
lags.sort()
outer = "p99 %.1f ms, max %.1f ms (%d polls)" % (lags[int(0.99 * (len(lags) - 1))] * 1e3, lags[-1] * 1e3, len(lags)) if lags else "n/a"
flips = [float(x) for x in open(tmp + "/flips")]
first = [float(x) for x in open(tmp + "/first")]
last = [float(x) for x in open(tmp + "/last")]
spans = sorted(l - f for f, l in zip(flips, last))
burst = sorted(l - f for f, l in zip(first, last))
print("%-10s webhooks %d/%d; flip -> last webhook: median %.2f s, max %.2f s (interval 1 s);"
    " first -> last webhook: median %.2f s" % (
    label, got, want, spans[len(spans) // 2], spans[-1], burst[len(burst) // 2]))
print("%-10s loop lag inside: %s" % ("", inner))
print("%-10s probe lag outside: %s" % ("", outer))
PY
	grep -o 'event to 2xx.*' "$TMP/pollhook.err" | tail -n 1 | sed "s/^/           $DURABILITY_LABEL/"
	rm -f "$TMP/first" "$TMP/last"
}

# The reference of durability: the disk's own fdatasync, where the store lives.
python3 - "$TMP" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1] + "/sync-probe", os.O_WRONLY | os.O_CREAT)
t = []
for i in range(50):
    os.write(fd, b"x" * 4096)
    t0 = time.perf_counter(); os.fdatasync(fd); t.append(time.perf_counter() - t0)
t.sort()
print("reference: fdatasync of 4 KiB on this disk: median %.2f ms, p99 %.2f ms" % (t[25] * 1e3, t[-1] * 1e3))
os.close(fd)
PY
echo "== $INSTANCES events at once, $ROUNDS x up and down, $PROBES probes at 1 s, $BACKEND store"
[ -n "${REF:-}" ] && one reference "$(cd "$REF" && pwd)/bridge/pollhook"
one this "$BUILD/bridge/pollhook"
