#!/usr/bin/env python3
"""Checks on the requests a device received, for the cluster tests.

Usage: cluster_check.py REQUESTS COMMAND ARGS...
REQUESTS is what snmp_requests.py wrote. Source sN is the one asking for
iso.3.6.1.2.1.1.3.N, source "cpu" the one asking for iso.3.6.1.4.1.99999.1.0.

  counts FROM TO LOW HIGH
      every source has between LOW and HIGH requests in [FROM, TO)
  gaps FROM TO MIN
      no two requests of one source in [FROM, TO) are closer than MIN s
  back AFTER BY SOURCES...
      each source has a request in (AFTER, BY]; prints the longest wait
Exits 1 with a message naming the sources at fault.
"""

import sys

UPTIME = "iso.3.6.1.2.1.1.3."
CPU = "iso.3.6.1.4.1.99999.1.0"


def load(path):
    req = {}
    for line in open(path):
        parts = line.split()
        if len(parts) != 2:
            continue
        t, oid = float(parts[0]), parts[1]
        if oid.startswith(UPTIME):
            name = "s%03d" % int(oid[len(UPTIME):])
        elif oid == CPU:
            name = "cpu"
        else:
            continue
        req.setdefault(name, []).append(t)
    return req


def fail(msg):
    print("cluster_check: " + msg)
    sys.exit(1)


def main():
    req = load(sys.argv[1])
    cmd, args = sys.argv[2], sys.argv[3:]
    if cmd == "counts":
        lo_t, hi_t, low, high = float(args[0]), float(args[1]), int(args[2]), int(args[3])
        names = [n for n in args[4:]] or sorted(req)
        bad = {}
        for n in names:
            c = sum(1 for t in req.get(n, []) if lo_t <= t < hi_t)
            if not low <= c <= high:
                bad[n] = c
        if bad:
            fail("%d sources outside %d..%d requests in %.1f s: %s" % (
                len(bad), low, high, hi_t - lo_t, sorted(bad.items())[:8]))
        print("%d sources, each %d..%d requests in %.1f s" % (len(names), low, high, hi_t - lo_t))
    elif cmd == "gaps":
        lo_t, hi_t, gap = float(args[0]), float(args[1]), float(args[2])
        bad = []
        for n, ts in req.items():
            ts = [t for t in ts if lo_t <= t < hi_t]
            for a, b in zip(ts, ts[1:]):
                if b - a < gap:
                    bad.append((n, round(a, 3), round(b - a, 3)))
        if bad:
            fail("%d requests closer than %.2f s to the one before (polled twice): %s" % (
                len(bad), gap, bad[:8]))
        print("no source requested twice within %.2f s in %.1f s" % (gap, hi_t - lo_t))
    elif cmd == "back":
        after, by, names = float(args[0]), float(args[1]), args[2:]
        worst, late = 0.0, []
        for n in names:
            ts = [t for t in req.get(n, []) if t > after]
            if not ts or ts[0] > by:
                late.append((n, round(ts[0] - after, 3) if ts else None))
            elif ts[0] - after > worst:
                worst = ts[0] - after
        if late:
            fail("%d of %d sources not requested again within %.1f s: %s" % (
                len(late), len(names), by - after, late[:8]))
        print("%.3f" % worst)
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
