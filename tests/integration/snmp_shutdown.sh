#!/bin/bash
# Stopping with requests still out: sources of one shared session (v2c, one
# community) polling an agent that never answers always have requests in
# flight, so a reload (SIGHUP) leaves them as zombies that wait for their
# requests, and the stop (SIGTERM) closes the session under them. net-snmp
# calls back every request still in a session it closes: pollhook must not
# touch a freed source then (under AddressSanitizer, that was a
# heap-use-after-free at every such stop). Three rounds of start, reloads
# and stop; each must exit 0 with no sanitizer report.
. "$top_srcdir/tests/lib/snmp_common.sh"

dead_agent_start
{
	echo 'bridge = { state_dir = "'"$TMP"'/db"; };'
	echo 'sources = ('
	for i in $(seq 1 20); do
		[ "$i" -gt 1 ] && echo ','
		echo "{ name = \"d$i\"; poller = \"snmp\"; interval = 1.0; timeout = 0.9;"
		echo "  snmp = { address = \"udp:127.0.0.1:$DEAD_PORT\"; community = \"public\"; retries = 4; };"
		echo '  metrics = ( { name = "cpu"; oid = ".1.3.6.1.4.1.99999.1.0"; } ); }'
	done
	echo ');'
} >"$TMP/dead.conf"

for round in 1 2 3; do
	# Gone first: the daemon's redirection truncates it only once it runs.
	rm -f "$TMP/daemon.err"
	daemon_start "$TMP/dead.conf"
	# Every source has sent its first request once the first timeout is logged.
	wait_grep 'snmp/d20: poll failed' "$TMP/daemon.err" 10 || fail "round $round: d20 never polled"
	kill -HUP "$DAEMON_PID"
	wait_grep 'reloaded' "$TMP/daemon.err" 5 || fail "round $round: no reload"
	sleep 0.3	# the new sources send their requests too
	kill -TERM "$DAEMON_PID"
	rc=0
	i=0
	while kill -0 "$DAEMON_PID" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le 100 ] || fail "round $round: pollhook did not stop within 10 s of SIGTERM"
		sleep 0.1
	done
	wait "$DAEMON_PID" || rc=$?
	PIDS=${PIDS/ $DAEMON_PID/}
	if grep -qE 'Sanitizer|runtime error' "$TMP/daemon.err"; then
		fail "round $round: sanitizer report at the stop"
	fi
	[ "$rc" -eq 0 ] || fail "round $round: pollhook exited $rc after SIGTERM"
	pass "round $round: stopped with requests in flight, after a reload"
done
