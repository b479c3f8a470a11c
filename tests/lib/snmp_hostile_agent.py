#!/usr/bin/env python3
"""A hostile SNMPv2c agent on 127.0.0.1:PORT (argv[1]) for snmp_hostile.sh;
writes "ready" to the file argv[2] once it listens.

Every GET is answered according to its community:
  "noisy":  garbage, a truncated answer, an answer with another request ID
            (value 666), the right answer from another port (value 666), 20 KB
            of junk (not enough to fill the receive buffer, where it would
            make the kernel drop the answer), then the right answer: OIDs
            under .1 are INTEGER 42, under .2 Counter64 2^40 + 5.
  "liar":   everything "noisy" sends but the right answer: only the one
            from another port, which must not count.
  "second": the right answer, but only to a request's second transmission
            (the same request ID again).
Standard library only; runs until killed.
"""

import socket
import sys


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body


def integer(tag, v):
    n = 1
    while True:
        try:
            return tlv(tag, v.to_bytes(n, "big", signed=(tag == 0x02)))
        except OverflowError:
            n += 1


def unsigned(tag, v):
    b = v.to_bytes((v.bit_length() + 8) // 8 or 1, "big")
    return tlv(tag, b)


def parse(data, i):
    """Returns (tag, body, next index) of the TLV at i."""
    tag = data[i]
    n = data[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[i:i + k], "big")
        i += k
    return tag, data[i:i + n], i + n


def children(body):
    out, i = [], 0
    while i < len(body):
        tag, b, i = parse(body, i)
        out.append((tag, b))
    return out


def response(community, reqid, oids, value=None):
    binds = b""
    for o in oids:
        # the arc before the last tells the type
        if value is not None:
            v = integer(0x02, value)
        elif len(o) >= 2 and o[-2] == 2:
            v = unsigned(0x46, (1 << 40) + 5)
        else:
            v = integer(0x02, 42)
        binds += tlv(0x30, tlv(0x06, o) + v)
    pdu = tlv(0xA2, integer(0x02, reqid) + integer(0x02, 0) + integer(0x02, 0) +
              tlv(0x30, binds))
    return tlv(0x30, integer(0x02, 1) + tlv(0x04, community) + pdu)


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    with open(sys.argv[2], "w") as f:
        f.write("ready\n")
    seen = {}
    while True:
        data, peer = s.recvfrom(65535)
        try:
            _, msg, _ = parse(data, 0)
            parts = children(msg)
            community = parts[1][1]
            fields = children(parts[2][1])
            reqid = int.from_bytes(fields[0][1], "big", signed=True)
            oids = [children(vb)[0][1] for _, vb in children(fields[3][1])]
        except (IndexError, ValueError):
            continue
        good = response(community, reqid, oids)
        if community == b"second":
            seen[reqid] = seen.get(reqid, 0) + 1
            if seen[reqid] == 2:
                s.sendto(good, peer)
            continue
        s.sendto(b"\x30\x82\xff\xff garbage", peer)
        s.sendto(good[:len(good) // 2], peer)
        s.sendto(response(community, reqid ^ 0x155, oids, 666), peer)
        other.sendto(response(community, reqid, oids, 666), peer)
        s.sendto(b"\x30" * 20000, peer)
        if community == b"noisy":
            s.sendto(good, peer)


if __name__ == "__main__":
    main()
