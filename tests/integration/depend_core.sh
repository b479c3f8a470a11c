#!/bin/sh
# Case: a core router with 20 devices behind it (parent = "core").
#   config     the core on one snmpd, devices d1..d19 on a second, d20 on a
#              third; device.unreachable (up < 1 for 1.5 s) on all of them;
#              one signed webhook subscriber (a verifying receiver)
#   behaviour  the three snmpds stop together; then the core's and the
#              second one come back, d20's stays down
#   expected   while the core is down, one device.unreachable reaches the
#              receiver, the core's; the 20 devices' are stored held back
#              (logged suppressed=parent:core); when the core is back, its
#              resolution and then d20's device.unreachable arrive, nothing
#              for d1..d19; every request verifies
. "$(dirname "$0")/../lib/snmp_common.sh"

RECEIVER=$top_srcdir/tests/lib/receiver.py
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

# agent_start NAME: starts an snmpd on a free port (or the same port again),
# its port in NAME_PORT and its pid in NAME_PID.
agent_start() {
	eval "SNMPD_PORT=\${$1_PORT:-}"
	[ -n "$SNMPD_PORT" ] || SNMPD_PORT=$(free_port)
	snmpd_start
	eval "$1_PORT=$SNMPD_PORT $1_PID=$SNMPD_PID"
	PIDS="$PIDS $SNMPD_PID"
	SNMPD_PID=""
}

agent_stop() {
	eval "p=\$$1_PID"
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

# received FILTER: the count of received requests whose (event, source) pass
# the python expression FILTER over e (the event name) and s (its source).
received() {
	python3 - "$TMP/hook.jsonl" "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    b = json.loads(json.loads(line)["body"])
    e, s = b["event"], b["payload"]["source"]
    if eval(sys.argv[2]):
        n += 1
print(n)
PY
}

# wait_received FILTER N SECONDS: waits until at least N requests pass FILTER.
wait_received() {
	i=0
	until [ "$(received "$1")" -ge "$2" ]; do
		i=$((i + 1))
		[ "$i" -le $(($3 * 10)) ] || return 1
		kill -0 "$DAEMON_PID" 2>/dev/null || fail "pollhook exited"
		sleep 0.1
	done
}

agent_start core
agent_start devs
agent_start last

python3 "$RECEIVER" --port-file "$TMP/hook.port" --log "$TMP/hook.jsonl" \
    --secret="$SECRET" 2>"$TMP/hook.err" &
PIDS="$PIDS $!"
wait_grep . "$TMP/hook.port" 10 || fail "receiver did not start: $(cat "$TMP/hook.err")"
HOOK_PORT=$(cat "$TMP/hook.port")
: >>"$TMP/hook.jsonl"

src() {
	printf '{ name = "%s"; poller = "snmp"; interval = 0.5; timeout = 0.4; %s\n' "$1" "$3"
	printf '  snmp = { address = "127.0.0.1:%s"; retries = 0; };\n' "$2"
	printf '  metrics = ( { name = "uptime"; oid = "1.3.6.1.2.1.1.3.0"; } ); }'
}
{
	echo "bridge = { state_dir = \"$TMP/db\"; log_level = \"info\"; };"
	echo "sources = ("
	src core "$core_PORT" ""
	i=1
	while [ "$i" -le 20 ]; do
		port=$devs_PORT
		[ "$i" -eq 20 ] && port=$last_PORT
		echo ","
		src "d$i" "$port" 'parent = "core";'
		i=$((i + 1))
	done
	echo ");"
	echo "rules = ( { name = \"device.unreachable\"; metric = \"up\"; below = 1.0; for = 1.5; } );"
	echo "subscribers = ( { name = \"hook\"; url = \"http://127.0.0.1:$HOOK_PORT/hook\";"
	echo "  secret = \"$SECRET\"; } );"
} >"$TMP/pollhook.conf"

"$POLLHOOK" --check-config -c "$TMP/pollhook.conf" >"$TMP/check.out" 2>&1 ||
	fail "config rejected: $(cat "$TMP/check.out")"
daemon_start "$TMP/pollhook.conf"
# A few polls of every source, all up, before anything stops.
sleep 2
[ "$(grep -c 'poll failed' "$TMP/daemon.err")" -eq 0 ] || fail "polls fail before anything was stopped"
[ "$(received 'True')" -eq 0 ] || fail "events before anything was stopped"

agent_stop core
agent_stop devs
agent_stop last
wait_received 'e == "device.unreachable" and s == "core"' 1 20 ||
	fail "the core's device.unreachable did not arrive"
i=0
until [ "$(grep -c 'device.unreachable source=d[0-9]* suppressed=parent:core' "$TMP/daemon.err")" -ge 20 ]; do
	i=$((i + 1))
	[ "$i" -le 200 ] || fail "the devices' device.unreachable were not all held back: $(grep -c 'suppressed=parent:core' "$TMP/daemon.err") of 20"
	sleep 0.1
done
[ "$(received 'e == "device.unreachable"')" -eq 1 ] ||
	fail "$(received 'e == "device.unreachable"') device.unreachable reached the receiver, not one"
pass "core down: one device.unreachable (the core's), the 20 devices' held back"

agent_start core
agent_start devs
wait_received 'e == "device.unreachable.resolved" and s == "core"' 1 20 ||
	fail "the core's device.unreachable.resolved did not arrive"
wait_received 'e == "device.unreachable" and s == "d20"' 1 20 ||
	fail "d20, still down, did not report device.unreachable once the core was back"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "pollhook exited with $?"
other=$(received 's not in ("core", "d20")')
[ "$other" -eq 0 ] || fail "$other events of d1..d19 reached the receiver"
[ "$(received 'True')" -eq 3 ] || fail "$(received 'True') requests, not 3"
bad=$(grep -c '"verified": false' "$TMP/hook.jsonl")
[ "$bad" -eq 0 ] || fail "$bad requests did not verify"
if grep -q 'Sanitizer' "$TMP/daemon.err"; then fail "sanitizer report"; fi
pass "core back: its resolution, then d20 (still down) reports; nothing of the 19 that came back"
