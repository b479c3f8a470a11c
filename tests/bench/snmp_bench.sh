#!/bin/sh
# Benchmark of the snmp poller (prints figures; not a pass/fail test).
#
# One local snmpd is polled through N configured sources (one scalar GET of
# sysUpTime.0 each, interval 1 s) for BENCH_SECONDS; then the same with 20 %
# and 50 % of the sources pointing at a loopback UDP port where something
# reads and never answers. Printed: polls completed per second (GETs the agent
# received), the overruns pollhook counted (read from its management API at
# the end), missed polls (ideal - completed: overruns and late polls),
# pollhook's CPU seconds per 1,000 polls and peak RSS, and, as the same-run
# reference, the CPU seconds per 1,000 GETs snmpd itself spent.
#
# Usage: top_srcdir=SRC top_builddir=BUILD tests/bench/snmp_bench.sh
#   BENCH_N="100 1000 5000"  BENCH_SECONDS=30  BENCH_DEAD_N=1000
# Use a build without sanitizers for meaningful figures.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
BENCH_N=${BENCH_N:-"100 1000 5000"}
BENCH_SECONDS=${BENCH_SECONDS:-30}
BENCH_DEAD_N=${BENCH_DEAD_N:-1000}
WARMUP=3

. "$top_srcdir/tests/lib/snmp_common.sh"

HZ=$(getconf CLK_TCK)

# cpu_ticks PID: user + system clock ticks of PID so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# Prints the GET requests snmpd has received (snmpInGetRequests.0).
agent_gets() {
	snmpget -v2c -c public -r 2 -t 1 -Oqv "127.0.0.1:$SNMPD_PORT" \
	    .1.3.6.1.2.1.11.15.0 2>/dev/null || echo 0
}

# overruns: the overruns pollhook counted (pollhook_overruns_total, all sources).
overruns() {
	python3 "$top_srcdir/tests/bench/overruns.py" "$API_PORT"
}

# write_conf N DEAD: N sources, DEAD of them at the port that never answers.
write_conf() {
	{
		echo "bridge = { state_dir = \"$TMP/db\"; log_level = \"error\";"
		echo "  api = { listen = \"127.0.0.1:$API_PORT\"; }; };"
		echo "sources = ("
		i=0
		while [ "$i" -lt "$1" ]; do
			port=$SNMPD_PORT
			[ "$i" -lt "$2" ] && port=$DEAD_PORT
			[ "$i" -gt 0 ] && echo ","
			printf '{ name = "s%d"; poller = "snmp"; interval = 1.0; timeout = 0.9; ' "$i"
			printf 'snmp = { address = "127.0.0.1:%s"; retries = 1; }; ' "$port"
			printf 'metrics = ( { name = "uptime"; oid = "1.3.6.1.2.1.1.3.0"; } ); }'
			i=$((i + 1))
		done
		echo ");"
	} >"$TMP/bench.conf"
}

# run N DEAD: prints one result line.
run() {
	n=$1
	dead=$2
	live=$((n - dead))
	API_PORT=$(free_port)
	write_conf "$n" "$dead"
	rm -rf "$TMP/db"
	"$POLLHOOK" -c "$TMP/bench.conf" 2>"$TMP/daemon.err" &
	pid=$!
	sleep "$WARMUP"
	kill -0 "$pid" 2>/dev/null || fail "pollhook exited: $(tail -5 "$TMP/daemon.err")"
	g0=$(agent_gets)
	c0=$(cpu_ticks "$pid")
	a0=$(cpu_ticks "$SNMPD_PID")
	t0=$(date +%s.%N)
	sleep "$BENCH_SECONDS"
	g1=$(agent_gets)
	c1=$(cpu_ticks "$pid")
	a1=$(cpu_ticks "$SNMPD_PID")
	t1=$(date +%s.%N)
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	# Read last: rendering /metrics must not count in the CPU or the RSS above.
	over=$(overruns 2>/dev/null || echo "?")
	kill "$pid"
	wait "$pid" 2>/dev/null
	# snmpget's own two GETs per sample are subtracted.
	awk -v n="$n" -v live="$live" -v dead="$dead" -v g="$((g1 - g0 - 1))" \
	    -v c="$((c1 - c0))" -v a="$((a1 - a0))" -v hz="$HZ" -v t0="$t0" -v t1="$t1" \
	    -v rss="$rss" -v over="$over" 'BEGIN {
		t = t1 - t0; pps = g / t; ideal = live * t;
		missed = ideal - g; if (missed < 0) missed = 0;
		ph = c / hz / (g / 1000); ag = a / hz / (g / 1000);
		printf "%6d %5d %9.1f %7.1f%% %8s %8d %10.4f %10.4f %6.2f %9.1f\n",
		    n, dead, pps, 100 * g / ideal, over, missed, ph, ag, ph / ag, rss / 1024
	}'
}

snmpd_start
dead_agent_start

echo "snmp poller benchmark: one snmpd, interval 1 s, ${BENCH_SECONDS} s per run"
echo "columns: sources, dead sources, live polls/s, % of the live ideal, overruns (pollhook's"
echo "         count, whole run), missed polls (ideal - GETs snmpd counted), pollhook CPU s"
echo "         per 1000 polls, snmpd CPU s per 1000 GETs, ratio, pollhook peak RSS MiB"
printf '%6s %5s %9s %8s %8s %8s %10s %10s %6s %9s\n' N dead polls/s ideal overruns missed ph_cpu/1k \
    snmpd/1k ratio rss_MiB
for n in $BENCH_N; do
	run "$n" 0
done
for pct in 20 50; do
	run "$BENCH_DEAD_N" $((BENCH_DEAD_N * pct / 100))
done
exit 0
