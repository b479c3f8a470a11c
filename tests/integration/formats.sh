#!/usr/bin/env bash
# One subscriber per payload format, each receiver checking the body against
# the format's published contract with code of its own
# (tests/lib/format_check.py) and the signature over the body as sent: a
# cpu.high firing then resolved episode, and an on_change event in between.
# PagerDuty: one trigger and one resolve with the same dedup_key, the change
# a trigger of its own; Alertmanager: one alert firing then resolved with one
# fingerprint; CloudEvents (both modes) carry the envelope's payload as data.
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
CHECK=$top_srcdir/tests/lib/format_check.py
PD_KEY=R0123456789abcdefghijklmnopqrstu

echo '{"cpu": 20, "mode": "a"}' | put status.json
start_api api
FORMATS="env ces ceb slack teams pd am"
for r in $FORMATS; do
	start_receiver "$r" standard "$SECRET_A"
done

hook() {
	echo "name = \"$1\"; url = \"http://127.0.0.1:$2/hook\"; secret = \"$SECRET_A\";"
}
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    labels = { site = "fra1"; };
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; }, { name = "mode"; json = "/mode"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; severity = "critical"; },
          { name = "mode.changed"; metric = "mode"; on_change = true; } );
subscribers = (
  { $(hook env "$env_PORT") },
  { $(hook ces "$ces_PORT") format = "cloudevents"; },
  { $(hook ceb "$ceb_PORT") format = "cloudevents"; cloudevents_mode = "binary"; },
  { $(hook slack "$slack_PORT") format = "slack"; },
  { $(hook teams "$teams_PORT") format = "teams"; },
  { $(hook pd "$pd_PORT") format = "pagerduty"; routing_key = "$PD_KEY"; },
  { $(hook am "$am_PORT") format = "alertmanager"; }
);
CONF

start_daemon "$TMP/pollhook.conf"
wait_served api 1
echo '{"cpu": 95, "mode": "a"}' | put status.json
wait_count "$TMP/env.jsonl" 'json.loads(r["body"])["event"] == "cpu.high"' 1 15 ||
	fail "no cpu.high"
echo '{"cpu": 95, "mode": "b"}' | put status.json
wait_count "$TMP/env.jsonl" 'json.loads(r["body"])["event"] == "mode.changed"' 1 15 ||
	fail "no mode.changed"
echo '{"cpu": 40, "mode": "b"}' | put status.json
for r in $FORMATS; do
	wait_count "$TMP/$r.jsonl" 'True' 3 15 || fail "receiver $r did not get 3 requests"
done
wait_served api $(($(count_lines "$TMP/api.log" True) + 3))
stop_daemon

for r in $FORMATS; do
	all_verified "$r"
	[ "$(count_lines "$TMP/$r.jsonl" True)" -eq 3 ] || fail "receiver $r got more than 3"
done
pass "every format's POST verified (signature over the body sent); three each"

check() {
	python3 "$CHECK" "$1" "$TMP/$2.jsonl" >"$TMP/check.out" 2>&1 ||
		fail "$1 bodies break the contract: $(cat "$TMP/check.out")"
}
check envelope env
check cloudevents ces
check cloudevents-binary ceb
check slack slack
check teams teams
check pagerduty pd
check alertmanager am
pass "every body follows its format's contract"

python3 - "$TMP" "$PD_KEY" <<'PY' || fail "the formats' contents are wrong"
import json, sys, urllib.parse
tmp, pd_key = sys.argv[1], sys.argv[2]
def reqs(name):
    return [json.loads(l) for l in open("%s/%s.jsonl" % (tmp, name))]
env = [json.loads(r["body"]) for r in reqs("env")]
assert [e["event"] for e in env] == ["cpu.high", "mode.changed", "cpu.high.resolved"], env
byid = {e["id"]: e for e in env}
ids = [e["id"] for e in env]

# The signed id is the event's in every format.
for name in ("ces", "ceb", "slack", "teams", "pd", "am"):
    assert [r["headers"]["webhook-id"] for r in reqs(name)] == ids, name

for r in reqs("ces"):
    ce = json.loads(r["body"])
    e = byid[ce["id"]]
    assert ce["type"] == e["event"] and ce["source"] == "pollhook/edge-1", ce
    assert ce["data"] == e["payload"], (ce, e)
    assert ce["datacontenttype"] == "application/json"
for r in reqs("ceb"):
    h = r["headers"]
    e = byid[urllib.parse.unquote(h["ce-id"])]
    assert h["ce-type"] == e["event"] and h["ce-source"] == "pollhook/edge-1", h
    assert json.loads(r["body"]) == e["payload"], r["body"]
    assert "ce-time" in h and "ce-subject" in h, h

s = [json.loads(r["body"]) for r in reqs("slack")]
assert s[0]["text"] == "cpu.high firing on edge-1: cpu 95 > 90 (critical)", s[0]["text"]
assert s[1]["text"] == 'mode.changed changed on edge-1: mode a -> b', s[1]["text"]
assert s[2]["text"] == "cpu.high resolved on edge-1: cpu 40 <= 85 (critical)", s[2]["text"]
# Slack's mrkdwn wants &, <, > as entities.
blk = s[0]["blocks"][0]["text"]["text"]
assert s[0]["text"].replace(">", "&gt;") in blk and blk.startswith(":red_circle: *"), blk

t = [json.loads(r["body"]) for r in reqs("teams")]
card = t[0]["attachments"][0]["content"]
assert card["body"][0]["text"] == s[0]["text"], card
facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
assert facts["Source"] == "edge-1" and facts["Value"] == "95" and facts["Severity"] == "critical"

pd = [json.loads(r["body"]) for r in reqs("pd")]
assert [p["event_action"] for p in pd] == ["trigger", "trigger", "resolve"], pd
assert all(p["routing_key"] == pd_key for p in pd)
assert pd[0]["dedup_key"] == pd[2]["dedup_key"], pd
assert pd[1]["dedup_key"] == ids[1] != pd[0]["dedup_key"], pd
assert pd[0]["payload"]["severity"] == "critical" and pd[0]["payload"]["source"] == "edge-1"
assert pd[0]["payload"]["summary"] == s[0]["text"]
assert pd[0]["payload"]["custom_details"] == env[0]["payload"]
assert pd[1]["payload"]["severity"] == "error"	# no severity on the rule

am = [json.loads(r["body"]) for r in reqs("am")]
fire, res = am[0]["alerts"][0], am[2]["alerts"][0]
assert am[0]["status"] == "firing" and am[2]["status"] == "resolved", am
assert fire["fingerprint"] == res["fingerprint"], (fire, res)
assert am[1]["alerts"][0]["fingerprint"] != fire["fingerprint"]
assert fire["labels"]["alertname"] == "cpu.high" and fire["labels"]["site"] == "fra1"
assert fire["labels"]["severity"] == "critical" and fire["labels"]["source"] == "edge-1"
assert fire["startsAt"] == env[0]["payload"]["since"], fire
assert fire["endsAt"] == "0001-01-01T00:00:00Z"
assert res["endsAt"] != "0001-01-01T00:00:00Z" and res["endsAt"] >= res["startsAt"], res
assert am[0]["receiver"] == "am"
PY
pass "CloudEvents carry the payload; Slack/Teams read right; one PagerDuty episode (trigger, resolve, one dedup_key); one Alertmanager alert firing then resolved"
