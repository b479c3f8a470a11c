#!/bin/sh
# Case: 500 snmp sources cross a threshold at once, on small receive buffers.
#   config     500 v2c sources of one snmpd, interval 1 s, timeout 0.9 s, no
#              retries (a lost answer is a failed poll), a threshold rule on
#              the burst agent's value, one webhook subscriber; the shared
#              sockets' receive buffers capped at 8 KiB (POLLHOOK_SNMP_RCVBUF)
#   behaviour  every source's value goes from 20 to 95 at once: 500 events,
#              500 signed POSTs while the answers of the next polls come in
#   expected   every source's webhook arrives; no poll fails (no answer
#              dropped, no timeout); pollhook_snmp_socket_drops_total 0; the
#              start log says how many sockets the sources share
. "$(dirname "$0")/../lib/snmp_common.sh"

N=500
RECEIVER=$top_srcdir/tests/lib/receiver.py
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

set_value burst 20
snmpd_start
snmpget -v2c -c public -r 1 -t 1 -Oqv "127.0.0.1:$SNMPD_PORT" .1.3.6.1.4.1.99998.1.0 \
    >"$TMP/probe" 2>&1 && [ "$(cat "$TMP/probe")" = 20 ] ||
    fail "the burst agent does not answer: $(cat "$TMP/probe")"

python3 "$RECEIVER" --port-file "$TMP/hook.port" --log "$TMP/hook.jsonl" \
    --secret="$SECRET" 2>"$TMP/hook.err" &
PIDS="$PIDS $!"
wait_grep . "$TMP/hook.port" 10 || fail "receiver did not start: $(cat "$TMP/hook.err")"
HOOK_PORT=$(cat "$TMP/hook.port")
: >>"$TMP/hook.jsonl"
API_PORT=$(free_port)

{
	echo "bridge = { state_dir = \"$TMP/db\"; log_level = \"info\";"
	echo "  api = { listen = \"127.0.0.1:$API_PORT\"; }; };"
	echo "sources = ("
	i=0
	while [ "$i" -lt "$N" ]; do
		[ "$i" -gt 0 ] && echo ","
		printf '{ name = "s%d"; poller = "snmp"; interval = 1.0; timeout = 0.9; ' "$i"
		printf 'snmp = { address = "127.0.0.1:%s"; retries = 0; }; ' "$SNMPD_PORT"
		printf 'metrics = ( { name = "v"; oid = "1.3.6.1.4.1.99998.1.0"; } ); }'
		i=$((i + 1))
	done
	echo ");"
	echo "rules = ( { name = \"v.high\"; metric = \"v\"; above = 90.0; clear = 50.0; } );"
	echo "subscribers = ( { name = \"hook\"; url = \"http://127.0.0.1:$HOOK_PORT/hook\";"
	echo "  secret = \"$SECRET\"; events = [ \"v.high\" ]; } );"
} >"$TMP/pollhook.conf"

# metric FAMILY: the sum of a /metrics family's lines.
metric() {
	python3 "$top_srcdir/tests/bench/overruns.py" "$API_PORT" "$1"
}

POLLHOOK_SNMP_RCVBUF=8192 daemon_start "$TMP/pollhook.conf"
i=0
until [ "$(metric pollhook_polls_total 2>/dev/null || echo 0)" -ge $((N * 2)) ]; do
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "the sources did not poll twice in 30 s"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "pollhook exited"
	sleep 0.1
done
grep -q "snmp: $N v1/v2c sources share [0-9]* UDP sockets" "$TMP/daemon.err" ||
    fail "no log of the shared sockets: $(grep 'snmp:' "$TMP/daemon.err" | head -3)"
socks=$(metric pollhook_snmp_sockets)
[ "$socks" -gt 1 ] || fail "8 KiB buffers should spread $N sources over several sockets, got $socks"
pass "$N sources share $socks sockets of at most 8 KiB, as logged"

err0=$(metric pollhook_poll_errors_total)
set_value burst 95
i=0
until [ "$(grep -c '"status": 200' "$TMP/hook.jsonl" 2>/dev/null)" -ge "$N" ]; do
	i=$((i + 1))
	[ "$i" -le 600 ] || fail "$(grep -c '"status": 200' "$TMP/hook.jsonl") of $N webhooks in 60 s"
	sleep 0.1
done
python3 - "$TMP/hook.jsonl" "$N" <<'PY' || fail "not one v.high webhook per source"
import json, sys
srcs = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["status"] == 200 and r["verified"]:
        srcs.add(json.loads(r["body"])["payload"]["source"])
assert srcs == {"s%d" % i for i in range(int(sys.argv[2]))}, len(srcs)
PY
pass "every source's webhook arrived, verified"

# Two more rounds of polls after the burst, then the counts.
p=$(metric pollhook_polls_total)
i=0
until [ "$(metric pollhook_polls_total)" -ge $((p + N * 2)) ]; do
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "polling slowed down after the burst"
	sleep 0.1
done
err1=$(metric pollhook_poll_errors_total)
drops=$(metric pollhook_snmp_socket_drops_total)
[ "$drops" -eq 0 ] || fail "the kernel dropped $drops answers"
# The agent's own drops: a request it never saw is no fault of the poller's sockets.
agent_drops=$(awk -v p="$(printf ':%04X$' "$SNMPD_PORT")" '$2 ~ p { print $NF }' /proc/net/udp)
[ "$err1" -eq "$err0" ] ||
    fail "$((err1 - err0)) polls failed during the burst (snmpd dropped ${agent_drops:-?} requests): $(grep 'poll failed' "$TMP/daemon.err" | head -3)"
grep -q 'Sanitizer' "$TMP/daemon.err" && fail "sanitizer report"
pass "no answer dropped and no poll failed through the burst"
exit 0
