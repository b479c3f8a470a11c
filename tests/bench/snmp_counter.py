"""Samples an SNMP agent's snmpInGetRequests.0 (GET requests received) at a
fixed rate and prints one "UNIX_TIME COUNT" line per answer: who polls the
agent, and when it stops, shows as the slope of the count. Every sample is
itself one GET (subtract one per sample). Plain UDP and hand-made BER: no
process is forked per sample, so 10 Hz costs the agent nothing.

Usage: python3 tests/bench/snmp_counter.py PORT SECONDS [HZ]   (127.0.0.1:PORT, community public)
"""
import socket
import struct
import sys
import time

OID = bytes([0x2b, 6, 1, 2, 1, 11, 15, 0])	# 1.3.6.1.2.1.11.15.0


def tlv(tag, body):
    n = len(body)
    if n < 128:
        return bytes([tag, n]) + body
    return bytes([tag, 0x82]) + struct.pack(">H", n) + body


def request(reqid):
    varbind = tlv(0x30, tlv(0x06, OID) + b"\x05\x00")
    pdu = tlv(0xa0, tlv(0x02, struct.pack(">I", reqid)) + b"\x02\x01\x00\x02\x01\x00" +
              tlv(0x30, varbind))
    return tlv(0x30, b"\x02\x01\x01" + tlv(0x04, b"public") + pdu)


def count(answer):
    at = answer.rfind(bytes([0x06, len(OID)]) + OID)
    if at < 0:
        return None
    at += 2 + len(OID)
    if answer[at] != 0x41:	# Counter32
        return None
    n = answer[at + 1]
    return int.from_bytes(answer[at + 2:at + 2 + n], "big")


def main():
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    hz = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    start = time.time()
    step = 1.0 / hz
    k = 0
    while time.time() - start < seconds:
        k += 1
        s.sendto(request(0x10000000 + k), ("127.0.0.1", port))
        try:
            c = count(s.recv(65535))
        except socket.timeout:
            c = None
        if c is not None:
            print("%.3f %d" % (time.time(), c), flush=True)
        delay = start + k * step - time.time()
        if delay > 0:
            time.sleep(delay)


main()
