#!/usr/bin/env python3
"""An ICMP echo responder that misbehaves, for the icmp poller's tests.

Run it in a network namespace whose kernel does not answer pings itself
(net.ipv4.icmp_echo_ignore_all = 1). It reads every echo request on a raw
socket and answers each one as --mode ADDRESS=HOW says for its destination:
  ok            a correct reply
  dup           the correct reply, three times
  late:SECONDS  the correct reply, SECONDS later
  wrong-id      another identifier
  wrong-seq     the next sequence number
  wrong-cookie  the payload's first bytes changed
  spoof         the correct reply, but from another address (the next one)
Addresses without a mode get no answer. Each request seen is a JSON line in
--log; --ready-file is written once it listens.
"""

import argparse
import heapq
import json
import select
import socket
import struct
import time


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def icmp_reply(ident, seq, payload):
    head = struct.pack("!BBHHH", 0, 0, 0, ident, seq)
    c = checksum(head + payload)
    return struct.pack("!BBHHH", 0, 0, c, ident, seq) + payload


def ip_packet(src, dst, body):
    # The kernel fills in the header checksum and, when 0, the identification.
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0, 64, 1, 0,
                       socket.inet_aton(src), socket.inet_aton(dst))
    return head + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", action="append", default=[])
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready-file", required=True)
    a = ap.parse_args()
    modes = dict(m.split("=", 1) for m in a.mode)

    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    with open(a.ready_file, "w") as f:
        f.write("ready\n")
    later = []  # (when, packet, dst)
    log = open(a.log, "a", buffering=1)
    while True:
        wait = max(0.0, later[0][0] - time.monotonic()) if later else 1.0
        r, _, _ = select.select([rx], [], [], wait)
        now = time.monotonic()
        while later and later[0][0] <= now:
            _, pkt, dst = heapq.heappop(later)
            tx.sendto(pkt, (dst, 0))
        if not r:
            continue
        data, _ = rx.recvfrom(65535)
        ihl = (data[0] & 0x0f) * 4
        src = socket.inet_ntoa(data[12:16])
        dst = socket.inet_ntoa(data[16:20])
        icmp = data[ihl:]
        if len(icmp) < 8 or icmp[0] != 8:
            continue
        _, _, _, ident, seq = struct.unpack("!BBHHH", icmp[:8])
        payload = icmp[8:]
        how = modes.get(dst)
        log.write(json.dumps({"dst": dst, "id": ident, "seq": seq, "mode": how}) + "\n")
        if how is None:
            continue
        frm = dst
        if how == "wrong-id":
            ident = (ident + 1) & 0xffff
        elif how == "wrong-seq":
            seq = (seq + 1) & 0xffff
        elif how == "wrong-cookie":
            payload = bytes(b ^ 0xff for b in payload[:8]) + payload[8:]
        elif how == "spoof":
            parts = dst.split(".")
            frm = ".".join(parts[:3] + [str((int(parts[3]) + 1) % 256)])
        pkt = ip_packet(frm, src, icmp_reply(ident, seq, payload))
        if how.startswith("late:"):
            heapq.heappush(later, (now + float(how[5:]), pkt, src))
            continue
        for _ in range(3 if how == "dup" else 1):
            tx.sendto(pkt, (src, 0))


if __name__ == "__main__":
    main()
