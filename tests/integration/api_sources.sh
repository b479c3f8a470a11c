#!/usr/bin/env bash
# Case: /v1/sources and the per-source metrics, up and then failing.
#   config     bridge.api with a token; one http source
#   behaviour  the source polls; then its document goes (404)
#   expected   /v1/sources lists it with name, poller, up, last_poll (RFC
#              3339), last_error, counters; once failing: up false, its last
#              error, errors counted, also in /metrics
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

api_start

# /v1/sources once the source has polled.
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
                  "overruns", "last_duration", "interval", "labels", "origin"}, e
assert isinstance(e["last_duration"], float) and 0 < e["last_duration"] < 5, e
assert e["interval"] == 0.2 and e["labels"] == {}, e
assert e["origin"]["kind"] == "block" and e["origin"]["profile"] is None, e
assert e["name"] == "edge-1" and e["poller"] == "http" and e["up"] is True, e
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", e["last_poll"]), e
assert e["last_error"] is None and e["errors"] == 0 and isinstance(e["overruns"], int), e
PY
[ "$(header Content-Type)" = "application/json" ] || fail "/v1/sources type: $(header Content-Type)"
pass "/v1/sources: name, poller, up, last_poll (RFC 3339), last_error, counters, last_duration, interval, labels"

# A failing source shows in /v1/sources and /metrics.
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
