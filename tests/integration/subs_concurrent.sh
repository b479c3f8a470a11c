#!/usr/bin/env bash
# Case: 1,000 concurrent POST /v1/subscribers while sources are polled.
#   config     loopback allowed; 20 http sources polled every 0.2 s; the
#              1,000 connections come from one address, so the per-address
#              limit (default 64) is raised to hold them
#   behaviour  1,000 POSTs at once, each validated by the challenge against
#              one receiver
#   expected   1,000 answers 201, 1,000 subscribers listed; every source
#              keeps being polled meanwhile (the loop never waits for a
#              validation; how punctual the polls are is a figure for
#              tests/bench, printed here, not a pass/fail matter)
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"
. "$(dirname "$0")/../lib/subs_common.sh"

start_receiver many standard "$SECRET_A"
srcs=$(for i in $(seq 1 20); do printf '{ name = "s%d"; poller = "http"; interval = 0.2; timeout = 0.2; http = { url = "http://127.0.0.1:%s/status.json"; }; metrics = ( { name = "cpu"; json = "/cpu"; } ); },' "$i" "$api_PORT"; done)
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF
  api = { listen = "127.0.0.1:$API_PORT"; token_file = "$TMP/api.token";
    max_connections_per_ip = 1024;
    subscriptions = { $LOOPBACK_OK validation_timeout = 10.0; }; }; };
sources = ( ${srcs%,} );
CONF
start_daemon "$TMP/pollhook.conf"
wait_for 10 healthy || fail "the API did not answer /healthz"
wait_served api 20
expect_status 200 GET /v1/sources "$TOKEN"
cp "$TMP/body" "$TMP/sources_before.json"
python3 - "$API_PORT" "$TOKEN" "$(hook_url many)" "$SECRET_A" >"$TMP/statuses" <<'PY' || fail "the concurrent POSTs failed"
import http.client, json, sys, threading
port, token, url, secret = sys.argv[1:]
out = [None] * 1000
start = threading.Barrier(1000, timeout=60)
def post(i):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    body = json.dumps({"name": "c%04d" % i, "url": url, "secret": secret})
    start.wait()
    try:
        c.request("POST", "/v1/subscribers", body, {"Authorization": "Bearer " + token,
                                                   "Content-Type": "application/json"})
        r = c.getresponse()
        out[i] = r.status
        if r.status != 201:
            print("POST %d: %d %s" % (i, r.status, r.read()[:200]), file=sys.stderr)
    except Exception as e:
        out[i] = repr(e)
ts = [threading.Thread(target=post, args=(i,)) for i in range(1000)]
for t in ts: t.start()
for t in ts: t.join()
for s in out: print(s)
PY
ok=$(grep -c '^201$' "$TMP/statuses")
[ "$ok" = 1000 ] || fail "$ok of 1000 POSTs answered 201: $(sort "$TMP/statuses" | uniq -c | head)"
want 200 GET "/v1/subscribers?limit=1000"
[ "$(body 'len(d["subscribers"])')" = 1000 ] || fail "not 1000 listed"
expect_status 200 GET /v1/sources "$TOKEN"
python3 - "$TMP/sources_before.json" "$TMP/body" <<'PY' || fail "polling stalled while the POSTs waited: $(cat "$TMP/body")"
import json, sys
a, b = ({x["name"]: x for x in json.load(open(f))} for f in sys.argv[1:])
stuck = [n for n in a if b[n]["polls"] - a[n]["polls"] < 3]
assert not stuck, stuck
print("note: overruns during the burst: %d over %d sources" % (
    sum(b[n]["overruns"] - a[n]["overruns"] for n in a), len(a)))
PY
pass "1,000 concurrent POSTs: 1,000 times 201, every source polled meanwhile"
stop_daemon
