#!/usr/bin/env bash
# The icmp poller's unprivileged path: in a network namespace of the test's
# own, net.ipv4.ping_group_range is widened to every group, so pollhook
# opens ICMP datagram sockets (not raw ones), says so at start, and
# 127.0.0.1 and ::1 answer through them (the kernel picks the identifier).
. "$(dirname "$0")/../lib/netns.sh"
NEED_POLLERS=icmp
. "$(dirname "$0")/../lib/http_common.sh"

sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
	{ echo "SKIP: cannot widen net.ipv4.ping_group_range here"; exit 77; }

cat >"$TMP/icmp.conf" <<CONF
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "lo4"; poller = "icmp"; interval = 2.0; timeout = 1.0;
    icmp = { address = "127.0.0.1"; count = 3; spacing = 0.05; }; },
  { name = "lo6"; poller = "icmp"; interval = 2.0; timeout = 1.0;
    icmp = { address = "::1"; count = 3; spacing = 0.05; }; }
);
CONF
ONCE_RC=0
"$POLLHOOK" --once --json -v -c "$TMP/icmp.conf" >"$TMP/once.json" 2>"$TMP/once.err" || ONCE_RC=$?
[ "$ONCE_RC" -eq 0 ] || fail "--once exited $ONCE_RC: $(cat "$TMP/once.err")"
grep -q "icmp: IPv4 echo over an unprivileged datagram socket" "$TMP/once.err" ||
	fail "no datagram socket for IPv4: $(grep icmp: "$TMP/once.err")"
grep -q "icmp: IPv6 echo over an unprivileged datagram socket" "$TMP/once.err" ||
	fail "no datagram socket for IPv6: $(grep icmp: "$TMP/once.err")"
for s in lo4 lo6; do
	expect $s ok - true
	expect $s loss - 0
done
pass "datagram sockets where ping_group_range allows, said at start; both families answer"
