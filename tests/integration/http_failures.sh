#!/bin/sh
# http poller failures: DNS, refused connection, timeout (without delaying
# other sources), non-2xx and ok_status, oversize and invalid bodies (NaN and
# Infinity too), a number beyond a double, a 4 MiB response header,
# redirects; and in the daemon, a lasting failure logged once, its end once.

. "$top_srcdir/tests/lib/http_common.sh"

start_api api
echo '{"v": 1}' | put v.json
echo '{"w": 1, "v": NaN}' | put nan.json
echo '{"v": -Infinity}' | put inf.json
echo '{"v": 1e400, "w": 2}' | put overflow.json

# A port nobody listens on: bind one, note it, let it go.
REFUSED_PORT=$(free_port)

src() {
	# src NAME URL-PATH-OR-URL [extra http keys] [timeout]
	case $2 in
	http*) url=$2 ;;
	*) url="http://127.0.0.1:$api_PORT/$2" ;;
	esac
	cat <<EOF
  { name = "$1"; poller = "http"; interval = 10.0; timeout = ${4:-2.0};
    http = { url = "$url"; ${3:-} };
    metrics = ( { name = "v"; json = "/v"; } ); },
EOF
}

{
	echo "sources = ("
	src fast v.json
	src slow "slow?s=5" "" 1.0
	src dns "http://pollhook-test.invalid/v.json"
	src refused "http://127.0.0.1:$REFUSED_PORT/v.json"
	src e500 "status?code=500"
	src e404ok "status?code=404" 'ok_status = [ "404", "5xx" ];'
	src e503ok "status?code=503" 'ok_status = "500-503";'
	src huge "huge?n=3000000"
	src huge_chunked "huge-chunked?n=3000000"
	src small_max "v.json" "max_body = 4;"
	src invalid invalid
	src nan nan.json
	src inf inf.json
	src overflow overflow.json
	src big_header big-header
	src empty empty
	src redirect_off redirect/v.json
	src redirect_on redirect/v.json "follow_redirects = true;"
	echo '  { name = "last"; poller = "http"; http = { url = "http://127.0.0.1:1/"; }; metrics = ( { name = "v"; json = "/v"; } ); }'
	echo ");"
} >"$TMP/fail.conf"

once "$TMP/fail.conf"
[ "$ONCE_RC" -eq 2 ] || fail "--once exited $ONCE_RC, want 2 (some polls failed)"

expect fast ok - true
expect fast v - 1
# --once starts every poll at once, fast first: the fast answer must come
# before the slow one gives up (1 s), whatever the machine's speed.
durs=$(python3 -c 'import json, sys; d = {s["source"]: s["duration"] for s in json.load(open(sys.argv[1]))["samples"]}; print("%.3f %.3f" % (d["fast"], d["slow"]))' "$TMP/once.json")
python3 -c "import sys; f, s = map(float, sys.argv[1:]); sys.exit(0 if f < s else 1)" $durs ||
    fail "the fast source took ${durs% *} s, the slow one ${durs#* } s: the fast one waited"
pass "a slow endpoint does not delay another source (${durs% *} s, the slow one ${durs#* } s)"

expect slow ok - false
expect slow error - "timeout after 1 s"
expect slow up - 0
pass "timeout"

expect dns ok - false
expect dns error - "DNS: cannot resolve the host of pollhook-test.invalid:80"
expect dns up - 0
pass "DNS failure"

expect refused error - "cannot connect to 127.0.0.1:$REFUSED_PORT: Connection refused"
expect refused up - 0
expect refused http_status - MISSING
pass "refused connection"

expect e500 ok - false
expect e500 error - "HTTP 500"
expect e500 http_status - 500
expect e500 up - 0
expect e404ok ok - true
expect e404ok http_status - 404
expect e404ok up - 1
expect e503ok up - 1
pass "non-2xx is up = 0 unless ok_status lists it"

expect huge error - "body larger than max_body (1048576 bytes)"
expect huge_chunked error - "body larger than max_body (1048576 bytes)"
expect small_max error - "body larger than max_body (4 bytes)"
expect huge up - 0
pass "oversize bodies, with and without Content-Length"

expect invalid ok - false
expect invalid error - "invalid JSON at byte 12: quoted object property name expected"
expect invalid up - 0
expect empty ok - true
expect empty v - "empty body"
expect nan ok - false
expect nan error - "invalid JSON at byte 14: NaN is not a JSON number"
expect nan up - 0
expect inf error - "invalid JSON at byte 7: Infinity is not a JSON number"
expect inf up - 0
pass "invalid JSON fails the poll (NaN and Infinity too), an empty body fails the metrics"

expect overflow ok - true
expect overflow v - "/v: number 1e400 is outside the range of a double"
expect overflow up - 1
pass "a number beyond the range of a double fails its metric, not the poll"

expect big_header ok - false
expect big_header error - "response header too large"
expect big_header up - 0
pass "a 4 MiB response header fails the poll as too large"

expect redirect_off error - "HTTP 302"
expect redirect_on v - 1
expect redirect_on http_status - 200
pass "redirects off by default, followed when asked"

# The daemon logs a lasting failure when it starts and when it ends, once each.
# The test counts those log lines: a poll timing out on a loaded machine
# would add its own, so the timeout is generous.
cat >"$TMP/flap.conf" <<EOF
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "flappy"; poller = "http"; interval = 0.5; timeout = 0.5;
    http = { url = "http://127.0.0.1:$api_PORT/flap.json"; };
    metrics = ( { name = "v"; json = "/v"; } ); }
);
EOF
start_daemon "$TMP/flap.conf"
i=0
while [ "$(count_lines "$TMP/api.log" 'r["path"] == "/flap.json"')" -lt 8 ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "the daemon did not poll flap.json 8 times in 20 s"
	sleep 0.2
done
echo '{"v": 2}' | put flap.json
wait_count "$TMP/api.log" 'r["path"] == "/flap.json" and r["status"] in (200, 304)' 5 20 ||
    fail "the daemon did not poll the restored flap.json 5 times in 20 s"
rm -f "$WWW/flap.json"
wait_count "$TMP/api.log" 'r["path"] == "/flap.json" and r["status"] == 404' 13 20 ||
    fail "the daemon did not poll the removed flap.json again"
stop_daemon
n=$(grep -c 'flappy: poll failed: HTTP 404' "$TMP/daemon.err")
[ "$n" -eq 2 ] || fail "'poll failed: HTTP 404' logged $n times over two outages of several polls, want 2"
n=$(grep -c 'flappy.*polling again' "$TMP/daemon.err")
[ "$n" -eq 1 ] || fail "the recovery was logged $n times, want 1"
grep 'flappy' "$TMP/daemon.err" | grep -q 'http/flappy' || fail "the messages do not name http/flappy"
pass "a failure that repeats every poll is logged when it starts and when it ends"

exit 0
