#!/usr/bin/env bash
# Case: /v1/events and its paging.
#   config     bridge.api with a token; cpu.high on one http source; one
#              subscriber answering 200
#   behaviour  the CPU goes 95, 30, 96, 31 (two firings, two resolved)
#   expected   the events in id order, the bodies delivered; limit and after
#              page through them, next is the last id; bad arguments 400
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

api_start
wait_served api 1

# Events: make four (two firings, two resolves), page through them. Each
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
