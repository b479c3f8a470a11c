#!/usr/bin/env bash
# Case: a discovery in a cluster of two instances.
#   config     the cluster's (two sources beside "cpu", on one snmpd) and
#              bridge.discover "lab" over 127.0.0.1 and 127.0.0.2 on the
#              snmpd's port, every 2 s; the receiver takes every event
#   behaviour  a and b start; the snmpd at 127.0.0.1 is found; the member
#              that sweeps gets a SIGTERM; then a second snmpd starts at
#              127.0.0.2
#   expected   one member sweeps (pollhook_discover_sweeping 1 on one, 0 on
#              the other); one found event for the first device, whatever
#              the sweeps that follow; both members have its source (the
#              other read it from the store); after the SIGTERM the survivor
#              sweeps and finds the second device: one event for it
NSRC=2
. "$(dirname "$0")/../lib/cluster_common.sh"

# A second device's address must have the snmpd's port free.
python3 -c "import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.2', int(sys.argv[1])))" "$SNMPD_PORT" ||
	fail "UDP port $SNMPD_PORT is taken on 127.0.0.2"
sed -i '1a\
  discover = ( { name = "lab"; networks = [ "127.0.0.1", "127.0.0.2" ]; port = '"$SNMPD_PORT"';\
    snmp = { version = "2c"; community = "public"; }; every = 2.0; rate = 20.0;\
    timeout = 0.3; retries = 0; lost_after = 3;\
    profiles = ( { oid = "1.3.6.1.4.1.8072."; profile = "net-snmp-linux"; } ); } );' \
    "$TMP/cluster.conf"
# The discoveries' events are operational: r1 asks for them by name.
sed -i 's|{ name = "r1";|{ name = "r1"; events = [ "pollhook.device.*", "cpu.*" ];|' "$TMP/cluster.conf"
grep -q 'pollhook.device' "$TMP/cluster.conf" || fail "r1 does not ask for the discoveries' events"
NODE=x API_PORT=1 "$POLLHOOK" --check-config -c "$TMP/cluster.conf" >"$TMP/check.out" 2>&1 ||
	fail "the config with a discovery does not validate: $(cat "$TMP/check.out")"

# found ADDRESS-PREFIX: the distinct ids of the found events for it at r1.
found() {
	python3 - "$TMP/r1.jsonl" "$1" <<'PY'
import json, os, sys
ids = set()
if os.path.exists(sys.argv[1]):
    for line in open(sys.argv[1]):
        r = json.loads(line)
        b = json.loads(r["body"])
        if r["status"] == 200 and b["event"] == "pollhook.device.found" and \
                b["payload"]["address"].startswith(sys.argv[2] + ":"):
            ids.add(b["id"])
print(len(ids))
PY
}

# was_found ADDRESS-PREFIX: a found event for it reached r1 (for wait_for).
was_found() {
	[ "$(found "$1")" -ge 1 ]
}

# sweeps_now NODE: it sweeps the discovery (for wait_for).
sweeps_now() {
	[ "$(sweeping "$1")" = 1 ]
}

# found_name ADDRESS-PREFIX: the source name its found event gave.
found_name() {
	python3 - "$TMP/r1.jsonl" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    b = json.loads(json.loads(line)["body"])
    if b["event"] == "pollhook.device.found" and b["payload"]["address"].startswith(sys.argv[2] + ":"):
        print(b["payload"]["source"])
        break
PY
}

# sweeping NODE: its pollhook_discover_sweeping for lab (empty when none).
sweeping() {
	eval "port=\$${1}_API"
	curl -sf "http://127.0.0.1:$port/metrics" |
	    sed -n 's/^pollhook_discover_sweeping{discovery="lab"} //p'
}

# has_source NODE NAME: its /v1/sources lists NAME.
has_source() {
	eval "port=\$${1}_API"
	curl -sf "http://127.0.0.1:$port/v1/sources" | python3 -c '
import json, sys
sys.exit(0 if any(s["name"] == sys.argv[1] for s in json.load(sys.stdin)) else 1)' "$2"
}

start_node a
start_node b
DAEMON_PID=$a_PID
wait_members 2
wait_for 20 was_found 127.0.0.1 || fail "the device at 127.0.0.1 was not found"
dev1=$(found_name 127.0.0.1)
[ -n "$dev1" ] || fail "the found event names no source"
for n in a b; do
	wait_for 15 has_source "$n" "$dev1" || fail "$n has no source $dev1"
done
sa=$(sweeping a) sb=$(sweeping b)
case "$sa$sb" in
10) leader=a other=b ;;
01) leader=b other=a ;;
*) fail "pollhook_discover_sweeping: a $sa, b $sb (one member must sweep)" ;;
esac
grep -q "discover/lab: another member of the cluster sweeps" "$TMP/$other.err" ||
	fail "$other does not say it follows: $(grep discover "$TMP/$other.err" | tail -n 3)"
# Three more sweeps: still one event for the first device.
sleep 6
[ "$(found 127.0.0.1)" -eq 1 ] || fail "$(found 127.0.0.1) found events for 127.0.0.1, not 1"
pass "$leader sweeps, $other follows the store: one found event for $dev1, its source on both"

eval "kill \$${leader}_PID"
eval "wait \$${leader}_PID" 2>/dev/null
no_sanitizer "$leader"
eval "DAEMON_PID=\$${other}_PID"
wait_for 20 sweeps_now "$other" ||
	fail "$other does not sweep after $leader left: $(sweeping "$other")"
mkdir -p "$TMP/snmpd2"
cat >"$TMP/snmpd2/snmpd.conf" <<CONF
agentAddress udp:127.0.0.2:$SNMPD_PORT
rocommunity public 127.0.0.0/8
sysName second-dev
CONF
SNMP_PERSISTENT_DIR=$TMP/snmpd2 MIBS= "$SNMPD" -f -r -C -c "$TMP/snmpd2/snmpd.conf" \
    -Lf "$TMP/snmpd2/log" &
PIDS="$PIDS $!"
wait_for 20 was_found 127.0.0.2 || fail "$other did not find the device at 127.0.0.2"
wait_for 15 has_source "$other" second-dev || fail "$other has no source second-dev"
sleep 4
[ "$(found 127.0.0.2)" -eq 1 ] || fail "$(found 127.0.0.2) found events for 127.0.0.2, not 1"
[ "$(found 127.0.0.1)" -eq 1 ] || fail "the first device was found again after the handover"
stop_nodes "$other"
pass "after $leader left, $other swept: second-dev found once, $dev1 not again"
