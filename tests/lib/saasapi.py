#!/usr/bin/env python3
"""A loopback SaaS-like API for the http poller's OAuth2, paging and
rate-limit tests: Zoom's Server-to-Server OAuth and recordings list, and a
GitHub-like list paged by Link headers.

Standard library only. It binds 127.0.0.1 on a free port and writes the
port to --port-file once it listens.

  POST /oauth/token    Zoom's token endpoint: Basic --client-id:--client-secret
                       (or both as form fields client_id and client_secret),
                       a form with grant_type=account_credentials and
                       account_id=--account-id (or grant_type=client_credentials);
                       answers {"access_token", "token_type": "bearer",
                       "expires_in": --ttl}; a token is refused --ttl seconds
                       after it was issued. Wrong credentials: 401 invalid_client.
  POST /oauth/bad/MODE a token endpoint that misbehaves: MODE garbage (not
                       JSON), notoken ({}), negative and huge (expires_in -5 and
                       1e12), echo (400 whose error_description repeats the
                       request, secret included), down (500).
  POST /admin/revoke   revokes every token issued so far (the API's 401 path).
  GET /v2/users/me/recordings?from=YYYY-MM-DD&to=YYYY-MM-DD[&next_page_token=T]
                       the recordings of --dir/recordings.json (a JSON list of
                       objects with "uuid" and "start_time") whose start date
                       is within from..to, newest first, --page-size a page,
                       paged by next_page_token ("" on the last page). Needs a
                       valid token (else 401 code 124).
  GET /limited/v2/users/me/recordings  the same, but a first page (no
                       next_page_token) asked for sooner than --min-interval
                       seconds after the last one accepted gets 429 with
                       Retry-After (whole seconds).
  GET /repos/o/r/releases?page=N  --dir/releases.json, --page-size a page,
                       with Link: <...>; rel="next", rel="last" (and rel="prev").
                       No token needed; sends X-RateLimit-Remaining and
                       X-RateLimit-Reset (a Unix time) from --budget requests
                       per --budget-window seconds; past the budget 403.
  GET /bad/MODE        paging gone wrong: notjson (page 2 is not JSON), loop
                       (next_page_token always "same"), link-garbage (a
                       malformed Link header), link-loop (rel=next to itself),
                       link-away (rel=next to another port).

Every request is appended to --log as one JSON line: {"t", "method", "path",
"headers" (lower-case names), "body", "status", "retry_after"}.
"""

