#!/bin/sh
# snmp poller against a real snmpd, SNMPv2c: scalar GETs, table walks with
# per-row labels and reduce, built-in MIB names on a machine without MIB
# files, strings, a missing OID as a metric error, and --once's JSON.

. "$top_srcdir/tests/lib/snmp_common.sh"

snmpd_start

cat >"$TMP/v2c.conf" <<EOF2
sources = (
  {
    name = "agent";
    poller = "snmp";
    interval = 10.0;
    timeout = 2.0;
    snmp = { address = "udp:127.0.0.1:$SNMPD_PORT"; version = "2c"; community = "public"; retries = 1; };
    metrics = (
      { name = "uptime"; oid = "SNMPv2-MIB::sysUpTime"; },
      { name = "descr"; oid = "1.3.6.1.2.1.1.1.0"; },
      { name = "cpu"; oid = ".1.3.6.1.4.1.99999.1.0"; },
      { name = "if_status"; oid = "1.3.6.1.4.1.99999.2.1.1"; walk = true;
        label_oid = "1.3.6.1.4.1.99999.2.1.2"; },
      { name = "if_down"; oid = "1.3.6.1.4.1.99999.2.1.1"; walk = true; reduce = "max"; },
      { name = "if_count"; oid = "1.3.6.1.4.1.99999.2.1.1"; walk = true; reduce = "count"; },
      { name = "if_name"; oid = "1.3.6.1.4.1.99999.2.1.2"; walk = true; },
      { name = "hr_cpu"; oid = "HOST-RESOURCES-MIB::hrProcessorLoad"; walk = true; },
      { name = "storage"; oid = "HOST-RESOURCES-MIB::hrStorageSize"; walk = true;
        label_oid = "HOST-RESOURCES-MIB::hrStorageDescr"; },
      { name = "lo_descr"; oid = "IF-MIB::ifDescr"; walk = true; },
      { name = "scaled"; oid = "1.3.6.1.4.1.99999.1.0"; scale = 0.5; },
      { name = "missing"; oid = "1.3.6.1.4.1.99999.9.0"; },
      { name = "octets_rate"; oid = "1.3.6.1.4.1.99999.3.0"; rate = true; }
    );
  },
  {
    name = "agent-v1";
    poller = "snmp";
    interval = 10.0;
    timeout = 2.0;
    snmp = { address = "127.0.0.1:$SNMPD_PORT"; version = "1"; };
    metrics = (
      { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; },
      { name = "if_status"; oid = "1.3.6.1.4.1.99999.2.1.1"; walk = true; }
    );
  }
);
EOF2

once "$TMP/v2c.conf"
[ "$ONCE_RC" -eq 0 ] || fail "pollhook --once exited $ONCE_RC: $(cat "$TMP/once.err")"
jcheck 'sample("agent")["ok"] and sample("agent")["error"] is None' "the poll failed"
pass "v2c poll succeeded"
jcheck '"octets_rate" in sample("agent")["no_value"] and "cpu" not in sample("agent")["no_value"] and pts("agent", "octets_rate") == []' "a rate has no value on one poll, and --once says so"
"$POLLHOOK" --once --table -c "$TMP/v2c.conf" 2>/dev/null | grep -q '^agent  *octets_rate  *-  *no value: an empty table, or a rate on its first poll$' ||
	fail "--once --table does not show the rate without a value"
pass "--once lists a rate metric without a value on a single poll"
jcheck 'isinstance(val("agent", "uptime"), int) and val("agent", "uptime") > 0' "sysUpTime by built-in name"
jcheck 'isinstance(val("agent", "descr"), str) and len(val("agent", "descr")) > 0' "sysDescr as text"
jcheck 'val("agent", "cpu") == 20' "scalar GET of the pass value"
pass "scalars (built-in name, numeric, leading dot)"
jcheck '[(p["instance"], p["label"], p["value"]) for p in pts("agent", "if_status")] == [("1", "lo", 1), ("2", "eth0", 1), ("3", "eth1", 2)]' "walk with label_oid"
pass "walk with per-row labels"
jcheck 'val("agent", "if_down") == 2 and val("agent", "if_count") == 3' "reduce max and count"
jcheck '[p["value"] for p in pts("agent", "if_name")] == ["lo", "eth0", "eth1"]' "walked strings"
# snmpd fills hrProcessorLoad after its first minute: rows or none, but no error.
jcheck 'all(p["error"] is None and isinstance(p["value"], int) for p in pts("agent", "hr_cpu"))' "hrProcessorLoad by built-in name"
jcheck '"Physical memory" in [p["label"] for p in pts("agent", "storage")] and all(isinstance(p["value"], int) for p in pts("agent", "storage"))' "hrStorageSize labelled with hrStorageDescr"
jcheck 'len(pts("agent", "lo_descr")) >= 1 and "lo" in [p["value"] for p in pts("agent", "lo_descr")]' "ifDescr walk of the agent's own interfaces"
jcheck 'val("agent", "scaled") == 10' "scale"
jcheck 'pts("agent", "missing")[0]["error"] == "no such object" or pts("agent", "missing")[0]["error"] == "no such instance"' "missing OID is a metric error"
jcheck 'val("agent", "up") == 1' "up = 1"
pass "reduce, strings, built-in MIB names, scale, metric errors"
jcheck 'sample("agent-v1")["ok"] and val("agent-v1", "cpu") == 20 and [p["value"] for p in pts("agent-v1", "if_status")] == [1, 1, 2]' "SNMPv1 GET and GETNEXT walk"
pass "SNMPv1 GET and GETNEXT walk"

# An unknown OID name is a config error with FILE:LINE.
cat >"$TMP/bad.conf" <<EOF2
sources = (
  {
    name = "agent";
    poller = "snmp";
    snmp = { address = "127.0.0.1:$SNMPD_PORT"; };
    metrics = (
      { name = "x"; oid = "IF-MIB::ifFrobnicate"; }
    );
  }
);
EOF2
once "$TMP/bad.conf"
[ "$ONCE_RC" -eq 1 ] || fail "unknown OID name: exit $ONCE_RC, expected 1"
grep -q "bad.conf:7: unknown OID name \"IF-MIB::ifFrobnicate\"" "$TMP/once.err" ||
    fail "unknown OID name message: $(cat "$TMP/once.err")"
pass "unknown OID name is FILE:LINE config error"
exit 0
