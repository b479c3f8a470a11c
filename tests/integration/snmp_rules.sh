#!/bin/sh
# snmp poller in the running daemon against a real snmpd: a CPU threshold
# rule fires and resolves as the test changes the agent's value, a Counter32
# becomes a rate across its 2^32 wrap without a spike, and table rows carry
# their labels into the events.

. "$top_srcdir/tests/lib/snmp_common.sh"

snmpd_start
# 500 a poll from 2^32 - 2500 (1000 a second at 0.5 s a poll): the sixth
# poll reads it wrapped.
set_value counter 4294964796
set_value counter.step 500

cat >"$TMP/rules.conf" <<EOF2
bridge = { state_dir = "$TMP/db"; };
sources = (
  {
    name = "edge-1";
    poller = "snmp";
    interval = 0.5;
    timeout = 0.4;
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

daemon_start "$TMP/rules.conf"
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

sleep 1
set_value cpu 95
wait_grep '"event": *"cpu.high"' "$TMP/events.jsonl" 10 || fail "no cpu.high event"
pass "cpu.high fired"
set_value cpu 88
sleep 1.5
grep -q '"cpu.high.resolved"' "$TMP/events.jsonl" && fail "cpu.high resolved inside the hysteresis band"
set_value cpu 50
wait_grep '"event": *"cpu.high.resolved"' "$TMP/events.jsonl" 10 || fail "no cpu.high.resolved event"
pass "cpu.high resolved below clear"

# The counter wraps at its sixth read: wait for three polls past it (each
# poll reads it once; the values read are in counter.log).
i=0
until [ "$(wc -l <"$STATE/counter.log")" -ge 9 ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "snmpd served $(wc -l <"$STATE/counter.log") counter reads in 10 s, want 9"
	sleep 0.1
done
kill "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
python3 - "$TMP/events.jsonl" "$STATE/counter.log" <<'PY' || fail "rate across the wrap: $(cat "$STATE/counter.log")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
served = [int(l) for l in open(sys.argv[2])]
# The device counted 500 a read and wrapped once.
steps = [(b - a) % 2**32 for a, b in zip(served, served[1:])]
assert steps == [500] * len(steps) and served.index(0) == 5, served
names = [e["event"] for e in evs]
assert "octets.spike" not in names and "bits.spike" not in names, names
m = [e for e in evs if e["event"] == "octets.moving"][0]["payload"]["value"]
# 500 over pollhook's own time between two polls 0.5 s apart.
assert 800 <= m <= 1250, m
b = [e for e in evs if e["event"] == "bits.moving"][0]["payload"]["value"]
assert b == 8 * m, (b, m)
assert "down" not in names, names
assert names.count("cpu.high") == 1 and names.count("cpu.high.resolved") == 1, names
print("ok: the first rate: %.1f a second, %.1f bits" % (m, b))
PY
pass "Counter32 rate across the 2^32 wrap: no spike"
exit 0
