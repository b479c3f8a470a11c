#!/usr/bin/env bash
# Benchmark of what pollhook costs between polls: CPU seconds per 60 s and
# system calls per second of a daemon (a) with one http source polled every
# 10 s and the management API on, (b) with 200 http sources polled every
# second (one loopback nginx serving a small file), nothing changing, no
# events. Prints figures; never fails on them.
# Usage: tests/bench/idle_bench.sh [BUILD_DIR] (default: .)
#
# REF=DIR runs DIR/bridge/pollhook beside it, at the same time on the same
# nginx, as the reference row of the same run (e.g. a build of the commit
# before a change). WINDOW (default 60) is the measured window in seconds;
# STRACE=1 adds a strace -c -f summary of each daemon (a shorter window of
# its own, since tracing slows what it traces). Build without sanitizers.
set -u
BUILD=$(cd "${1:-.}" && pwd)
WINDOW=${WINDOW:-60}
[ -x "$BUILD/bridge/pollhook" ] || { echo "no $BUILD/bridge/pollhook: build first" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx-light)" >&2; exit 1; }

. "$(dirname "$0")/lib.sh"
bench_tmp idle
mkdir -p "$TMP/www"
echo '{"v": 1}' >"$TMP/www/probe.json"

PORT=$(free_port)
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
user root;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$PORT; location / { root $TMP/www; } }
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP" || { echo "nginx did not start" >&2; exit 1; }

# start NAME BIN SOURCES INTERVAL: a daemon; its pid in PID_NAME.
start() {
	local api
	api=$(free_port)
	{
		echo "bridge = { state_dir = \"$TMP/state-$1\"; log_level = \"warning\";"
		echo "  api = { listen = \"127.0.0.1:$api\"; }; };"
		echo "sources = ("
		for i in $(seq 1 "$3"); do
			[ "$i" -gt 1 ] && echo ","
			echo " { name = \"p$i\"; poller = \"http\"; interval = $4; timeout = 0.9;"
			echo "   http = { url = \"http://127.0.0.1:$PORT/probe.json\"; };"
			echo "   metrics = ( { name = \"v\"; json = \"/v\"; } ); }"
		done
		echo ");"
		echo "rules = ( { name = \"high\"; metric = \"v\"; above = 5.0; } );"
		echo "subscribers = ( { name = \"hook\"; url = \"http://127.0.0.1:$PORT/hook\"; signature = \"none\"; } );"
	} >"$TMP/$1.conf"
	"$2" -c "$TMP/$1.conf" 2>"$TMP/$1.err" &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}
cpu_of() {	# utime + stime of pid, in seconds
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# row CASE SOURCES INTERVAL: this build and REF side by side over one window.
row() {
	local names="this" n c0 c1 p
	[ -n "${REF:-}" ] && names="reference this"
	for n in $names; do
		if [ "$n" = this ]; then start "${1}_$n" "$BUILD/bridge/pollhook" "$2" "$3"
		else start "${1}_$n" "$(cd "$REF" && pwd)/bridge/pollhook" "$2" "$3"; fi
	done
	sleep 5
	declare -A c0s
	for n in $names; do eval "p=\$PID_${1}_$n"; c0s[$n]=$(cpu_of "$p"); done
	sleep "$WINDOW"
	for n in $names; do
		eval "p=\$PID_${1}_$n"
		c1=$(cpu_of "$p")
		awk -v c="$1" -v n="$n" -v a="${c0s[$n]}" -v b="$c1" -v w="$WINDOW" \
		    'BEGIN { printf "%-8s %-10s CPU %.3f s per 60 s\n", c, n, (b - a) * 60 / w }'
	done
	if [ -n "${STRACE:-}" ]; then
		for n in $names; do
			eval "p=\$PID_${1}_$n"
			timeout -s INT 20 strace -c -f -p "$p" -o "$TMP/strace-$n" 2>/dev/null
			echo "$1 $n: system calls in 20 s (strace -c -f):"
			sed -n '1,12p' "$TMP/strace-$n" | sed 's/^/    /'
		done
	fi
	for n in $names; do
		eval "p=\$PID_${1}_$n"
		kill "$p"; wait "$p" 2>/dev/null
	done
}

row idle 1 10.0
row many 200 1.0
