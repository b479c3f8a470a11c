#!/bin/sh
# A poll that ends at once: an snmp source whose host name does not resolve
# fails its later polls inside poll() itself (the failed lookup is not
# retried for 30 s), so done runs before poll returns. Polling must go on at
# every interval, and the failure is logged once.

. "$top_srcdir/tests/lib/snmp_common.sh"

cat >"$TMP/unresolved.conf" <<EOF2
bridge = { state_dir = "$TMP/db"; };
sources = (
  {
    name = "nowhere";
    poller = "snmp";
    interval = 0.2;
    timeout = 0.15;
    snmp = { address = "pollhook-test.invalid:161"; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  }
);
rules = (
  { name = "tick"; metric = "poll_seconds"; on_change = true; }
);
subscribers = (
  { name = "t"; emitter = "log"; path = "$TMP/events.jsonl"; }
);
EOF2

daemon_start "$TMP/unresolved.conf"
wait_grep 'snmp/nowhere: poll failed: cannot resolve' "$TMP/daemon.err" 10 ||
    fail "the unresolvable host was not reported"
python3 - "$TMP/events.jsonl" <<'PY' || fail "polling stopped after a poll that ended at once"
import json, sys, time
for _ in range(100):
    try:
        evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    except FileNotFoundError:
        evs = []
    if len([e for e in evs if e["event"] == "tick"]) >= 5:
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
pass "polls that end inside poll() complete, and the next ones run"
kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon died"
n=$(grep -c 'snmp/nowhere: poll failed' "$TMP/daemon.err")
[ "$n" -eq 1 ] || fail "the failure was logged $n times, not once"
pass "the failure is logged once"
kill "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
exit 0
