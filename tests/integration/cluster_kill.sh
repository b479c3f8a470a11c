#!/usr/bin/env bash
# Three instances share the sources; the one owning the cpu source is killed
# -9 and its cpu flips above the threshold during the takeover. The others
# poll each of its sources again within lease_ttl + one interval (plus half
# a second of scheduling slack on a loaded machine), counted at the device;
# the flip reaches the receiver as exactly one firing (one event id); and
# after the takeover no source is polled twice in an interval.
. "$(dirname "$0")/../lib/cluster_common.sh"

start_node a
start_node b
start_node c
wait_members 3
sleep 2
victim=$(owner_of cpu)
owners "$TMP/owners.txt"
theirs=$(awk -v v="$victim" '$2 == v { print $1 }' "$TMP/owners.txt")
[ -n "$theirs" ] || fail "nobody owns the cpu source"
survivors=$(printf '%s\n' a b c | grep -vx "$victim")
eval "DAEMON_PID=\$$(echo "$survivors" | head -n 1)_PID"

eval "pid=\$${victim}_PID"
killed=$(now)
# Reaped quietly: bash would report the kill.
{ kill -9 "$pid"; wait "$pid"; } 2>/dev/null
set_cpu 95
pass "$victim killed -9 with $(echo "$theirs" | wc -l) sources; the cpu flips"

by=$(python3 -c "print($killed + $TTL + $INTERVAL + 0.5)")
i=0
while ! check back "$killed" "$by" $theirs >/dev/null; do
	i=$((i + 1))
	[ "$i" -le 50 ] || break
	sleep 0.2
done
worst=$(check back "$killed" "$by" $theirs) ||
	fail "$victim's sources were not polled again within lease_ttl + interval: $worst"
pass "each of $victim's sources polled again at most $worst s after the kill (lease_ttl $TTL s, interval $INTERVAL s)"

wait_count "$TMP/r1.jsonl" 'r["status"] == 200 and "cpu.high" in r["body"]' 1 15 ||
	fail "the flip never reached the receiver"
sleep 4
[ "$(firing_ids)" -eq 1 ] || fail "the flip fired $(firing_ids) times (ids), not once"
pass "the flip during the takeover gave exactly one firing event id"

after=$(python3 -c "print($killed + $TTL + $INTERVAL + 0.5)")
check gaps "$after" "$(now)" 0.5 || fail "a source was polled twice after the takeover"
for n in $survivors; do
	grep -q "cluster: member $victim (id [0-9]*) left or died" "$TMP/$n.err" ||
	    fail "$n did not log that $victim died"
done
stop_nodes $survivors
pass "no source polled twice after the takeover; the survivors logged the death"
