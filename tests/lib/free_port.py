#!/usr/bin/env python3
"""Picks loopback ports for the tests, or releases what a test picked.

  free_port.py OWNER            prints a port of 127.0.0.1 that is free for
                                both TCP and UDP and reserved for the process
                                OWNER (the test's shell, $$)
  free_port.py --release OWNER  drops OWNER's reservations

A port from bind(0) is an ephemeral one: between the probe and the moment
the daemon binds it, any outgoing connection on the machine (curl, a
poller, another test's client) may be given it as its source port. So the
port comes from below the kernel's ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range), which connect() never hands out,
and tests running at the same time (make -j) never get the same one: each
pick is recorded as a file PORT holding OWNER in $TMPDIR/pollhook-ports,
under an exclusive lock of that directory; a record whose owner has exited
is dropped by the next pick, and the release that leaves no record removes
the directory.
"""

import fcntl
import os
import random
import socket
import sys

LOW = 10000          # below this sit the well-known services of the machine
TRIES = 200


def ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def candidates():
    lo, hi = ephemeral_range()
    if lo - LOW >= 1000:
        return range(LOW, lo)
    if 65535 - hi >= 1000:
        return range(hi + 1, 65536)
    return range(1024, 65536)    # no room outside it: the probe must do


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_of(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def bindable(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def lock_dir(root):
    """Locks ROOT, made if missing; None when it went away meanwhile (a
    release removed it as empty), so that the caller tries again."""
    os.makedirs(root, exist_ok=True)
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return None
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        same = os.stat(root).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        os.close(fd)
        return None
    return fd


def pick(root, owner, release):
    """Under the lock: drops dead owners' records (and OWNER's on release),
    then records and prints a port; the last release removes ROOT."""
    taken = set()
    for name in os.listdir(root):
        path = os.path.join(root, name)
        who = owner_of(path)
        if who == 0 or not alive(who) or (release and who == owner):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        else:
            taken.add(int(name) if name.isdigit() else 0)
    if release:
        if not taken:
            try:
                os.rmdir(root)
            except OSError:
                pass
        return 0
    pool = candidates()
    for _ in range(TRIES):
        port = random.choice(pool)
        if port in taken or not bindable(port):
            continue
        with open(os.path.join(root, str(port)), "w") as f:
            f.write("%d\n" % owner)
        print(port)
        return 0
    sys.stderr.write("free_port.py: no free port after %d tries\n" % TRIES)
    return 1


def main(argv):
    release = len(argv) == 3 and argv[1] == "--release"
    if not (release or len(argv) == 2) or not argv[-1].isdigit():
        sys.stderr.write("usage: free_port.py [--release] OWNER_PID\n")
        return 2
    owner = int(argv[-1])
    root = os.path.join(os.environ.get("TMPDIR") or "/tmp", "pollhook-ports")
    for _ in range(TRIES):
        fd = lock_dir(root)
        if fd is None:
            continue
        try:
            return pick(root, owner, release)
        finally:
            os.close(fd)
    sys.stderr.write("free_port.py: cannot lock %s\n" % root)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
