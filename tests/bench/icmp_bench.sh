#!/usr/bin/env bash
# Benchmark of the icmp poller (prints figures; not a pass/fail test).
#
# N icmp sources (default 10,000) on as many distinct loopback addresses,
# interval 10 s, COUNT echo requests per poll, polled for BENCH_SECONDS; then,
# in the same run and on the same addresses, fping (Debian's package) in loop
# mode at the same rate per address (-p 10000/COUNT ms), the reference. All
# of it in a network namespace of its own (unshare -n): nothing else on the
# machine pings those addresses, and the kernel's ICMP counters of the
# namespace (/proc/net/snmp InEchos) count the probes each of them sent.
# Printed per COUNT and round: probes per second (and % of the ideal
# N * COUNT / 10), replies per second, CPU seconds per 1,000 probes of
# pollhook and of fping, their ratio (target: at most 1), and pollhook's
# overruns (its /metrics) and peak RSS.
#
# Usage (as root: raw sockets, namespaces):
#   top_srcdir=SRC top_builddir=BUILD tests/bench/icmp_bench.sh
#   BENCH_N=10000  BENCH_SECONDS=30  BENCH_COUNTS="1 3"  BENCH_ROUNDS=2
# Use a build without sanitizers for meaningful figures.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
BENCH_N=${BENCH_N:-10000}
BENCH_SECONDS=${BENCH_SECONDS:-30}
BENCH_COUNTS=${BENCH_COUNTS:-"1 3"}
BENCH_ROUNDS=${BENCH_ROUNDS:-2}
# One interval and a bit: every source has polled once, its phase reached.
WARMUP=12

. "$top_srcdir/tests/lib/netns.sh"
NEED_POLLERS=icmp
. "$top_srcdir/tests/lib/http_common.sh"
command -v fping >/dev/null 2>&1 || { echo "SKIP: fping is not installed (apt-get install fping)"; exit 77; }

HZ=$(getconf CLK_TCK)

cpu_ticks() {	# cpu_ticks PID: user + system clock ticks of PID so far
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

icmp_counter() {	# icmp_counter NAME: a counter of this namespace's Icmp: line
	awk -v k="$1" '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) f[$i] = i; h = 1 }
	    else print $f[k] }' /proc/net/snmp
}

. "$(dirname "$0")/lib.sh"

# The addresses: 127.1.0.1, 127.1.0.2, ... (250 per /24), one per line.
python3 - "$BENCH_N" >"$TMP/addrs" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print("127.%d.%d.%d" % (1 + i // 62500, (i // 250) % 250, 1 + i % 250))
PY

write_conf() {	# write_conf COUNT
	API_PORT=$(free_port)
	awk -v api="$API_PORT" -v dir="$TMP/db" -v count="$1" '
	BEGIN {
		printf "bridge = { state_dir = \"%s\"; log_level = \"warning\";\n", dir
		printf "  api = { listen = \"127.0.0.1:%s\"; }; };\nsources = (\n", api
	}
	{
		sep = NR > 1 ? ",\n" : ""
		printf "%s{ name = \"p%d\"; poller = \"icmp\"; interval = 10.0; timeout = 2.0; ", sep, NR
		printf "icmp = { address = \"%s\"; count = %d; spacing = 0.2; }; }", $1, count
	}
	END { print "\n);" }' "$TMP/addrs" >"$TMP/bench.conf"
}

# measure PID: sleeps BENCH_SECONDS; sets PROBES, REPLIES, TICKS, SECS.
measure() {
	local e0 r0 c0 t0 e1 r1 c1 t1
	e0=$(icmp_counter InEchos)
	r0=$(icmp_counter InEchoReps)
	c0=$(cpu_ticks "$1")
	t0=$(date +%s.%N)
	sleep "$BENCH_SECONDS"
	e1=$(icmp_counter InEchos)
	r1=$(icmp_counter InEchoReps)
	c1=$(cpu_ticks "$1")
	t1=$(date +%s.%N)
	PROBES=$((e1 - e0))
	REPLIES=$((r1 - r0))
	TICKS=$((c1 - c0))
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
}

run_pollhook() {	# run_pollhook COUNT
	write_conf "$1"
	rm -rf "$TMP/db"
	"$POLLHOOK" -c "$TMP/bench.conf" 2>"$TMP/daemon.err" &
	pid=$!
	sleep "$WARMUP"
	kill -0 "$pid" 2>/dev/null || fail "pollhook exited: $(tail -5 "$TMP/daemon.err")"
	measure "$pid"
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	over=$(python3 "$top_srcdir/tests/bench/overruns.py" "$API_PORT" 2>/dev/null || echo "?")
	kill "$pid"
	wait "$pid" 2>/dev/null
	PH="$PROBES $REPLIES $TICKS $SECS $over $rss"
}

run_fping() {	# run_fping COUNT
	# -i: the least time between two sends, here a tenth of the mean.
	period=$((10000 / $1))
	interval=$(awk -v n="$BENCH_N" -v c="$1" 'BEGIN { printf "%.3f", 10000 / (n * c) / 10 }')
	fping -q -l -p "$period" -i "$interval" -t 2000 -f "$TMP/addrs" >/dev/null 2>"$TMP/fping.err" &
	pid=$!
	sleep 3
	kill -0 "$pid" 2>/dev/null || fail "fping exited: $(tail -5 "$TMP/fping.err")"
	measure "$pid"
	kill "$pid"
	wait "$pid" 2>/dev/null
	FP="$PROBES $REPLIES $TICKS $SECS"
}

echo "icmp poller benchmark: $BENCH_N loopback addresses, interval 10 s, ${BENCH_SECONDS} s per run"
echo "in a network namespace of its own; probes and replies are the namespace's ICMP counters"
echo "columns: echo requests per poll, round, who, probes/s, % of the ideal N*count/10,"
echo "         replies/s, CPU s per 1000 probes, ratio to fping's in the same round,"
echo "         pollhook's overruns (its /metrics, whole run), peak RSS MiB"
printf '%5s %5s %-8s %9s %7s %9s %10s %6s %8s %8s\n' count round who probes/s ideal \
    replies/s cpu/1k ratio overruns rss_MiB
for count in $BENCH_COUNTS; do
	for round in $(seq 1 "$BENCH_ROUNDS"); do
		run_pollhook "$count"
		run_fping "$count"
		# shellcheck disable=SC2086
		set -- $PH $FP
		awk -v n="$BENCH_N" -v c="$count" -v r="$round" -v hz="$HZ" \
		    -v pp="$1" -v pr="$2" -v pt="$3" -v ps="$4" -v over="$5" -v rss="$6" \
		    -v fp="$7" -v fr="$8" -v ft="$9" -v fs="${10}" 'BEGIN {
			ideal = n * c / 10
			pc = pt / hz / (pp / 1000); fc = ft / hz / (fp / 1000)
			printf "%5d %5d %-8s %9.1f %6.1f%% %9.1f %10.4f %6.2f %8s %8.1f\n",
			    c, r, "pollhook", pp / ps, 100 * pp / ps / ideal, pr / ps, pc, pc / fc,
			    over, rss / 1024
			printf "%5d %5d %-8s %9.1f %6.1f%% %9.1f %10.4f %6.2f %8s %8s\n",
			    c, r, "fping", fp / fs, 100 * fp / fs / ideal, fr / fs, fc, 1, "-", "-"
		}'
	done
done
exit 0
