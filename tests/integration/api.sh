#!/usr/bin/env bash
# The management API (bridge.api): bearer-token auth, /healthz, /metrics in
# the Prometheus text format, /v1/sources, /v1/events paging, dead letters
# listed and retried through /v1/deliveries, 404/405/501, a port in use at
# start, reload of the token and the address, /healthz 503 while stopping.
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

command -v curl >/dev/null 2>&1 || fail "curl is required"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

API_PORT=$(free_port)
TOKEN="tok-$$-$RANDOM-secret"
printf '%s\n' "$TOKEN" >"$TMP/api.token"

# req METHOD PATH [TOKEN] [PORT]: prints the status; body in $TMP/body,
# headers in $TMP/headers.
req() {
	local auth=()
	[ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
	curl -s --max-time 5 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
	    -X "$1" "${auth[@]}" "http://127.0.0.1:${4:-$API_PORT}$2"
}

# expect_status WANT METHOD PATH [TOKEN]: fails unless the request gets WANT.
expect_status() {
	local want=$1 got
	shift
	got=$(req "$@")
	[ "$got" = "$want" ] || fail "$1 $2: status $got, want $want: $(cat "$TMP/body")"
}

# header NAME: the value of header NAME in the last answer.
header() {
	tr -d '\r' <"$TMP/headers" | awk -v n="$1" 'BEGIN { IGNORECASE = 1 }
	    tolower($0) ~ "^" tolower(n) ":" { sub(/^[^:]*: */, ""); print }'
}

# is_json_error: the last body is {"error": "..."}.
is_json_error() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert isinstance(d["error"], str) and d["error"]' \
	    "$TMP/body" 2>/dev/null || fail "not a JSON error body: $(cat "$TMP/body")"
}

healthy() {
	[ "$(req GET /healthz)" = 200 ]
}

echo '{"cpu": 20}' | put status.json
start_api api
start_receiver r standard "$SECRET_A"
mode r 200

write_conf() {
	cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state";
  api = { listen = "127.0.0.1:$API_PORT"; $1 }; };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    timeout = 5.0; retry = { first_delay = 0.2; max_delay = 0.5; }; } );
CONF
}
write_conf "token_file = \"$TMP/api.token\";"

start_daemon "$TMP/pollhook.conf"
wait_for 10 healthy || fail "the API did not answer /healthz"
grep -q "api: listening on 127.0.0.1:$API_PORT" "$TMP/daemon.err" || fail "no 'listening' log line"
grep -q "no bridge.api.token" "$TMP/daemon.err" && fail "warned about a missing token that is set"

# 1. Auth: /healthz is open, everything else needs the token.
[ "$(cat "$TMP/body")" = "ok" ] || fail "/healthz body: $(cat "$TMP/body")"
case $(header Content-Type) in text/plain*) ;; *) fail "/healthz content type: $(header Content-Type)" ;; esac
for p in "GET /metrics" "GET /v1/sources" "GET /v1/events" "GET /v1/deliveries?state=dead" \
    "POST /v1/deliveries/1/retry" "GET /v1/subscribers" "GET /nope"; do
	# shellcheck disable=SC2086
	expect_status 401 $p
	is_json_error
	header WWW-Authenticate | grep -q '^Bearer realm="pollhook"$' ||
		fail "$p: WWW-Authenticate: $(header WWW-Authenticate)"
	# shellcheck disable=SC2086
	expect_status 401 $p wrong-token
	header WWW-Authenticate | grep -q 'error="invalid_token"' ||
		fail "$p with a wrong token: WWW-Authenticate: $(header WWW-Authenticate)"
done
expect_status 401 GET /metrics "${TOKEN}x"
expect_status 401 GET /metrics "${TOKEN%?}"
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Basic $TOKEN" \
    "http://127.0.0.1:$API_PORT/metrics")" = 401 ] || fail "a Basic authorization was accepted"
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: bearer $TOKEN" \
    "http://127.0.0.1:$API_PORT/metrics")" = 200 ] || fail "the scheme name is case-insensitive"
pass "auth: 401 with WWW-Authenticate without or with a wrong token, /healthz open"

# 2. /v1/sources once the source has polled.
sources_polled() {
	[ "$(req GET /v1/sources "$TOKEN")" = 200 ] && python3 - "$TMP/body" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s and s[0]["polls"] >= 2 else 1)
