#!/bin/bash
# Case: a 1,000-row CSV inventory against one real snmpd.
#   config     a profile (v2c, interval 10 s, sysUpTime) and an inventory of
#              1,000 rows with watch = true, spread over 100 loopback
#              addresses (127.77.0.A) where one snmpd listens (its config
#              line takes about a hundred)
#   behaviour  the daemon polls them all; the file is replaced with one row
#              gone, one new and one whose label changed; then with a bad
#              row; then fixed again
#   expected   --check-config counts 1,000 sources of the inventory and of
#              the profile, and names bad rows by FILE:LINE; every row is
#              polled and up; the change is picked up without a SIGHUP, the
#              gone row goes and the new one comes, and the unchanged devices
#              keep their schedule (their next poll falls on their phase, a
#              whole number of intervals after the last one before the
#              change, not at the reload); a bad row is logged with its line
#              and the running configuration stays

. "$top_srcdir/tests/lib/snmp_common.sh"

N=1000
PORT=$(free_port)
API_PORT=$(free_port)
ADDRS=100
addr() { echo "127.77.0.$(($1 % ADDRS + 1))"; }

agent=""
for ((i = 0; i < ADDRS; i++)); do
	agent="$agent${agent:+,}udp:$(addr $i):$PORT"
done
mkdir -p "$TMP/persist"
cat >"$TMP/snmpd.conf" <<EOF2
agentAddress $agent
rocommunity public 127.0.0.0/8
EOF2
SNMP_PERSISTENT_DIR=$TMP/persist MIBS= "$SNMPD" -f -r -C -c "$TMP/snmpd.conf" \
    -Lf "$TMP/snmpd.log" -p "$TMP/snmpd.pid" &
SNMPD_PID=$!
for ((i = 0; i < 60; i++)); do
	snmpget -v2c -c public -r 0 -t 0.5 "$(addr $((ADDRS - 1))):$PORT" .1.3.6.1.2.1.1.3.0 \
	    >/dev/null 2>&1 && break
	kill -0 "$SNMPD_PID" 2>/dev/null || fail "snmpd exited"
	sleep 0.5
done
[ "$i" -lt 60 ] || fail "snmpd does not answer on $(addr $((ADDRS - 1))):$PORT"

# rows FIRST LAST [SITE_OF_7]: CSV rows rFIRST..rLAST.
rows() {
	for ((i = $1; i <= $2; i++)); do
		site="s$((i % 10))"
		[ "$i" -eq 7 ] && [ -n "${3:-}" ] && site=$3
		echo "r$i,$(addr $i):$PORT,$site,access"
	done
}
{ echo "name,address,site,role"; rows 0 $((N - 1)); } >"$TMP/devices.csv"

cat >"$TMP/inv.conf" <<EOF2
bridge = { state_dir = "$TMP/db"; api = { listen = "127.0.0.1:$API_PORT"; }; };
profiles = (
  { name = "lab"; poller = "snmp"; interval = 10.0; timeout = 2.0;
    snmp = { version = "2c"; community = "public"; retries = 1; };
    metrics = ( { name = "uptime"; oid = "SNMPv2-MIB::sysUpTime"; } ); }
);
inventory = ( { file = "devices.csv"; profile = "lab"; watch = true; } );
EOF2
mkdir -p "$TMP/db"

"$POLLHOOK" --check-config -c "$TMP/inv.conf" >"$TMP/check.out" 2>&1 || fail "check: $(cat "$TMP/check.out")"
grep -qx "  inventory $TMP/devices.csv: $N sources" "$TMP/check.out" || fail "inventory count: $(cat "$TMP/check.out")"
grep -qx "  profile lab: $N sources" "$TMP/check.out" || fail "profile count: $(cat "$TMP/check.out")"
pass "--check-config: $N sources from the inventory, all of profile lab"

# Bad rows, each named by its line of the inventory file.
cp "$TMP/devices.csv" "$TMP/good.csv"
sed -i '5s/.*/r4,127.0.0.1/; 9s/^r7,/r 7,/' "$TMP/devices.csv"
"$POLLHOOK" --check-config -c "$TMP/inv.conf" >/dev/null 2>"$TMP/check.err" && fail "bad rows accepted"
grep -qx "$TMP/devices.csv:5: inventory row has 2 fields, the header 4" "$TMP/check.err" ||
	fail "row 5: $(cat "$TMP/check.err")"
grep -qx "$TMP/devices.csv:9: \"name\" in source must be a name of A-Z a-z 0-9 . _ - only, not \"r 7\"" \
    "$TMP/check.err" || fail "row 9: $(cat "$TMP/check.err")"
