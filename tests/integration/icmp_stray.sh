#!/usr/bin/env bash
# Replies that must never count, from a responder that misbehaves
# (tests/lib/icmp_responder.py) in a network namespace whose kernel does not
# answer pings: another identifier, another sequence, another cookie,
# another sender, a reply after its poll ended. Duplicated replies count
# once (loss 0, not below), a correct one late but within the timeout
# counts with its real round trip.
. "$(dirname "$0")/../lib/netns.sh"
NEED_POLLERS=icmp
. "$(dirname "$0")/../lib/http_common.sh"

sysctl -qw net.ipv4.icmp_echo_ignore_all=1 || fail "cannot stop the kernel's own echo replies"
python3 "$top_srcdir/tests/lib/icmp_responder.py" --log "$TMP/requests.jsonl" \
    --ready-file "$TMP/ready" \
    --mode 127.0.0.2=ok --mode 127.0.0.3=dup --mode 127.0.0.4=wrong-id \
    --mode 127.0.0.5=wrong-seq --mode 127.0.0.6=wrong-cookie --mode 127.0.0.7=spoof \
    --mode 127.0.0.9=late:0.7 --mode 127.0.0.10=late:1.0 2>"$TMP/responder.err" &
PIDS="$PIDS $!"
wait_file "$TMP/ready" 10 || fail "the responder did not start: $(cat "$TMP/responder.err")"

# src NAME ADDRESS TIMEOUT: one source, a comma before all but the first.
sep=" "
src() {
	echo " $sep { name = \"$1\"; poller = \"icmp\"; interval = 2.0; timeout = $3;"
	echo "      icmp = { address = \"$2\"; count = 3; spacing = 0.05; }; }"
	sep=","
}
{
	echo "bridge = { state_dir = \"$TMP/state\"; };"
	echo "sources = ("
	src ok 127.0.0.2 0.5
	src dup 127.0.0.3 0.5
	src wrong-id 127.0.0.4 0.5
	src wrong-seq 127.0.0.5 0.5
	src wrong-cookie 127.0.0.6 0.5
	src spoof 127.0.0.7 0.5
	src silent 127.0.0.8 0.5
	# Its replies come after its poll ended, while slow's still runs.
	src late 127.0.0.9 0.5
	src slow 127.0.0.10 1.8
	echo ");"
} >"$TMP/icmp.conf"

once "$TMP/icmp.conf"
expect ok loss - 0
expect dup ok - true
expect dup loss - 0
for s in wrong-id wrong-seq wrong-cookie spoof silent late; do
	expect $s ok - false
	expect $s loss - 100
done
expect slow loss - 0
python3 -c "import sys; sys.exit(0 if 1.0 <= float(sys.argv[1]) < 1.5 else 1)" "$(get slow rtt_min)" ||
	fail "slow: rtt_min $(get slow rtt_min), want the responder's 1.0 s"
n=$(count_lines "$TMP/requests.jsonl" 'r["dst"] == "127.0.0.9"')
[ "$n" -eq 3 ] || fail "the responder saw $n requests to 127.0.0.9, want 3"
pass "wrong identifier, sequence, cookie or sender, and replies after the poll: never counted"
pass "duplicates counted once (loss 0); a late reply within the timeout counts (rtt $(get slow rtt_min) s)"