import argparse
import base64
import http.server
import json
import math
import os
import secrets
import signal
import socketserver
import sys
import threading
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pollhook-test-saas/1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, doc, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(doc).encode()
        line = {
            "t": self.arrived, "method": self.command, "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": self.req_body.decode("utf-8", "replace"), "status": status,
            "retry_after": (headers or {}).get("Retry-After"),
        }
        with self.server.lock:
            with open(self.server.cfg.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(line) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    # The token endpoint.
    def token(self):
        cfg = self.server.cfg
        want = "Basic " + base64.b64encode(
            ("%s:%s" % (cfg.client_id, cfg.client_secret)).encode()).decode()
        form = urllib.parse.parse_qs(self.req_body.decode())
        grant = form.get("grant_type", [""])[0]
        # RFC 6749, 2.3.1: Basic, or the credentials as form fields.
        in_form = (form.get("client_id", [""])[0] == cfg.client_id and
                   form.get("client_secret", [""])[0] == cfg.client_secret and
                   "Authorization" not in self.headers)
        if self.headers.get("Authorization", "") != want and not in_form:
            return self.reply(401, {"reason": "Invalid client_id or client_secret",
                                    "error": "invalid_client"})
        if grant == "account_credentials":
            if form.get("account_id", [""])[0] != cfg.account_id:
                return self.reply(400, {"reason": "Invalid account_id",
                                        "error": "invalid_request"})
        elif grant != "client_credentials":
            return self.reply(400, {"error": "unsupported_grant_type"})
        tok = "tok-" + secrets.token_hex(12)
        with self.server.lock:
            self.server.tokens[tok] = time.time() + cfg.ttl
        self.reply(200, {"access_token": tok, "token_type": "bearer",
                         "expires_in": cfg.ttl, "scope": "recording:read:admin"})

    def bad_token(self, mode):
        if mode == "garbage":
            return self.reply(200, None, raw=b"<html>not json</html>")
        if mode == "notoken":
            return self.reply(200, {"token_type": "bearer", "expires_in": 3600})
        if mode in ("negative", "huge"):
            return self.reply(200, {"access_token": "tok-x", "token_type": "bearer",
                                    "expires_in": -5 if mode == "negative" else 10 ** 12})
        if mode == "echo":
            return self.reply(400, {"error": "invalid_request",
                                    "error_description": "got " + self.headers.get(
                                        "Authorization", "") + " " +
                                    self.req_body.decode()})
        self.reply(500, {"error": "server_error"})

    def token_ok(self):
        got = self.headers.get("Authorization", "")
        with self.server.lock:
            exp = self.server.tokens.get(got[7:]) if got.startswith("Bearer ") else None
        return exp is not None and time.time() < exp

    # The recordings list.
    def recordings(self, q, limited):
        cfg = self.server.cfg
        if not self.token_ok():
            return self.reply(401, {"code": 124, "message": "Invalid access token."})
        tok = q.get("next_page_token", [""])[0]
        if limited and tok == "":
            with self.server.lock:
                wait = self.server.last_first + cfg.min_interval - self.arrived
                if wait <= 0:
                    self.server.last_first = self.arrived
            if wait > 0:
                return self.reply(429, {"code": 429, "message": "Too many requests"},
                                  headers={"Retry-After": str(math.ceil(wait))})
        frm, to = q.get("from", [""])[0], q.get("to", [""])[0]
        try:
            with open(os.path.join(cfg.dir, "recordings.json")) as f:
                recs = json.load(f)
        except (OSError, ValueError):
            recs = []
        recs = [r for r in recs if frm <= r["start_time"][:10] <= to]
        recs.sort(key=lambda r: r["start_time"], reverse=True)
        start = int(base64.urlsafe_b64decode(tok.encode()).decode()) if tok else 0
        end = start + cfg.page_size
        nxt = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(recs) else ""
        self.reply(200, {"from": frm, "to": to, "page_size": cfg.page_size,
                         "total_records": len(recs), "next_page_token": nxt,
                         "meetings": recs[start:end]})

    # The Link-paged list.
    def releases(self, q):
        cfg = self.server.cfg
        with self.server.lock:
            now = time.time()
            if now >= self.server.window_end:
                self.server.window_end = now + cfg.budget_window
                self.server.used = 0
            self.server.used += 1
            left = cfg.budget - self.server.used
            reset = str(int(math.ceil(self.server.window_end)))
        rl = {"X-RateLimit-Limit": str(cfg.budget),
              "X-RateLimit-Remaining": str(max(left, 0)), "X-RateLimit-Reset": reset}
        if left < 0:
            return self.reply(403, {"message": "API rate limit exceeded"}, headers=rl)
        try:
            with open(os.path.join(cfg.dir, "releases.json")) as f:
                rels = json.load(f)
        except (OSError, ValueError):
            rels = []
        page = int(q.get("page", ["1"])[0])
        pages = max(1, math.ceil(len(rels) / cfg.page_size))
        base = "http://127.0.0.1:%d/repos/o/r/releases" % self.server.server_address[1]
        links = []
        if page < pages:
            links.append('<%s?page=%d>; rel="next"' % (base, page + 1))
            links.append('<%s?page=%d>; rel="last"' % (base, pages))
        if page > 1:
            links.insert(0, '<%s?page=%d>; rel="prev"' % (base, page - 1))
        if links:
            rl["Link"] = ", ".join(links)
        s = (page - 1) * cfg.page_size
        self.reply(200, rels[s:s + cfg.page_size], headers=rl)

    def bad(self, mode, q):
        page = int(q.get("page", ["1"])[0])
        port = self.server.server_address[1]
        if mode == "notjson":
            if q.get("next_page_token"):
                return self.reply(200, None, raw=b'{"meetings": [1, 2')
            return self.reply(200, {"next_page_token": "p2", "meetings": [{"id": "a"}]})
        if mode == "loop":
            return self.reply(200, {"next_page_token": "same", "meetings": [{"id": "a"}]})
        hdr = {"link-garbage": 'http://127.0.0.1/x; rel="next"',
               "link-loop": '<http://127.0.0.1:%d/bad/link-loop?page=1>; rel="next"' % port,
               "link-away": '<http://127.0.0.1:%d/x?page=2>; rel="next"' % (port + 1)}
        self.reply(200, [{"id": page}], headers={"Link": hdr.get(mode, "")})

    def handle_any(self):
        self.arrived = time.time()
        n = int(self.headers.get("Content-Length") or 0)
        self.req_body = self.rfile.read(n) if n > 0 else b""
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        p = url.path
        if p == "/oauth/token" and self.command == "POST":
            self.token()
        elif p.startswith("/oauth/bad/"):
            self.bad_token(p[len("/oauth/bad/"):])
        elif p == "/admin/revoke":
            with self.server.lock:
                self.server.tokens.clear()
            self.reply(200, {"revoked": True})
        elif p == "/v2/users/me/recordings":
            self.recordings(q, False)
        elif p == "/limited/v2/users/me/recordings":
            self.recordings(q, True)
        elif p == "/repos/o/r/releases":
            self.releases(q)
        elif p.startswith("/bad/"):
            self.bad(p[len("/bad/"):], q)
        else:
            self.reply(404, {"error": "not found"})

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--client-id", default="pollhook-client")
    ap.add_argument("--client-secret", default="zoom-secret-S3CR3T")
    ap.add_argument("--account-id", default="acct-42")
    ap.add_argument("--ttl", type=int, default=3600)
    ap.add_argument("--page-size", type=int, default=2)
    ap.add_argument("--min-interval", type=float, default=2.0)
    ap.add_argument("--budget", type=int, default=1000)
    ap.add_argument("--budget-window", type=float, default=60.0)
    cfg = ap.parse_args()

    srv = Server(("127.0.0.1", 0), Handler)
    srv.cfg = cfg
    srv.lock = threading.Lock()
    srv.tokens = {}
    srv.last_first = 0.0
    srv.window_end = 0.0
    srv.used = 0
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    tmp = cfg.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, cfg.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
