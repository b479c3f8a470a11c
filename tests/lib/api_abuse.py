#!/usr/bin/env python3
"""Abuse of pollhook's management API, for tests/integration/api_abuse.sh and
tests/bench/api_abuse_bench.sh. Every wait is bounded; each command prints
one line "ok: ..." or "FAIL: ..." (exit status 1) or, for the bench, figures.

  api_abuse.py PORT idle N TOKEN [PER_IP]  N idle sockets from 127.0.0.1;
                                     from 127.0.0.2 /healthz and an authorised
                                     GET are answered; at most PER_IP (64) of
                                     the N stay open; then all are closed by
                                     the server
  api_abuse.py PORT spread K N TOKEN  N idle sockets from each of K addresses
                                     127.0.1.1... (more than max_connections
                                     in all); /healthz and an authorised GET
                                     from 127.0.0.2 are still answered; prints
                                     how many of them stayed open
  api_abuse.py PORT slowloris        headers trickled a byte at a time: cut
  api_abuse.py PORT slowbody TOKEN   a body trickled: cut before it is whole
  api_abuse.py PORT big PATH LIMIT TOKEN   Content-Length LIMIT+1: 413 before
                                     any of the body is sent
  api_abuse.py PORT bigchunked PATH LIMIT TOKEN  a chunked body growing past
                                     LIMIT: 413 or cut, the rest not read
  api_abuse.py PORT flood N SECONDS [K]  holds N connections from 127.0.0.1
                                     (or spread over K addresses 127.0.1.1...)
                                     for SECONDS, opening a new one for each
                                     the server closes; prints the connections
                                     made
  api_abuse.py PORT latency N SECONDS [TOKEN]  latencies from 127.0.0.2 of
                                     /healthz (and with TOKEN of an authorised
                                     GET /v1/sources), N idle sockets from
                                     127.0.0.1 held meanwhile (N may be 0):
                                     prints "median_ms p99_ms max_ms" for each
"""
import socket
import sys
import time

HOST = "127.0.0.1"


def connect(src="127.0.0.1", timeout=5.0):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect((HOST, PORT))
    return s


def read_answer(s, deadline=5.0):
    """Returns the status of the answer on s, or None when s is closed first."""
    s.settimeout(deadline)
    data = b""
    end = time.monotonic() + deadline
    while b"\r\n" not in data and time.monotonic() < end:
        try:
            got = s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            break
        if not got:
            break
        data += got
    if not data.startswith(b"HTTP/1."):
        return None
    return int(data.split(b" ", 2)[1])


def get(path, token=None, src="127.0.0.2"):
    s = connect(src)
    auth = "Authorization: Bearer %s\r\n" % token if token else ""
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n" %
               (path, auth)).encode())
    st = read_answer(s)
    s.close()
    return st