[ "$(wc -l <"$TMP/check.err")" -eq 2 ] || fail "more than the two errors: $(cat "$TMP/check.err")"
pass "bad rows are errors at their line of the inventory file, all of them"
cp "$TMP/good.csv" "$TMP/devices.csv"

# sources: /v1/sources into $TMP/sources.json.
sources() {
	python3 - "$API_PORT" "$TMP/sources.json" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/v1/sources" % sys.argv[1], timeout=10).read()
open(sys.argv[2], "wb").write(body)
PY
}
# all_up N: every one of the N sources polled and up.
all_up() {
	sources && python3 - "$TMP/sources.json" "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if len(s) == int(sys.argv[2]) and all(e["up"] for e in s) else 1)
PY
}
wait_for() {	# wait_for SECONDS COMMAND...
	local t=$(($1 * 2))
	shift
	until "$@"; do
		t=$((t - 1))
		[ "$t" -gt 0 ] || return 1
		sleep 0.5
	done
}

daemon_start "$TMP/inv.conf"
wait_grep 'started:' "$TMP/daemon.err" 20 || fail "daemon did not start"
wait_for 40 all_up $N || fail "not every row polled and up: $(head -c 600 "$TMP/sources.json")"
python3 - "$TMP/sources.json" "$TMP/devices.csv" <<'PY' || fail "origin of rows"
import json, sys
o = {e["name"]: e["origin"] for e in json.load(open(sys.argv[1]))}
assert o["r0"] == {"kind": "inventory", "from": "inventory:" + sys.argv[2], "file": sys.argv[2],
                   "line": 2, "profile": "lab"}, o["r0"]
assert o["r999"]["line"] == 1001, o["r999"]
PY
pass "all $N rows polled and up; /v1/sources names their inventory line"
cp "$TMP/sources.json" "$TMP/before.json"

# The change: r5 gone, r1000 new, r7's site changed; written as editors do (rename).
{ echo "name,address,site,role"; rows 0 4; rows 6 $N other; } >"$TMP/devices.new"
mv "$TMP/devices.new" "$TMP/devices.csv"
wait_grep 'reloaded: 1000 sources' "$TMP/daemon.err" 15 || fail "the change was not picked up: $(tail -5 "$TMP/daemon.err")"
grep -q 'inventory: a watched file changed: reloading' "$TMP/daemon.err" || fail "no watch log line"
pass "a changed inventory is reloaded without SIGHUP"

# Every unchanged device polled again since, on its own phase.
on_phase() {
	sources && python3 - "$TMP/before.json" "$TMP/sources.json" <<'PY'
import datetime, json, sys
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
before = {e["name"]: e for e in json.load(open(sys.argv[1]))}
after = {e["name"]: e for e in json.load(open(sys.argv[2]))}
assert "r5" not in after and "r1000" in after, sorted(set(after) ^ set(before))
bad = []
for name, e in after.items():
    if name in ("r7", "r1000"):
        continue
    if e["polls"] == 0:
        sys.exit(1)		# not yet
    d = t(e["last_poll"]) - t(before[name]["last_poll"])
    k = round(d / 10.0)
    if k < 1 or abs(d - 10.0 * k) > 1.0:
        bad.append((name, before[name]["last_poll"], e["last_poll"]))
if bad:
    print("off their phase:", len(bad), bad[:5], file=sys.stderr)
    sys.exit(2)
PY
}
for ((w = 0; w < 40; w++)); do
	on_phase
	rc=$?
	[ $rc -eq 0 ] && break
	[ $rc -eq 1 ] || fail "unchanged devices were polled off their schedule"
	sleep 0.5
done
[ "$rc" -eq 0 ] || fail "the unchanged devices did not all poll after the reload"
pass "the gone row went, the new one came; the 998 unchanged kept their schedule"

# A bad row: logged with its line, the running configuration stays.
{ echo "name,address,site,role"; rows 0 4; echo "r5,\"127.0.0.1"; rows 6 $N other; } >"$TMP/devices.new"
mv "$TMP/devices.new" "$TMP/devices.csv"
wait_grep 'reload failed: keeping the running configuration' "$TMP/daemon.err" 15 ||
	fail "the bad file was not refused: $(tail -5 "$TMP/daemon.err")"
grep -q "$TMP/devices.csv:7: unterminated quote in inventory row" "$TMP/daemon.err" ||
	fail "the bad row's line: $(tail -5 "$TMP/daemon.err")"
wait_for 10 all_up $N || fail "the running configuration did not stay"
pass "a bad row in a watched inventory: logged at its line, the running configuration stays"
