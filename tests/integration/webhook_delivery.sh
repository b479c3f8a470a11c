#!/usr/bin/env bash
# One poll, three subscribers with three signature schemes and a rotation:
# each receiver verifies every POST with Python's own hmac, and gets one
# cpu.high and one cpu.high.resolved, in that order, with the same id in the
# body and the webhook-id header.
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

echo '{"cpu": 20}' | put status.json
start_api api
start_receiver std standard "$SECRET_A"
# A secret may start with "-": the receiver must still get it as a value.
start_receiver zoom zoom "-zoom-secret-token"
start_receiver gh github "It's a Secret to Everybody"
# Rotation: pollhook signs with A and B; this receiver only knows B.
start_receiver rot standard "$SECRET_B"

cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    labels = { site = "fra1"; };
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "std"; url = "http://127.0.0.1:$std_PORT/hook"; secret = "$SECRET_A"; },
  { name = "zoom"; url = "http://127.0.0.1:$zoom_PORT/hook"; signature = "zoom";
    secret = "-zoom-secret-token"; },
  { name = "gh"; url = "http://127.0.0.1:$gh_PORT/hook"; signature = "github";
    secret = "It's a Secret to Everybody"; events = [ "cpu.*" ]; },
  { name = "rot"; url = "http://127.0.0.1:$rot_PORT/hook"; secret = [ "$SECRET_A", "$SECRET_B" ];
    headers = ( "X-Team: netops" ); },
  { name = "none"; url = "http://127.0.0.1:$rot_PORT/never"; events = [ "interface.*" ];
    signature = "none"; }
);
CONF

start_daemon "$TMP/pollhook.conf"
wait_served api 1
echo '{"cpu": 95}' | put status.json
for r in std zoom gh rot; do
	wait_count "$TMP/$r.jsonl" 'json.loads(r["body"])["event"] == "cpu.high"' 1 15 ||
		fail "receiver $r got no cpu.high"
done
pass "each subscriber got cpu.high"
echo '{"cpu": 88}' | put status.json	# inside the hysteresis band: nothing
wait_served api $(($(count_lines "$TMP/api.log" True) + 3))
echo '{"cpu": 40}' | put status.json
for r in std zoom gh rot; do
	wait_count "$TMP/$r.jsonl" 'json.loads(r["body"])["event"] == "cpu.high.resolved"' 1 15 ||
		fail "receiver $r got no cpu.high.resolved"
done
# A few more polls: anything wrongly sent after the resolved would show.
wait_served api $(($(count_lines "$TMP/api.log" True) + 3))
stop_daemon

for r in std zoom gh rot; do
	all_verified "$r"
	got=$(events "$r" | tr '\n' ' ')
	[ "$got" = "cpu.high cpu.high.resolved " ] || fail "receiver $r got: $got"
done
pass "every POST verified; exactly one firing and one resolved each, in order"

python3 - "$TMP" <<'PY' || fail "request details are wrong"
import json, sys
tmp = sys.argv[1]
def reqs(name):
    return [json.loads(l) for l in open("%s/%s.jsonl" % (tmp, name))]
for name in ("std", "zoom", "gh", "rot"):
    for r in reqs(name):
        h, body = r["headers"], json.loads(r["body"])
        assert r["method"] == "POST" and r["path"] == "/hook", r
        assert h["content-type"] == "application/json", h
        assert h["user-agent"].startswith("pollhook/"), h
        assert body["payload"]["source"] == "edge-1" and body["payload"]["labels"] == {"site": "fra1"}
        if name in ("std", "rot"):
            assert h["webhook-id"] == body["id"], (h, body)
std = reqs("std")
rot = reqs("rot")
# The same event reaches every subscriber with the same id.
assert [json.loads(r["body"])["id"] for r in std] == [json.loads(r["body"])["id"] for r in rot]
# Rotation: two signatures, space-separated.
assert all(len(r["headers"]["webhook-signature"].split(" ")) == 2 for r in rot), rot[0]["headers"]
assert all(r["headers"]["x-team"] == "netops" for r in rot)
assert all("x-zm-signature" in r["headers"] for r in reqs("zoom"))
assert all("x-hub-signature-256" in r["headers"] for r in reqs("gh"))
PY
[ "$(count_lines "$TMP/rot.jsonl" 'r["path"] == "/never"')" -eq 0 ] ||
	fail "a subscriber got events its filter excludes"
pass "headers: ids match bodies, rotation signs twice, filters hold"

"$POLLHOOK" deliveries list --state pending -c "$TMP/pollhook.conf" >"$TMP/pending.txt" ||
	fail "deliveries list failed"
[ "$(wc -l <"$TMP/pending.txt")" -eq 1 ] || fail "deliveries left pending: $(cat "$TMP/pending.txt")"
pass "the outbox is empty after delivery"
