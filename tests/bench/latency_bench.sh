#!/usr/bin/env bash
# Benchmark of one event's way through pollhook: from the moment a device's
# answer is written (a loopback python HTTP "device" whose value flips at
# every poll, so every answer makes an event) to the moment its webhook
# arrives at a receiver (the same python process, answering 204; one clock
# for both ends). Median, p99 and max per bridge.durability ("fsync" and
# "process", one after the other), with the same run's references: the
# disk's fdatasync of a 4 KiB append in the state directory's file system,
# and a keep-alive curl POST round trip to the same receiver. Prints
# figures; never fails on them.
# Usage: tests/bench/latency_bench.sh [BUILD_DIR] (default: .)
#
# SAMPLES (default 300) answers per durability, INTERVAL (default 0.1) s
# between polls. Build without sanitizers.
set -u
BUILD=$(cd "${1:-.}" && pwd)
SAMPLES=${SAMPLES:-300}
INTERVAL=${INTERVAL:-0.1}
[ -x "$BUILD/bridge/pollhook" ] || { echo "no $BUILD/bridge/pollhook: build first" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

. "$(dirname "$0")/lib.sh"
bench_tmp latency


# The device and the receiver: answer times to TMP/sent, arrivals to TMP/recv.
cat >"$TMP/ends.py" <<'PY'
import http.server, sys, threading, time
dev_port, hook_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sent, recv, lock, n = open(out + "/sent", "w", 1), open(out + "/recv", "w", 1), threading.Lock(), [0]

# One write per answer and no Nagle: no delayed-ACK waits of the benchmark's own.
class Dev(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_GET(self):
        with lock:
            n[0] += 1
            body = b'{"v": %d}' % (9 if n[0] % 2 else 1)
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        sent.write("%.6f\n" % time.time())
    def log_message(self, *a):
        pass

class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_POST(self):
        t = time.time()
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.wfile.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        if self.path == "/hook":
            recv.write("%.6f\n" % t)
    def log_message(self, *a):
        pass

for cls, port in ((Dev, dev_port), (Hook, hook_port)):
    s = http.server.ThreadingHTTPServer(("127.0.0.1", port), cls)
    s.daemon_threads = True
    threading.Thread(target=s.serve_forever, daemon=True).start()
threading.Event().wait()
PY

# stats FILE: median, p99 and max in ms of the numbers (seconds) in FILE.
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 * 1000 } END {
		if (NR == 0) { print "no samples"; exit }
		i = int(NR * 0.99); if (i < 1) i = 1
		printf "%5d  median %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", NR, v[int((NR + 1) / 2)], v[i], v[NR] }'
}

fsync_ref() {	# 200 fdatasyncs of 4 KiB appends in the state directory's file system
	python3 - "$TMP/fsync.dat" >"$TMP/fsync.txt" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
for _ in range(200):
    os.write(fd, b"x" * 4096)
    t = time.perf_counter(); os.fdatasync(fd); print("%.9f" % (time.perf_counter() - t))
PY
	printf "%-28s" "reference: fdatasync 4 KiB"; stats "$TMP/fsync.txt"
}

curl_ref() {	# 200 keep-alive POSTs of a webhook-sized body by one curl
	local args=() i
	for i in $(seq 1 200); do
		[ "$i" -gt 1 ] && args+=(--next)
		args+=(-s -o /dev/null -w '%{time_pretransfer} %{time_starttransfer}\n'
		    -H 'Content-Type: application/json' --data-binary @"$TMP/body.json"
		    "http://127.0.0.1:$HOOK/ref")
	done
	curl "${args[@]}" | awk '{ print $2 - $1 }' >"$TMP/curl.txt"
	printf "%-28s" "reference: curl POST -> 204"; stats "$TMP/curl.txt"
}

DEV=$(free_port)
HOOK=$(free_port)
python3 "$TMP/ends.py" "$DEV" "$HOOK" "$TMP" &
PIDS="$PIDS $!"
head -c 600 /dev/zero | tr '\0' 'x' | sed 's/^/{"event":"/; s/$/"}/' >"$TMP/body.json"
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$DEV/" && break; sleep 0.1; done

# run DURABILITY: one daemon, SAMPLES answers, the latency of each webhook.
run() {
	local api pid
	api=$(free_port)
	: >"$TMP/sent"; : >"$TMP/recv"
	cat >"$TMP/$1.conf" <<CONF
bridge = { state_dir = "$TMP/state-$1"; log_level = "warning"; durability = "$1";
  api = { listen = "127.0.0.1:$api"; }; };
sources = ( { name = "dev"; poller = "http"; interval = $INTERVAL; timeout = 0.09;
  http = { url = "http://127.0.0.1:$DEV/v"; };
  metrics = ( { name = "v"; json = "/v"; } ); } );
rules = ( { name = "high"; metric = "v"; above = 5.0; } );
subscribers = ( { name = "hook"; url = "http://127.0.0.1:$HOOK/hook"; signature = "none"; } );
CONF
	"$BUILD/bridge/pollhook" -c "$TMP/$1.conf" 2>"$TMP/$1.err" &
	pid=$!
	PIDS="$PIDS $pid"
	for _ in $(seq 1 $((SAMPLES * 3))); do
		[ "$(wc -l <"$TMP/recv")" -ge $((SAMPLES + 5)) ] && break
		sleep "$INTERVAL"
	done
	kill "$pid"; wait "$pid" 2>/dev/null
	# Each webhook against the last answer written before it arrived; the first 5 warm up.
	awk 'NR == FNR { s[NR] = $1; n = NR; next }
	    { while (j < n && s[j + 1] <= $1) j++; if (j > 0 && FNR > 5) print $1 - s[j] }' \
	    "$TMP/sent" "$TMP/recv" >"$TMP/lat-$1.txt"
	printf "%-28s" "pollhook durability=$1"; stats "$TMP/lat-$1.txt"
	[ -s "$TMP/$1.err" ] && sed 's/^/    log: /' "$TMP/$1.err" | head -5
}

echo "device answer written -> webhook arrived (interval $INTERVAL s, SQLite store)"
fsync_ref
curl_ref
run fsync
run process
fsync_ref
curl_ref
