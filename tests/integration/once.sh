#!/usr/bin/env bash
# The command line and --once against a real loopback HTTP API: samples,
# built-in metrics, events a rule would emit, exit codes, table and JSON.
. "$(dirname "$0")/../lib/http_common.sh"

echo '{"cpu": 95, "name": "r1"}' | put status.json
start_api api

# A port nothing listens on: bind one, close it, use it.
DEAD_PORT=$(free_port)

cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "api"; poller = "http"; interval = 1.0; labels = { site = "fra1"; };
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; }, { name = "name"; json = "/name"; } ); },
  { name = "gone"; poller = "http"; interval = 1.0; timeout = 0.5;
    http = { url = "http://127.0.0.1:$DEAD_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); }
);
rules = (
  { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; severity = "critical"; },
  { name = "device.unreachable"; metric = "up"; below = 1.0; }
);
subscribers = ( { name = "log"; emitter = "log"; path = "$TMP/events.jsonl"; } );
CONF

"$POLLHOOK" --check-config -c "$TMP/pollhook.conf" >"$TMP/check.out" 2>&1 ||
	fail "--check-config rejected a good config: $(cat "$TMP/check.out")"
grep -q "configuration ok (2 sources, 2 rules, 1 subscribers)" "$TMP/check.out" ||
	fail "--check-config said: $(cat "$TMP/check.out")"
pass "--check-config accepts the config"

once "$TMP/pollhook.conf"
[ "$ONCE_RC" -eq 2 ] || fail "--once with one dead source exited $ONCE_RC, want 2"
expect api ok - true
expect api cpu - 95
expect api name - '"r1"'
expect api up - 1
expect gone ok - false
expect gone up - 0
got=$(get api poll_seconds)
python3 -c "import sys; v=float(sys.argv[1]); sys.exit(0 if 0 <= v < 5 else 1)" "$got" ||
	fail "poll_seconds is '$got'"
pass "--once samples: values, up, poll_seconds, a failed source"

python3 - "$TMP/once.json" <<'PY' || fail "--once events are wrong: $(cat "$TMP/once.json")"
import json, re, sys
doc = json.load(open(sys.argv[1]))
evs = {(e["event"], e["payload"]["source"]): e for e in doc["events"]}
assert len(doc["events"]) == 2, doc["events"]
hi = evs[("cpu.high", "api")]
p = hi["payload"]
assert re.fullmatch(r"evt_[0-9A-HJKMNP-TV-Z]{26}", hi["id"]), hi["id"]
assert isinstance(hi["event_ts"], int)
assert p["state"] == "firing" and p["value"] == 95 and p["threshold"] == 90 and p["clear"] == 85
assert p["severity"] == "critical" and p["labels"] == {"site": "fra1"} and p["metric"] == "cpu"
assert p["instance"] is None and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", p["since"])
un = evs[("device.unreachable", "gone")]
assert un["payload"]["value"] == 0 and un["payload"]["state"] == "firing"
PY
[ ! -e "$TMP/events.jsonl" ] || fail "--once delivered events to a subscriber"
pass "--once prints the events the rules would emit, delivers none"

"$POLLHOOK" --once --table -c "$TMP/pollhook.conf" >"$TMP/table.out" 2>/dev/null
grep -q '^SOURCE  *METRIC  *INSTANCE  *VALUE' "$TMP/table.out" || fail "no table header"
grep -q '^api  *cpu  *-  *95$' "$TMP/table.out" || fail "no cpu row in: $(cat "$TMP/table.out")"
grep -q '^EVENTS' "$TMP/table.out" || fail "no events in the table output"
pass "--once --table reads as a table"

# Only the healthy source: exit 0.
cat >"$TMP/up.conf" <<CONF
bridge = { state_dir = "$TMP/state"; };
sources = ( { name = "api"; poller = "http"; http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
CONF
once "$TMP/up.conf"
[ "$ONCE_RC" -eq 0 ] || fail "--once with every source up exited $ONCE_RC: $(cat "$TMP/once.err")"
pass "--once exits 0 when every poll succeeds"

# Command-line errors: status 1 and a message, never a crash.
for args in "--bogus" "--json -c $TMP/pollhook.conf" "--once --check-config -c $TMP/pollhook.conf" \
    "extra-argument" "-c"; do
	rc=0
	# shellcheck disable=SC2086
	"$POLLHOOK" $args >"$TMP/cli.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "pollhook $args exited $rc, want 1"
	[ -s "$TMP/cli.out" ] || fail "pollhook $args printed no message"
done
rc=0
"$POLLHOOK" --check-config -c "$TMP/missing.conf" >"$TMP/cli.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "missing.conf" "$TMP/cli.out" || fail "a missing config: rc $rc, $(cat "$TMP/cli.out")"
"$POLLHOOK" --version | grep -q '^pollhook [0-9]' || fail "--version"
"$POLLHOOK" --help | grep -q -- '--check-config' || fail "--help"
pass "command-line errors exit 1 with a message"
