#!/bin/sh
# Benchmark of the http poller: a local nginx serves a small JSON file and
# pollhook polls it through N sources at 1 s intervals, for each N in
# BENCH_SIZES, for BENCH_SECONDS each. Prints polls per second, missed polls
# (an estimate of overruns), pollhook's CPU seconds per 1,000 polls, its
# peak RSS and, as the same-run reference, nginx's CPU seconds per 1,000
# requests, and the overruns pollhook counted (read from its management API
# at the end). A second row per N, "curl", does the same requests with libcurl
# alone (tests/bench/curl_floor.c: no pollhook around it): the floor of any
# poller built on this libcurl. It is skipped when curl_floor is not built
# (make tests/bench/curl_floor in the build directory).
#
#   tests/bench/http_bench.sh [POLLHOOK]
#   BENCH_SIZES="100 1000 5000" BENCH_SECONDS=30 BENCH_CONDITIONAL=true
#   CURL_FLOOR=path/to/curl_floor
#
# POLLHOOK defaults to $top_builddir/bridge/pollhook; build it without
# --enable-sanitizers for meaningful figures. Loopback only.

set -u

POLLHOOK=${1:-${top_builddir:-.}/bridge/pollhook}
SIZES=${BENCH_SIZES:-100 1000 5000}
SECONDS_RUN=${BENCH_SECONDS:-30}
WARMUP=${BENCH_WARMUP:-3}
CONDITIONAL=${BENCH_CONDITIONAL:-true}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
HZ=$(getconf CLK_TCK)
CURL_FLOOR=${CURL_FLOOR:-$(dirname "$POLLHOOK")/../tests/bench/curl_floor}

fail() {
	echo "http_bench: $*" >&2
	exit 1
}

[ -x "$POLLHOOK" ] || fail "$POLLHOOK is not an executable pollhook"
[ -x "$NGINX" ] || fail "nginx not found (install the Debian package nginx)"
command -v python3 >/dev/null 2>&1 || fail "python3 is required"
if ldd "$POLLHOOK" 2>/dev/null | grep -q 'libasan'; then
	echo "warning: $POLLHOOK is a sanitizer build; its figures are not representative" >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-bench.XXXXXX")
