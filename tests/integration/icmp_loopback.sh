#!/usr/bin/env bash
# The icmp poller against 50 distinct 127.0.0.0/8 addresses and ::1 in one
# --once run: every source answers with no loss, rtt_min <= rtt <= rtt_max,
# each metric in seconds (under a second on loopback).
NEED_POLLERS=icmp
. "$(dirname "$0")/../lib/http_common.sh"

{
	echo "bridge = { state_dir = \"$TMP/state\"; };"
	echo "sources = ("
	for i in $(seq 10 59); do
		echo "  { name = \"lo-$i\"; poller = \"icmp\"; interval = 2.0; timeout = 1.0;"
		echo "    icmp = { address = \"127.0.$i.$((i * 3))\"; count = 3; spacing = 0.02; }; },"
	done
	echo "  { name = \"lo6\"; poller = \"icmp\"; interval = 2.0; timeout = 1.0;"
	echo "    icmp = { address = \"::1\"; count = 3; spacing = 0.02; size = 1000; }; }"
	echo ");"
} >"$TMP/icmp.conf"

"$POLLHOOK" --check-config -c "$TMP/icmp.conf" >"$TMP/check.out" 2>&1 ||
	fail "--check-config: $(cat "$TMP/check.out")"
once "$TMP/icmp.conf"
[ "$ONCE_RC" -eq 0 ] || fail "--once exited $ONCE_RC: $(cat "$TMP/once.err")"
python3 - "$TMP/once.json" <<'PY' || fail "samples: see above"
import json, sys
doc = json.load(open(sys.argv[1]))
samples = {s["source"]: s for s in doc["samples"]}
assert len(samples) == 51, "%d samples, want 51" % len(samples)
for name, s in samples.items():
    v = {p["metric"]: p["value"] for p in s["points"]}
    ok = (s["ok"] and v.get("up") == 1 and v.get("loss") == 0 and
          0 <= v["rtt_min"] <= v["rtt"] <= v["rtt_max"] < 1.0)
    if not ok:
        print("FAIL: %s: %s" % (name, json.dumps(s)), file=sys.stderr)
        sys.exit(1)
PY
pass "50 loopback addresses and ::1: no loss, rtt_min <= rtt <= rtt_max < 1 s"
