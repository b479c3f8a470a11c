#!/usr/bin/env bash
# Case: discovery over a small loopback range.
#   config     bridge.discover of 127.42.7.0/27 (30 addresses) on one port,
#              rate 20/s, timeout 0.5 s, one retry, every 4 s, lost_after 2;
#              prefixes for Cisco, Juniper and net-snmp, no default profile;
#              a webhook subscriber of pollhook.device.* (standard signature)
#   devices    four snmpd: .2 Cisco sysObjectID, sysName "edge-2"; .3 Juniper,
#              sysName "core router 3"; .4 net-snmp's, sysName "edge-2" again;
#              .5 an enterprise no prefix matches. .6 to .30 are silent
#              listeners that log each datagram's kernel arrival time; .1 has
#              nothing at all
#   behaviour  the daemon sweeps; then the Juniper snmpd stops; then the
#              daemon restarts with every = 3600
#   expected   three sources with the right profiles and names (the second
#              "edge-2" named by its address, .5 left out), origin
#              discover:lab; three verified found events; every silent
#              address asked retries + 1 times a sweep; no 1 s window with
#              more than 1.5 x rate datagrams at the listeners, and the
#              daemon's own last-sweep figure within the rate too; the
#              stopped device lost (one event) after two sweeps, its source
#              gone and the others kept; after the restart the two
#              devices are sources at once and polled without a sweep;
#              --check-config counts them from the store; when the
#              discovery leaves the file, a reload drops its sources and the
#              store forgets its devices (no events)
NEED_POLLERS=snmp
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)
for tool in "$SNMPD" snmpget curl; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is required (Debian packages snmpd, snmp, curl)"
done

NET=127.42.7
RATE=20
# A port free on every address of the range (checked by binding them all).
PORT=$(python3 -c '
import socket, sys
for _ in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.42.7.1", 0))
    port = s.getsockname()[1]
    try:
        for i in range(2, 31):
            t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            t.bind(("127.42.7.%d" % i, port))
            t.close()
    except OSError:
        continue
    print(port)
    sys.exit(0)
sys.exit(1)') || fail "no UDP port free on $NET.1-30"
API_PORT=$(free_port)

# snmpd_at HOST OID NAME: starts snmpd on $NET.HOST:$PORT; its pid in SNMPD_HOST.
snmpd_at() {
	mkdir -p "$TMP/snmpd$1"
	cat >"$TMP/snmpd$1/snmpd.conf" <<EOF
agentAddress udp:$NET.$1:$PORT
rocommunity public 127.0.0.0/8
sysObjectID $2
sysName $3
EOF
	SNMP_PERSISTENT_DIR=$TMP/snmpd$1 MIBS= "$SNMPD" -f -r -C -c "$TMP/snmpd$1/snmpd.conf" \
	    -Lf "$TMP/snmpd$1/log" &
	eval "SNMPD_$1=$!"
	PIDS="$PIDS $!"
}

snmpd_at 2 .1.3.6.1.4.1.9.1.516 edge-2
snmpd_at 3 .1.3.6.1.4.1.2636.1.1.1.2.29 "core router 3"
snmpd_at 4 .1.3.6.1.4.1.8072.3.2.10 edge-2
snmpd_at 5 .1.3.6.1.4.1.99999.1 odd-5
for h in 2 3 4 5; do
	wait_for 10 snmpget -v2c -c public -r 0 -t 0.2 "$NET.$h:$PORT" .1.3.6.1.2.1.1.5.0 \
	    >/dev/null 2>&1 || fail "snmpd on $NET.$h:$PORT did not start: $(cat "$TMP/snmpd$h/log")"
done

silent=""
for i in $(seq 6 30); do
	silent="$silent $NET.$i"
done
# shellcheck disable=SC2086
python3 "$top_srcdir/tests/lib/udp_counter.py" --log "$TMP/silent.log" --port "$PORT" \
    --ready "$TMP/silent.ready" $silent 2>"$TMP/silent.err" &
PIDS="$PIDS $!"
wait_file "$TMP/silent.ready" 10 || fail "the silent listeners did not start: $(cat "$TMP/silent.err")"
: >>"$TMP/silent.log"

start_receiver hook standard "$SECRET_A"

# conf EVERY: the configuration, with sweeps EVERY seconds apart.
conf() {
	cat >"$TMP/pollhook.conf" <<EOF
bridge = {
  state_dir = "$TMP/state"; $STORE_CONF
  api = { listen = "127.0.0.1:$API_PORT"; };
  discover = ( {
    name = "lab"; networks = [ "$NET.0/27" ]; port = $PORT;
    snmp = { version = "2c"; community = "public"; };
    every = $1; rate = $RATE.0; timeout = 0.5; retries = 1; lost_after = 2;
    profiles = ( { oid = "1.3.6.1.4.1.9."; profile = "cisco-ios"; },
                 { oid = "1.3.6.1.4.1.2636."; profile = "juniper"; },
                 { oid = "1.3.6.1.4.1.8072."; profile = "net-snmp-linux"; } );
    labels = { site = "lab7"; };
  } );
};
subscribers = ( { name = "hook"; url = "http://127.0.0.1:$hook_PORT/hook";
  secret = "$SECRET_A"; events = [ "pollhook.device.*" ]; } );
EOF
}

sources() {
	curl -sf "http://127.0.0.1:$API_PORT/v1/sources" >"$TMP/sources.json"
}

# check_sources PYTHON: a condition on d, the list of /v1/sources, and by(name).
check_sources() {
	sources || return 1
	python3 - "$TMP/sources.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def by(name):
    m = [s for s in d if s["name"] == name]
    return m[0] if m else None
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)
PY
}