PY
}
wait_for 10 sources_polled || fail "/v1/sources shows no polls: $(cat "$TMP/body")"
python3 - "$TMP/body" <<'PY' || fail "/v1/sources: $(cat "$TMP/body")"
import json, re, sys
s = json.load(open(sys.argv[1]))
assert len(s) == 1, s
e = s[0]
assert set(e) == {"name", "poller", "up", "last_poll", "last_error", "polls", "errors",
                  "overruns"}, e
assert e["name"] == "edge-1" and e["poller"] == "http" and e["up"] is True, e
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", e["last_poll"]), e
assert e["last_error"] is None and e["errors"] == 0 and isinstance(e["overruns"], int), e
PY
[ "$(header Content-Type)" = "application/json" ] || fail "/v1/sources type: $(header Content-Type)"
pass "/v1/sources: name, poller, up, last_poll (RFC 3339), last_error, counters"

# 3. /metrics: the format, the names, counters growing.
scrape() {
	expect_status 200 GET /metrics "$TOKEN"
	cp "$TMP/body" "$1"
	header Content-Type | grep -q '^text/plain; version=0.0.4' ||
		fail "/metrics content type: $(header Content-Type)"
}
check_metrics() {
	python3 - "$@" <<'PY'
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lval = r'"(?:[^"\\\n]|\\[\\"n])*"'
labels = r"\{(?:%s=%s(?:,%s=%s)*)?\}" % (name, lval, name, lval)
value = r"(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf)"
line_re = re.compile(r"^(%s)(%s)? %s$" % (name, labels, value))

def parse(path):
    samples, types = {}, {}
    text = open(path).read()
    assert text.endswith("\n"), "no final newline"
    for ln in text.splitlines():
        if ln.startswith("#"):
            parts = ln.split(" ", 3)
            if len(parts) >= 3 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = line_re.match(ln)
        assert m, "not a sample line: %r" % ln
        samples[m.group(1) + (m.group(2) or "")] = float(ln.rsplit(" ", 1)[1])
    return samples, types

a, ta = parse(sys.argv[1])
b, tb = parse(sys.argv[2])
want = {
    'pollhook_polls_total{source="edge-1"}', 'pollhook_poll_errors_total{source="edge-1"}',
    'pollhook_overruns_total{source="edge-1"}', 'pollhook_source_up{source="edge-1"}',
    'pollhook_poll_seconds_bucket{le="+Inf"}', 'pollhook_poll_seconds_sum',
    'pollhook_poll_seconds_count', 'pollhook_events_total',
    'pollhook_deliveries_total{outcome="ok"}', 'pollhook_deliveries_total{outcome="retried"}',
    'pollhook_deliveries_total{outcome="dead"}', 'pollhook_deliveries_total{outcome="gone"}',
    'pollhook_outbox_depth', 'pollhook_delivery_latency_seconds{quantile="0.5"}',
    'pollhook_delivery_latency_seconds{quantile="0.99"}',
    'pollhook_delivery_latency_seconds_count',
}
missing = want - set(b)
assert not missing, "missing: %s" % sorted(missing)
assert tb["pollhook_poll_seconds"] == "histogram", tb
assert tb["pollhook_delivery_latency_seconds"] == "summary", tb
assert tb["pollhook_polls_total"] == "counter" and tb["pollhook_source_up"] == "gauge", tb
assert b['pollhook_source_up{source="edge-1"}'] == 1
# Counters increase between scrapes; histogram buckets are cumulative.
for k in ('pollhook_polls_total{source="edge-1"}', "pollhook_poll_seconds_count"):
    assert b[k] > a[k], (k, a[k], b[k])
buckets = sorted(((float(re.search(r'le="([^"]+)"', k).group(1)), v) for k, v in b.items()
                  if k.startswith("pollhook_poll_seconds_bucket")))
assert len(buckets) >= 5, buckets
assert all(x[1] <= y[1] for x, y in zip(buckets, buckets[1:])), buckets
assert buckets[-1][1] == b["pollhook_poll_seconds_count"], buckets
for k in sys.argv[3:]:
    n, v = k.rsplit("=", 1)
    assert b.get(n) == float(v), (n, b.get(n), v)
PY
}
# polled_since FILE: a new scrape in $TMP/m2 shows more polls than FILE.
polled_since() {
	scrape "$TMP/m2"
	python3 - "$1" "$TMP/m2" <<'PY'
import re, sys
def polls(path):
    m = re.search(r'^pollhook_poll_seconds_count (\S+)$', open(path).read(), re.M)
    return float(m.group(1)) if m else -1
sys.exit(0 if polls(sys.argv[2]) > polls(sys.argv[1]) >= 0 else 1)
PY
}
scrape "$TMP/m1"
wait_for 10 polled_since "$TMP/m1" || fail "no poll counted between two scrapes: $(cat "$TMP/m2")"
check_metrics "$TMP/m1" "$TMP/m2" || fail "/metrics: $(cat "$TMP/m2")"
pass "/metrics: text format, expected names, counters increasing, cumulative buckets"

