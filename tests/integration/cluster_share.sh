#!/usr/bin/env bash
# Three instances with one configuration share 301 SNMP sources on one
# snmpd: counted at the device, every source is polled once per interval,
# none twice (each by exactly one instance); every instance says the same
# owner for each source in /v1/sources, and /v1/cluster and /metrics show
# the three members.
. "$(dirname "$0")/../lib/cluster_common.sh"

start_node a
start_node b
start_node c
DAEMON_PID=$a_PID
wait_members 3
pass "three members own the $((NSRC + 1)) sources"
# Settled: whatever moved while the three joined has moved.
sleep 2
t0=$(now)
sleep 8
t1=$(now)
# Once per interval: the slots a window of that length holds, one more or less at its ends.
bounds=$(python3 -c "import math; w = ($t1 - $t0) / $INTERVAL; print(math.floor(w) - 1, math.ceil(w) + 1)")
check counts "$t0" "$t1" $bounds || fail "a source was not polled once per interval"
check gaps "$t0" "$t1" 0.5 || fail "a source was polled twice in an interval"
pass "at the device: every source once per interval, none doubled"

owners "$TMP/owners.txt"
for n in a b c; do
	eval "port=\$${n}_API"
	curl -sf "http://127.0.0.1:$port/v1/sources" >"$TMP/$n.sources" ||
	    fail "GET /v1/sources of $n failed"
	curl -sf "http://127.0.0.1:$port/v1/cluster" >"$TMP/$n.cluster" ||
	    fail "GET /v1/cluster of $n failed"
	curl -sf "http://127.0.0.1:$port/metrics" >"$TMP/$n.metrics" || fail "GET /metrics of $n failed"
done
python3 - "$TMP" <<'PY' || fail "the API does not show the cluster as the store has it"
import json, sys
tmp = sys.argv[1]
owner = dict(l.split() for l in open(tmp + "/owners.txt"))
for n in "abc":
    srcs = json.load(open("%s/%s.sources" % (tmp, n)))
    assert len(srcs) == len(owner), (n, len(srcs))
    wrong = [s["name"] for s in srcs if s["owner"] != owner[s["name"]]]
    assert not wrong, "%s: owner differs from the store for %s" % (n, wrong[:5])
    cl = json.load(open("%s/%s.cluster" % (tmp, n)))
    assert cl["node"] == n, cl
    assert sorted(m["name"] for m in cl["members"]) == ["a", "b", "c"], cl["members"]
    assert sum(m["sources_owned"] for m in cl["members"]) == len(owner), cl["members"]
    mine = sum(1 for o in owner.values() if o == n)
    assert cl["sources_owned"] == mine and cl["epoch"] >= 1, (cl, mine)
    assert [m["self"] for m in cl["members"] if m["name"] == n] == [True], cl["members"]
    # Each takes about a third.
    assert len(owner) * 0.2 < mine < len(owner) * 0.47, (n, mine)
    metrics = open("%s/%s.metrics" % (tmp, n)).read()
    assert "pollhook_cluster_members 3\n" in metrics, metrics[-800:]
    assert "pollhook_cluster_sources_owned %d\n" % mine in metrics
print("ok")
PY
pass "/v1/sources, /v1/cluster and /metrics of each instance agree with the store"
for n in a b c; do
	grep -q "cluster: node $n joined" "$TMP/$n.err" || fail "$n logged no join"
done
stop_nodes a b c
grep -q "cluster: node a released" "$TMP/a.err" || fail "a did not release its sources at SIGTERM"
pass "each instance logged its join and released its sources when stopped"
