#!/bin/sh
# Benchmark of pollhook at scale on one core (prints figures; not a pass/fail test).
#
# For each N:INTERVAL of BENCH_SCALE, N snmp sources (one GET of sysUpTime.0
# each, every INTERVAL seconds) poll one local snmpd (it answers about 5,000
# GETs a second here: hence 10 s for 20,000, 30 s for 50,000, 60 s for
# 100,000), and one rule applies to every source. Printed per N:
#
#   check   pollhook --check-config of the file (best of 3, wall seconds), and
#           the same-run reference: libconfig alone reading the same file
#           (tests/bench/conf_parse.c, best of 3), and their ratio.
#   steady  after a warm-up of one interval: GETs the agent answered per
#           second over BENCH_ROUNDS intervals against the ideal N/INTERVAL,
#           the overruns pollhook counted (pollhook_overruns_total), the
#           longest time the agent saw no poll (the phases make bursts:
#           the reference gap of the same run), VmRSS, VmHWM and the
#           private/shared split of /proc/PID/smaps_rollup, and bytes per
#           source: (RSS - RSS of the same daemon with one source) / N.
#   reload  one source of the file changes (its timeout), SIGHUP: seconds
#           from "reloading" to "reloaded" in the log and the part of it the
#           loop spent swapping the new config in, the longest time the
#           agent saw no poll from the signal to one interval after the
#           reload (against the steady gap), GETs per second over that
#           window against the ideal, overruns since the reload, RSS after.
#
# The agent's counter (snmpInGetRequests.0) is sampled at 10 Hz by
# tests/bench/snmp_counter.py; the gap resolution is therefore 0.1 s.
#
# Usage: top_srcdir=SRC top_builddir=BUILD tests/bench/scale_bench.sh
#   BENCH_SCALE="20000:10 50000:30 100000:60"  BENCH_ROUNDS=2  BENCH_CHECK=0 (no check rows)
#   CONF_PARSE=path/to/conf_parse (make tests/bench/conf_parse; else built here with cc)
# Use a build without sanitizers for meaningful figures.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
BENCH_SCALE=${BENCH_SCALE:-"20000:10 50000:30 100000:60"}
BENCH_ROUNDS=${BENCH_ROUNDS:-2}
BENCH_CHECK=${BENCH_CHECK:-1}

. "$top_srcdir/tests/lib/snmp_common.sh"

CONF_PARSE=${CONF_PARSE:-$(dirname "$POLLHOOK")/../tests/bench/conf_parse}
if [ ! -x "$CONF_PARSE" ]; then
	CONF_PARSE=$TMP/conf_parse
	cc -O2 -o "$CONF_PARSE" "$top_srcdir/tests/bench/conf_parse.c" -lconfig ||
	    fail "cannot build tests/bench/conf_parse.c (make tests/bench/conf_parse)"
fi
COUNTER="python3 $top_srcdir/tests/bench/snmp_counter.py"

# write_conf N INTERVAL TIMEOUT_OF_S0: the file, in $TMP/scale.conf.
write_conf() {
	awk -v n="$1" -v iv="$2" -v t0="$3" -v port="$SNMPD_PORT" -v db="$TMP/db" \
	    -v api="$API_PORT" 'BEGIN {
		printf "bridge = { state_dir = \"%s\"; log_level = \"info\";\n", db
		printf "  api = { listen = \"127.0.0.1:%s\"; }; };\n", api
		print "sources = ("
		for (i = 0; i < n; i++) {
			printf "{ name = \"s%d\"; poller = \"snmp\"; interval = %s; timeout = %s; ", \
			    i, iv, i == 0 ? t0 : "5.0"
			printf "labels = { site = \"fra%d\"; }; ", i % 4
			printf "snmp = { address = \"127.0.0.1:%s\"; retries = 1; }; ", port
			printf "metrics = ( { name = \"uptime\"; oid = \"1.3.6.1.2.1.1.3.0\"; } ); }%s\n", \
			    i < n - 1 ? "," : ""
		}
		print ");"
		print "rules = ( { name = \"down\"; metric = \"up\"; below = 1.0; for = 10.0; } );"
	}' >"$TMP/scale.conf.tmp" && mv "$TMP/scale.conf.tmp" "$TMP/scale.conf"
}

