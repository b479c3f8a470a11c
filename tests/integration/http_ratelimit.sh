#!/bin/bash
# http poller rate limits: an API answering 429 with Retry-After when polled
# faster than it allows gets no request before the time it asked for; the
# source stays up, rate_limited is 1 meanwhile, and the deferral is logged
# once. A GitHub-like API whose X-RateLimit-Remaining reaches 0 is not asked
# again before its X-RateLimit-Reset, so it never refuses a request.

. "$top_srcdir/tests/lib/http_common.sh"
. "$top_srcdir/tests/lib/http_saas_common.sh"

# check_deferrals LOG PATH_PREFIX: every request after a 429 with
# Retry-After R came at least R seconds after it.
check_deferrals() {
	python3 - "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r["path"].startswith(sys.argv[2])]
until = 0
limited = 0
for r in rows:
    if r["t"] < until:
        sys.exit("a request %.3f s before the Retry-After of the 429 before it" % (until - r["t"]))
    if r["status"] == 429:
        limited += 1
        until = r["t"] + float(r["retry_after"])
if limited == 0:
    sys.exit("no 429 answered")
print(limited)
PY
}

# Case 1: 429 with Retry-After; polls every second, the API allows one in 3 s.
start_saas zoom --min-interval 3
recordings zoom r1:0.1 r2:0.2 r3:0.3
cat >"$TMP/limited.conf" <<EOC
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "zoom"; poller = "http"; interval = 1.0; timeout = 1.0;
    http = { url = "http://127.0.0.1:$zoom_PORT/limited/v2/users/me/recordings?from=%{since:%Y-%m-%d}&to=%{now:%Y-%m-%d}";
             $(oauth2_group "$zoom_PORT")
             paginate = { next_pointer = "/next_page_token"; next_param = "next_page_token"; }; };
    metrics = ( { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; } ); }
);
rules = (
  { name = "zoom.down"; metric = "up"; below = 1.0; },
  { name = "zoom.limited"; metric = "rate_limited"; above = 0.5; },
  { name = "recording.completed"; metric = "meetings"; on_new = true; }
);
subscribers = ( { name = "t"; emitter = "log"; path = "$TMP/events.jsonl"; } );
EOC
start_daemon "$TMP/limited.conf"
# The second poll, a second after the first, is refused: then 2 s pass, and so on.
wait_count "$TMP/zoom.log" '"/limited/" in r["path"] and r["status"] == 429' 2 15 ||
    fail "the API refused fewer than 2 polls in 15 s"
wait_count "$TMP/zoom.log" '"/limited/" in r["path"] and "next_page_token" not in r["path"] and r["status"] == 200' 3 15 ||
    fail "fewer than 3 polls went through in 15 s"
# A reload right after a refusal keeps the deferral.
refused=$(count_lines "$TMP/zoom.log" 'r["status"] == 429')
wait_count "$TMP/zoom.log" 'r["status"] == 429' $((refused + 1)) 10 || fail "no refusal to reload after"
kill -HUP "$DAEMON_PID"
accepted=$(count_lines "$TMP/zoom.log" '"next_page_token" not in r["path"] and r["status"] == 200')
wait_count "$TMP/zoom.log" '"/limited/" in r["path"] and "next_page_token" not in r["path"] and r["status"] == 200' $((accepted + 2)) 15 ||
    fail "polling did not go on after the reload"
grep -q "reload" "$TMP/daemon.err" || fail "no reload logged: $(tail -5 "$TMP/daemon.err")"
stop_daemon
n=$(check_deferrals "$TMP/zoom.log" /limited/ 2>&1) || fail "$n"
n=$(count_lines "$TMP/events.jsonl" 'r["event"] == "zoom.down"')
[ "$n" -eq 0 ] || fail "the source went down for a rate limit"
n=$(count_lines "$TMP/events.jsonl" 'r["event"] == "zoom.limited"')
[ "$n" -ge 1 ] || fail "rate_limited never was 1"
n=$(count_lines "$TMP/events.jsonl" 'r["event"] == "recording.completed"')
[ "$n" -eq 0 ] || fail "$n recording events from a list that did not change"
n=$(grep -c "http/zoom: rate limited by 127.0.0.1:$zoom_PORT (HTTP 429): no request before" "$TMP/daemon.err")
[ "$n" -ge 1 ] || fail "the deferral was not logged: $(cat "$TMP/daemon.err")"
limited=$(count_lines "$TMP/zoom.log" 'r["status"] == 429')
[ "$n" -le "$limited" ] || fail "logged $n times for $limited refusals"
if grep -q "poll failed" "$TMP/daemon.err"; then
	fail "a poll failed: $(grep 'poll failed' "$TMP/daemon.err")"
fi
pass "429 with Retry-After: no request before it (a reload too), up stays 1, rate_limited = 1, logged"

# Case 2: the same API with --once: the 429 is no failure either.
cat >"$TMP/once.conf" <<EOC
sources = (
  { name = "zoom"; poller = "http"; interval = 5.0; timeout = 2.0;
    http = { url = "http://127.0.0.1:$zoom_PORT/limited/v2/users/me/recordings?from=2000-01-01&to=2100-01-01";
             $(oauth2_group "$zoom_PORT") }; 
    metrics = ( { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; } ); }
);
EOC
sleep 3.1
once "$TMP/once.conf"
expect zoom rate_limited - 0
once "$TMP/once.conf"
expect zoom ok - true
expect zoom up - 1
expect zoom rate_limited - 1
expect zoom http_status - 429
expect zoom meetings - MISSING
pass "a refused poll: up 1, rate_limited 1, no metrics"

# Case 3: X-RateLimit-Remaining 0 defers until X-RateLimit-Reset: 3 requests
# per 3-second window, polled every 0.5 s, never refused.
start_saas gh --budget 3 --budget-window 3 --page-size 10
python3 -c 'import json; print(json.dumps([{"id": i} for i in range(1, 4)]))' >"$TMP/gh/releases.json"
cat >"$TMP/gh.conf" <<EOC
bridge = { state_dir = "$TMP/state2"; };
sources = (
  { name = "gh"; poller = "http"; interval = 0.5; timeout = 0.5;
    http = { url = "http://127.0.0.1:$gh_PORT/repos/o/r/releases"; paginate = { link = true; }; };
    metrics = ( { name = "releases"; json = ""; items = true; key = "/id"; } ); }
);
rules = ( { name = "gh.down"; metric = "up"; below = 1.0; } );
subscribers = ( { name = "t"; emitter = "log"; path = "$TMP/events2.jsonl"; } );
EOC
mkdir -p "$TMP/state2"
start_daemon "$TMP/gh.conf"
wait_count "$TMP/gh.log" 'r["status"] == 200' 7 15 || fail "fewer than 7 polls in 15 s"
stop_daemon
n=$(count_lines "$TMP/gh.log" 'r["status"] != 200')
[ "$n" -eq 0 ] || fail "$n requests refused: the reset was not waited for"
python3 - "$TMP/gh.log" <<'PY' || fail "requests went out before X-RateLimit-Reset"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# With 3 a window, the fourth request of the daemon comes after the first reset.
assert rows[3]["t"] - rows[0]["t"] >= 2.0, [r["t"] - rows[0]["t"] for r in rows[:4]]
PY
[ "$(count_lines "$TMP/events2.jsonl" 'True')" -eq 0 ] || fail "events: $(cat "$TMP/events2.jsonl")"
pass "X-RateLimit-Remaining 0: the next request waits for the reset"
exit 0
