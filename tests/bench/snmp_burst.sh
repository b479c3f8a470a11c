#!/bin/sh
# Benchmark of an event burst over snmp (prints figures; not a pass/fail test).
#
# N v2c sources on one snmpd (timeout 0.9 s, 1 retry) read one value from
# the burst agent (tests/lib/snmp_burst_agent.py); a threshold rule at 90 and
# one webhook subscriber, a loopback nginx answering 204. After a warm-up the
# value of every source goes from 20 to 95 at once (N events, N POSTs) and,
# once all arrived and two intervals passed, back to 20 (N resolved events).
# Printed per crossing: webhooks nginx got, the time from the flip to the
# last one (target: within interval + 200 ms), polls that failed (false
# timeouts: the agent answers every GET), the kernel's UDP RcvbufErrors
# (/proc/net/snmp, whole machine) and pollhook_snmp_socket_drops_total
# deltas (target 0), and loop lag p99/max from pollhook_loop_lag_seconds when
# the daemon has that histogram (else n/a). The reference row: collectd's
# snmp plugin polling N targets of the same snmpd at the same interval
# (sysUpTime.0) during the same window, with the CPU of each; only up to
# BURST_COLLECTD_MAX sources (default 2,000): at 10,000 the two together
# make the one snmpd the bottleneck (its own receive buffer overflows).
#
# Usage: top_srcdir=SRC top_builddir=BUILD tests/bench/snmp_burst.sh
#   BURST_RUNS="2000:1 10000:5" (N:interval)  BURST_COLLECTD=1 (0: no reference)
#   BURST_COLLECTD_MAX=2000
# Use a build without sanitizers for meaningful figures.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
BURST_RUNS=${BURST_RUNS:-"2000:1 10000:5"}
BURST_COLLECTD=${BURST_COLLECTD:-1}
BURST_COLLECTD_MAX=${BURST_COLLECTD_MAX:-2000}

. "$top_srcdir/tests/lib/snmp_common.sh"
. "$top_srcdir/tests/bench/collectd_lib.sh"
command -v nginx >/dev/null || fail "nginx is required (apt-get install nginx-light)"
HZ=$(getconf CLK_TCK)

cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

rcvbuf_errors() {	# the kernel's UDP RcvbufErrors, whole machine
	awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 }
	    else print $c }' /proc/net/snmp
}

metric() {	# metric FAMILY: the sum of a /metrics family's lines
	python3 "$top_srcdir/tests/bench/overruns.py" "$API_PORT" "$1"
}

# loop_lag: "p99 max": p99 as a bucket bound of pollhook_loop_lag_seconds, max from
# pollhook_loop_lag_max_seconds (since the start, warm-up included), or "n/a n/a".
loop_lag() {
	python3 - "$API_PORT" <<'PY'
import sys, urllib.request
o = urllib.request.build_opener(urllib.request.ProxyHandler({}))
body = o.open("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=30).read().decode()
b = []
for l in body.splitlines():
    if l.startswith("pollhook_loop_lag_seconds_bucket{"):
        le = l.split('le="')[1].split('"')[0]
        b.append((float("inf") if le == "+Inf" else float(le), float(l.split()[-1])))
if not b:
    print("n/a n/a")
    sys.exit(0)
b.sort()
total = b[-1][1]
p99 = next((le for le, c in b if c >= 0.99 * total), float("inf"))
mx = next((le for le, c in b if c >= total), float("inf"))
mxl = [l for l in body.splitlines() if l.startswith("pollhook_loop_lag_max_seconds ")]
if mxl:
    mx = float(mxl[0].split()[-1])
print("%.3f %.3f" % (p99, mx))
PY
}

agent_drops() {	# the drops of snmpd's own socket: requests it never saw
	awk -v p="$(printf ':%04X$' "$SNMPD_PORT")" '$2 ~ p { print $NF }' /proc/net/udp
}

hooks() {
	if [ -f "$TMP/hook.log" ]; then wc -l <"$TMP/hook.log"; else echo 0; fi
}

NGINX_PORT=$(free_port)
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
user root;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 4096; }
http {
  log_format t '\$msec';
  access_log off;
  client_body_temp_path $TMP/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /hook { client_max_body_size 1m; access_log $TMP/hook.log t; return 204; }
  }
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP" || fail "nginx did not start"
cleanup_nginx() {
	[ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	cleanup
}
trap cleanup_nginx EXIT

set_value burst 20
snmpd_start

# write_conf N INTERVAL
write_conf() {
	{
		echo "bridge = { state_dir = \"$TMP/db\"; log_level = \"info\";"
		echo "  api = { listen = \"127.0.0.1:$API_PORT\"; }; };"
		echo "sources = ("
		i=0
		while [ "$i" -lt "$1" ]; do
			[ "$i" -gt 0 ] && echo ","
			printf '{ name = "s%d"; poller = "snmp"; interval = %s; timeout = 0.9; ' "$i" "$2"
			printf 'snmp = { address = "127.0.0.1:%s"; retries = 1; }; ' "$SNMPD_PORT"
			printf 'metrics = ( { name = "v"; oid = "1.3.6.1.4.1.99998.1.0"; } ); }'
			i=$((i + 1))
		done
		echo ");"
		echo "rules = ( { name = \"v.high\"; metric = \"v\"; above = 90.0; clear = 50.0; } );"
		echo "subscribers = ( { name = \"nginx\"; url = \"http://127.0.0.1:$NGINX_PORT/hook\";"
		echo "  secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"; } );"
	} >"$TMP/burst.conf"
}

