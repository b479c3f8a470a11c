#!/usr/bin/env bash
# pollhook --once --format-preview prints, per subscriber that wants each
# event, the body (and format headers) it would be sent: the Slack line, the
# CloudEvents binary headers, a transform's output, a looping transform's
# error; a subscriber whose events filter does not match gets no preview.
. "$(dirname "$0")/../lib/http_common.sh"
CHECK=$top_srcdir/tests/lib/format_check.py

echo '{"cpu": 97}' | put status.json
start_api api
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; };
sources = ( { name = "edge-router-1"; poller = "http"; interval = 1.0; labels = { site = "fra1"; };
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; severity = "critical"; } );
subscribers = (
  { name = "slack"; url = "http://127.0.0.1:9/h"; signature = "none"; format = "slack"; },
  { name = "ceb"; url = "http://127.0.0.1:9/h"; signature = "none"; format = "cloudevents";
    cloudevents_mode = "binary"; },
  { name = "jq"; url = "http://127.0.0.1:9/h"; signature = "none"; transform = "{t: .event}"; },
  { name = "loop"; url = "http://127.0.0.1:9/h"; signature = "none"; transform = "def f: f; f"; },
  { name = "other"; url = "http://127.0.0.1:9/h"; signature = "none"; events = [ "disk.*" ]; }
);
CONF
rc=0
"$POLLHOOK" --once --json --format-preview -c "$TMP/pollhook.conf" >"$TMP/once.json" 2>"$TMP/once.err" || rc=$?
[ "$rc" -eq 0 ] || fail "--once --format-preview exited $rc: $(cat "$TMP/once.err")"
python3 - "$TMP/once.json" <<'PY' || fail "previews are wrong: $(cat "$TMP/once.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
ev = doc["events"][0]
p = {x["subscriber"]: x for x in doc["previews"]}
assert sorted(p) == ["ceb", "jq", "loop", "slack"], sorted(p)
assert all(x["id"] == ev["id"] and x["event"] == "cpu.high" for x in p.values())
assert json.loads(p["slack"]["body"])["text"] == \
    "cpu.high firing on edge-router-1: cpu 97 > 90 (critical)", p["slack"]
assert "ce-type: cpu.high" in p["ceb"]["headers"], p["ceb"]
assert json.loads(p["ceb"]["body"]) == ev["payload"]
assert json.loads(p["jq"]["body"]) == {"t": "cpu.high"} and p["jq"]["format"] == "transform"
assert "ran longer than 1 s" in p["loop"]["error"], p["loop"]
PY
"$POLLHOOK" --once --table --format-preview -c "$TMP/pollhook.conf" >"$TMP/once.txt" 2>&1 ||
	fail "--table --format-preview: $(cat "$TMP/once.txt")"
grep -q '^slack (slack) cpu.high evt_' "$TMP/once.txt" || fail "table: $(cat "$TMP/once.txt")"
grep -q '"text":"cpu.high firing on edge-router-1: cpu 97 > 90 (critical)"' "$TMP/once.txt" ||
	fail "table has no Slack text: $(cat "$TMP/once.txt")"
rc=0
"$POLLHOOK" --format-preview -c "$TMP/pollhook.conf" >"$TMP/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "go with --once" "$TMP/bad.out" || fail "--format-preview alone: $rc $(cat "$TMP/bad.out")"
pass "--once --format-preview shows each subscriber's body (JSON and table); errors shown; filters apply"
