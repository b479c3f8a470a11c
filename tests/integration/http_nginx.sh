#!/bin/sh
# http poller against nginx: connections are reused (HTTP/1.1 keep-alive),
# HTTPS servers that offer HTTP/2 get it, with many sources multiplexed on
# few connections; conditional requests get 304s from a real server.

. "$top_srcdir/tests/lib/http_common.sh"

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || fail "nginx is required (Debian package nginx)"
make_pki

echo '{"cpu": 12}' | put api.json
NG=$TMP/nginx
# Started as root, nginx runs its workers as nobody, who may not reach $TMP
# (a TMPDIR inside a private directory): the workers run as the test's user.
NGINX_USER=""
[ "$(id -u)" -ne 0 ] || NGINX_USER="user root;"
mkdir -p "$NG/logs"

start_nginx() {
	for attempt in 1 2 3 4 5; do
		HTTP_PORT=$(free_port)
		TLS_PORT=$(free_port)
		cat >"$NG/nginx.conf" <<EOF
$NGINX_USER
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/logs/error.log warn;
events { worker_connections 1024; }
http {
	log_format t '\$server_port \$connection \$server_protocol \$status "\$http_if_none_match"';
	access_log $NG/logs/access.log t;
	client_body_temp_path $NG/body;
	proxy_temp_path $NG/proxy;
	fastcgi_temp_path $NG/fastcgi;
	uwsgi_temp_path $NG/uwsgi;
	scgi_temp_path $NG/scgi;
	types { application/json json; }
	server {
		listen 127.0.0.1:$HTTP_PORT;
		listen 127.0.0.1:$TLS_PORT ssl http2;
		ssl_certificate $PKI/server.pem;
		ssl_certificate_key $PKI/server.key;
		root $WWW;
	}
}
EOF
		"$NGINX" -p "$NG" -c "$NG/nginx.conf" -g 'daemon off;' 2>>"$NG/stderr" &
		NGINX_PID=$!
		i=0
		while [ $i -lt 50 ]; do
			if python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$HTTP_PORT" 2>/dev/null; then
				PIDS="$PIDS $NGINX_PID"
				return 0
			fi
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
	done
	fail "nginx did not start: $(tail -n 5 "$NG/stderr" "$NG/logs/error.log" 2>/dev/null)"
}
start_nginx

{
	echo "bridge = { state_dir = \"$TMP/state\"; };"
	echo "sources = ("
	for i in 1 2 3 4 5 6 7 8 9 10; do
		echo "{ name = \"plain$i\"; poller = \"http\"; interval = 0.5; timeout = 0.5;"
		echo "  http = { url = \"http://127.0.0.1:$HTTP_PORT/api.json?s=$i\"; };"
		echo "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); },"
		echo "{ name = \"h2_$i\"; poller = \"http\"; interval = 0.5; timeout = 0.5;"
		echo "  http = { url = \"https://127.0.0.1:$TLS_PORT/api.json?s=$i\"; ca_file = \"$PKI/ca.pem\"; };"
		echo "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); },"
	done
	echo "{ name = \"last\"; poller = \"http\"; interval = 0.5; timeout = 0.5;"
	echo "  http = { url = \"http://127.0.0.1:$HTTP_PORT/api.json\"; conditional = false; };"
	echo "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); }"
	echo ");"
} >"$TMP/nginx.conf"

start_daemon "$TMP/nginx.conf"
LOG=$NG/logs/access.log
i=0
while [ "$(awk -v p="$TLS_PORT" '$1 == p' "$LOG" 2>/dev/null | wc -l)" -lt 60 ] ||
    [ "$(awk -v p="$HTTP_PORT" '$1 == p' "$LOG" 2>/dev/null | wc -l)" -lt 60 ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "nginx did not see 60 requests per port in 20 s"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "pollhook died"
	sleep 0.2
done
stop_daemon

n=$(awk -v p="$HTTP_PORT" '$1 == p' "$LOG" | wc -l)
c=$(awk -v p="$HTTP_PORT" '$1 == p { print $2 }' "$LOG" | sort -u | wc -l)
[ "$c" -le 5 ] || fail "$n plain requests of 11 sources used $c connections: no keep-alive"
p=$(awk -v p="$HTTP_PORT" '$1 == p && $3 != "HTTP/1.1"' "$LOG" | wc -l)
[ "$p" -eq 0 ] || fail "$p plain requests were not HTTP/1.1"
pass "HTTP/1.1 keep-alive: $n requests from 11 sources on $c connections"

n=$(awk -v p="$TLS_PORT" '$1 == p' "$LOG" | wc -l)
h=$(awk -v p="$TLS_PORT" '$1 == p && $3 == "HTTP/2.0"' "$LOG" | wc -l)
[ "$h" -eq "$n" ] || fail "only $h of $n HTTPS requests used HTTP/2"
c=$(awk -v p="$TLS_PORT" '$1 == p { print $2 }' "$LOG" | sort -u | wc -l)
[ "$c" -le 2 ] || fail "$n HTTP/2 requests of 10 sources used $c connections: not multiplexed"
pass "HTTP/2 where offered: $n requests from 10 sources multiplexed on $c connection(s)"

n=$(awk '$4 == 304' "$LOG" | wc -l)
[ "$n" -ge 20 ] || fail "nginx answered $n conditional requests with 304, want most of them"
n=$(awk -v p="$HTTP_PORT" '$1 == p && $4 == 200' "$LOG" | wc -l)
[ "$n" -ge 6 ] || fail "the source with conditional = false got $n full answers"
pass "nginx answers the conditional requests with 304"

exit 0
