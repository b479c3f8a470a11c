#!/usr/bin/env python3
"""Silent UDP listeners that count what arrives: an address range where
nothing answers, as discovery tests need it.

udp_counter.py --log FILE --port PORT --ready FILE ADDRESS...

Binds PORT on every ADDRESS, never answers, and appends one line per
datagram to FILE: "ADDRESS KERNEL_TIME" (the kernel's arrival time,
SO_TIMESTAMPNS, so a test process that is scheduled late does not bunch
the times up). Writes FILE --ready once every socket is bound. Standard
library only; runs until killed.
"""

import argparse
import select
import socket
import struct
import sys

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("addresses", nargs="+")
    a = ap.parse_args()
    socks = {}
    for addr in a.addresses:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.bind((addr, a.port))
        socks[s.fileno()] = (s, addr)
    with open(a.ready, "w") as f:
        f.write("ready\n")
    log = open(a.log, "a", buffering=1)
    poller = select.poll()
    for fd in socks:
        poller.register(fd, select.POLLIN)
    while True:
        for fd, _ in poller.poll():
            s, addr = socks[fd]
            _, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(16))
            t = None
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                    sec, nsec = struct.unpack("qq", data[:16])
                    t = sec + nsec / 1e9
            if t is None:
                print("no kernel timestamp", file=sys.stderr)
                sys.exit(1)
            log.write("%s %.6f\n" % (addr, t))


if __name__ == "__main__":
    main()
