#!/usr/bin/env bash
# jq transforms: a program's one output is the body, signed as sent (a
# string output is a JSON string); a program giving two values or looping
# forever sends the delivery to the dead letters with the reason, and the
# loop is stopped (the next deliveries of another transform go on); a syntax
# error stops the daemon at start with FILE:LINE.
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

echo '{"cpu": 20}' | put status.json
start_api api
for r in ok str two loop; do
	start_receiver "$r" standard "$SECRET_A"
done
conf() {
	cat <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "loop"; url = "http://127.0.0.1:$loop_PORT/hook"; secret = "$SECRET_A";
    transform = "def f: f; f"; },
  { name = "ok"; url = "http://127.0.0.1:$ok_PORT/hook"; secret = "$SECRET_A";
    transform = "{what: .event, on: .payload.source, value: .payload.value}"; },
  { name = "str"; url = "http://127.0.0.1:$str_PORT/hook"; secret = "$SECRET_A";
    transform = ".event"; },
  { name = "two"; url = "http://127.0.0.1:$two_PORT/hook"; secret = "$SECRET_A";
    transform = ".event, .id"; }$1
);
CONF
}

# A syntax error: the daemon does not start, and says where.
conf ',
  { name = "bad"; url = "http://127.0.0.1:1/hook"; secret = "'"$SECRET_A"'";
    transform = "{what: .event | }"; }' >"$TMP/bad.conf"
rc=0
"$POLLHOOK" -c "$TMP/bad.conf" >"$TMP/bad.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a transform with a syntax error started"
grep -q "^$TMP/bad.conf:16: transform: jq: error: syntax error" "$TMP/bad.out" ||
	fail "no FILE:LINE jq error: $(cat "$TMP/bad.out")"
pass "a jq syntax error is FILE:LINE: transform: jq: error: ..."

# dead_n N: N dead letters listed (in $TMP/dead.json).
dead_n() {
	deliveries dead >"$TMP/dead.json"
	python3 -c "import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1]))) >= int(sys.argv[2]) else 1)" \
	    "$TMP/dead.json" "$1"
}

conf "" >"$TMP/pollhook.conf"
start_daemon "$TMP/pollhook.conf"
wait_served api 1
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/ok.jsonl" 'True' 1 15 || fail "ok got no firing"
echo '{"cpu": 40}' | put status.json
# The loop holds each of its deliveries for a second before it is stopped.
wait_count "$TMP/ok.jsonl" 'True' 2 20 || fail "ok got no resolved"
wait_count "$TMP/str.jsonl" 'True' 2 20 || fail "str got no resolved"
wait_for 20 dead_n 4 || fail "dead letters: $(cat "$TMP/dead.json")"
stop_daemon

for r in ok str; do
	all_verified "$r"
done
[ "$(count_lines "$TMP/two.jsonl" True)" -eq 0 ] || fail "two values were sent"
[ "$(count_lines "$TMP/loop.jsonl" True)" -eq 0 ] || fail "a looping program's delivery was sent"
python3 - "$TMP" <<'PY' || fail "bodies or dead letters are wrong: $(cat "$TMP/dead.json")"
import json, sys
tmp = sys.argv[1]
def bodies(name):
    return [json.loads(l)["body"] for l in open("%s/%s.jsonl" % (tmp, name))]
ok = [json.loads(b) for b in bodies("ok")]
assert ok == [{"what": "cpu.high", "on": "edge-1", "value": 95},
              {"what": "cpu.high.resolved", "on": "edge-1", "value": 40}], ok
assert bodies("str") == ['"cpu.high"', '"cpu.high.resolved"'], bodies("str")
dead = json.load(open("%s/dead.json" % tmp))
why = {}
for d in dead:
    why.setdefault(d["subscriber"], []).append(d["last_error"])
assert sorted(why) == ["loop", "two"], why
assert all("more than one value" in w for w in why["two"]), why
assert all("ran longer than 1 s" in w for w in why["loop"]), why
assert all(d["attempts"] == 1 for d in dead), dead
PY
pass "one output is the body (a string as a JSON string); two values and a loop are dead letters with jq's reason, the loop stopped"
