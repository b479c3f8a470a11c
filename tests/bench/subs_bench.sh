#!/usr/bin/env bash
# Benchmark of dynamic subscribers. Prints figures; never fails on them.
# Usage: tests/bench/subs_bench.sh [BUILD_DIR] (default: .)
#
#   subscribe: SUBS (10,000) POST /v1/subscribers, CONC at a time, each
#              validated by the challenge against a Python receiver (nginx
#              cannot compute the HMAC) -> subscribers per second
#   fan-out:   a daemon with validation = "none" and SUBS subscribers
#              pointing at nginx answering 204; one event -> seconds until
#              nginx has all SUBS POSTs, peak RSS
#   polling:   SOURCES (1,000) http sources polled every second from nginx
#              during both, -> polls done / polls due (the reference: the
#              same daemon's rate before the POSTs start)
set -u
BUILD=$(cd "${1:-.}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
POLLHOOK=$BUILD/bridge/pollhook
SUBS=${SUBS:-10000}
CONC=${CONC:-64}
SOURCES=${SOURCES:-1000}
[ -x "$POLLHOOK" ] || { echo "no $POLLHOOK: build first" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }

. "$(dirname "$0")/lib.sh"
bench_tmp subs-bench
mkdir -p "$TMP/www"
PORT=$(free_port)
API=$(free_port)
TOKEN=bench-token
echo "$TOKEN" >"$TMP/token"
echo '{"cpu": 20}' >"$TMP/www/status.json"
echo '{"cpu": 20}' >"$TMP/www/hot.json"
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
user root;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  log_format t '\$msec';
  client_body_temp_path $TMP/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT;
    location = /hook { client_max_body_size 1m; access_log $TMP/hook.log t; return 204; }
    location / { root $TMP/www; }
  }
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP" || { echo "nginx did not start" >&2; exit 1; }
python3 "$SRC/tests/lib/receiver.py" --port-file "$TMP/rcv.port" --log /dev/null \
    --scheme standard --secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw 2>"$TMP/rcv.err" &
PIDS="$PIDS $!"
for i in $(seq 50); do [ -s "$TMP/rcv.port" ] && break; sleep 0.1; done
RCV=$(cat "$TMP/rcv.port")

# run VALIDATION: a daemon with SOURCES sources and the subscriptions API.
run() {
	local srcs
	srcs=$(python3 -c 'import sys
n, port = int(sys.argv[1]), sys.argv[2]
print(",".join("{ name = \"s%d\"; poller = \"http\"; interval = 1.0; http = { url = \"http://127.0.0.1:%s/%s.json\"; }; metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); }" % (i, port, "hot" if i == 0 else "status") for i in range(n)))' "$SOURCES" "$PORT")
	cat >"$TMP/p.conf" <<CONF
bridge = { state_dir = "$TMP/state"; log_level = "info";
  api = { listen = "127.0.0.1:$API"; token_file = "$TMP/token";
    max_connections_per_ip = 1024;   # CONC connections from one address, and more
    subscriptions = { validation = "$1"; require_https = false; allow_networks = [ "127.0.0.0/8" ];
      max = 1000000; validation_timeout = 30.0; }; }; };
sources = ( $srcs );
rules = ( { name = "cpu.high"; sources = [ "s0" ]; metric = "cpu"; above = 90.0; clear = 85.0; } );
CONF
	rm -rf "$TMP/state"
	"$POLLHOOK" -c "$TMP/p.conf" 2>"$TMP/p.err" &
	PH=$!
	PIDS="$PIDS $PH"
	for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$API/healthz" && break; sleep 0.1; done
	sleep 3	# the splayed polls settle
}
polls() {
	curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API/metrics" |
	    awk '/^pollhook_polls_total/ { s += $2 } END { print s + 0 }'
}
rss() { awk '/VmHWM/ { print $2 / 1024 }' "/proc/$PH/status"; }
# subscribe URL: SUBS POSTs, CONC at a time; prints the seconds taken.
subscribe() {
	python3 - "$API" "$TOKEN" "$1" "$SUBS" "$CONC" <<'PY'
import http.client, json, sys, threading, time
port, token, url, n, conc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
nxt, lock, bad = [0], threading.Lock(), []
def work():
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    while True:
        with lock:
            i = nxt[0]; nxt[0] += 1
        if i >= n:
            return
        c.request("POST", "/v1/subscribers", json.dumps({"name": "b%05d" % i, "url": url,
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "events": ["cpu.*"]}),
            {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        if r.status != 201:
            bad.append(r.status)
t0 = time.time()
ts = [threading.Thread(target=work) for _ in range(conc)]
for t in ts: t.start()
for t in ts: t.join()
print("%.2f" % (time.time() - t0))
if bad:
    print("not 201: %d" % len(bad), file=sys.stderr)
PY
}

# Reference: the polling rate with nothing else going on.
run challenge
p0=$(polls); sleep 5; p1=$(polls)
ref=$(python3 -c "print(($p1 - $p0) / 5.0)")
p0=$(polls); t0=$(date +%s.%N)
secs=$(subscribe "http://127.0.0.1:$RCV/hook")
p1=$(polls); t1=$(date +%s.%N)
rate_sub=$(python3 -c "print(($p1 - $p0) / ($t1 - $t0))")
rss_sub=$(rss)
kill "$PH"; wait "$PH" 2>/dev/null

run none
secs_none=$(subscribe "http://127.0.0.1:$PORT/hook")
: >"$TMP/hook.log"
p0=$(polls); t0=$(date +%s.%N)
echo '{"cpu": 95}' >"$TMP/www/hot.json.tmp" && mv "$TMP/www/hot.json.tmp" "$TMP/www/hot.json"
for i in $(seq 600); do
	[ "$(wc -l <"$TMP/hook.log")" -ge "$SUBS" ] && break
	sleep 0.1
done
p1=$(polls); t1=$(date +%s.%N)
got=$(wc -l <"$TMP/hook.log")
rate_fan=$(python3 -c "print(($p1 - $p0) / ($t1 - $t0))")
rss_fan=$(rss)
fan=$(python3 - "$TMP/p.err" "$TMP/hook.log" <<'PY'
import calendar, re, sys, time
ev = [l for l in open(sys.argv[1]) if " event evt_" in l and "cpu.high" in l]
ts = re.match(r"(\S+)Z", ev[0]).group(1)
t_ev = calendar.timegm(time.strptime(ts.split(".")[0], "%Y-%m-%dT%H:%M:%S")) + float("0." + ts.split(".")[1])
last = max(float(l) for l in open(sys.argv[2]))
print("%.2f" % (last - t_ev))
PY
)
kill "$PH"; wait "$PH" 2>/dev/null
python3 - <<PY
subs, ref = $SUBS, $ref
print("dynamic subscribers: %d, sources: %d polled every second" % (subs, $SOURCES))
print("reference polling rate (idle):        %8.1f polls/s (100 %%)" % ref)
print("subscribe with validation:            %8.2f s, %7.0f subscribers/s; polling %.1f %% of the reference"
      % ($secs, subs / $secs, 100 * $rate_sub / ref))
print("subscribe without validation (none):  %8.2f s, %7.0f subscribers/s" % ($secs_none, subs / $secs_none))
print("fan-out of one event to %d:        %8s s from the event to the last 204 (%d received); polling %.1f %% of the reference"
      % (subs, "$fan", $got, 100 * $rate_fan / ref))
print("peak RSS: %.1f MiB after subscribing (validated), %.1f MiB after the fan-out" % ($rss_sub, $rss_fan))
PY
