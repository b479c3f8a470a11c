#!/bin/sh
# snmp poller in the running daemon against a real snmpd: a CPU threshold
# rule fires and resolves as the test changes the agent's value, a Counter32
# becomes a rate across its 2^32 wrap without a spike, and table rows carry
# their labels into the events.

. "$top_srcdir/tests/lib/snmp_common.sh"

snmpd_start
# The counter stands at 2^32 - 5000 until the daemon polls at its pace (its
# first polls are not an interval apart), then moves 1000 a poll (1000 a
# second): the sixth poll after that reads it wrapped.
set_value counter 4294962296

cat >"$TMP/rules.conf" <<EOF2
bridge = { state_dir = "$TMP/db"; };
sources = (
  {
    name = "edge-1";
    poller = "snmp";
    # A timeout would fire "down": the agent's pass script runs a shell for
    # every OID, which a loaded machine slows; give it the whole interval.
    interval = 1.0;
    timeout = 1.0;
    labels = { site = "lab"; };
    snmp = { address = "udp:127.0.0.1:$SNMPD_PORT"; community = "public"; };
    metrics = (
      { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; },
      { name = "octets"; oid = "1.3.6.1.4.1.99999.3.0"; rate = true; },
      { name = "bits"; oid = "1.3.6.1.4.1.99999.3.0"; rate = true; scale = 8.0; },
      { name = "if_status"; oid = "1.3.6.1.4.1.99999.2.1.1"; walk = true;
        label_oid = "1.3.6.1.4.1.99999.2.1.2"; }
    );
  }
);
rules = (
  { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; severity = "critical"; },
  { name = "octets.moving"; metric = "octets"; above = 100.0; },
  { name = "octets.spike"; metric = "octets"; above = 100000.0; },
  { name = "bits.spike"; metric = "bits"; above = 800000.0; },
  { name = "bits.moving"; metric = "bits"; above = 800.0; },
  { name = "if.down"; metric = "if_status"; above = 1.5; clear = 1.5; },
  { name = "down"; metric = "up"; below = 1.0; }
);
subscribers = (
  { name = "t"; emitter = "log"; path = "$TMP/events.jsonl"; }
);
EOF2

# wait_reads N: waits until the agent has answered N GETs of the counter.
wait_reads() {
	i=0
	until [ "$(reads)" -ge "$1" ]; do
		i=$((i + 1))
		[ "$i" -le 200 ] || fail "snmpd answered $(reads) counter reads in 20 s, want $1"
		sleep 0.1
	done
}

# reads: how many GETs of the counter the agent has answered (one a poll).
reads() {
	cat "$STATE/counter.log" 2>/dev/null | wc -l
}

daemon_start "$TMP/rules.conf"
wait_reads 3
set_value counter.step 1000
MOVING_FROM=$(reads)
wait_grep '"event": *"octets.moving"' "$TMP/events.jsonl" 10 || fail "no octets.moving event"
wait_grep '"event": *"if.down"' "$TMP/events.jsonl" 5 || fail "no if.down event for eth1"
python3 - "$TMP/events.jsonl" <<'PY' || fail "if.down event"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
e = [e for e in evs if e["event"] == "if.down"]
assert len(e) == 1, e
p = e[0]["payload"]
assert p["source"] == "edge-1" and p["instance"] == "3" and p["value"] == 2, p
assert p["labels"]["site"] == "lab", p
PY
pass "walked row fires with its instance"

set_value cpu 95
wait_grep '"event": *"cpu.high"' "$TMP/events.jsonl" 10 || fail "no cpu.high event"
pass "cpu.high fired"
set_value cpu 88
wait_reads $(($(reads) + 2))	# two polls inside the band
grep -q '"cpu.high.resolved"' "$TMP/events.jsonl" && fail "cpu.high resolved inside the hysteresis band"
set_value cpu 50
wait_grep '"event": *"cpu.high.resolved"' "$TMP/events.jsonl" 10 || fail "no cpu.high.resolved event"
pass "cpu.high resolved below clear"

# The sixth read after the counter started moving is the wrap: three more.
wait_reads $((MOVING_FROM + 9))
kill "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
python3 - "$TMP/events.jsonl" "$STATE/counter.log" <<'PY' || fail "rate across the wrap: $(cat "$STATE/counter.log")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
served = [int(l) for l in open(sys.argv[2])]
# The device stood still, then counted 1000 a read and wrapped once.
steps = [(b - a) % 2**32 for a, b in zip(served, served[1:])]
moving = steps.index(1000)
assert moving >= 2 and set(steps[:moving]) == {0} and set(steps[moving:]) == {1000}, served
assert served.count(0) == 1 and served.index(0) == moving + 5, served
names = [e["event"] for e in evs]
assert "octets.spike" not in names and "bits.spike" not in names, names
m = [e for e in evs if e["event"] == "octets.moving"][0]["payload"]["value"]
# 1000 over pollhook's own time between two polls 1 s apart.
assert 800 <= m <= 1250, m
b = [e for e in evs if e["event"] == "bits.moving"][0]["payload"]["value"]
assert b == 8 * m, (b, m)
assert "down" not in names, names
assert names.count("cpu.high") == 1 and names.count("cpu.high.resolved") == 1, names
print("ok: the first rate: %.1f a second, %.1f bits" % (m, b))
PY
pass "Counter32 rate across the 2^32 wrap: no spike"
exit 0