# best3 CMD...: the least wall seconds of three runs of CMD (output discarded).
best3() {
	best=""
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>"$TMP/best3.err" || fail "$* failed: $(tail -3 "$TMP/best3.err")"
		t1=$(date +%s.%N)
		best=$(awk -v a="$t0" -v b="$t1" -v best="$best" 'BEGIN {
			t = b - a; if (best == "" || t < best) best = t; printf "%.3f", best }')
	done
	echo "$best"
}

# mem PID: "VmRSS VmHWM private shared anon" in KiB.
mem() {
	awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { printf "%d %d", r, h }' \
	    "/proc/$1/status"
	awk '/^Private_(Clean|Dirty)/ { p += $2 } /^Shared_(Clean|Dirty)/ { s += $2 }
	    /^Anonymous/ { a = $2 } END { printf " %d %d %d\n", p, s, a }' "/proc/$1/smaps_rollup"
}

# log_time PATTERN: Unix seconds of the last daemon log line matching PATTERN.
log_time() {
	date -d "$(grep -- "$1" "$TMP/daemon.err" | tail -1 | cut -d' ' -f1)" +%s.%N
}

# gaps FROM TO: "longest_gap gets_per_s" of the counter samples in [FROM, TO]:
# the longest span in which the count rose by our own sample GETs only.
gaps() {
	awk -v from="$1" -v to="$2" '$1 >= from && $1 <= to {
		if (n > 0) {
			if ($2 - pc > 1) { if ($1 - last > gap) gap = $1 - last; last = $1 }
		} else { last = $1; c0 = $2; t0 = $1 }
		pc = $2; pt = $1; n++
	} END {
		if (pt - last > gap) gap = pt - last
		printf "%.1f %.0f\n", gap, (n > 1 ? (pc - c0 - (n - 1)) / (pt - t0) : 0) }' \
	    "$TMP/counter.out"
}

# wait_started SECONDS: until the daemon logged that it started.
wait_started() {
	wait_grep ' started: ' "$TMP/daemon.err" "$1" ||
	    fail "pollhook did not start: $(tail -5 "$TMP/daemon.err")"
}

# one_source_rss: the VmRSS (KiB) of the same daemon with one source, steady.
one_source_rss() {
	API_PORT=$(free_port)
	write_conf 1 1.0 0.5
	rm -rf "$TMP/db"
	"$POLLHOOK" -c "$TMP/scale.conf" 2>"$TMP/daemon.err" &
	pid=$!
	PIDS="$PIDS $pid"
	wait_started 30
	sleep 3
	set -- $(mem "$pid")
	kill "$pid"
	wait "$pid" 2>/dev/null
	echo "$1"
}

