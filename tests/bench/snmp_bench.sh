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
# First, CPU per poll against collectd (Debian's collectd-core, its snmp
# plugin): for each count in BENCH_CPU_N, pollhook and collectd poll the same
# snmpd at once, N targets each, the same OID at 1 s (timeout 0.9 s,
# 1 retry), and the CPU each spent (user + system, /proc/PID/stat, and
# split into user and system) over the same BENCH_CPU_SECONDS window is
# printed, with pollhook's polls in that window and the ratio pollhook /
# collectd.
#
# Usage: top_srcdir=SRC top_builddir=BUILD tests/bench/snmp_bench.sh
#   BENCH_N="100 1000 5000"  BENCH_SECONDS=30  BENCH_DEAD_N=1000 (0: none)
#   BENCH_CPU_N="1 200"  BENCH_CPU_SECONDS=60 ("" : no collectd comparison)
# Use a build without sanitizers for meaningful figures.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
BENCH_N=${BENCH_N-"100 1000 5000"}
BENCH_SECONDS=${BENCH_SECONDS:-30}
BENCH_DEAD_N=${BENCH_DEAD_N:-1000}
BENCH_CPU_N=${BENCH_CPU_N-"1 200"}
BENCH_CPU_SECONDS=${BENCH_CPU_SECONDS:-60}
WARMUP=3

. "$top_srcdir/tests/lib/snmp_common.sh"
. "$top_srcdir/tests/bench/collectd_lib.sh"

HZ=$(getconf CLK_TCK)

# cpu_ticks PID: user + system clock ticks of PID so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# cpu_split PID: "user system" clock ticks of PID so far.
cpu_split() {
	awk '{ print $14, $15 }' "/proc/$1/stat"
}

# cpu_ns PID: nanoseconds on a CPU of PID's threads alive now (schedstat):
# finer than the ticks when a process spends a few of them a minute.
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
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

# polls: the polls pollhook completed (pollhook_polls_total, all sources).
polls() {
	python3 "$top_srcdir/tests/bench/overruns.py" "$API_PORT" pollhook_polls_total
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

# cpu_run N: pollhook and collectd on N targets each, one line of CPU figures.
cpu_run() {
	n=$1
	API_PORT=$(free_port)
	write_conf "$n" 0
	rm -rf "$TMP/db"
	"$POLLHOOK" -c "$TMP/bench.conf" 2>"$TMP/daemon.err" &
	pid=$!
	collectd_start "$n" 1 0.9
	sleep "$WARMUP"
	kill -0 "$pid" 2>/dev/null || fail "pollhook exited: $(tail -5 "$TMP/daemon.err")"
	kill -0 "$CD_PID" 2>/dev/null || fail "collectd exited: $(tail -5 "$TMP/cd/collectd.out")"
	p0=$(polls)
	c0=$(cpu_ticks "$pid")
	d0=$(cpu_ticks "$CD_PID")
	cn0=$(cpu_ns "$pid")
	dn0=$(cpu_ns "$CD_PID")
	cs0=$(cpu_split "$pid")
	ds0=$(cpu_split "$CD_PID")
	sleep "$BENCH_CPU_SECONDS"
	c1=$(cpu_ticks "$pid")
	d1=$(cpu_ticks "$CD_PID")
	cn1=$(cpu_ns "$pid")
	dn1=$(cpu_ns "$CD_PID")
	cs1=$(cpu_split "$pid")
	ds1=$(cpu_split "$CD_PID")
	p1=$(polls)
	kill "$pid"
	wait "$pid" 2>/dev/null
	collectd_stop
	awk -v n="$n" -v p="$((p1 - p0))" -v c="$((c1 - c0))" -v d="$((d1 - d0))" \
	    -v cn="$cn0" -v cn1="$cn1" -v dn="$dn0" -v dn1="$dn1" \
	    -v hz="$HZ" -v t="$BENCH_CPU_SECONDS" -v cs="$cs0 $cs1" -v ds="$ds0 $ds1" 'BEGIN {
		split(cs, a, " "); split(ds, b, " ");
		ph = c / hz; cd = d / hz; ideal = n * t;
		phn = (cn1 - cn) / 1e9; cdn = (dn1 - dn) / 1e9;
		printf "%6d %8d %8d %10.2f %10.2f %7s %9.3f %9.3f %8.1f %8.1f %7s\n", n, p, ideal,
		    cd, ph, (cd > 0 ? sprintf("%.2fx", ph / cd) : "n/a"), cdn, phn,
		    1e6 * cdn / ideal, (p > 0 ? 1e6 * phn / p : 0),
		    (cdn > 0 ? sprintf("%.2fx", phn / cdn) : "n/a")
		printf "%6s user/system s: collectd %.2f/%.2f  pollhook %.2f/%.2f\n", "",
		    (b[3] - b[1]) / hz, (b[4] - b[2]) / hz, (a[3] - a[1]) / hz, (a[4] - a[2]) / hz
	}'
}

snmpd_start
dead_agent_start

if [ -n "$BENCH_CPU_N" ]; then
	if ! collectd_available; then
		echo "collectd comparison skipped: collectd or its snmp plugin is not installed"
	else
		echo "CPU per poll against collectd $("$COLLECTD" -h 2>&1 | sed -n 's/^collectd \([0-9][0-9.]*[0-9]\).*/\1/p'):"
		echo "  both poll the same snmpd at once, 1 s interval, CPU over the same ${BENCH_CPU_SECONDS} s"
		echo "  cpu_s: user + system from /proc/PID/stat (ticks of $((1000 / HZ)) ms); run_s: time"
		echo "  on a CPU from /proc/PID/task/*/schedstat (ns), per poll in us/p"
		echo "  polls: pollhook's in the window, ideal: N x seconds"
		echo "  neither keeps what it polled: collectd has no write plugin, pollhook no rule and no"
		echo "  subscriber (its store, management API and maintenance timers run and count in its CPU)"
		printf '%6s %8s %8s %10s %10s %7s %9s %9s %8s %8s %7s\n' N polls ideal cd_cpu_s \
		    ph_cpu_s ratio cd_run_s ph_run_s cd_us/p ph_us/p ratio
		for n in $BENCH_CPU_N; do
			cpu_run "$n"
		done
		echo
	fi
fi

[ -n "$BENCH_N$BENCH_DEAD_N" ] && [ "$BENCH_N$BENCH_DEAD_N" != 0 ] || exit 0
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
	[ "$BENCH_DEAD_N" -gt 0 ] || break
	run "$BENCH_DEAD_N" $((BENCH_DEAD_N * pct / 100))
done
exit 0
