#!/bin/sh
# Case: profiles against a real snmpd.
#   config     a profile of the file (v2c, community public, uptime and a
#              pass scalar) and four sources: one that only takes it, one
#              that overrides a key of its snmp group (a wrong community)
#              and its labels, one with its own metrics list, and one of the
#              built-in profile net-snmp-linux
#   behaviour  pollhook --once, then the daemon's /v1/sources
#   expected   the plain source has the profile's metrics and labels; the
#              override fails as its community says while keeping the
#              profile's address port and version; the own list replaces
#              the profile's; the built-in profile polls net-snmp's objects;
#              --check-config counts the sources per profile; /v1/sources
#              names each source's profile, file and line

. "$top_srcdir/tests/lib/snmp_common.sh"

snmpd_start
API_PORT=$(free_port)

cat >"$TMP/p.conf" <<EOF2
bridge = { state_dir = "$TMP/db"; api = { listen = "127.0.0.1:$API_PORT"; }; };
profiles = (
  { name = "lab"; poller = "snmp"; interval = 10.0; timeout = 2.0;
    labels = { site = "lab"; vendor = "net-snmp"; };
    snmp = { version = "2c"; community = "public"; retries = 0; };
    metrics = (
      { name = "uptime"; oid = "SNMPv2-MIB::sysUpTime"; },
      { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; }
    ); }
);
sources = (
  { name = "plain"; profile = "lab"; snmp = { address = "127.0.0.1:$SNMPD_PORT"; }; },
  { name = "override"; profile = "lab"; labels = { site = "other"; };
    snmp = { address = "127.0.0.1:$SNMPD_PORT"; community = "wrong"; }; },
  { name = "own"; profile = "lab"; snmp = { address = "127.0.0.1:$SNMPD_PORT"; };
    metrics = ( { name = "descr"; oid = "SNMPv2-MIB::sysDescr"; } ); },
  { name = "linux"; profile = "net-snmp-linux"; timeout = 2.0;
    snmp = { address = "127.0.0.1:$SNMPD_PORT"; }; }
);
rules = (
  { name = "cpu.busy"; sources = [ "plain" ]; metric = "cpu"; above = 10.0; },
  { name = "device.unreachable"; sources = [ "override" ]; metric = "up"; below = 1.0; }
);
subscribers = ( { name = "log"; emitter = "log"; path = "$TMP/events.jsonl"; } );
EOF2
mkdir -p "$TMP/db"

"$POLLHOOK" --check-config -c "$TMP/p.conf" >"$TMP/check.out" 2>&1 || fail "check: $(cat "$TMP/check.out")"
grep -qx '  profile lab: 3 sources' "$TMP/check.out" || fail "profile count: $(cat "$TMP/check.out")"
grep -qx '  profile net-snmp-linux (built-in): 1 sources' "$TMP/check.out" ||
	fail "built-in profile count: $(cat "$TMP/check.out")"
pass "--check-config counts the sources of each profile"

once "$TMP/p.conf"
jcheck 'sample("plain")["ok"] and val("plain", "cpu") == 20 and val("plain", "uptime") > 0' "the plain source polls the profile's metrics"
pass "a source takes the profile's poller, interval, snmp group, metrics and labels"
jcheck 'not sample("override")["ok"] and sample("plain")["ok"]' "the override: its own community fails"
pass "groups merge key by key: the source's community, the profile's version"
jcheck 'sample("own")["ok"] and isinstance(val("own", "descr"), str) and pts("own", "cpu") == [] and pts("own", "uptime") == []' "own metrics list"
pass "a source's own metrics list replaces the profile's"
jcheck 'sample("linux")["ok"] and val("linux", "uptime_s") > 0 and len(pts("linux", "if_oper")) >= 1 and val("linux", "mem_avail_mib") > 0' "built-in net-snmp-linux"
pass "the built-in profile net-snmp-linux polls net-snmp's objects"

daemon_start "$TMP/p.conf"
wait_grep 'started:' "$TMP/daemon.err" 30 || fail "daemon did not start"
python3 - "$API_PORT" "$TMP/p.conf" <<'PY' || fail "/v1/sources origin"
import json, sys, urllib.request
s = json.load(urllib.request.urlopen("http://127.0.0.1:%s/v1/sources" % sys.argv[1], timeout=5))
o = {e["name"]: e["origin"] for e in s}
assert o["plain"] == {"kind": "block", "from": "block", "file": sys.argv[2], "line": 12,
                      "profile": "lab"}, o
assert o["linux"]["profile"] == "net-snmp-linux" and o["linux"]["line"] == 17, o
PY
pass "/v1/sources: each source's origin (kind, file, line, profile)"
wait_grep 'device.unreachable' "$TMP/events.jsonl" 15 || fail "no device.unreachable event"
wait_grep 'cpu.busy' "$TMP/events.jsonl" 15 || fail "no cpu.busy event"
python3 - "$TMP/events.jsonl" <<'PY' || fail "labels: $(cat "$TMP/events.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lab = {e["payload"]["source"]: e["payload"]["labels"] for e in ev}
assert lab["plain"] == {"site": "lab", "vendor": "net-snmp"}, lab
assert lab["override"] == {"site": "other", "vendor": "net-snmp"}, lab
PY
pass "labels merge key by key: the profile's, and a source's own site over the profile's"
