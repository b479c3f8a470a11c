#!/usr/bin/env bash
# A fourth instance joins three: about a quarter of the sources move, all of
# them to it, and no other moves (rendezvous hashing); at the device, no
# source is polled twice in an interval while they move.
. "$(dirname "$0")/../lib/cluster_common.sh"

start_node a
start_node b
start_node c
DAEMON_PID=$a_PID
wait_members 3
sleep 1
owners "$TMP/before.txt"
joined=$(now)
start_node d
wait_members 4
sleep 2
owners "$TMP/after.txt"
python3 - "$TMP/before.txt" "$TMP/after.txt" <<'PY' || fail "the join moved the wrong sources"
import sys
before = dict(l.split() for l in open(sys.argv[1]))
after = dict(l.split() for l in open(sys.argv[2]))
assert set(before) == set(after), "sources went unowned"
moved = [s for s in before if before[s] != after[s]]
wrong = [(s, before[s], after[s]) for s in moved if after[s] != "d"]
assert not wrong, "moved between the old members: %s" % wrong[:5]
share = len(moved) / len(before)
assert 0.15 < share < 0.35, "%d of %d moved" % (len(moved), len(before))
print("%d of %d sources moved, all to d" % (len(moved), len(before)))
PY
pass "d joined: about a quarter of the sources moved to it, no others"
check gaps "$joined" "$(now)" 0.5 || fail "a source was polled twice while moving to d"
grep -q "cluster: member d (id [0-9]*, .*) joined: 4 live members" "$TMP/a.err" ||
	fail "a did not log d's join"
stop_nodes a b c d
pass "none polled twice while they moved; the join was logged"