# run N INTERVAL: prints the figures of one N.
run() {
	n=$1
	iv=$2
	API_PORT=$(free_port)
	write_conf "$n" "$iv" 5.0
	ideal=$(awk -v n="$n" -v iv="$iv" 'BEGIN { printf "%.0f", n / iv }')
	if [ "$BENCH_CHECK" = 1 ]; then
		chk=$(best3 "$POLLHOOK" --check-config -c "$TMP/scale.conf")
		ref=$(best3 "$CONF_PARSE" "$TMP/scale.conf")
		printf '%7d check   --check-config %6.3f s   libconfig alone %6.3f s   ratio %5.2f\n' \
		    "$n" "$chk" "$ref" "$(awk -v a="$chk" -v b="$ref" 'BEGIN { print a / b }')"
	fi

	rm -rf "$TMP/db"
	secs=$(awk -v iv="$iv" -v r="$BENCH_ROUNDS" 'BEGIN { printf "%d", 3 * iv + r * iv + 60 }')
	$COUNTER "$SNMPD_PORT" "$secs" >"$TMP/counter.out" &
	cpid=$!
	"$POLLHOOK" -c "$TMP/scale.conf" 2>"$TMP/daemon.err" &
	pid=$!
	PIDS="$PIDS $pid $cpid"
	wait_started 60
	sleep "$iv"
	sleep 1
	w0=$(date +%s.%N)
	sleep $((BENCH_ROUNDS * iv))
	w1=$(date +%s.%N)
	set -- $(mem "$pid")
	rss=$1 hwm=$2 priv=$3 shr=$4 anon=$5
	set -- $(gaps "$w0" "$w1")
	sgap=$1 srate=$2
	over=$(overruns 2>/dev/null || echo "?")
	printf '%7d steady  %5d GETs/s (ideal %5d)  overruns %s  longest gap %4.1f s\n' \
	    "$n" "$srate" "$ideal" "$over" "$sgap"
	printf '%7d memory  VmRSS %6.1f MiB  VmHWM %6.1f MiB  private %6.1f  shared %5.1f' \
	    "$n" "$(echo "$rss" | awk '{ print $1 / 1024 }')" \
	    "$(echo "$hwm" | awk '{ print $1 / 1024 }')" \
	    "$(echo "$priv" | awk '{ print $1 / 1024 }')" \
	    "$(echo "$shr" | awk '{ print $1 / 1024 }')"
	printf '  anon %6.1f  bytes/source %5.0f\n' "$(echo "$anon" | awk '{ print $1 / 1024 }')" \
	    "$(awk -v r="$rss" -v b="$RSS1" -v n="$n" 'BEGIN { print (r - b) * 1024 / n }')"

	# One source changes; the others must go on polling.
	write_conf "$n" "$iv" 4.0
	h0=$(date +%s.%N)
	kill -HUP "$pid"
	wait_grep ' reloaded: ' "$TMP/daemon.err" 300 ||
	    fail "no reload within 300 s: $(tail -5 "$TMP/daemon.err")"
	rt=$(awk -v a="$(log_time ' reloading ')" -v b="$(log_time ' reloaded: ')" \
	    'BEGIN { printf "%.3f", b - a }')
	# Before the reload moved off the loop, the line had no swap time: all of it was.
	swap=$(grep ' reloaded: ' "$TMP/daemon.err" | tail -1 | sed -n 's/.* in \([0-9.]*\) s)$/\1/p')
	[ -n "$swap" ] || swap=$rt
	sleep "$iv"
	sleep 1
	h1=$(date +%s.%N)
	set -- $(gaps "$h0" "$h1")
	rgap=$1 rrate=$2
	set -- $(mem "$pid")
	rss2=$1 hwm2=$2
	over2=$(overruns 2>/dev/null || echo "?")
	printf '%7d reload  %6.3f s SIGHUP to swapped, %6.3f s of it in the loop  longest gap %4.1f s (steady %4.1f)  %5d GETs/s' \
	    "$n" "$rt" "$swap" "$rgap" "$sgap" "$rrate"
	printf '  overruns since %s  VmRSS %6.1f MiB  VmHWM %6.1f MiB\n' "$over2" \
	    "$(echo "$rss2" | awk '{ print $1 / 1024 }')" \
	    "$(echo "$hwm2" | awk '{ print $1 / 1024 }')"
	grep -q 'Sanitizer\|reload failed' "$TMP/daemon.err" && fail "reload failed"
	kill "$pid"
	wait "$pid" 2>/dev/null
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
}

overruns() {
	python3 "$top_srcdir/tests/bench/overruns.py" "$API_PORT"
}

snmpd_start
echo "pollhook at scale: one snmpd on one core, one GET per poll, ${BENCH_ROUNDS} intervals steady"
RSS1=$(one_source_rss)
printf '      1 memory  VmRSS %6.1f MiB (the reference of bytes/source)\n' \
    "$(echo "$RSS1" | awk '{ print $1 / 1024 }')"
for spec in $BENCH_SCALE; do
	run "${spec%%:*}" "${spec#*:}"
done
exit 0