def closed_by_peer(s):
    """Returns whether s has been closed by the server (EOF or reset), without waiting."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def idle(n, token, per_ip):
    socks = []
    for _ in range(n):
        try:
            socks.append(connect())
        except OSError as e:
            # The backlog is full: what got in is enough to show the limit.
            print("note: connection %d not made: %s" % (len(socks), e))
            break
    time.sleep(1.0)
    st = get("/healthz")
    if st != 200:
        fail("/healthz from another client during %d idle connections: %s" % (n, st))
    st = get("/v1/sources", token)
    if st != 200:
        fail("an authorised GET from another client during %d idle connections: %s" % (n, st))
    open_ = [s for s in socks if not closed_by_peer(s)]
    if len(open_) > per_ip:
        fail("%d of %d idle connections from one address stayed open (per-IP limit %d)" %
             (len(open_), len(socks), per_ip))
    kept = len(open_)
    # header_timeout is 2 s in the test: the server closes the rest.
    end = time.monotonic() + 15
    while open_ and time.monotonic() < end:
        time.sleep(0.2)
        open_ = [s for s in open_ if not closed_by_peer(s)]
    if open_:
        fail("%d idle connections still open after 15 s" % len(open_))
    for s in socks:
        s.close()
    if get("/healthz", src="127.0.0.1") != 200:
        fail("/healthz from the attacker's address after the idle connections went")
    print("ok: %d idle connections: others answered, %d kept (limit %d), all closed "
          "by the server" % (len(socks), kept, per_ip))


def spread(k, n, token):
    socks = []
    for a in range(1, k + 1):
        for _ in range(n):
            try:
                socks.append(connect("127.0.1.%d" % a))
            except OSError as e:
                print("note: connection %d not made: %s" % (len(socks), e))
                break
    time.sleep(1.0)
    for path, tok in (("/healthz", None), ("/v1/sources", token)):
        st = get(path, tok)
        if st != 200:
            fail("%s from 127.0.0.2 with %d idle connections from %d addresses: %s" %
                 (path, len(socks), k, st))
    open_ = [s for s in socks if not closed_by_peer(s)]
    for s in socks:
        s.close()
    print("ok: %d idle connections from %d addresses: others answered, %d of them stayed "
          "open" % (len(socks), k, len(open_)))


def trickle(s, data, step, limit):
    """Sends data a piece at a time; returns whether the server cut s before the end."""
    for i in range(0, len(data), step):
        if time.monotonic() > limit:
            return False
        try:
            s.sendall(data[i:i + step])
        except OSError:
            return True
        time.sleep(0.25)
        if closed_by_peer(s):
            return True
    return False


def slowloris():
    s = connect()
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 200 + b"\r\n\r\n"
    # A byte every 0.25 s would take over 60 s; idle_timeout (MHD's) never fires.
    if not trickle(s, req, 1, time.monotonic() + 20):
        fail("headers trickled a byte at a time were not cut in 20 s")
    s.close()
    print("ok: trickled headers cut")


def slowbody(token):
    s = connect()
    body = b"{" + b" " * 4000 + b"}"
    s.sendall(("POST /v1/silences HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" %
               (token, len(body))).encode())
    if not trickle(s, body, 16, time.monotonic() + 20):
        fail("a body trickled 16 bytes at a time was not cut in 20 s")
    s.close()
    print("ok: trickled body cut")


def big(path, limit, token):
    s = connect()
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" %
               (path, token, limit + 1)).encode())
    st = read_answer(s)
    if st != 413:
        fail("POST %s with Content-Length %d: %s, want 413 before the body" %
             (path, limit + 1, st))
    s.close()
    print("ok: %s: 413 for a body over %d bytes, before it was sent" % (path, limit))


def bigchunked(path, limit, token):
    s = connect()
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" %
               (path, token)).encode())
    chunk = b"400\r\n" + b" " * 1024 + b"\r\n"
    sent = 0
    # Twice the bound and no end: a server still reading waits for more.
    try:
        while sent < 2 * limit:
            s.sendall(chunk)
            sent += 1024
    except OSError:
        pass
    st = read_answer(s, 5.0)
    if st not in (None, 413):
        fail("a chunked body past the bound of %s: %s, want 413 or a cut" % (path, st))
    if st is None and not closed_by_peer(s):
        fail("a chunked body of %d bytes to %s (bound %d): still being read after 5 s" %
             (sent, path, limit))
    s.close()
    print("ok: %s: a chunked body past %d bytes: %s" % (path, limit,
          "413" if st == 413 else "cut"))


def timed(path, token):
    """Returns the milliseconds path took, 10000 when it was not answered 200."""
    t = time.monotonic()
    try:
        st = get(path, token)
    except OSError:
        st = None
    return (time.monotonic() - t) * 1000 if st == 200 else 10000.0


def latency(n, seconds, token):
    socks = []
    for _ in range(n):
        try:
            socks.append(connect())
        except OSError:
            break
    lats = {"/healthz": []}
    if token:
        lats["/v1/sources"] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for path, lat in lats.items():
            lat.append(timed(path, token if path != "/healthz" else None))
        time.sleep(0.05)
    for s in socks:
        s.close()
    out = []
    for lat in lats.values():
        lat.sort()
        out.append("%.2f %.2f %.2f" % (lat[len(lat) // 2],
                                       lat[min(len(lat) - 1, len(lat) * 99 // 100)], lat[-1]))
    print(" ".join(out))


def flood(n, seconds, k):
    socks, made = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        socks = [s for s in socks if not closed_by_peer(s) or s.close()]
        while len(socks) < n and time.monotonic() < end:
            src = "127.0.0.1" if k == 0 else "127.0.1.%d" % (made % k + 1)
            try:
                socks.append(connect(src, timeout=1.0))
                made += 1
            except OSError:
                break
        time.sleep(0.1)
    for s in socks:
        s.close()
    print(made)


PORT = int(sys.argv[1])
cmd = sys.argv[2]
if cmd == "idle":
    idle(int(sys.argv[3]), sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 64)
elif cmd == "spread":
    spread(int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
elif cmd == "slowloris":
    slowloris()
elif cmd == "slowbody":
    slowbody(sys.argv[3])
elif cmd == "big":
    big(sys.argv[3], int(sys.argv[4]), sys.argv[5])
elif cmd == "bigchunked":
    bigchunked(sys.argv[3], int(sys.argv[4]), sys.argv[5])
elif cmd == "flood":
    flood(int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 0)
elif cmd == "latency":
    latency(int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else None)
else:
    fail("unknown command " + cmd)
