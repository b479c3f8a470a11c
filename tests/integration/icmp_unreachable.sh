#!/usr/bin/env bash
# The icmp poller with unreachable targets, in a network namespace of the
# test's own: 10.99.0.2 and fd00:99::2 sit on a veth link whose other end
# has no address, so nothing answers (not even ARP or neighbour discovery). Their polls fail (no reply, loss 100) at the
# timeout while 127.0.0.1 and ::1 answer at once beside them; in the daemon
# an `up below 1` rule fires for the dead host only, and its failure is
# logged once, not every poll.
. "$(dirname "$0")/../lib/netns.sh"
NEED_POLLERS=icmp
. "$(dirname "$0")/../lib/http_common.sh"

ip link add v0 type veth peer name v1 2>/dev/null || { echo "SKIP: no veth interfaces here"; exit 77; }
ip addr add 10.99.0.1/24 dev v0 && ip -6 addr add fd00:99::1/64 dev v0 nodad &&
    ip link set v1 up && ip link set v0 up || fail "cannot set up the veth pair"

cat >"$TMP/once.conf" <<CONF
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "dead4"; poller = "icmp"; interval = 1.0; timeout = 0.6;
    icmp = { address = "10.99.0.2"; count = 2; spacing = 0.1; }; },
  { name = "dead6"; poller = "icmp"; interval = 1.0; timeout = 0.6;
    icmp = { address = "fd00:99::2"; count = 2; spacing = 0.1; }; },
  { name = "live4"; poller = "icmp"; interval = 1.0; timeout = 0.6;
    icmp = { address = "127.0.0.1"; count = 2; spacing = 0.1; }; },
  { name = "live6"; poller = "icmp"; interval = 1.0; timeout = 0.6;
    icmp = { address = "::1"; count = 2; spacing = 0.1; }; }
);
CONF
once "$TMP/once.conf"
[ "$ONCE_RC" -eq 2 ] || fail "--once with dead hosts exited $ONCE_RC, want 2"
for s in dead4 dead6; do
	expect $s ok - false
	expect $s error - "no reply to 2 echo requests"
	expect $s loss - 100
	expect $s rtt - MISSING
done
for s in live4 live6; do
	expect $s ok - true
	expect $s loss - 0
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 0.5 else 1)" "$(get $s poll_seconds)" ||
		fail "$s took $(get $s poll_seconds) s: held up by the dead hosts?"
done
pass "unreachable IPv4 and IPv6 hosts: no reply, loss 100, failed; live ones answer at once"

cat >"$TMP/daemon.conf" <<CONF
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "dead4"; poller = "icmp"; interval = 0.3; timeout = 0.25;
    icmp = { address = "10.99.0.2"; count = 1; }; },
  { name = "live4"; poller = "icmp"; interval = 0.3; timeout = 0.25;
    icmp = { address = "127.0.0.1"; count = 1; }; }
);
rules = ( { name = "host.down"; metric = "up"; below = 1.0; } );
subscribers = ( { name = "log"; emitter = "log"; path = "$TMP/events.jsonl"; } );
CONF
start_daemon "$TMP/daemon.conf"
wait_count "$TMP/events.jsonl" 'r["event"] == "host.down"' 1 10 || fail "no host.down event"
sleep 1.5
[ "$(count_lines "$TMP/events.jsonl" 'r["event"] == "host.down" and r["payload"]["source"] == "dead4"')" -eq 1 ] ||
	fail "host.down events: $(cat "$TMP/events.jsonl")"
[ "$(count_lines "$TMP/events.jsonl" 'r["payload"]["source"] == "live4"')" -eq 0 ] ||
	fail "events for the live host: $(cat "$TMP/events.jsonl")"
[ "$(grep -c 'icmp/dead4: poll failed' "$TMP/daemon.err")" -eq 1 ] ||
	fail "the dead host's failure was not logged exactly once: $(grep dead4 "$TMP/daemon.err")"
stop_daemon
pass "daemon: host.down fired once for the dead host, none for the live one; failure logged once"
