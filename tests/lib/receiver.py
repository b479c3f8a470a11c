#!/usr/bin/env python3
"""A loopback webhook receiver for pollhook's integration tests.

It shares no code with pollhook: signatures are checked with Python's own
hmac, hashlib and base64, so a bug in emitters/webhook_sign.c cannot hide behind a
matching bug here. Standard library only.

Every request is appended to --log as one JSON line:
  {"ts", "method", "path", "headers" (lower-case names), "body",
   "verified", "why", "status", "mode"}
"status" is the status answered, null when the receiver hung or dropped
the connection instead.

What it answers is the mode:
  200, 503, 410, ...  that status (any 100-599), with Retry-After if given
  hang                read the request, then answer nothing until the client
                      gives up (at most --hang-max seconds, then close)
  close               read the request and close the connection unanswered
  script              the next line of --script for each request: "STATUS
                      [RETRY_AFTER]", "hang" or "close"; the last line repeats
--mode-file, if it exists and is not empty, overrides --mode and is re-read
for every request: first line the mode, optional second line Retry-After.
Tests use it to simulate an outage and its end.

A JSON body {"event": "endpoint.url_validation", "payload": {"plainToken": T}}
answered with a 2xx gets Zoom's challenge response
{"plainToken": T, "encryptedToken": hex HMAC-SHA256(key, T)}, key being the
first secret's HMAC key.
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import http.server
import json
import os
import select
import signal
import socket
import sys
import threading
import time

SCHEMES = ("standard", "zoom", "github", "none")


def scheme_key(scheme, secret):
    """The HMAC key of a secret: whsec_ secrets are base64, others bytes."""
    if scheme == "standard":
        if not secret.startswith("whsec_"):
            raise ValueError("standard secrets start with whsec_")
        key = base64.b64decode(secret[len("whsec_"):], validate=True)
        if not key:
            raise ValueError("empty whsec_ key")
        return key
    if not secret:
        raise ValueError("empty secret")
    return secret.encode()


def check_time(value, tolerance):
    try:
        ts = int(value)
    except ValueError:
        return "malformed timestamp %r" % value
    if tolerance > 0 and abs(time.time() - ts) > tolerance:
        return "timestamp outside tolerance: %d is %d s from now" % (
            ts, int(time.time()) - ts)
    return None


def verify(scheme, keys, headers, body, tolerance):
    """Returns (verified, why) for a request, headers keyed in lower case."""
    if scheme == "none":
        return True, None
    if scheme == "standard":
        need = ("webhook-id", "webhook-timestamp", "webhook-signature")
    elif scheme == "zoom":
        need = ("x-zm-request-timestamp", "x-zm-signature")
    else:
        need = ("x-hub-signature-256",)
    for name in need:
        if name not in headers:
            return False, "missing header " + name
    if scheme == "standard":
        why = check_time(headers["webhook-timestamp"], tolerance)
        if why:
            return False, why
        msg = ("%s.%s." % (headers["webhook-id"],
                           headers["webhook-timestamp"])).encode() + body
        got = headers["webhook-signature"].split(" ")
        for key in keys:
            want = "v1," + base64.b64encode(
                hmac.new(key, msg, hashlib.sha256).digest()).decode()
            if any(hmac.compare_digest(want, g) for g in got):
                return True, None
        return False, "bad signature"
    if scheme == "zoom":
        ts = headers["x-zm-request-timestamp"]
        why = check_time(ts, tolerance)
        if why:
            return False, why
        msg = ("v0:%s:" % ts).encode() + body
        got, prefix = headers["x-zm-signature"], "v0="
    else:
        msg = body
        got, prefix = headers["x-hub-signature-256"], "sha256="
    for key in keys:
        want = prefix + hmac.new(key, msg, hashlib.sha256).hexdigest()
        if hmac.compare_digest(want, got):
            return True, None
    return False, "bad signature"


def parse_mode(text):
    """Parses "STATUS", "hang" or "close"; returns it or raises ValueError."""
    text = text.strip()
    if text in ("hang", "close", "script"):
        return text
    status = int(text)
    if not 100 <= status <= 599:
        raise ValueError("status %d out of range" % status)
    return status


class Receiver:
    def __init__(self, args):
        self.args = args
        self.keys = []
        for i, secret in enumerate(args.secret, 1):
            try:
                self.keys.append(scheme_key(args.scheme, secret))
            except ValueError as e:     # binascii.Error is one too
                raise ValueError("--secret %d: %s" % (i, e)) from None
        self.lock = threading.Lock()
        self.script = []
        self.script_pos = 0
        if args.script:
            with open(args.script) as f:
                for line in f:
                    line = line.split("#", 1)[0].split()
                    if not line:
                        continue
                    mode = parse_mode(line[0])
                    if mode == "script":
                        raise ValueError("%s: script in a script" % args.script)
                    retry = int(line[1]) if len(line) > 1 else None
                    self.script.append((mode, retry))

    def current_mode(self):
        """The (mode, retry_after) for the next request."""
        mode, retry = self.args.mode, self.args.retry_after
        if self.args.mode_file:
            try:
                with open(self.args.mode_file) as f:
                    lines = f.read().splitlines()
                if lines and lines[0].strip():
                    mode = parse_mode(lines[0])
                    retry = (int(lines[1]) if len(lines) > 1
                             and lines[1].strip() else None)
            except FileNotFoundError:
                pass
            except ValueError as e:
                print("receiver: bad mode file: %s" % e, file=sys.stderr)
        if mode == "script":
            with self.lock:
                if not self.script:
                    return 500, None
                i = min(self.script_pos, len(self.script) - 1)
                self.script_pos += 1
                return self.script[i]
        return mode, retry

    def log(self, record):
        line = json.dumps(record, sort_keys=True) + "\n"
        with self.lock:
            with open(self.args.log, "a") as f:
                f.write(line)
                f.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"      # keep-alive, as the emitter expects
    server_version = "pollhook-test-receiver"

    def log_message(self, fmt, *args):
        if self.server.receiver.args.verbose:
            super().log_message(fmt, *args)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    # Trailers end with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def hang(self):
        """Waits until the client drops the connection, at most --hang-max."""
        deadline = time.monotonic() + self.server.receiver.args.hang_max
        sock = self.connection
        while time.monotonic() < deadline:
            try:
                ready, _, _ = select.select([sock], [], [], 0.2)
                if ready and sock.recv(1, socket.MSG_PEEK) == b"":
                    break
                if ready:
                    time.sleep(0.2)     # pipelined data: not ours to read
            except OSError:
                break
        self.close_connection = True

    def challenge(self, body):
        """Zoom's endpoint.url_validation answer, or None."""
        try:
            j = json.loads(body)
            token = j["payload"]["plainToken"]
            if j.get("event") != "endpoint.url_validation" or \
                    not isinstance(token, str):
                return None
        except (ValueError, KeyError, TypeError):
            return None
        keys = self.server.receiver.keys
        if not keys:
            return None
        enc = hmac.new(keys[0], token.encode(), hashlib.sha256).hexdigest()
        return json.dumps({"plainToken": token, "encryptedToken": enc}).encode()

    def handle_any(self):
        rcv = self.server.receiver
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        headers = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = (headers[name] + ", " + value
                             if name in headers else value)
        verified, why = verify(rcv.args.scheme, rcv.keys, headers, body,
                               rcv.args.tolerance)
        mode, retry = rcv.current_mode()
        status = mode if isinstance(mode, int) else None
        if rcv.args.reject_unverified and not verified and status is not None:
            status, retry = 401, None
        record = {"ts": time.time(), "method": self.command, "path": self.path,
                  "headers": headers,
                  "body": body.decode("utf-8", errors="replace"),
                  "verified": verified, "why": why, "status": status,
                  "mode": str(mode)}
        # Logged before hanging, so a test sees the attempt arrive.
        rcv.log(record)
        if mode == "hang":
            self.hang()
            return
        if mode == "close":
            self.close_connection = True
            return
        reply = b""
        ctype = "text/plain"
        if 200 <= status < 300:
            reply = self.challenge(body) or b""
            if reply:
                ctype = "application/json"
        if not reply:
            reply = ("%d\n" % status).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(reply)))
        if retry is not None:
            self.send_header("Retry-After", str(retry))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply)

    do_POST = do_PUT = do_GET = do_HEAD = do_DELETE = do_PATCH = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True              # a hanging handler must not block exit
    allow_reuse_address = True
    request_queue_size = 1024          # bursts of connections (subs_concurrent.sh)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0,
                   help="0 picks a free port (see --port-file)")
    p.add_argument("--port-file", help="file the port is written to")
    p.add_argument("--scheme", choices=SCHEMES, default="standard")
    p.add_argument("--secret", action="append", default=[],
                   help="repeat for rotation: any may match")
    p.add_argument("--log", required=True, help="JSON lines, appended")
    p.add_argument("--mode", default="200",
                   help="STATUS, hang, close or script (default 200)")
    p.add_argument("--retry-after", type=int)
    p.add_argument("--script", help="one mode a request, for --mode script")
    p.add_argument("--mode-file", help="overrides --mode, re-read per request")
    p.add_argument("--tolerance", type=int, default=300,
                   help="timestamp tolerance, seconds (0: unchecked)")
    p.add_argument("--hang-max", type=float, default=60.0)
    p.add_argument("--reject-unverified", action="store_true",
                   help="answer 401 to a request that fails verification")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    try:
        args.mode = parse_mode(args.mode)
        if args.scheme != "none" and not args.secret:
            raise ValueError("--secret is required with --scheme %s" %
                             args.scheme)
        if args.mode == "script" and not args.script:
            raise ValueError("--mode script needs --script")
        rcv = Receiver(args)
    except (ValueError, binascii.Error, OSError) as e:
        p.error(str(e))

    srv = Server((args.bind, args.port), Handler)
    srv.receiver = rcv
    if args.port_file:
        # Written whole, then renamed: a test polling for it never reads half.
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.replace(tmp, args.port_file)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    try:
        srv.serve_forever(poll_interval=0.1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