# 4. A failing source shows in /v1/sources and /metrics.
rm -f "$WWW/status.json"
source_down() {
	[ "$(req GET /v1/sources "$TOKEN")" = 200 ] && python3 - "$TMP/body" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))[0]
sys.exit(0 if e["up"] is False and e["last_error"] and e["errors"] > 0 else 1)
PY
}
wait_for 10 source_down || fail "a failing source: $(cat "$TMP/body")"
scrape "$TMP/m3"
grep -q '^pollhook_source_up{source="edge-1"} 0$' "$TMP/m3" || fail "source_up not 0: $(grep up "$TMP/m3")"
grep -q '^pollhook_poll_errors_total{source="edge-1"} [1-9]' "$TMP/m3" || fail "no poll errors counted"
echo '{"cpu": 20}' | put status.json
pass "a failing source: up false, last_error, errors counted"

# 5. Events: make four (two firings, two resolves), page through them. Each
# value stays until its event has been delivered.
n=0
for cpu in 95 30 96 31; do
	echo "{\"cpu\": $cpu}" | put status.json
	n=$((n + 1))
	wait_count "$TMP/r.jsonl" 'r["status"] == 200' "$n" 15 || fail "the receiver did not get event $n (cpu $cpu)"
done
expect_status 200 GET "/v1/events" "$TOKEN"
cp "$TMP/body" "$TMP/events_all.json"
expect_status 200 GET "/v1/events?limit=5000" "$TOKEN"
cmp -s "$TMP/body" "$TMP/events_all.json" || fail "limit=5000 is not all events"
page() {
	expect_status 200 GET "/v1/events?limit=2${1:+&after=$1}" "$TOKEN"
	cp "$TMP/body" "$TMP/page$2.json"
	python3 -c 'import json, sys; n = json.load(open(sys.argv[1]))["next"]; print(n if n else "")' \
	    "$TMP/page$2.json"
}
n1=$(page "" 1)
n2=$(page "$n1" 2)
n3=$(page "$n2" 3)
python3 - "$TMP/r.jsonl" "$TMP/events_all.json" "$TMP/page1.json" "$TMP/page2.json" \
    "$TMP/page3.json" "$n1" "$n2" "$n3" <<'PY' || fail "events paging: $(cat "$TMP"/page*.json)"
import json, sys
got = [json.loads(r["body"]) for r in map(json.loads, open(sys.argv[1])) if r["status"] == 200]
ids = [b["id"] for b in got]
all_ = json.load(open(sys.argv[2]))
p = [json.load(open(f)) for f in sys.argv[3:6]]
n1, n2, n3 = sys.argv[6:9]
assert [e["id"] for e in all_["events"]] == ids, (all_, ids)
assert all_["events"] == got, "bodies differ from what was delivered"
assert all_["next"] == ids[-1]
assert [e["id"] for e in p[0]["events"]] == ids[:2] and n1 == ids[1], p[0]
assert [e["id"] for e in p[1]["events"]] == ids[2:4] and n2 == ids[3], p[1]
# Nothing new: no events and the cursor stays.
assert p[2]["events"] == [] and n3 == n2, p[2]
assert ids == sorted(ids) and len(set(ids)) == 4
assert [e["event"] for e in all_["events"]] == ["cpu.high", "cpu.high.resolved"] * 2
PY
for bad in "limit=0" "limit=abc" "limit=-1" "after=x%27y" "after=$(printf 'a%.0s' $(seq 70))"; do
	expect_status 400 GET "/v1/events?$bad" "$TOKEN"
	is_json_error