# metric FAMILY: the value of the discovery's line of FAMILY in /metrics.
metric() {
	curl -sf "http://127.0.0.1:$API_PORT/metrics" |
	    sed -n "s/^$1{discovery=\"lab\"} //p"
}

ADDR4="$NET.4-$PORT"
conf 4.0
"$POLLHOOK" --check-config -c "$TMP/pollhook.conf" >"$TMP/check.out" 2>&1 ||
	fail "check: $(cat "$TMP/check.out")"
grep -qx '  discover lab: 0 sources' "$TMP/check.out" || fail "check before any sweep: $(cat "$TMP/check.out")"

start_daemon "$TMP/pollhook.conf"
wait_for 30 check_sources 'len(d) == 3' || fail "three sources did not appear: $(cat "$TMP/sources.json")"
check_sources 'by("edge-2")["origin"]["profile"] == "cisco-ios" and
    by("core-router-3")["origin"]["profile"] == "juniper" and
    by("'"$ADDR4"'")["origin"]["profile"] == "net-snmp-linux" and
    all(s["origin"]["from"] == "discover:lab" and s["origin"]["kind"] == "discover" for s in d)' ||
	fail "names, profiles or origins: $(cat "$TMP/sources.json")"
pass "the answering devices are sources, named from sysName (a duplicate by its address), profiles by the longest prefix, origin discover:lab"
grep -q "odd-5\|$NET.5" "$TMP/sources.json" && fail "the device no prefix matches became a source"
pass "a device no prefix matches is left out without a default profile"

wait_count "$TMP/hook.jsonl" 'json.loads(r["body"])["event"] == "pollhook.device.found"' 3 10 ||
	fail "three found events did not arrive: $(events hook)"
all_verified hook
python3 - "$TMP/hook.jsonl" "$NET" "$PORT" <<'PY' || fail "found events: $(cat "$TMP/hook.jsonl")"
import json, sys
net, port = sys.argv[2], sys.argv[3]
found = {}
for line in open(sys.argv[1]):
    b = json.loads(json.loads(line)["body"])
    if b["event"] == "pollhook.device.found":
        found[b["payload"]["source"]] = b["payload"]
