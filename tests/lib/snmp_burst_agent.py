#!/usr/bin/env python3
"""An snmpd pass_persist agent for the burst tests and benchmarks: serves
.1.3.6.1.4.1.99998.1.0, an INTEGER read from the file STATEDIR/burst (re-read
when it changes), so that a test flips the value of every source at once.

Usage (snmpd.conf): pass_persist .1.3.6.1.4.1.99998 python3 snmp_burst_agent.py STATEDIR
Standard library only; one long-running process, no fork per GET.
"""
import os
import sys

BASE = ".1.3.6.1.4.1.99998"
OID = BASE + ".1.0"
path = os.path.join(sys.argv[1], "burst")
cache = {"mtime": None, "value": "0"}


def value():
    try:
        st = os.stat(path)
    except OSError:
        return "0"
    if st.st_mtime_ns != cache["mtime"]:
        try:
            with open(path) as f:
                cache["value"] = str(int(f.read().strip() or "0"))
            cache["mtime"] = st.st_mtime_ns
        except (OSError, ValueError):
            pass
    return cache["value"]


def answer(lines):
    sys.stdout.write("".join(l + "\n" for l in lines))
    sys.stdout.flush()


def key(oid):
    return [int(x) for x in oid.strip(".").split(".") if x]


while True:
    cmd = sys.stdin.readline()
    if not cmd:
        break
    cmd = cmd.strip()
    if cmd == "PING":
        answer(["PONG"])
    elif cmd in ("get", "getnext"):
        req = sys.stdin.readline().strip()
        if cmd == "get" and req == OID:
            answer([OID, "integer", value()])
        elif cmd == "getnext" and key(req) < key(OID):
            answer([OID, "integer", value()])
        else:
            answer(["NONE"])
    elif cmd == "set":
        sys.stdin.readline()
        sys.stdin.readline()
        answer(["not-writable"])
    else:
        answer(["NONE"])
