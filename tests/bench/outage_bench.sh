#!/usr/bin/env bash
# Benchmark of a long outage: the receiver is down for OUTAGE_SECONDS while
# about 1,000 events a second are produced (10 http sources of 100 instances
# on a python3 server whose values change at every poll, an on_change rule,
# one subscriber), then it comes back and the backlog drains. Prints figures;
# never fails on them.
# Usage: tests/bench/outage_bench.sh [BUILD_DIR] (default: .)
#
#   outage: pending peak (the outbox depth metric), RSS peak and steady (the
#           mean of the last third of the outage), the depth metric against
#           the pending rows counted in the database and against
#           events - delivered from the daemon's counters, sampled together;
#   drain:  from the first 2xx after the return to the last delivery of the
#           backlog (the producer stops at the return, so every delivery of
#           the drain is backlog), deliveries per second and the ratios
#           drain/5,000 and drain/ceiling, where the ceiling is libcurl alone
#           POSTing to the same receiver in the same run (tests/bench/post_floor.c,
#           MAX_IN_FLIGHT at once);
#   order:  every event stored was delivered, in order per key (source, rule,
#           instance), none twice but for retries of the same id.
#
# OUTAGE_SECONDS (default 600), RATE_SOURCES (10) x RATE_INSTANCES (100) events
# a second, MEMORY_WINDOW (bridge.delivery.memory_window, default the
# daemon's), MAX_IN_FLIGHT (the subscriber's, default 64), BACKEND (sqlite,
# the default, or postgres), DURABILITY (fsync, the default, or process).
# The subscriber retries after at most 5 s (retry.max_delay) with up to 1,000
# attempts, so the drain starts within 5 s of the return. RESTART_AT=SECONDS
# restarts the daemon that far into the outage (its backlog comes back from
# the store; the outage's figures are then the new process's). PERF=FILE
# records the drain with perf record (PERF_OPTS, default -g). Build without
# sanitizers, and build the ceiling's client: make tests/bench/post_floor.
set -u
BUILD=$(cd "${1:-.}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
POLLHOOK=$BUILD/bridge/pollhook
FLOOR=${POST_FLOOR:-$BUILD/tests/bench/post_floor}
OUTAGE_SECONDS=${OUTAGE_SECONDS:-600}
RATE_SOURCES=${RATE_SOURCES:-10}
RATE_INSTANCES=${RATE_INSTANCES:-100}
MAX_IN_FLIGHT=${MAX_IN_FLIGHT:-64}
BACKEND=${BACKEND:-sqlite}
[ -x "$POLLHOOK" ] || { echo "no $POLLHOOK: build first" >&2; exit 1; }
[ -x "$FLOOR" ] || { echo "no $FLOOR: make tests/bench/post_floor" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-outage.XXXXXX")
PID="" PROD=""
cleanup() {
	free_port_release 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "$PROD" ] && kill "$PROD" 2>/dev/null && wait "$PROD" 2>/dev/null
	[ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	[ "$BACKEND" = postgres ] && pg_stop 2>/dev/null
	sleep 0.2
	rm -rf "$TMP"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh"
HOOK=$(free_port)
PRODUCER=$(free_port)
API=$(free_port)

# The receiver: nginx answering 204, logging each POST's time, event id and status.
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
user root;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 4096; }
http {
  log_format t '\$msec \$http_webhook_id \$status';
  access_log off;
  client_body_temp_path $TMP/body;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$HOOK;
    location = /hook { client_max_body_size 1m; access_log $TMP/hook.log t buffer=256k flush=1s; return 204; }
    location = /floor { client_max_body_size 1m; return 204; }
  }
}
CONF
receiver_up() { nginx -c "$TMP/nginx.conf" -p "$TMP" || { echo "nginx did not start" >&2; exit 1; }; }
receiver_down() {
	local pid
	pid=$(cat "$TMP/nginx.pid")
	kill -QUIT "$pid"
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
}
hooks() { if [ -f "$TMP/hook.log" ]; then wc -l <"$TMP/hook.log"; else echo 0; fi; }

# The producer: /sN.json gives RATE_INSTANCES values that change at every request,
# until $TMP/freeze exists.
cat >"$TMP/producer.py" <<'PY'
import http.server, json, os, sys
port, n, freeze = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
count = {}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        c = count.get(self.path, 0)
        if not os.path.exists(freeze):
            c += 1
            count[self.path] = c
        body = json.dumps({"v": {"i%d" % i: c for i in range(n)}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$TMP/producer.py" "$PRODUCER" "$RATE_INSTANCES" "$TMP/freeze" &
PROD=$!

if [ "$BACKEND" = postgres ]; then
	. "$SRC/tests/lib/pg.sh"
	need_pg
	pg_start || { echo "PostgreSQL did not start" >&2; exit 1; }
fi
store=""
[ "$BACKEND" = postgres ] && store="store = { backend = \"postgres\"; conninfo = \"$PG_CONNINFO\"; };"
window=""
[ -n "${MEMORY_WINDOW:-}" ] && window="delivery = { memory_window = $MEMORY_WINDOW; };"
{
	echo "bridge = { state_dir = \"$TMP/state\"; log_level = \"info\"; $store $window"
	echo "  durability = \"${DURABILITY:-fsync}\";"
	echo "  api = { listen = \"127.0.0.1:$API\"; }; };"
	echo "sources = ("
	for i in $(seq 1 "$RATE_SOURCES"); do
		[ "$i" -gt 1 ] && echo ","
		echo "  { name = \"s$i\"; poller = \"http\"; interval = 1.0; timeout = 1.0;"
		echo "    http = { url = \"http://127.0.0.1:$PRODUCER/s$i.json\"; };"
		echo "    metrics = ( { name = \"v\"; json = \"/v/*\"; } ); }"
	done
	echo ");"
	echo "rules = ( { name = \"changed\"; metric = \"v\"; on_change = true; } );"
	echo "subscribers = ( { name = \"nginx\"; url = \"http://127.0.0.1:$HOOK/hook\";"
	echo "    secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"; max_in_flight = $MAX_IN_FLIGHT;"
	echo "    retry = { first_delay = 1.0; max_delay = 5.0; max_attempts = 1000; }; } );"
} >"$TMP/pollhook.conf"

# sample: one line "t depth memory events ok rows rss_kib" (metrics and the count together).
count_rows() {
	if [ "$BACKEND" = postgres ]; then
		pg_sql "SELECT count(*) FROM deliveries WHERE state = 0" 2>/dev/null | tr -d ' '
	else
		python3 -c 'import sqlite3,sys; c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True, timeout=10); print(c.execute("SELECT count(*) FROM deliveries WHERE state = 0").fetchone()[0])' "$TMP/state/pollhook.db"
	fi
}
sample() {
	local m rows rss
	m=$(curl -s --max-time 10 "http://127.0.0.1:$API/metrics")
	rows=$(count_rows)
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")
	printf '%s %s %s %s %s %s %s\n' "$(date +%s.%N)" \
	    "$(echo "$m" | awk '$1 == "pollhook_outbox_depth" { print $2 }')" \
	    "$(echo "$m" | awk '$1 == "pollhook_deliveries_in_memory" { print $2 }')" \
	    "$(echo "$m" | awk '$1 == "pollhook_events_total" { print $2 }')" \
	    "$(echo "$m" | awk '$1 == "pollhook_deliveries_total{outcome=\"ok\"}" { print $2 }')" \
	    "${rows:-?}" "$rss"
}

receiver_up
"$POLLHOOK" -c "$TMP/pollhook.conf" 2>"$TMP/pollhook.err" &
PID=$!
echo "== outage of ${OUTAGE_SECONDS}s on $BACKEND, about $((RATE_SOURCES * RATE_INSTANCES)) events/s," \
    "memory_window ${MEMORY_WINDOW:-default}, max_in_flight $MAX_IN_FLIGHT, durability ${DURABILITY:-fsync}"
sleep 10
echo "before: $(sample) (t depth memory events ok rows rss_kib)"
receiver_down
t_down=$(date +%s.%N)
: >"$TMP/samples"
end=$((SECONDS + OUTAGE_SECONDS))
restart_at=$((SECONDS + ${RESTART_AT:-OUTAGE_SECONDS + 1}))
while [ "$SECONDS" -lt "$end" ]; do
	if [ "$SECONDS" -ge "$restart_at" ]; then
		# A restart in the outage: the backlog comes back from the store.
		restart_at=$((end + 1))
		kill "$PID"; wait "$PID" 2>/dev/null
		t_restart=$(date +%s.%N)
		"$POLLHOOK" -c "$TMP/pollhook.conf" 2>>"$TMP/pollhook.err" &
		PID=$!
		until curl -s --max-time 1 "http://127.0.0.1:$API/metrics" >/dev/null; do sleep 0.1; done
		echo "restart:             answering again $(python3 -c 'import sys, time; print("%.1f" % (time.time() - float(sys.argv[1])))' "$t_restart") s after the stop; $(grep -o 'store: [0-9]* pending deliveries resumed' "$TMP/pollhook.err" | tail -n 1)"
		: >"$TMP/samples"	# RSS from the new process on
	fi
	sample >>"$TMP/samples"
	sleep 5
done
touch "$TMP/freeze"
sleep 1.5	# the polls in progress end; no new event after this
sample >"$TMP/at_return"
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null; }
t_up=$(date +%s.%N)
cpu_up=$(cpu_of "$PID")
sched_up=$(cat "/proc/$PID/schedstat")	# ns on a CPU, ns waiting for one, slices
receiver_up
ng_up=$(cpu_of "$(pgrep -P "$(cat "$TMP/nginx.pid")" | head -n 1)")
perf=""
if [ -n "${PERF:-}" ]; then
	perf record -q ${PERF_OPTS:--g} -o "$PERF" -p "$PID" 2>/dev/null &
	perf=$!
fi
backlog=$(awk '{ print $2 }' "$TMP/at_return")
: >"$TMP/drain"
deadline=$((SECONDS + 1800))
while [ "$SECONDS" -lt "$deadline" ]; do
	s=$(sample)
	echo "$s" >>"$TMP/drain"
	d=$(echo "$s" | awk '{ print $2 }')
	[ "$d" = 0 ] && break
	sleep 1
done
cpu_end=$(cpu_of "$PID")
sched_end=$(cat "/proc/$PID/schedstat")
ng_end=$(cpu_of "$(pgrep -P "$(cat "$TMP/nginx.pid")" | head -n 1)")
t_end=$(date +%s.%N)
[ -n "$perf" ] && kill -INT "$perf" && wait "$perf"
sleep 1.5	# nginx's log buffer is flushed every second
cpu_ph=$(cpu_of "$PID")
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
# The ceiling of the receiver in the same run: libcurl alone, MAX_IN_FLIGHT at once.
python3 -c 'import json; print(json.dumps({"id": "evt_01JBENCH", "type": "changed", "source": "s1", "instance": "i1", "value": 12345, "padding": "x" * 300}))' >"$TMP/body.json"
floor=$("$FLOOR" "http://127.0.0.1:$HOOK/floor" "$MAX_IN_FLIGHT" 100000 "$TMP/body.json")
kill "$PID"; wait "$PID" 2>/dev/null; PID=""
if [ "$BACKEND" = postgres ]; then
	pg_sql "COPY (SELECT id, source || '/' || rule || '/' || coalesce(instance, '') FROM events) TO STDOUT" >"$TMP/events"
else
	python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1])
for i, k in c.execute("SELECT id, source || \"/\" || rule || \"/\" || coalesce(instance, \"\") FROM events"): print(i + "\t" + k)' "$TMP/state/pollhook.db" >"$TMP/events"
fi

python3 - "$TMP" "$t_down" "$t_up" "$backlog" "$hwm" "$floor" "$OUTAGE_SECONDS" \
    "$cpu_up" "$cpu_end" "$ng_up" "$ng_end" "$t_end" "$sched_up" "$sched_end" \
    "${RESTART_AT:-none}" <<'PY'
import collections, re, sys
tmp, t_down, t_up, backlog, hwm, floor, outage = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
cpu_up, cpu_end, ng_up, ng_end, t_end = map(float, sys.argv[8:13])
sched_up, sched_end = [[int(x) for x in a.split()] for a in sys.argv[13:15]]
restart = sys.argv[15]
def rows(path):
    out = []
    for line in open(path):
        f = line.split()
        if len(f) == 7 and all(x not in ("", "?") for x in f):
            out.append([float(x) for x in f])
    return out
s = rows(tmp + "/samples")
restarted = restart != "none"
unanswered = sum(1 for line in open(tmp + "/samples")) - len(s)
if unanswered:
    print("samples:             %d of %d without an answer from /metrics in 10 s (left out)" % (
          unanswered, unanswered + len(s)))
peak = max(r[1] for r in s)
rss = [r[6] / 1024 for r in s]
steady = rss[len(rss) * 2 // 3:]
print("pending peak:        %d deliveries (outbox depth metric)" % peak)
print("RSS:                 peak %.1f MiB during the outage, steady %.1f MiB (last third), "
      "first sample %.1f MiB; VmHWM %.1f MiB over the run" % (max(rss), sum(steady) / len(steady), rss[0], hwm / 1024))
mem = [r[2] for r in s]
print("in memory:           at most %d deliveries (pollhook_deliveries_in_memory)" % max(mem))
bad_rows = [r for r in s if r[1] != r[5]]
bad_count = [r for r in s if r[1] != r[3] - r[4]]
print("depth vs rows:       %d of %d samples differ (metric then a count in the database; "
      "largest gap %d)" % (len(bad_rows), len(s), max((abs(r[1] - r[5]) for r in s), default=0)))
if restarted:
    print("depth vs counters:   n/a (the daemon restarted: its counters start from zero)")
else:
    print("depth vs counters:   %d of %d samples differ from events - delivered (largest gap %d)" % (
          len(bad_count), len(s), max((abs(r[1] - (r[3] - r[4])) for r in s), default=0)))
# The drain: the hook log (time, id, status) since the return.
log = []
for line in open(tmp + "/hook.log"):
    f = line.split()
    if len(f) == 3:
        log.append((float(f[0]), f[1], int(f[2])))
ok = [x for x in log if 200 <= x[2] < 300]
drain = [x for x in ok if x[0] >= t_up]
r = rows(tmp + "/at_return")
if not r:
    print("at the return:       no sample (/metrics did not answer)")
elif restarted:
    print("at the return:       depth metric %d, pending rows %d (producer stopped: these must be "
          "equal)" % (r[0][1], r[0][5]))
else:
    print("at the return:       depth metric %d, pending rows %d, events - delivered %d "
          "(producer stopped: these must be equal)" % (r[0][1], r[0][5], r[0][3] - r[0][4]))
if drain:
    t0, t1 = drain[0][0], drain[-1][0]
    rate = len(drain) / (t1 - t0) if t1 > t0 else float("nan")
    print("drain:               %d deliveries of a backlog of %d, first 2xx %.1f s after the return, "
          "%.1f s from first to last = %.0f per second" % (len(drain), backlog, t0 - t_up, t1 - t0, rate))
    m = re.search(r"= (\d+) per second", floor)
    ceil = float(m.group(1)) if m else float("nan")
    print("drain CPU:           pollhook %.0f us per delivery (%.0f%% of a core over the drain), "
          "nginx %.0f us per request" % ((cpu_end - cpu_up) / len(drain) * 1e6,
          (cpu_end - cpu_up) / (t_end - t_up) * 100, (ng_end - ng_up) / len(drain) * 1e6))
    per = collections.Counter(int(x[0] - t0) for x in drain)
    print("drain per second:    %s" % " ".join(str(per[i]) for i in range(int(t1 - t0) + 1)))
    ran = (sched_end[0] - sched_up[0]) / 1e9
    waited = (sched_end[1] - sched_up[1]) / 1e9
    el = t_end - t_up
    print("drain time:          %.1f s: pollhook on a CPU %.1f s, waiting for one %.1f s (a busy "
          "machine), idle %.1f s" % (el, ran, waited, max(0.0, el - ran - waited)))
    print("ceiling:             %s" % floor.strip())
    m = re.search(r"([\d.]+) us CPU per request", floor)
    fcpu = float(m.group(1)) if m else float("nan")
    pcpu = (cpu_end - cpu_up) / len(drain) * 1e6
    print("ratios:              drain/5000 = %.2f, drain/ceiling = %.2f; CPU per delivery "
          "pollhook/libcurl alone = %.1f" % (rate / 5000, rate / ceil, pcpu / fcpu))
# Order per key: the ids of one process sort in creation order.
key = {}
for line in open(tmp + "/events"):
    i, k = line.rstrip("\n").split("\t")
    key[i] = k
seen = collections.Counter(x[1] for x in ok)
last = {}
disorder = 0
prev_id = {}
for t, i, st in ok:
    k = key.get(i)
    if k is None:
        continue
    if k in prev_id and i < prev_id[k]:
        disorder += 1
    prev_id[k] = max(prev_id.get(k, i), i)
undelivered = sum(1 for i in key if i not in seen)
dups = sum(c - 1 for c in seen.values() if c > 1)
print("order:               %d events stored, %d delivered (2xx), %d never delivered, %d out of "
      "order per key, %d delivered more than once" % (len(key), len(seen), undelivered, disorder, dups))
PY
echo "before the outage, delivered: $(awk '{ print $5 }' "$TMP/at_return") of $(awk '{ print $4 }' "$TMP/at_return") events at the return"
echo "pollhook CPU over the run: ${cpu_ph:-?} s; $(grep -o 'deliveries: .*' "$TMP/pollhook.err" | tail -n 1)"
grep -E "warn|error" "$TMP/pollhook.err" | grep -v "refused\|Couldn't connect\|failed to connect\|retry" | head -5
