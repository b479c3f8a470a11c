#!/usr/bin/env bash
# Case: --once says why an event would be held back.
#   config     two http sources, cpu.high on both; a maintenance window open
#              all week (daily 00:00-24:00, in Europe/Berlin) on source "edge"
#              only, one on rule "none.*" that holds nothing back, and one
#              whose source glob "edgy*" matches nothing (beside "edge")
#   behaviour  both sources answer cpu 95
#   expected   --check-config warns of "edgy*" only; --json: edge's cpu.high carries "suppressed":
#              "maintenance:always", core's none; the table prints
#              "held back (maintenance:always)" before edge's event only
. "$(dirname "$0")/../lib/http_common.sh"

echo '{"cpu": 95}' | put status.json
start_api api
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "edge"; poller = "http"; http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); },
  { name = "core"; poller = "http"; http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); }
);
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; } );
maintenance = (
  { name = "always"; sources = [ "edge" ]; schedule = "daily 00:00-24:00";
    timezone = "Europe/Berlin"; },
  { name = "other"; rules = [ "none.*" ]; schedule = "daily 00:00-24:00"; },
  { name = "typo"; sources = [ "edgy*", "edge" ]; schedule = "daily 00:00-24:00"; }
);
CONF
"$POLLHOOK" --check-config -c "$TMP/pollhook.conf" >"$TMP/check.out" 2>&1 ||
	fail "--check-config: $(cat "$TMP/check.out")"
grep -q "pollhook.conf:[0-9]*: maintenance \"typo\": \"edgy\*\" matches no source (yet)" "$TMP/check.out" ||
	fail "no warning for a maintenance glob that matches nothing: $(cat "$TMP/check.out")"
[ "$(grep -c 'matches no source' "$TMP/check.out")" -eq 1 ] ||
	fail "a warning for a glob that matches: $(cat "$TMP/check.out")"
pass "--check-config warns of a maintenance glob that matches no source"
once "$TMP/pollhook.conf"
[ "$ONCE_RC" -eq 0 ] || fail "--once exited $ONCE_RC: $(cat "$TMP/once.err")"
python3 - "$TMP/once.json" <<'PY' || fail "--once --json: $(cat "$TMP/once.json")"
import json, sys
ev = {e["payload"]["source"]: e for e in json.load(open(sys.argv[1]))["events"]}
assert sorted(ev) == ["core", "edge"], ev
assert ev["edge"]["suppressed"] == "maintenance:always", ev["edge"]
assert "suppressed" not in ev["core"], ev["core"]
PY
"$POLLHOOK" --once --table -c "$TMP/pollhook.conf" >"$TMP/once.txt" 2>"$TMP/once.err" ||
	fail "--once --table failed: $(cat "$TMP/once.err")"
[ "$(grep -c '^held back (maintenance:always): .*"source":"edge"' "$TMP/once.txt")" -eq 1 ] ||
	fail "the table does not say edge's event is held back: $(cat "$TMP/once.txt")"
[ "$(grep -c '^held back' "$TMP/once.txt")" -eq 1 ] ||
	fail "the table holds back more than edge's event: $(cat "$TMP/once.txt")"
pass "--once shows the maintenance window that would hold edge's cpu.high back"