# crossing N INTERVAL VALUE LABEL: flips the value, waits for N webhooks; one line.
crossing() {
	n=$1
	h0=$(hooks)
	e0=$(metric pollhook_poll_errors_total)
	d0=$(metric pollhook_snmp_socket_drops_total)
	r0=$(rcvbuf_errors)
	a0=$(agent_drops)
	c0=$(cpu_ticks "$pid")
	[ -n "$CD_PID" ] && cd0=$(cpu_ticks "$CD_PID")
	t0=$(date +%s.%N)
	set_value burst "$3"
	i=0
	while [ "$(hooks)" -lt $((h0 + n)) ] && [ "$i" -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# Two more intervals: the polls right after the burst count too.
	sleep "$(awk -v i="$2" 'BEGIN { print 2 * i }')"
	c1=$(cpu_ticks "$pid")
	[ -n "$CD_PID" ] && cd1=$(cpu_ticks "$CD_PID")
	r1=$(rcvbuf_errors)
	a1=$(agent_drops)
	e1=$(metric pollhook_poll_errors_total)
	d1=$(metric pollhook_snmp_socket_drops_total)
	lag=$(loop_lag)
	got=$(($(hooks) - h0))
	last=$(tail -n "$got" "$TMP/hook.log" | sort -n | tail -n 1)
	cdcpu=n/a
	[ -n "$CD_PID" ] && cdcpu=$(awk -v c="$((cd1 - cd0))" -v hz="$HZ" 'BEGIN { printf "%.2f", c / hz }')
	awk -v n="$n" -v iv="$2" -v lb="$4" -v got="$got" -v t0="$t0" -v last="${last:-0}" \
	    -v err="$((e1 - e0))" -v rb="$((r1 - r0))" -v dr="$((d1 - d0))" -v lag="$lag" \
	    -v ad="$((${a1:-0} - ${a0:-0}))" \
	    -v c="$((c1 - c0))" -v hz="$HZ" -v cd="$cdcpu" 'BEGIN {
		split(lag, l, " ");
		printf "%6d %4s %-9s %6d %9.3f %8d %8d %8d %8d %8s %8s %9.2f %9s\n", n, iv, lb, got,
		    (last > 0 ? last - t0 : -1), err, rb, dr, ad, l[1], l[2], c / hz, cd
	}'
}

echo "snmp burst benchmark: one snmpd, every source crosses a threshold at once, webhooks to nginx (204)"
echo "columns: sources, interval s, crossing, webhooks nginx got, s from the flip to the last one,"
echo "         failed polls (false timeouts), UDP RcvbufErrors (machine), pollhook snmp socket drops,"
echo "         drops of snmpd's own socket (requests lost before the agent, not answers),"
echo "         loop lag p99 and max s, pollhook CPU s and collectd's (same window; collectd polls"
echo "         sysUpTime.0 of N targets at the same interval) from the flip to 2 intervals after the last"
printf '%6s %4s %-9s %6s %9s %8s %8s %8s %8s %8s %8s %9s %9s\n' N ivl crossing hooks last_s \
    failed rcvbuf drops snmpd_dr lag_p99 lag_max ph_cpu_s cd_cpu_s
for run in $BURST_RUNS; do
	n=${run%%:*}
	iv=${run#*:}
	API_PORT=$(free_port)
	write_conf "$n" "$iv"
	rm -rf "$TMP/db"
	set_value burst 20
	"$POLLHOOK" -c "$TMP/burst.conf" 2>"$TMP/daemon.err" &
	pid=$!
	PIDS="$PIDS $pid"
	CD_PID=""
	[ "$BURST_COLLECTD" = 1 ] && [ "$n" -le "$BURST_COLLECTD_MAX" ] &&
	    collectd_start "$n" "$iv" 0.9
	i=0
	until [ "$(metric pollhook_polls_total 2>/dev/null || echo 0)" -ge $((n * 2)) ]; do
		i=$((i + 1))
		[ "$i" -le 600 ] || fail "$n sources did not poll twice in 60 s"
		kill -0 "$pid" 2>/dev/null || fail "pollhook exited: $(tail -3 "$TMP/daemon.err")"
		sleep 0.1
	done
	crossing "$n" "$iv" 95 up
	crossing "$n" "$iv" 20 down
	grep 'snmp: .* share' "$TMP/daemon.err" | sed 's/^/    # /'
	kill "$pid"
	wait "$pid" 2>/dev/null
	collectd_stop
done
exit 0
