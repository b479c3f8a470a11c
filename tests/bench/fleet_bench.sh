#!/bin/bash
# Benchmark of fleets (prints figures; not a pass/fail test).
#
# BENCH_N devices (default 100,000) configured two ways in the same run:
#   blocks     one source block each, with the cisco-ios profile's metrics
#              written out (what a copied example looks like today)
#   inventory  one CSV row each (name, address, site, role) of an inventory
#              whose rows take a profile with the same keys (the built-in
#              cisco-ios at interval 3600)
# Printed for each: `pollhook --check-config` wall time and peak RSS, and the
# RSS of the running daemon once every source is started (interval 3600 s,
# so almost nothing is polled while it is measured), and the inventory's
# figures as a ratio of the blocks' (the reference of the same run).
#
# Usage: top_srcdir=SRC top_builddir=BUILD tests/bench/fleet_bench.sh
#   BENCH_N=100000  BENCH_SETTLE=5
# Use a build without sanitizers for meaningful figures.

set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
POLLHOOK=$top_builddir/bridge/pollhook
BENCH_N=${BENCH_N:-100000}
BENCH_SETTLE=${BENCH_SETTLE:-5}

[ -x "$POLLHOOK" ] || { echo "SKIP: $POLLHOOK not built"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fleet-bench.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# The built-in cisco-ios profile, written out (bridge/profiles_builtin.c).
METRICS='metrics = (
  { name = "cpu"; oid = "CISCO-PROCESS-MIB::cpmCPUTotal5minRev"; walk = true; reduce = "max"; },
  { name = "cpu_1min"; oid = "CISCO-PROCESS-MIB::cpmCPUTotal1minRev"; walk = true; reduce = "max"; },
  { name = "mem_free"; oid = "CISCO-MEMORY-POOL-MIB::ciscoMemoryPoolFree"; walk = true; label_oid = "CISCO-MEMORY-POOL-MIB::ciscoMemoryPoolName"; },
  { name = "if_oper"; oid = "IF-MIB::ifOperStatus"; walk = true; label_oid = "IF-MIB::ifName"; },
  { name = "in_bps"; oid = "IF-MIB::ifHCInOctets"; walk = true; label_oid = "IF-MIB::ifName"; rate = true; scale = 8.0; },
  { name = "out_bps"; oid = "IF-MIB::ifHCOutOctets"; walk = true; label_oid = "IF-MIB::ifName"; rate = true; scale = 8.0; },
  { name = "in_errors"; oid = "IF-MIB::ifInErrors"; walk = true; label_oid = "IF-MIB::ifName"; rate = true; },
  { name = "uptime_s"; oid = "SNMPv2-MIB::sysUpTime"; scale = 0.01; }
);'

# Addresses in 10.0.0.0/8 (nothing answers; at interval 3600 little is sent).
python3 - "$BENCH_N" "$TMP" "$METRICS" <<'EOF'
import sys
n, tmp, metrics = int(sys.argv[1]), sys.argv[2], sys.argv[3]
addr = lambda i: "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
with open(tmp + "/devices.csv", "w") as f:
    f.write("name,address,site,role\n")
    for i in range(n):
        f.write("sw%d,%s,site%d,access\n" % (i, addr(i), i % 50))
with open(tmp + "/blocks.sources", "w") as f:
    f.write("sources = (\n")
    for i in range(n):
        f.write('%s{ name = "sw%d"; poller = "snmp"; interval = 3600.0; timeout = 5.0;\n'
                '  labels = { vendor = "cisco"; site = "site%d"; role = "access"; };\n'
                '  snmp = { address = "%s"; version = "2c"; retries = 1; max_repetitions = 20; };\n'
                '  %s }\n' % ("," if i else "", i, i % 50, addr(i), metrics))
    f.write(");\n")
EOF
for kind in blocks inventory; do
	mkdir -p "$TMP/$kind.db"
	{
		echo "bridge = { state_dir = \"$TMP/$kind.db\"; log_level = \"info\"; };"
		if [ "$kind" = blocks ]; then
			cat "$TMP/blocks.sources"
		else
			echo 'profiles = ( { name = "cisco-ios-slow"; poller = "snmp"; interval = 3600.0; timeout = 5.0;'
			echo '  labels = { vendor = "cisco"; }; snmp = { version = "2c"; retries = 1; max_repetitions = 20; };'
			echo "  $METRICS } );"
			echo "inventory = ( { file = \"$TMP/devices.csv\"; profile = \"cisco-ios-slow\"; } );"
		fi
	} >"$TMP/$kind.conf"
done

# check KIND: prints "seconds peak_kib" of pollhook --check-config.
check() {
	python3 - "$POLLHOOK" "$TMP/$1.conf" <<'EOF'
import resource, subprocess, sys, time
t0 = time.monotonic()
r = subprocess.run([sys.argv[1], "--check-config", "-c", sys.argv[2]],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
t1 = time.monotonic()
if r.returncode != 0:
    sys.stderr.write(r.stderr.decode()[:2000])
    sys.exit(1)
print("%.3f %d" % (t1 - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
EOF
}

# daemon KIND: prints the daemon's VmRSS in KiB once its sources are started.
daemon() {
	local pid rss i
	"$POLLHOOK" -c "$TMP/$1.conf" >"$TMP/$1.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < 600; i++)); do
		grep -q "started:" "$TMP/$1.log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || { echo "daemon $1 died:" >&2; cat "$TMP/$1.log" >&2; return 1; }
		sleep 0.5
	done
	sleep "$BENCH_SETTLE"
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	kill "$pid"
	wait "$pid" 2>/dev/null
	echo "$rss"
}

declare -A secs peak run
for kind in blocks inventory; do
	read -r secs[$kind] peak[$kind] < <(check "$kind") || exit 1
	run[$kind]=$(daemon "$kind") || exit 1
done

echo "fleet_bench: $BENCH_N devices, cisco-ios metrics (8), blocks vs an inventory with a profile"
printf '%-10s %14s %18s %18s\n' config "check s" "check peak MiB" "daemon RSS MiB"
for kind in blocks inventory; do
	awk -v k="$kind" -v s="${secs[$kind]}" -v p="${peak[$kind]}" -v r="${run[$kind]}" \
	    'BEGIN { printf "%-10s %14.2f %18.1f %18.1f\n", k, s, p / 1024, r / 1024 }'
done
awk -v s0="${secs[blocks]}" -v s1="${secs[inventory]}" -v p0="${peak[blocks]}" \
    -v p1="${peak[inventory]}" -v r0="${run[blocks]}" -v r1="${run[inventory]}" \
    'BEGIN { printf "%-10s %13.2fx %17.2fx %17.2fx\n", "ratio", s1 / s0, p1 / p0, r1 / r0 }'
