#!/usr/bin/env python3
"""Checks what receivers got against the events that were stored.

usage: check_deliveries.py EVENTS RECEIVER_LOG... [--dups-before TS] [--not-before TS0:TS1:TS]

EVENTS holds the ids of the stored events, one a line (a "|" and more after
the id is ignored). For each receiver log (tests/lib/receiver.py's JSON
lines): every stored event was answered 200 at least once, nothing else
was; the first arrivals of each ordering key (source, instance) are in the
order of their ids (the order they happened, ULIDs) and alternate firing,
resolved. Duplicates are allowed only with --dups-before TS, for ids first
delivered before TS (what a killed instance had in flight).
--not-before T0:T1:T: no event whose event_ts (ms) lies in [T0, T1] (Unix
seconds) arrived before T: nothing made while the store was away was
attempted before it was back. Prints a summary; exits 1 on a failure.
"""

import json
import sys


def main():
    args = sys.argv[1:]
    dups_before = None
    window = None
    while "--dups-before" in args:
        i = args.index("--dups-before")
        dups_before = float(args[i + 1])
        del args[i:i + 2]
    while "--not-before" in args:
        i = args.index("--not-before")
        window = [float(x) for x in args[i + 1].split(":")]
        del args[i:i + 2]
    ids = {line.split("|")[0] for line in open(args[0]).read().split()}
    for path in args[1:]:
        reqs = [json.loads(l) for l in open(path)]
        ok = [(r, json.loads(r["body"])) for r in reqs if r["status"] == 200]
        seen, first = {}, {}
        for r, b in ok:
            seen[b["id"]] = seen.get(b["id"], 0) + 1
            first.setdefault(b["id"], (r["ts"], b))
        missing = ids - set(seen)
        extra = set(seen) - ids
        assert not missing, "%s: %d stored events never delivered, e.g. %s" % (
            path, len(missing), sorted(missing)[:3])
        assert not extra, "%s: %d delivered events were never stored: %s" % (
            path, len(extra), sorted(extra)[:3])
        dups = [i for i, n in seen.items() if n > 1]
        if dups_before is None:
            assert not dups, "%s: delivered twice: %s" % (path, dups[:5])
        else:
            late = [i for i in dups if first[i][0] > dups_before]
            assert not late, "%s: delivered twice, first after %.3f: %s" % (
                path, dups_before, late[:5])
        keys = {}
        for i, (ts, b) in sorted(first.items(), key=lambda kv: kv[1][0]):
            p = b["payload"]
            keys.setdefault((p["source"], p["instance"]), []).append((i, p["state"]))
        for k, evs in keys.items():
            order = [i for i, _ in evs]
            assert order == sorted(order), "%s: key %s out of order: %s" % (path, k, evs)
            states = [s for _, s in evs]
            want = (["firing", "resolved"] * len(states))[:len(states)]
            assert states == want, "%s: key %s: %s" % (path, k, states)
        if window is not None:
            t0, t1, t = window
            early = [i for i, (ts, b) in first.items()
                     if t0 <= b["event_ts"] / 1000.0 <= t1 and ts < t]
            assert not early, "%s: made while the store was away, delivered before it " \
                "was back: %s" % (path, early[:5])
        print("%s: %d events, %d duplicates, %d keys" % (path, len(ids), len(dups), len(keys)))


try:
    main()
except AssertionError as e:
    print("check_deliveries: %s" % e, file=sys.stderr)
    sys.exit(1)
