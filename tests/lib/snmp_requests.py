#!/usr/bin/env python3
"""Reads snmpd's debug output (-Ddumpv_recv) on stdin and appends to FILE one
line per object identifier a received request asked for, with the time it
was read: "UNIX_SECONDS OID" (OID in snmpd's form, iso.3.6.1...). The
cluster tests count the requests of each source at the device with it.
Standard library only."""

import sys
import time


def main():
    out = open(sys.argv[1], "a", buffering=1)
    for line in sys.stdin:
        line = line.strip()
        if line.startswith("ObjID: "):
            out.write("%.3f %s\n" % (time.time(), line[7:]))


if __name__ == "__main__":
    main()
