#!/usr/bin/env bash
# Case: the `pollhook deliveries` command line, with no daemon running.
#   config     one subscriber; an empty outbox
#   behaviour  bad command lines; a purge
#   expected   each bad one exits 1 with a message; purge says what it purged
. "$(dirname "$0")/../lib/http_common.sh"

cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = ( { name = "edge-1"; poller = "http"; http = { url = "http://127.0.0.1:1/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
subscribers = ( { name = "log"; emitter = "log"; path = "$TMP/events.jsonl"; } );
CONF

for args in "retry" "retry abc" "list --state weird" "purge" "purge --older-than 5x" "bogus"; do
	rc=0
	# shellcheck disable=SC2086
	"$POLLHOOK" deliveries $args -c "$TMP/pollhook.conf" >"$TMP/cli.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "deliveries $args exited $rc"
	[ -s "$TMP/cli.out" ] || fail "deliveries $args printed nothing"
done
"$POLLHOOK" deliveries purge --older-than 0 -c "$TMP/pollhook.conf" >"$TMP/purge.out" 2>&1 ||
	fail "deliveries purge --older-than 0: $(cat "$TMP/purge.out")"
grep -q "purged" "$TMP/purge.out" || fail "purge said: $(cat "$TMP/purge.out")"
pass "deliveries subcommand errors are clear"
