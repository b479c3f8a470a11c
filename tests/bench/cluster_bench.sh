#!/usr/bin/env bash
# Benchmark of the cluster (prints figures; not a pass/fail test).
#
# Three instances with one configuration share NSRC SNMP sources of one
# snmpd (every source at CLUSTER_INTERVAL s, lease_ttl CLUSTER_TTL s, a
# PostgreSQL server of the run's own); after WARMUP s one instance is killed
# -9, and the run goes on for AFTER s. Counted at the device (each request
# snmpd received, timed): the requests per second in each second against the
# ideal NSRC / interval (the reference of the same run), seconds below 95 %
# or above 105 % of it, sources polled twice within half an interval outside
# the takeover; per source of the dead instance, the takeover (its last
# request before the kill to its first after): median and max, against
# lease_ttl + one interval; and the CPU seconds each instance spent per
# 1,000 polls, with snmpd's per 1,000 requests as the reference.
#
# Usage: top_srcdir=SRC top_builddir=BUILD tests/bench/cluster_bench.sh
#   NSRC=30000 CLUSTER_INTERVAL=10 CLUSTER_TTL=10 WARMUP=40 AFTER=40
# The issue's size is the default; a smaller NSRC keeps the ratio the same.
# Use a build without sanitizers for meaningful figures.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
NSRC=${NSRC:-30000}
CLUSTER_INTERVAL=${CLUSTER_INTERVAL:-10}
CLUSTER_TTL=${CLUSTER_TTL:-10}
WARMUP=${WARMUP:-40}
AFTER=${AFTER:-40}
export NSRC CLUSTER_INTERVAL CLUSTER_TTL
# Every statement the server runs, timed and with the instance's name
# (application_name), so that the statements per second of each instance
# are counted; parameters are left out (a take's are long).
PG_SETTINGS="${PG_SETTINGS:-} -c log_statement=all -c log_parameter_max_length=0 -c log_line_prefix='%n|%a|'"
. "$top_srcdir/tests/lib/cluster_common.sh"

HZ=$(getconf CLK_TCK)
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
snmpd_pid=$(pgrep -f "snmpd -f -r -C -c $TMP/snmpd.conf" | head -n 1)
# Requests the kernel dropped at snmpd's socket (it was not reading fast enough).
device_drops() {
	awk -v port="$(printf ':%04X' "$SNMPD_PORT")" \
	    'substr($2, length($2) - 4) == port { n += $NF } END { print n + 0 }' /proc/net/udp
}

start_node a
start_node b
start_node c
DAEMON_PID=$a_PID
wait_members 3 120
sleep "$WARMUP"
owners "$TMP/owners.txt"
t0=$(now)
for n in a b c; do eval "c0_$n=\$(cpu_ticks \$${n}_PID)"; done
s0=$(cpu_ticks "$snmpd_pid")
d0=$(device_drops)
# The server's backends of each instance (by application_name), for their CPU.
pg_sql "SELECT application_name, pid FROM pg_stat_activity WHERE application_name IN ('a', 'b', 'c')" |
    tr '|' ' ' >"$TMP/backends.txt"
pg_cpu() {
	t=0
	while read -r node pid; do
		[ "$node" = "$1" ] && t=$((t + $(cpu_ticks "$pid")))
	done <"$TMP/backends.txt"
	echo "$t"
}
for n in a c; do eval "p0_$n=\$(pg_cpu $n)"; done
victim=b
{ kill -9 "$b_PID"; wait "$b_PID"; } 2>/dev/null
killed=$(now)
sleep "$AFTER"
t1=$(now)
for n in a c; do eval "c1_$n=\$(cpu_ticks \$${n}_PID)"; done
c1_b=$c0_b
s1=$(cpu_ticks "$snmpd_pid")
d1=$(device_drops)
for n in a c; do eval "p1_$n=\$(pg_cpu $n)"; done

python3 - "$TMP/requests.log" "$TMP/owners.txt" "$victim" "$t0" "$killed" "$t1" \
    "$NSRC" "$CLUSTER_INTERVAL" "$CLUSTER_TTL" "$HZ" \
    "$c0_a" "$c1_a" "$c0_c" "$c1_c" "$s0" "$s1" "$WARMUP" "$((d1 - d0))" "$PG_DIR/server.log" \
    "$p0_a" "$p1_a" "$p0_c" "$p1_c" <<'PY'
import re, statistics, sys
(log, owners, victim, t0, killed, t1, n, interval, ttl, hz, a0, a1, c0, c1, s0, s1, warm, drops, pglog,
 pa0, pa1, pc0, pc1) = sys.argv[1:]
t0, killed, t1 = float(t0), float(killed), float(t1)
n, interval, ttl, hz = int(n), float(interval), float(ttl), float(hz)
UP = "iso.3.6.1.2.1.1.3."
req = {}
start = t0 - min(float(warm) - 1, 2 * float(interval))
for line in open(log):
    p = line.split()
    if len(p) != 2 or not p[1].startswith(UP):
        continue
    t = float(p[0])
    if t >= start:
        req.setdefault("s%03d" % int(p[1][len(UP):]), []).append(t)
ideal = n / interval
secs = {}
for ts in req.values():
    for t in ts:
        if t < t1:
            secs[int(t)] = secs.get(int(t), 0) + 1
