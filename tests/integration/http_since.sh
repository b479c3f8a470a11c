#!/bin/bash
# http poller %{since:...} and %{now:...}: the first poll reaches back
# `window` seconds, each later one starts where the last successful poll
# started (its scheduled start, the %{now} of that poll); a failed poll does
# not move it; and a restart goes on from the last one of the run before,
# as stored in the state directory.

. "$top_srcdir/tests/lib/http_common.sh"
. "$top_srcdir/tests/lib/http_saas_common.sh"

start_saas zoom
recordings zoom r1:0.1
FMT='%Y-%m-%dT%H:%M:%SZ'
cat >"$TMP/since.conf" <<EOC
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "zoom"; poller = "http"; interval = 1.0; timeout = 1.0;
    http = { url = "http://127.0.0.1:$zoom_PORT/v2/users/me/recordings?from=%{since:$FMT}&to=%{now:$FMT}";
             window = 3600.0; $(oauth2_group "$zoom_PORT") };
    metrics = ( { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; } ); }
);
EOC

# windows FROM_LINE: the (t, from, to, status) of each recordings request
# from line FROM_LINE of the log on, times as Unix seconds.
windows() {
	python3 - "$TMP/zoom.log" "$1" <<'PY'
import calendar, json, sys, time, urllib.parse
for i, l in enumerate(open(sys.argv[1])):
    if i < int(sys.argv[2]) or "/v2/" not in l:
        continue
    r = json.loads(l)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query)
    ts = [calendar.timegm(time.strptime(q[k][0], "%Y-%m-%dT%H:%M:%SZ")) for k in ("from", "to")]
    print("%.3f %d %d %d" % (r["t"], ts[0], ts[1], r["status"]))
PY
}

start_daemon "$TMP/since.conf"
wait_count "$TMP/zoom.log" '"/v2/" in r["path"]' 5 10 || fail "fewer than 5 polls in 10 s"
# Every poll of run 1 succeeds, so each from is the to of the poll before.
stop_daemon
windows 0 >"$TMP/run1"
python3 - "$TMP/run1" <<'PY' || fail "run 1's windows are wrong: $(cat "$TMP/run1")"
rows = [list(map(float, l.split())) for l in open(__import__("sys").argv[1])]
t, frm, to, st = rows[0]
assert abs(t - 3600 - frm) <= 2, "first from is not now - window"
assert abs(t - to) <= 2, "first to is not now"
for prev, cur in zip(rows, rows[1:]):
    assert cur[1] == prev[2], "from %d is not the to %d of the poll before" % (cur[1], prev[2])
assert all(r[3] == 200 for r in rows)
PY
pass "the first poll reaches back window seconds, each later one to the last poll's start"

# Run 2, after a pause: it goes on from the last poll of run 1.
lines=$(wc -l <"$TMP/zoom.log")
last_to=$(tail -n 1 "$TMP/run1" | cut -d' ' -f3)
sleep 2
start_daemon "$TMP/since.conf"
wait_count "$TMP/zoom.log" '"/v2/" in r["path"]' $((lines + 2)) 10 || fail "run 2 did not poll"
stop_daemon
windows "$lines" >"$TMP/run2"
first_from=$(head -n 1 "$TMP/run2" | cut -d' ' -f2)
[ "$first_from" = "$last_to" ] ||
    fail "run 2 started from $first_from, want $last_to (the start of run 1's last poll): $(cat "$TMP/run2")"
pass "since survives a restart"

# Failed polls do not move since: with the token endpoint refusing, the
# window of the poll after the outage starts where the last good one did.
lines=$(wc -l <"$TMP/zoom.log")
sed "s|client_secret = \"$CLIENT_SECRET\"|client_secret = \"wrong\"|" "$TMP/since.conf" >"$TMP/wrong.conf"
last_to=$(tail -n 1 "$TMP/run2" | cut -d' ' -f3)
start_daemon "$TMP/wrong.conf"
wait_count "$TMP/zoom.log" 'r["path"] == "/oauth/token" and r["status"] == 401' 3 10 || fail "no refused token requests"
stop_daemon
start_daemon "$TMP/since.conf"
wait_count "$TMP/zoom.log" '"/v2/" in r["path"] and r["status"] == 200' $(($(wc -l <"$TMP/run1") + $(wc -l <"$TMP/run2") + 1)) 10 ||
    fail "no poll after the outage"
stop_daemon
windows "$lines" >"$TMP/run3"
first_from=$(head -n 1 "$TMP/run3" | cut -d' ' -f2)
[ "$first_from" = "$last_to" ] || fail "after failed polls since moved to $first_from, want $last_to"
pass "failed polls leave since where it was"

# Offsets: %{since-SECONDS:...} and %{now+SECONDS:...}.
cat >"$TMP/offset.conf" <<EOC
sources = (
  { name = "zoom"; poller = "http"; interval = 5.0; timeout = 2.0;
    http = { url = "http://127.0.0.1:$zoom_PORT/v2/users/me/recordings?from=%{since-86400:$FMT}&to=%{now+60:$FMT}";
             window = 3600.0; $(oauth2_group "$zoom_PORT") };
    metrics = ( { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; } ); }
);
EOC
lines=$(wc -l <"$TMP/zoom.log")
once "$TMP/offset.conf"
expect zoom ok - true
windows "$lines" | python3 -c '
import sys
t, frm, to, st = map(float, sys.stdin.readline().split())
assert abs(t - 3600 - 86400 - frm) <= 2, "from %d, want about %d" % (frm, t - 90000)
assert abs(t + 60 - to) <= 2, "to %d, want about %d" % (to, t + 60)
' || fail "offsets not applied"
pass "time offsets"
exit 0
