#!/usr/bin/env bash
# Benchmark: the pace of discovery's sweeps against their configured rate.
# One daemon per rate sweeps 127.43.0.0/23 (510 addresses, no retries), every
# address a silent listener (tests/lib/udp_counter.py) that logs the kernel's
# arrival time of each datagram. Prints, per rate, the datagrams counted,
# the measured rate (over the span from the first to the last datagram) as
# a ratio of the configured one, and the busiest 100 ms window against the
# bucket's bound (rate x 0.1 + two ticks of max(1/rate, 5 ms) + 1). Figures
# only: nothing here passes or fails.
#
#   top_builddir=. top_srcdir=. tests/bench/discover_bench.sh [RATE...]
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
POLLHOOK=$top_builddir/bridge/pollhook
RATES=${*:-100 1000 5000}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-discover-bench.XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"' EXIT

addrs=""
for i in $(seq 1 255); do addrs="$addrs 127.43.0.$i"; done
for i in $(seq 0 254); do addrs="$addrs 127.43.1.$i"; done
PORT=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.43.0.1", 0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
python3 "$top_srcdir/tests/lib/udp_counter.py" --log "$TMP/silent.log" --port "$PORT" \
    --ready "$TMP/ready" $addrs 2>"$TMP/counter.err" &
PIDS="$PIDS $!"
for _ in $(seq 50); do [ -s "$TMP/ready" ] && break; sleep 0.1; done
[ -s "$TMP/ready" ] || { echo "the listeners did not start: $(cat "$TMP/counter.err")"; exit 1; }

for rate in $RATES; do
	: >"$TMP/silent.log"
	rm -rf "$TMP/state"
	mkdir -p "$TMP/state"
	cat >"$TMP/b.conf" <<EOF
bridge = { state_dir = "$TMP/state"; discover = ( { networks = [ "127.43.0.0/23" ];
  port = $PORT; rate = $rate.0; retries = 0; timeout = 0.2; max_in_flight = 65536;
  every = 3600.0; default_profile = "if-mib-switch"; } ); };
EOF
	"$POLLHOOK" -c "$TMP/b.conf" 2>"$TMP/daemon.err" &
	pid=$!
	for _ in $(seq 600); do
		grep -q "discover/discover: swept" "$TMP/daemon.err" && break
		sleep 0.1
	done
	kill "$pid"
	wait "$pid" 2>/dev/null
	python3 - "$TMP/silent.log" "$rate" <<'PY'
import sys
rate = float(sys.argv[2])
t = sorted(float(l.split()[1]) for l in open(sys.argv[1]))
if len(t) < 2:
    print("rate %g/s: %d datagrams" % (rate, len(t)))
    sys.exit(0)
span = t[-1] - t[0]
worst, j = 0, 0
for i, x in enumerate(t):
    while t[j] < x - 0.1:
        j += 1
    worst = max(worst, i - j + 1)
measured = (len(t) - 1) / span
print("rate %6g/s: %d datagrams in %.2f s, %.0f/s measured = %.3f x configured; "
      "busiest 100 ms: %d (bound %.0f)" % (rate, len(t), span, measured, measured / rate,
      worst, rate * 0.1 + 2 * rate * max(1 / rate, 0.005) + 1))
PY
done