want = {
    "edge-2": (net + ".2:" + port, "cisco-ios", "1.3.6.1.4.1.9.1.516"),
    "core-router-3": (net + ".3:" + port, "juniper", "1.3.6.1.4.1.2636.1.1.1.2.29"),
    net + ".4-" + port: (net + ".4:" + port, "net-snmp-linux", "1.3.6.1.4.1.8072.3.2.10"),
}
assert sorted(found) == sorted(want), found
for name, (addr, profile, oid) in want.items():
    p = found[name]
    assert (p["address"], p["profile"], p["object_id"], p["discovery"]) == (addr, profile, oid, "lab"), p
    assert p["missed_sweeps"] == 0, p
assert found["core-router-3"]["sys_name"] == "core router 3"
PY
pass "a verified pollhook.device.found event per device, with address, profile, sysObjectID and sysName"

# The rate: every silent address is asked retries + 1 = 2 times a sweep.
wait_for 20 test "$(metric pollhook_discover_sweeps_total)" -ge 1 ||
	fail "no sweep completed"
python3 - "$TMP/silent.log" "$RATE" "$TMP/daemon.err" >"$TMP/rate.out" <<'PY' || fail "sweep rate: $(cat "$TMP/rate.out")"
import datetime, re, sys
rate = float(sys.argv[2])
# The sweeps' starts, from the daemon's log (UTC, like the kernel's times).
starts = []
for line in open(sys.argv[3]):
    m = re.match(r"(\S+)Z\s+info\s+discover/lab: sweeping", line)
    if m:
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
        starts.append(t.replace(tzinfo=datetime.timezone.utc).timestamp())
assert starts, "no sweep in the log"
end1 = starts[1] if len(starts) > 1 else float("inf")
rows = [(a, float(t)) for a, t in (l.split() for l in open(sys.argv[1]))]
times = sorted(t for _, t in rows)
sweep1 = sorted(t for _, t in rows if t < end1)
per1 = {}
for a, t in rows:
    if t < end1:
        per1[a] = per1.get(a, 0) + 1
worst, j = 0, 0
for i, t in enumerate(times):
    while times[j] < t - 1.0:
        j += 1
    worst = max(worst, i - j + 1)
span = sweep1[-1] - sweep1[0]
print("silent listeners: %d datagrams in the first sweep over %.2f s (%.1f/s, configured %g/s, "
      "ratio %.2f); busiest 1 s window of %d datagrams: %d" % (len(sweep1), span,
      (len(sweep1) - 1) / span, rate, (len(sweep1) - 1) / span / rate, len(times), worst))
assert len(per1) == 25 and all(n == 2 for n in per1.values()), per1
assert worst <= 1.5 * rate, worst
PY
cat "$TMP/rate.out"
python3 - "$(metric pollhook_discover_last_sweep_datagrams)" \
    "$(metric pollhook_discover_last_sweep_seconds)" "$RATE" <<'PY' || fail "the daemon's sweep figures"
import sys
n, s, rate = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print("daemon: %d datagrams in its last sweep of %.2f s (%.1f/s, configured %g/s, ratio %.2f)" %
      (n, s, n / s, rate, n / s / rate))
# 4 answer (a slow answer is asked again), 26 silent addresses twice each.
assert 4 + 2 * 26 <= n <= 2 * 30, n
assert n / s <= 1.5 * rate
PY
pass "the sweep asks each silent address retries + 1 times and stays within its rate"

wait_for 20 check_sources 'by("'"$ADDR4"'")["polls"] >= 1 and by("'"$ADDR4"'")["up"]' ||
	fail "$ADDR4 was not polled: $(cat "$TMP/sources.json")"
kill "$SNMPD_3"
wait "$SNMPD_3" 2>/dev/null
wait_count "$TMP/hook.jsonl" 'json.loads(r["body"])["event"] == "pollhook.device.lost"' 1 30 ||
	fail "no lost event: $(events hook)"
