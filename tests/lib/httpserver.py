#!/usr/bin/env python3
"""A loopback JSON API for the http poller's integration tests.

Standard library only. It binds 127.0.0.1 on a free port and writes the port
to --port-file once it listens, so tests never guess ports.

GET or POST /NAME serves the file --dir/NAME (a test changes it with
write-then-rename) as application/json, with an ETag (a hash of the content)
and Last-Modified (the file's mtime); If-None-Match with the current ETag
gets 304 Not Modified without a body. Special paths:

  /slow?s=SECONDS    answers {"slow": true} after SECONDS (default 5)
  /huge?n=BYTES      a JSON document of about BYTES (default 2 MiB), with
                     Content-Length; /huge-chunked the same, chunked
  /invalid           200 with a body that is not JSON
  /big-header?n=BYTES  200 with {"v": 1} and an X-Big header of BYTES bytes
                     (default 4 MiB)
  /status?code=N     N with a small JSON body (e.g. 500, 404)
  /empty             200 with an empty body
  /basic/NAME        NAME if Authorization is Basic --user:--password, else 401
  /bearer/NAME       NAME if Authorization is Bearer --token, else 401
  /redirect/NAME     302 to /NAME
  /seq/NAME?ms=MAX   the k-th element of the JSON array in NAME on the k-th
                     request (the last one after the end), after a random
                     delay of 0 to MAX milliseconds (default 0): a device
                     whose answers come late by a random jitter

Every request is appended to --log as one JSON line:
  {"method", "path", "headers" (lower-case names), "body", "status",
   "t" (Unix time it arrived)}
--tls-cert and --tls-key serve HTTPS instead (the test makes its CA with the
openssl CLI); --client-ca then also requires a client certificate it signed.
"""

import argparse
import base64
import email.utils
import hashlib
import http.server
import json
import os
import random
import signal
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as real APIs do
    server_version = "pollhook-test-api/1"

    def log_message(self, fmt, *args):
        pass

    def record(self, status, body):
        cfg = self.server.cfg
        line = {
            "t": self.arrived,
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "status": status,
        }
        with self.server.log_lock:
            with open(cfg.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(line) + "\n")

    def send(self, status, body=b"", ctype="application/json", headers=None,
             chunked=False):
        self.send_response(status)
        if body or status != 304:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            step = 65536
            for i in range(0, len(body), step):
                part = body[i:i + step]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def authorized(self, kind):
        cfg = self.server.cfg
        got = self.headers.get("Authorization", "")
        if kind == "basic":
            want = "Basic " + base64.b64encode(
                ("%s:%s" % (cfg.user, cfg.password)).encode()).decode()
        else:
            want = "Bearer " + cfg.token
        return got == want

    def serve_file(self, name, req_body):
        path = os.path.join(self.server.cfg.dir, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
            mtime = os.stat(path).st_mtime
        except OSError:
            body = b'{"error": "not found"}'
            self.record(404, req_body)
            self.send(404, body)
            return
        etag = '"%s"' % hashlib.sha1(data).hexdigest()[:16]
        headers = {"ETag": etag,
                   "Last-Modified": email.utils.formatdate(mtime, usegmt=True)}
        if self.headers.get("If-None-Match") == etag:
            self.record(304, req_body)
            self.send(304, headers=headers)
            return
        self.record(200, req_body)
        self.send(200, data, headers=headers)

    def serve_seq(self, name, max_ms, req_body):
        path = os.path.join(self.server.cfg.dir, name)
        with self.server.log_lock:
            k = self.server.seq_counts.get(name, 0)
            self.server.seq_counts[name] = k + 1
        try:
            with open(path, "rb") as f:
                docs = json.load(f)
        except (OSError, ValueError):
            self.record(404, req_body)
            self.send(404, b'{"error": "not found"}')
            return
        body = json.dumps(docs[min(k, len(docs) - 1)]).encode()
        self.record(200, req_body)
        time.sleep(random.uniform(0.0, max_ms / 1000.0))
        self.send(200, body)

    def handle_any(self):
        self.arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        req_body = self.rfile.read(length) if length > 0 else b""
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        path = url.path.lstrip("/")
        if path == "slow":
            secs = float(q.get("s", ["5"])[0])
            self.record(200, req_body)
            time.sleep(secs)
            self.send(200, b'{"slow": true}')
        elif path in ("huge", "huge-chunked"):
            n = int(q.get("n", [str(2 * 1024 * 1024)])[0])
            filler = "x" * max(0, n - 20)
            body = json.dumps({"filler": filler}).encode()
            self.record(200, req_body)
            self.send(200, body, chunked=path == "huge-chunked")
        elif path == "invalid":
            self.record(200, req_body)
            self.send(200, b'{"cpu": 12, oops')
        elif path == "big-header":
            n = int(q.get("n", [str(4 * 1024 * 1024)])[0])
            self.record(200, req_body)
            self.send(200, b'{"v": 1}', headers={"X-Big": "a" * n})
        elif path == "empty":
            self.record(200, req_body)
            self.send(200, b"")
        elif path == "status":
            code = int(q.get("code", ["500"])[0])
            self.record(code, req_body)
            self.send(code, b'{"error": "status %d"}' % code)
        elif path.startswith("basic/") or path.startswith("bearer/"):
            kind, name = path.split("/", 1)
            if not self.authorized(kind):
                self.record(401, req_body)
                self.send(401, b'{"error": "unauthorized"}',
                          headers={"WWW-Authenticate": 'Basic realm="t"'})
                return
            self.serve_file(name, req_body)
        elif path.startswith("seq/"):
            self.serve_seq(path.split("/", 1)[1], float(q.get("ms", ["0"])[0]), req_body)
        elif path.startswith("redirect/"):
            self.record(302, req_body)
            self.send(302, b"", headers={"Location": "/" + path.split("/", 1)[1]})
        else:
            self.serve_file(path, req_body)

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients that give up (timeouts, max_body) are part of the tests.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--user", default="alice")
    ap.add_argument("--password", default="s3cret")
    ap.add_argument("--token", default="tok-123")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    cfg = ap.parse_args()

    srv = Server(("127.0.0.1", 0), Handler)
    srv.cfg = cfg
    srv.log_lock = threading.Lock()
    srv.seq_counts = {}
    if cfg.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cfg.tls_cert, cfg.tls_key)
        if cfg.client_ca:
            ctx.load_verify_locations(cfg.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    tmp = cfg.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, cfg.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
