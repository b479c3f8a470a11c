#!/bin/bash
# http poller paging: Zoom's next_page_token over three pages and a
# date window in the URL, GitHub's Link: rel="next"; an items metric sees
# every page as one list, so a new recording on the third page is reported
# once; pages that go wrong (not JSON, a token or link that loops, a
# malformed Link header, a link to another server, more than max_pages) fail
# the poll with a clear error and no points.

. "$top_srcdir/tests/lib/http_common.sh"
. "$top_srcdir/tests/lib/http_saas_common.sh"

start_saas zoom
# Five in the window (newest first, two a page: pages of 2, 2 and 1), one
# older than the window.
recordings zoom r1:0.1 r2:0.2 r3:0.3 r4:0.4 r5:0.5 old:30
Z=http://127.0.0.1:$zoom_PORT
LIST="$Z/v2/users/me/recordings?from=%{since:%Y-%m-%d}&to=%{now:%Y-%m-%d}"
PAGING='paginate = { next_pointer = "/next_page_token"; next_param = "next_page_token"; };'
ITEMS='{ name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; }'

# Case 1: --once reads the three pages of the window, with the window's dates.
cat >"$TMP/once.conf" <<EOC
sources = (
  { name = "zoom"; poller = "http"; interval = 5.0; timeout = 2.0;
    http = { url = "$LIST"; window = 172800.0; $(oauth2_group "$zoom_PORT") $PAGING };
    metrics = ( $ITEMS, { name = "total"; json = "/total_records"; } ); }
);
EOC
once "$TMP/once.conf"
expect zoom ok - true
[ "$(items_of zoom meetings)" = "r1 r2 r3 r4 r5" ] || fail "got $(items_of zoom meetings), want r1 r2 r3 r4 r5"
expect zoom total - 5
python3 - "$TMP/zoom.log" <<'PY' || fail "the pages were not asked for as expected: $(grep v2 "$TMP/zoom.log")"
import json, sys, time, urllib.parse
rows = [json.loads(l) for l in open(sys.argv[1]) if "/v2/" in l]
assert len(rows) == 3, len(rows)
qs = [urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query) for r in rows]
day = lambda secs: time.strftime("%Y-%m-%d", time.gmtime(secs))
now = rows[0]["t"]
assert qs[0]["from"] == [day(now - 172800)] or qs[0]["from"] == [day(now - 172800 - 60)], qs[0]
assert qs[0]["to"] == [day(now)] or qs[0]["to"] == [day(now - 60)], qs[0]
assert "next_page_token" not in qs[0]
assert all(q["from"] == qs[0]["from"] and q["to"] == qs[0]["to"] for q in qs)
assert qs[1]["next_page_token"] and qs[2]["next_page_token"] != qs[1]["next_page_token"]
PY
pass "three pages by next_page_token as one list, from/to filled in"

# Case 2: the daemon: a recording that appears on the third page is reported
# once; the ones there at the start are not. The window reaches a day behind
# since, or after midnight UTC the list would lose the recordings of the day
# before.
cat >"$TMP/daemon.conf" <<EOC
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "zoom"; poller = "http"; interval = 0.3; timeout = 0.3;
    http = { url = "$Z/v2/users/me/recordings?from=%{since-86400:%Y-%m-%d}&to=%{now:%Y-%m-%d}";
             $(oauth2_group "$zoom_PORT") $PAGING };
    metrics = ( $ITEMS ); }
);
rules = ( { name = "recording.completed"; metric = "meetings"; on_new = true; } );
subscribers = ( { name = "t"; emitter = "log"; path = "$TMP/events.jsonl"; } );
EOC
first_pages() {
	count_lines "$TMP/zoom.log" '"/v2/" in r["path"] and "next_page_token" not in r["path"]'
}
wait_polls() {
	target=$(($(first_pages) + $1))
	wait_count "$TMP/zoom.log" '"/v2/" in r["path"] and "next_page_token" not in r["path"]' "$target" 10 ||
	    fail "the daemon did not poll $1 more times in 10 s"
}
start_daemon "$TMP/daemon.conf"
wait_polls 3
[ "$(count_lines "$TMP/events.jsonl" 'True')" -eq 0 ] || fail "events for the first list: $(cat "$TMP/events.jsonl")"
# Older than r5: the last of the third page.
recordings zoom r1:0.1 r2:0.2 r3:0.3 r4:0.4 r5:0.5 late:0.6 old:30
wait_count "$TMP/events.jsonl" 'r["event"] == "recording.completed"' 1 10 || fail "no event for the recording on page 3"
wait_polls 4
n=$(count_lines "$TMP/events.jsonl" 'r["event"] == "recording.completed" and r["payload"]["object"]["uuid"] == "late"')
[ "$n" -eq 1 ] || fail "$n events for the new recording, want 1: $(cat "$TMP/events.jsonl")"
[ "$(count_lines "$TMP/events.jsonl" 'True')" -eq 1 ] || fail "other events: $(cat "$TMP/events.jsonl")"
n=$(count_lines "$TMP/zoom.log" '"/v2/" in r["path"] and "next_page_token" in r["path"]')
[ "$n" -ge 8 ] || fail "only $n requests for pages 2 and 3"
stop_daemon
pass "a new recording on the third page: one event"

# Case 3: GitHub-like Link paging; pages that go wrong.
python3 -c 'import json; print(json.dumps([{"id": i, "tag_name": "v1.%d" % i} for i in range(1, 6)]))' >"$TMP/zoom/releases.json"
src() {
	echo "{ name = \"$1\"; poller = \"http\"; interval = 5.0; timeout = 2.0;
	  http = { url = \"$Z$2\"; $3 };
	  metrics = ( { name = \"list\"; json = \"$4\"; items = true; key = \"/id\"; } ); }"
}
LINK='paginate = { link = true; };'
cat >"$TMP/bad.conf" <<EOC
sources = (
$(src releases /repos/o/r/releases "$LINK" ""),
$(src short /repos/o/r/releases 'paginate = { link = true; max_pages = 2; };' ""),
$(src notjson /bad/notjson "$PAGING" /meetings),
$(src loop /bad/loop "$PAGING" /meetings),
$(src garbage /bad/link-garbage "$LINK" ""),
$(src linkloop /bad/link-loop "$LINK" ""),
$(src away /bad/link-away "$LINK" "")
);
EOC
once "$TMP/bad.conf"
expect releases ok - true
[ "$(items_of releases list)" = "1 2 3 4 5" ] || fail "releases: got $(items_of releases list), want 1 2 3 4 5"
expect short error - "page 2: more pages than max_pages (2)"
got=$(get notjson error)
case "$got" in "page 2: invalid JSON"*) ;; *) fail "notjson: got '$got'" ;; esac
expect loop error - "page 2: the next page token repeats an earlier page's: the API loops"
expect garbage error - 'malformed Link header: a link must start with "<"'
expect linkloop error - "page 2: the next link leads back to an earlier page: the API loops"
expect away error - "the next page's link leads to another server: refused (the request's credentials go with it)"
for s in short notjson loop garbage linkloop away; do
	expect "$s" up - 0
	expect "$s" list - MISSING
done
pass "Link paging; pages that go wrong fail the poll with no points"
exit 0