done
pass "/v1/events: id order, limit and after paging, next, bad arguments 400"

# 6. A dead letter, listed and retried through the API.
mode r 400
echo '{"cpu": 97}' | put status.json
wait_count "$TMP/r.jsonl" 'r["status"] == 400' 1 15 || fail "no attempt answered 400"
dead_listed() {
	[ "$(req GET "/v1/deliveries?state=dead" "$TOKEN")" = 200 ] &&
	    python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1])) else 1)' "$TMP/body"
}
wait_for 10 dead_listed || fail "no dead letter listed: $(cat "$TMP/body")"
cp "$TMP/body" "$TMP/dead_api.json"
deliveries dead >"$TMP/dead_cli.json"
python3 - "$TMP/dead_api.json" "$TMP/dead_cli.json" <<'PY' || fail "dead letters: $(cat "$TMP/dead_api.json") vs CLI $(cat "$TMP/dead_cli.json")"
import json, sys
api, cli = (json.load(open(f)) for f in sys.argv[1:3])
assert api == cli, (api, cli)
assert len(api) == 1 and api[0]["subscriber"] == "r" and api[0]["state"] == "dead", api
assert api[0]["event"] == "cpu.high" and api[0]["last_status"] == 400, api
PY
dead_id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$TMP/dead_api.json")
dead_event=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["event_id"])' "$TMP/dead_api.json")
expect_status 200 GET "/v1/deliveries?state=dead&limit=1&after=$dead_id" "$TOKEN"
[ "$(tr -d ' \n' <"$TMP/body")" = "[]" ] || fail "after= the only dead letter: $(cat "$TMP/body")"
expect_status 200 GET "/v1/deliveries" "$TOKEN"
python3 -c 'import json, sys; assert isinstance(json.load(open(sys.argv[1])), list)' "$TMP/body" ||
	fail "/v1/deliveries (pending): $(cat "$TMP/body")"
expect_status 400 GET "/v1/deliveries?state=weird" "$TOKEN"
is_json_error
scrape "$TMP/m4"
grep -q '^pollhook_dead_letters{subscriber="r"} 1$' "$TMP/m4" || fail "no per-subscriber dead letter metric"
grep -q '^pollhook_deliveries_total{outcome="dead"} 1$' "$TMP/m4" || fail "dead deliveries not counted"

mode r 200
expect_status 202 POST "/v1/deliveries/$dead_id/retry" "$TOKEN"
wait_count "$TMP/r.jsonl" "r['status'] == 200 and json.loads(r['body'])['id'] == '$dead_event'" 1 10 ||
	fail "the dead letter retried through the API was not delivered"
grep -q "api: dead delivery $dead_id queued for retry" "$TMP/daemon.err" || fail "no log line for the retry"
expect_status 200 GET "/v1/deliveries?state=dead" "$TOKEN"
[ "$(tr -d ' \n' <"$TMP/body")" = "[]" ] || fail "still dead after the retry: $(cat "$TMP/body")"
expect_status 404 POST "/v1/deliveries/$dead_id/retry" "$TOKEN"
is_json_error
expect_status 404 POST "/v1/deliveries/999999/retry" "$TOKEN"
expect_status 404 POST "/v1/deliveries/0/retry" "$TOKEN"
expect_status 404 POST "/v1/deliveries/abc/retry" "$TOKEN"
pass "a dead letter listed as by the CLI, retried through the API and delivered"

# 7. Unknown paths, wrong methods, the dynamic subscribers.
for p in /nope /v1 /v1/sources/ /metrics/x /v1/deliveries/1/retry/x; do
	expect_status 404 GET "$p" "$TOKEN"
	is_json_error
done
for p in "POST /metrics" "DELETE /v1/sources" "PUT /v1/events" "POST /healthz"; do
	# shellcheck disable=SC2086
	expect_status 405 $p "$TOKEN"
	is_json_error
	[ "$(header Allow)" = "GET, HEAD" ] || fail "$p: Allow: $(header Allow)"
