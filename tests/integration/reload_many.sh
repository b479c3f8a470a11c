#!/bin/sh
# Case: SIGHUP with 2,000 sources, one of them changed.
#   config     2,000 snmp sources every 5 s, 1,990 at a real snmpd and 10 at
#              an agent that never answers; rule device.down (up below 1);
#              the log emitter as the subscriber
#   behaviour  the 10 dead sources fire device.down; then the timeout of one
#              live source changes and the daemon gets SIGHUP
#   expected   the reload is logged; snmpd's GET counter (sampled at 10 Hz)
#              never stands still for more than one interval from the signal
#              to two intervals after the reload; the dead sources' rule
#              state is kept (device.down does not fire again)
. "$(dirname "$0")/../lib/snmp_common.sh"

N=2000
DEAD=10
EVENTS=$TMP/events.jsonl

write_conf() {	# write_conf TIMEOUT_OF_S0
	awk -v n="$N" -v dead="$DEAD" -v t0="$1" -v live="$SNMPD_PORT" -v dport="$DEAD_PORT" \
	    -v state="$TMP/db" -v events="$EVENTS" 'BEGIN {
		printf "bridge = { state_dir = \"%s\"; log_level = \"info\"; };\n", state
		print "sources = ("
		for (i = 0; i < n; i++)
			printf "{ name = \"s%d\"; poller = \"snmp\"; interval = 5.0; timeout = %s; " \
			    "snmp = { address = \"127.0.0.1:%s\"; retries = 1; }; " \
			    "metrics = ( { name = \"uptime\"; oid = \"1.3.6.1.2.1.1.3.0\"; } ); }%s\n", \
			    i, (i == 0 ? t0 : "4.0"), (i >= n - dead ? dport : live), (i < n - 1 ? "," : "")
		print ");"
		print "rules = ( { name = \"device.down\"; metric = \"up\"; below = 1.0; } );"
		printf "subscribers = ( { name = \"log\"; emitter = \"log\"; path = \"%s\"; } );\n", events
	}' >"$TMP/p.conf.tmp" && mv "$TMP/p.conf.tmp" "$TMP/p.conf"
}

# downs: the device.down events the dead sources fired so far (a live one
# may time out on a loaded machine: it is not what this test is about).
downs() {
	python3 -c 'import json, sys
n = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        n += r["event"] == "device.down" and int(r["payload"]["source"][1:]) >= int(sys.argv[2])
except FileNotFoundError:
    pass
print(n)' "$EVENTS" $((N - DEAD))
}

snmpd_start
dead_agent_start
write_conf 4.0
daemon_start "$TMP/p.conf"
i=0
until [ "$(downs)" -ge "$DEAD" ]; do
	i=$((i + 1))
	[ "$i" -le 600 ] || fail "the dead sources did not fire within 60 s (fired: $(downs))"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "pollhook exited"
	sleep 0.1
done
[ "$(downs)" -eq "$DEAD" ] || fail "$(downs) device.down events for $DEAD dead sources"

python3 "$top_srcdir/tests/bench/snmp_counter.py" "$SNMPD_PORT" 60 >"$TMP/counter.out" &
COUNTER_PID=$!
PIDS="$PIDS $COUNTER_PID"
sleep 5
write_conf 3.0
h0=$(date +%s.%N)
kill -HUP "$DAEMON_PID"
wait_grep "reloaded: $N sources" "$TMP/daemon.err" 30 || fail "no reload logged"
sleep 10
h1=$(date +%s.%N)
kill -0 "$DAEMON_PID" 2>/dev/null || fail "pollhook exited after the reload"

# The longest span from h0 to h1 in which snmpd counted only our own samples.
gap=$(awk -v from="$h0" -v to="$h1" '$1 >= from && $1 <= to {
	if (n > 0) { if ($2 - pc > 1) { if ($1 - last > gap) gap = $1 - last; last = $1 } }
	else last = $1
	pc = $2; pt = $1; n++
} END { if (n < 20) { print "none"; exit } if (pt - last > gap) gap = pt - last; printf "%.1f\n", gap }' \
    "$TMP/counter.out")
[ "$gap" != none ] || fail "too few counter samples during the reload"
awk -v g="$gap" 'BEGIN { exit !(g <= 5.0) }' ||
	fail "polling stopped for $gap s during the reload (interval 5 s)"
pass "polling of the other sources went on through the reload (longest gap $gap s)"
[ "$(downs)" -eq "$DEAD" ] ||
	fail "device.down fired again after the reload: $(downs) events (unchanged rule state lost)"
pass "the unchanged sources' rule state is kept"
exit 0