NGINX_PID=""
PH_PID=""
cleanup() {
	free_port_release 2>/dev/null
	[ -n "$PH_PID" ] && kill "$PH_PID" 2>/dev/null && wait "$PH_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# CPU nanoseconds (user + system) of a process and its threads: the
# scheduler's runtime, as clock ticks (10 ms) are too coarse for nginx's few
# tenths of a second in a run; ticks where schedstat is missing.
cpu_ns() {
	set -- /proc/"$1"/task/*/schedstat
	if [ -r "$1" ]; then
		cat "$@" 2>/dev/null | awk '{ t += $1 } END { printf "%.0f\n", t }'
	else
		awk -v hz="$HZ" '{ printf "%.0f\n", ($14 + $15) * 1e9 / hz }' \
		    "${1%/task/*}/stat" 2>/dev/null || echo 0
	fi
}

# CPU nanoseconds of nginx: the master and every worker.
nginx_ns() {
	t=$(cpu_ns "$NGINX_PID")
	for w in $(ps -o pid= --ppid "$NGINX_PID"); do
		t=$((t + $(cpu_ns "$w")))
	done
	echo "$t"
}

# Requests nginx has served (stub_status) and the time it said so: the
# window is timed by these readings, not by when the shell got to run.
nginx_requests() {
	python3 - "$PORT" <<'EOF'
import sys, time, urllib.request
h = urllib.request.ProxyHandler({})
body = urllib.request.build_opener(h).open(
    "http://127.0.0.1:%s/nginx_status" % sys.argv[1], timeout=5).read().decode()
print(int(body.splitlines()[2].split()[2]), "%.6f" % time.time())
EOF
}

# overruns PORT: the overruns pollhook counted (pollhook_overruns_total, all sources).
overruns() {
	python3 "$(dirname "$0")/overruns.py" "$1"
}

start_nginx() {
	mkdir -p "$TMP/nginx/logs" "$TMP/www"
	printf '{"cpu": {"percent": 42.5}, "mem": 1234, "name": "bench"}\n' >"$TMP/www/small.json"
	# nginx workers run as nobody when started as root.
	chmod 755 "$TMP" "$TMP/www"
	chmod 644 "$TMP/www/small.json"
	for attempt in 1 2 3 4 5; do
		PORT=$(free_port)
		cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 20000;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 10000; }
http {
	access_log off;
	keepalive_requests 1000000;
	keepalive_timeout 120s;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	types { application/json json; }
	server {
		listen 127.0.0.1:$PORT;
		root $TMP/www;
		location = /nginx_status { stub_status; }
	}
}
EOF
		"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' \
		    2>>"$TMP/nginx/stderr" &
		NGINX_PID=$!
		i=0
		while [ $i -lt 50 ]; do
			nginx_requests >/dev/null 2>&1 && return 0
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
		NGINX_PID=""
	done
	fail "nginx did not start: $(tail -n 3 "$TMP/nginx/stderr" "$TMP/nginx/logs/error.log" 2>/dev/null)"
}

write_conf() {
	n=$1
	{
		echo "bridge = { state_dir = \"$TMP/state-$n\"; log_level = \"warning\";"
		echo "  api = { listen = \"127.0.0.1:$API_PORT\"; }; };"
		echo "sources = ("
		i=1
		while [ "$i" -le "$n" ]; do
			sep=","
			[ "$i" -eq "$n" ] && sep=""
			echo "{ name = \"s$i\"; poller = \"http\"; interval = 1.0; timeout = 0.9;"
			echo "  http = { url = \"http://127.0.0.1:$PORT/small.json?s=$i\"; conditional = $CONDITIONAL; };"
			echo "  metrics = ( { name = \"cpu\"; json = \"/cpu/percent\"; } ); }$sep"
			i=$((i + 1))
		done
		echo ");"
	} >"$TMP/bench-$1.conf"
	mkdir -p "$TMP/state-$n"
}

# run_one N WHO: WHO is pollhook, or curl (libcurl alone).
run_one() {
	n=$1
	who=$2
	if [ "$who" = pollhook ]; then
		API_PORT=$(free_port)
		write_conf "$n"
		"$POLLHOOK" -c "$TMP/bench-$n.conf" 2>"$TMP/pollhook-$n.err" &
	else
		[ "$CONDITIONAL" = true ] || return 0	# curl_floor always sends If-None-Match
		"$CURL_FLOOR" "http://127.0.0.1:$PORT/small.json" "$n" 2>"$TMP/pollhook-$n.err" &
	fi
	PH_PID=$!
	sleep "$WARMUP"
	kill -0 "$PH_PID" 2>/dev/null || fail "$who exited: $(tail -n 5 "$TMP/pollhook-$n.err")"
	p0=$(cpu_ns "$PH_PID")
	g0=$(nginx_ns)
	set -- $(nginx_requests)
	r0=$1 t0=$2
	sleep "$SECONDS_RUN"
	set -- $(nginx_requests)
	r1=$1 t1=$2
	p1=$(cpu_ns "$PH_PID")
	g1=$(nginx_ns)
	rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$PH_PID/status")
	failed=$(grep -c 'poll failed' "$TMP/pollhook-$n.err")
	# Read last: rendering /metrics must not count in the CPU or the RSS above.
	over=-
	[ "$who" = pollhook ] && over=$(overruns "$API_PORT" 2>/dev/null || echo "?")
	kill "$PH_PID"
	wait "$PH_PID" 2>/dev/null
	PH_PID=""
	python3 - "$n" "$r0" "$r1" "$p0" "$p1" "$g0" "$g1" "$t0" "$t1" "$rss" "$failed" "$who" "$over" <<'EOF'
import sys
n, r0, r1, p0, p1, g0, g1 = (int(x) for x in sys.argv[1:8])
t0, t1 = float(sys.argv[8]), float(sys.argv[9])
rss_kib, failed, who, over = int(sys.argv[10]), int(sys.argv[11]), sys.argv[12], sys.argv[13]
# The status request between the two readings counts as one.
req = r1 - r0 - 1
secs = t1 - t0
expected = n * secs
missed = max(0, round(expected - req))
ph = (p1 - p0) / 1e9
ng = (g1 - g0) / 1e9
ph_k = ph / req * 1000 if req else float("nan")
ng_k = ng / req * 1000 if req else float("nan")
ratio = ph_k / ng_k if ng_k > 0 else float("inf")
print("%-8s %6d %10.1f %9s %9d %8d %14.4f %14.4f %7.2f %9.1f" % (
    who, n, req / secs, over, missed, failed, ph_k, ng_k, ratio, rss_kib / 1024))
EOF
}

start_nginx
echo "pollhook http poller benchmark: $SECONDS_RUN s per run, interval 1 s, conditional = $CONDITIONAL"
echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*\///'), 1 worker, on 127.0.0.1:$PORT; $(nproc) CPUs"
echo "overruns = polls pollhook skipped because the previous one still ran (its"
echo "           pollhook_overruns_total, whole run including the warm-up)"
echo "missed = polls due but not served, N x window - requests nginx counted: overruns"
echo "         and timing noise of about 1 % of N"
echo "failed = 'poll failed' log lines; CPU = user + system seconds per 1,000 polls/requests"
echo "curl = the same requests by libcurl alone (tests/bench/curl_floor.c), in the same nginx"
[ -x "$CURL_FLOOR" ] || echo "(no curl rows: $CURL_FLOOR is not built)"
echo
printf '%-8s %6s %10s %9s %9s %8s %14s %14s %7s %9s\n' "client" "N" "polls/s" "overruns" "missed" "failed" \
    "CPU s/1k" "nginx CPU s/1k" "ratio" "RSS MiB"
for n in $SIZES; do
	run_one "$n" pollhook
	[ -x "$CURL_FLOOR" ] && run_one "$n" curl
done
