#!/usr/bin/env bash
# SIGTERM to one of three instances: it releases its sources at once, and
# the others poll each of them again within two intervals (not lease_ttl),
# counted at the device, none twice in an interval.
. "$(dirname "$0")/../lib/cluster_common.sh"

start_node a
start_node b
start_node c
DAEMON_PID=$a_PID
wait_members 3
sleep 2
owners "$TMP/owners.txt"
theirs=$(awk '$2 == "c" { print $1 }' "$TMP/owners.txt")
[ -n "$theirs" ] || fail "c owns nothing"
kill "$c_PID"
stopped=$(now)
by=$(python3 -c "print($stopped + 2 * $INTERVAL)")
i=0
while ! check back "$stopped" "$by" $theirs >/dev/null; do
	i=$((i + 1))
	[ "$i" -le 30 ] || break
	sleep 0.2
done
worst=$(check back "$stopped" "$by" $theirs) ||
	fail "c's sources were not polled again within two intervals: $worst"
wait "$c_PID" 2>/dev/null
no_sanitizer c
grep -q "cluster: node c released $(echo "$theirs" | wc -l) sources" "$TMP/c.err" ||
	fail "c did not release its sources: $(grep cluster "$TMP/c.err" | tail -n 3)"
pass "SIGTERM: c released its $(echo "$theirs" | wc -l) sources, polled again at most $worst s later (interval $INTERVAL s, lease_ttl $TTL s)"
sleep 2
check gaps "$stopped" "$(now)" 0.5 || fail "a source was polled twice during the handover"
wait_members 2
stop_nodes a b
pass "none polled twice during the handover"
