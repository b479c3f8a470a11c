#!/usr/bin/env python3
"""A WebSub subscriber for pollhook's tests: it answers intent verification
(GET with hub.challenge) by echoing the challenge, unless --refuse, and logs
every request as a JSON line: method, query, headers (lower case), body, and
for POSTs whether X-Hub-Signature is sha256 HMAC of the body under --secret.
Standard library only, no code shared with pollhook."""

import argparse
import hashlib
import hmac
import http.server
import json
import sys
import threading
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--secret", default="")
    p.add_argument("--refuse", action="store_true")
    args = p.parse_args()
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def record(self, rec):
            with lock, open(args.log, "a") as f:
                f.write(json.dumps(rec) + "\n")

        def answer(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            self.record({"method": "GET", "query": q})
            if args.refuse or "hub.challenge" not in q:
                self.answer(404)
            else:
                self.answer(200, q["hub.challenge"].encode())

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            h = {k.lower(): v for k, v in self.headers.items()}
            want = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
            self.record({"method": "POST", "headers": h, "body": body.decode(),
                         "verified": hmac.compare_digest(want, h.get("x-hub-signature", ""))})
            self.answer(204)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