keys = sorted(k for k in secs if start + 1 <= k < t1 - 1)
rates = [secs.get(k, 0) for k in keys]
low = sum(1 for r in rates if r < ideal * 0.95)
high = sum(1 for r in rates if r > ideal * 1.05)
theirs = [l.split()[0] for l in open(owners) if l.split()[1] == victim and l.split()[0].startswith("s")]
take, since = [], []
for s in theirs:
    ts = req.get(s, [])
    before = [t for t in ts if t <= killed]
    after = [t for t in ts if t > killed]
    if before and after:
        take.append(after[0] - before[-1])
        since.append(after[0] - killed)
window_end = killed + ttl + interval
doubled = 0
for s, ts in req.items():
    for x, y in zip(ts, ts[1:]):
        if y - x < interval / 2 and not (killed <= y <= window_end):
            doubled += 1
span = t1 - t0
polls = sum(1 for ts in req.values() for t in ts if t0 <= t < t1)
print("cluster_bench: %d sources at %.0f s, lease_ttl %.0f s, 3 instances, %s killed -9" % (n, interval, ttl, victim))
print("%-44s %12s %10s" % ("figure", "value", "ratio"))
print("%-44s %12.0f %10s" % ("ideal device requests/s (reference)", ideal, "1.00"))
print("%-44s %12.0f %10.3f" % ("median requests/s, whole run", statistics.median(rates), statistics.median(rates) / ideal))
print("%-44s %12.0f %10.3f" % ("lowest second", min(rates), min(rates) / ideal))
print("%-44s %12.0f %10.3f" % ("highest second", max(rates), max(rates) / ideal))
print("%-44s %12d %10s" % ("seconds below 95 % / above 105 %", low, "%d" % high))
calm = [secs.get(k, 0) for k in keys if not killed - 1 <= k <= killed + ttl + 2 * interval]
print("%-44s %12d %10s" % ("  of them outside kill .. +lease+2 intervals", sum(1 for r in calm if r < ideal * 0.95), "%d" % sum(1 for r in calm if r > ideal * 1.05)))
print("%-44s %12d %10.4f" % ("requests dropped at the device's socket", int(drops), int(drops) / max(polls, 1)))
print("%-44s %12d %10s" % ("doubled polls outside the takeover", doubled, ""))
print("%-44s %12.0f %10s" % ("lease_ttl + interval (reference), s", ttl + interval, "1.00"))
if take:
    print("%-44s %12.2f %10.3f" % ("takeover median, s (%d sources)" % len(take), statistics.median(take), statistics.median(take) / (ttl + interval)))
    print("%-44s %12.2f %10.3f" % ("takeover max, s", max(take), max(take) / (ttl + interval)))
    print("%-44s %12.2f %10.3f" % ("kill to first poll again: median, s", statistics.median(since), statistics.median(since) / (ttl + interval)))
    print("%-44s %12.2f %10.3f" % ("kill to first poll again: max, s", max(since), max(since) / (ttl + interval)))
print("%-44s %12s" % ("sources of the victim never polled again", len(theirs) - len(take)))
snmpd_cpu = (float(s1) - float(s0)) / hz / max(polls, 1) * 1000
print("%-44s %12.4f %10s" % ("snmpd CPU s / 1000 requests (reference)", snmpd_cpu, "1.00"))
for name, x0, x1 in (("a", a0, a1), ("c", c0, c1)):
    cpu = (float(x1) - float(x0)) / hz
    print("%-44s %12.2f %10s" % ("instance %s CPU s over %.0f s" % (name, span), cpu, ""))
    print("%-44s %12.4f %10.2f" % ("instance %s CPU s / 1000 polls (half each)" % name, cpu / max(polls, 1) * 1000 * 2, cpu / max(polls, 1) * 1000 * 2 / max(snmpd_cpu, 1e-9)))
for name, x0, x1 in (("a", pa0, pa1), ("c", pc0, pc1)):
    print("%-44s %12.2f %10s" % ("PG backend CPU s of instance %s over %.0f s" % (name, span),
        (float(x1) - float(x0)) / hz, ""))
# Statements each instance had the server run: before the kill (3 live,
# from t0 - warm/2) and after the takeover (from kill + lease + 2 intervals).
STMT = re.compile(r"^(\d+\.\d+)\|([a-z])\|LOG:  (?:execute ([^:]+)|statement):")
calm0, calm1 = t0 - float(warm) / 2, killed + ttl + 2 * interval
count, names = {}, {}
for line in open(pglog, errors="replace"):
    m = STMT.match(line)
    if not m:
        continue
    t, node, name = float(m.group(1)), m.group(2), m.group(3) or "(simple)"
    w = "before" if calm0 <= t < killed else "after" if calm1 <= t < t1 else None
    if w is None:
        continue
    count[(w, node)] = count.get((w, node), 0) + 1
    names[(w, name)] = names.get((w, name), 0) + 1
for w, span_w, nodes in (("before", killed - calm0, "abc"), ("after", t1 - calm1, "ac")):
    if span_w <= 0:
        continue
    per = [count.get((w, x), 0) / span_w for x in nodes]
    print("%-44s %12.2f %10s" % ("PG statements/s per instance, %s" % w, statistics.mean(per),
        "/".join("%.1f" % x for x in per)))
    for (ww, name), k in sorted(names.items(), key=lambda x: -x[1]):
        if ww == w and k / span_w / len(nodes) >= 0.05:
            print("%-44s %12.2f" % ("  %s/s per instance" % name[:30], k / span_w / len(nodes)))
PY
[ -n "${BENCH_KEEP:-}" ] && mkdir -p "$BENCH_KEEP" && cp "$TMP"/*.err "$TMP/requests.log" "$TMP/owners.txt" \
    "$PG_DIR/server.log" "$BENCH_KEEP"
stop_nodes a c