done
expect_status 405 GET "/v1/deliveries/1/retry" "$TOKEN"
[ "$(header Allow)" = "POST" ] || fail "retry: Allow: $(header Allow)"
for p in "GET /v1/subscribers" "POST /v1/subscribers" "DELETE /v1/subscribers/x"; do
	# shellcheck disable=SC2086
	expect_status 501 $p "$TOKEN"
	is_json_error
done
# A body is not read: the answer comes anyway.
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data-binary @"$POLLHOOK" \
    -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API_PORT/v1/deliveries/1/retry")
[ "$code" = 404 ] || fail "a POST with a large body: $code"
pass "404 and 405 (with Allow) and 501 answers, JSON error bodies"

# 8. A port in use at start: exit 1 with a message.
sed "s|$TMP/state|$TMP/state2|" "$TMP/pollhook.conf" >"$TMP/second.conf"
rc=0
timeout 20 "$POLLHOOK" -c "$TMP/second.conf" 2>"$TMP/second.err" || rc=$?
[ "$rc" = 1 ] || fail "a second daemon on the same API port exited $rc: $(cat "$TMP/second.err")"
grep -q "api: cannot listen on 127.0.0.1:$API_PORT: Address already in use" "$TMP/second.err" ||
	fail "no clear message for the port in use: $(cat "$TMP/second.err")"
healthy || fail "the first daemon's API stopped answering"
pass "a port in use at start: exit 1, 'cannot listen on ...: Address already in use'"

# 9. Reload: a new token at once, then a new address, then no token.
NEW_TOKEN="new-$TOKEN"
printf '%s\n' "$NEW_TOKEN" >"$TMP/api.token"
kill -HUP "$DAEMON_PID"
new_token_works() {
	[ "$(req GET /v1/sources "$NEW_TOKEN")" = 200 ]
}
wait_for 10 new_token_works || fail "the new token was not accepted after a reload"
expect_status 401 GET /v1/sources "$TOKEN"
OLD_PORT=$API_PORT
NEW_PORT=$(free_port)
sed -i "s|127.0.0.1:$OLD_PORT|127.0.0.1:$NEW_PORT|" "$TMP/pollhook.conf"
kill -HUP "$DAEMON_PID"
API_PORT=$NEW_PORT
wait_for 10 healthy || fail "the API did not move to the new port after a reload"
[ "$(req GET /healthz "" "$OLD_PORT")" = 000 ] || fail "the old port still answers"
write_conf ""
sed -i "s|127.0.0.1:$OLD_PORT|127.0.0.1:$NEW_PORT|" "$TMP/pollhook.conf"
kill -HUP "$DAEMON_PID"
open_api() {
	[ "$(req GET /metrics)" = 200 ]
}
wait_for 10 open_api || fail "without a token the API is not open after a reload"
grep -q "no bridge.api.token: anyone who can connect" "$TMP/daemon.err" ||
	fail "no warning about the open API"
pass "reload: token and address applied, an open API warned about"

# 10. Stopping: /healthz answers 503 while work in flight finishes.
mode r hang
echo '{"cpu": 30}' | put status.json
in_flight() {
	[ "$(req GET /metrics)" = 200 ] && grep -q '^pollhook_deliveries_in_flight 1$' "$TMP/body"
}
wait_for 15 in_flight || fail "no delivery in flight"
kill -TERM "$DAEMON_PID"
unhealthy() {
	[ "$(req GET /healthz)" = 503 ]
}
wait_for 5 unhealthy || fail "/healthz did not answer 503 while stopping"
[ "$(header Connection)" = "close" ] || fail "no Connection: close while stopping"
rc=0
for _ in $(seq 100); do
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.2
done
kill -0 "$DAEMON_PID" 2>/dev/null && fail "pollhook did not stop within 20 s"
wait "$DAEMON_PID" || rc=$?
[ "$rc" = 0 ] || fail "pollhook exited $rc after SIGTERM"
grep -q 'Sanitizer' "$TMP/daemon.err" && fail "pollhook reported a sanitizer error"
[ "$(req GET /healthz)" = 000 ] || fail "the API still answers after the stop"
DAEMON_PID=""
pass "stopping: /healthz 503, exit 0, API closed"

echo "PASS: management API"
exit 0
