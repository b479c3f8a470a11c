#!/usr/bin/env bash
# The instance owning the cpu source, whose rule is firing, is stopped
# (SIGSTOP) for twice lease_ttl, then continued. Meanwhile the others take
# its sources with their rule state, so the firing rule does not fire again;
# woken up, it polls nothing it lost (its ownership lapsed with its lease),
# learns from the store what was taken, and logs it. At the receiver: one
# firing event id in all. At the device: no source polled twice in an
# interval from one interval after the wake-up on.
. "$(dirname "$0")/../lib/cluster_common.sh"

start_node a
start_node b
start_node c
wait_members 3
victim=$(owner_of cpu)
eval "DAEMON_PID=\$${victim}_PID"
set_cpu 95
wait_count "$TMP/r1.jsonl" 'r["status"] == 200 and "cpu.high" in r["body"]' 1 15 ||
	fail "the rule did not fire"
pass "cpu.high fires on $victim's cpu source"

eval "kill -STOP \$${victim}_PID"
stopped=$(now)
sleep $((2 * TTL))
moved=$(owner_of cpu)
eval "kill -CONT \$${victim}_PID"
woke=$(now)
[ "$moved" != "$victim" ] || fail "nobody took the cpu source while $victim was stopped"
pass "$victim stopped for $((2 * TTL)) s, meanwhile $moved took the cpu source; continued"

sleep $((2 * TTL))
[ "$(firing_ids)" -eq 1 ] || fail "$(firing_ids) firing event ids for one firing rule instance"
pass "no firing with a new id: the rule state moved with the source, there and back"
after=$(python3 -c "print($woke + $INTERVAL)")
check gaps "$after" "$(now)" 0.5 || fail "a source was polled twice after the wake-up"
check counts "$(python3 -c "print($stopped + $TTL + $INTERVAL + 0.5)")" "$woke" 1 1000 ||
	fail "a source went unpolled while $victim was stopped"
grep -q "cluster: node $victim lost [0-9]* sources to other members .*away longer than its lease" \
    "$TMP/$victim.err" || fail "$victim did not log what it lost: $(grep cluster "$TMP/$victim.err" | tail -n 5)"
wait_members 3
stop_nodes a b c
pass "after the wake-up no source polled twice; $victim logged its loss and rejoined"