python3 - "$TMP/hook.jsonl" <<'PY' || fail "lost event: $(grep lost "$TMP/hook.jsonl")"
import json, sys
ev = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
lost = [e for e in ev if e["event"] == "pollhook.device.lost"]
assert len(lost) == 1 and lost[0]["payload"]["source"] == "core-router-3", ev
assert lost[0]["payload"]["missed_sweeps"] == 2, lost
assert len([e for e in ev if e["event"] == "pollhook.device.found"]) == 3, ev
PY
all_verified hook
wait_for 10 check_sources 'by("core-router-3") is None and len(d) == 2' ||
	fail "the lost device's source stayed: $(cat "$TMP/sources.json")"
check_sources 'by("edge-2")["origin"]["profile"] == "cisco-ios" and
    by("'"$ADDR4"'")["origin"]["profile"] == "net-snmp-linux"' ||
	fail "the devices still there changed: $(cat "$TMP/sources.json")"
pass "a stopped device is lost after lost_after sweeps: one event, its source gone, the others stay"

stop_daemon
"$POLLHOOK" --check-config -c "$TMP/pollhook.conf" >"$TMP/check.out" 2>&1 ||
	fail "check: $(cat "$TMP/check.out")"
grep -qx '  discover lab: 2 sources' "$TMP/check.out" || fail "check after sweeps: $(cat "$TMP/check.out")"
pass "--check-config counts the devices kept in the store"

conf 3600.0
start_daemon "$TMP/pollhook.conf"
wait_for 10 check_sources 'sorted(s["name"] for s in d) == sorted(["edge-2", "'"$ADDR4"'"])' ||
	fail "the discovered sources did not come back at start: $(cat "$TMP/sources.json")"
wait_for 20 check_sources 'by("'"$ADDR4"'")["polls"] >= 1 and by("'"$ADDR4"'")["up"]' ||
	fail "the kept device was not polled: $(cat "$TMP/sources.json")"
[ "$(metric pollhook_discover_sweeps_total)" = 0 ] || fail "a sweep ran after the restart"
[ "$(metric pollhook_discover_devices)" = 2 ] || fail "devices after restart: $(metric pollhook_discover_devices)"
[ "$(events hook | grep -c found)" = 3 ] || fail "found again after the restart: $(events hook)"
pass "a restart keeps the discovered sources and polls them without waiting for a sweep"

# The discovery leaves the file: a reload drops its sources and forgets its devices.
cp "$TMP/pollhook.conf" "$TMP/with-discover.conf"
cat >"$TMP/pollhook.conf" <<EOF
bridge = { state_dir = "$TMP/state"; $STORE_CONF api = { listen = "127.0.0.1:$API_PORT"; }; };
sources = ( { name = "static"; poller = "snmp"; snmp = { address = "$NET.2:$PORT"; };
  metrics = ( { name = "uptime"; oid = "1.3.6.1.2.1.1.3.0"; } ); } );
subscribers = ( { name = "hook"; url = "http://127.0.0.1:$hook_PORT/hook";
  secret = "$SECRET_A"; events = [ "pollhook.device.*" ]; } );
EOF
kill -HUP "$DAEMON_PID"
wait_grep "discover/lab: gone from the configuration: no more sweeps, its 2 devices forgotten" \
    "$TMP/daemon.err" 10 ||
	fail "the reload did not forget lab's devices: $(grep discover "$TMP/daemon.err" | tail -n 3)"
wait_for 10 check_sources '[s["name"] for s in d] == ["static"]' || fail "lab's sources stayed: $(cat "$TMP/sources.json")"
stop_daemon
cp "$TMP/with-discover.conf" "$TMP/pollhook.conf"
"$POLLHOOK" --check-config -c "$TMP/pollhook.conf" >"$TMP/check.out" 2>&1 ||
	fail "check: $(cat "$TMP/check.out")"
grep -qx '  discover lab: 0 sources' "$TMP/check.out" ||
	fail "the store still holds lab's devices: $(cat "$TMP/check.out")"
[ "$(events hook | grep -c lost)" = 1 ] || fail "forgetting sent lost events: $(events hook)"
pass "a discovery gone from the file: its sources dropped, its devices forgotten in the store, no events"
