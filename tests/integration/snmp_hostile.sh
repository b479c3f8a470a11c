#!/bin/sh
# snmp poller against a hostile agent (tests/lib/snmp_hostile_agent.py): the
# answer to a GET comes after garbage, a truncated copy, an answer with
# another request ID, the right answer from another port and 20 KB of
# junk; only the right one counts (an INTEGER and a
# Counter64). An agent that sends everything but the right answer is a
# timeout; one that answers only a retransmission is polled within the
# source's retries.

. "$top_srcdir/tests/lib/snmp_common.sh"

AGENT_PORT=$(free_port)
python3 "$top_srcdir/tests/lib/snmp_hostile_agent.py" "$AGENT_PORT" "$TMP/agent.ready" &
PIDS="$PIDS $!"
# A request sent before the agent listens would be lost: a timeout the test did not mean.
wait_grep ready "$TMP/agent.ready" 10 || fail "the hostile agent did not start"

# source NAME COMMUNITY RETRIES TIMEOUT
source() {
	cat <<EOF2
  {
    name = "$1";
    poller = "snmp";
    interval = 10.0;
    timeout = $4;
    snmp = { address = "udp:127.0.0.1:$AGENT_PORT"; community = "$2"; retries = $3; };
    metrics = (
      { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; },
      { name = "octets"; oid = "1.3.6.1.4.1.99999.2.0"; }
    );
  }
EOF2
}

{
	echo "sources = ("
	source noisy noisy 0 2.0
	echo ","
	source liar liar 1 1.0
	echo ","
	source second second 2 3.0
	echo ");"
} >"$TMP/hostile.conf"

once "$TMP/hostile.conf"
[ "$ONCE_RC" -eq 2 ] || fail "pollhook --once exited $ONCE_RC, expected 2 (liar fails): $(tail -5 "$TMP/once.err")"
jcheck 'sample("noisy")["ok"] and val("noisy", "cpu") == 42 and val("noisy", "octets") == 2**40 + 5' \
    "the right answer after the noise"
pass "garbage, truncated, wrong request ID, wrong port, 20 KB of junk: ignored; the answer counts"
jcheck 'not sample("liar")["ok"] and sample("liar")["error"] == "timeout" and val("liar", "up") == 0' \
    "only noise (the right answer from another port) must be a timeout"
pass "the right answer from another port is not an answer: timeout"
jcheck 'sample("second")["ok"] and val("second", "cpu") == 42' "answer to a retransmission"
pass "an answer to the retransmission counts"
exit 0
