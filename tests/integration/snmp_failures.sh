#!/bin/sh
# snmp poller failures in the running daemon: an agent that stops (timeout,
# up = 0, logged once, not once per poll) and comes back (recovery); a dead
# agent (a socket that reads and never answers) that must not slow a live
# source; a host name resolved asynchronously; a reload.

. "$top_srcdir/tests/lib/snmp_common.sh"

snmpd_start
dead_agent_start

# The live sources' timeouts are the whole interval: one timing out while
# the agent runs would fire "down" and log a failure the test counts.
cat >"$TMP/fail.conf" <<EOF2
bridge = { state_dir = "$TMP/db"; };
sources = (
  {
    name = "flaky";
    poller = "snmp";
    interval = 1.0;
    timeout = 1.0;
    snmp = { address = "udp:127.0.0.1:$SNMPD_PORT"; retries = 1; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  },
  {
    name = "by-name";
    poller = "snmp";
    interval = 1.0;
    timeout = 1.0;
    snmp = { address = "localhost:$SNMPD_PORT"; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  },
  {
    name = "dead";
    poller = "snmp";
    interval = 0.5;
    timeout = 0.45;
    snmp = { address = "udp:127.0.0.1:$DEAD_PORT"; retries = 2; };
    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } );
  }
);
rules = (
  { name = "down"; metric = "up"; below = 1.0; },
  { name = "cpu.seen"; metric = "cpu"; above = 10.0; }
);
subscribers = (
  { name = "t"; emitter = "log"; path = "$TMP/events.jsonl"; }
);
EOF2

daemon_start "$TMP/fail.conf"
wait_grep '"source": *"by-name"' "$TMP/events.jsonl" 10 || fail "the source with a host name never polled"
pass "host name resolved asynchronously"
wait_grep '"source": *"dead"' "$TMP/events.jsonl" 10 || fail "no down event for the dead agent"
# The sources' first polls are spread over their intervals: flaky's may
# come after dead's first timeout.
wait_grep '"source": *"flaky"' "$TMP/events.jsonl" 10 || fail "live source did not poll"
pass "dead agent down, live agent polled"

snmpd_stop
wait_grep 'snmp/flaky: poll failed: timeout' "$TMP/daemon.err" 10 || fail "no timeout logged for the stopped agent"
wait_grep '"state": *"firing".*"source": *"flaky"\|"source": *"flaky".*"state": *"firing"' "$TMP/events.jsonl" 1 || true
sleep 3	# three more failed polls
n=$(grep -c 'snmp/flaky: poll failed' "$TMP/daemon.err")
[ "$n" -eq 1 ] || fail "the failure was logged $n times, not once"
pass "stopped agent: timeout logged once over many polls"
python3 - "$TMP/events.jsonl" <<'PY' || fail "down event for flaky"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
d = [e for e in evs if e["event"] == "down" and e["payload"]["source"] == "flaky"]
assert len(d) == 1 and d[0]["payload"]["value"] == 0, d
PY
pass "up = 0 fires the down rule"

snmpd_start
wait_grep '"event": *"down.resolved".*"flaky"\|"flaky".*"event": *"down.resolved"' "$TMP/events.jsonl" 10 ||
    python3 - "$TMP/events.jsonl" <<'PY' || fail "no down.resolved for flaky"
import json, sys, time
for _ in range(100):
    evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    if [e for e in evs if e["event"] == "down.resolved" and e["payload"]["source"] == "flaky"]:
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
wait_grep 'snmp/flaky: polling again' "$TMP/daemon.err" 5 || fail "recovery not logged"
pass "agent back: down.resolved, recovery logged"

python3 - "$TMP/events.jsonl" <<'PY' || fail "dead agent"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
d = [e for e in evs if e["payload"]["source"] == "dead"]
assert [e["event"] for e in d] == ["down"], d
PY
n=$(grep -c 'snmp/dead: poll failed' "$TMP/daemon.err")
[ "$n" -eq 1 ] || fail "the dead agent's failure was logged $n times"
pass "dead agent: one down event, logged once"
# A reload (SIGHUP) restarts the sources on new sessions: polling goes on.
kill -HUP "$DAEMON_PID"
wait_grep 'reloaded' "$TMP/daemon.err" 5 || fail "no reload"
snmpd_stop
python3 - "$TMP/events.jsonl" <<'PY' || fail "no second down event for flaky after the reload"
import json, sys, time
for _ in range(100):
    evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    if len([e for e in evs if e["event"] == "down" and e["payload"]["source"] == "flaky"]) == 2:
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
pass "after a reload: polling goes on (agent stopped again: down)"
kill "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
exit 0
