#!/usr/bin/env bash
# Case: `pollhook subscribers list|add|rm|rotate|test` against the daemon.
#   config     loopback allowed; the API token in a file named by the config
#   behaviour  add (validated), list piped (JSON lines) and --json, test,
#              rotate, rm; --url and --token-file instead of the config; a
#              wrong token; a usage error
#   expected   each prints the API's answer and exits 0; errors exit 1 with
#              the API's message on stderr; usage exits 2
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"
. "$(dirname "$0")/../lib/subs_common.sh"

start_receiver cli standard "$SECRET_A"
subs_start
C=(-c "$TMP/pollhook.conf")
"$POLLHOOK" subscribers add "$(hook_url cli)" --name cli --secret "$SECRET_A" --events 'cpu.*,x.*' "${C[@]}" \
    >"$TMP/out" 2>"$TMP/err" || fail "add: $(cat "$TMP/err")"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["name"] == "cli" and d["events"] == ["cpu.*", "x.*"], d' \
    "$TMP/out" || fail "add printed: $(cat "$TMP/out")"
"$POLLHOOK" subscribers list "${C[@]}" >"$TMP/out" 2>"$TMP/err" || fail "list: $(cat "$TMP/err")"
[ "$(python3 -c 'import json, sys; print([json.loads(l)["name"] for l in open(sys.argv[1])])' "$TMP/out")" = "['cli']" ] ||
	fail "list printed: $(cat "$TMP/out")"
"$POLLHOOK" subscribers test cli "${C[@]}" >"$TMP/out" 2>"$TMP/err" || fail "test: $(cat "$TMP/err")"
wait_count "$TMP/cli.jsonl" '"pollhook.test" in r["body"]' 1 10 || fail "no test event"
printf '%s\n' "$TOKEN" >"$TMP/other.token"
"$POLLHOOK" subscribers rotate cli --grace 60 --url "http://127.0.0.1:$API_PORT" --token-file "$TMP/other.token" \
    >"$TMP/out" 2>"$TMP/err" || fail "rotate: $(cat "$TMP/err")"
grep -q '"secret":"whsec_' "$TMP/out" || fail "rotate printed: $(cat "$TMP/out")"
for g in abc 1e999 -3 5x; do
	rc=0
	"$POLLHOOK" subscribers rotate cli --grace "$g" "${C[@]}" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" = 2 ] && grep -q -- '--grace wants a duration' "$TMP/err" ||
		fail "rotate --grace $g: rc $rc, $(cat "$TMP/err")"
done
"$POLLHOOK" subscribers rotate cli --grace 2m "${C[@]}" >"$TMP/out" 2>"$TMP/err" ||
	fail "rotate --grace 2m: $(cat "$TMP/err")"
printf 'wrong\n' >"$TMP/bad.token"
rc=0
"$POLLHOOK" subscribers list --url "http://127.0.0.1:$API_PORT" --token-file "$TMP/bad.token" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q 'HTTP 401: invalid bearer token' "$TMP/err" || fail "a wrong token: rc $rc, $(cat "$TMP/err")"
rc=0
"$POLLHOOK" subscribers rm nobody "${C[@]}" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q 'HTTP 404' "$TMP/err" || fail "rm nobody: rc $rc, $(cat "$TMP/err")"
"$POLLHOOK" subscribers rm cli "${C[@]}" >"$TMP/out" 2>"$TMP/err" || fail "rm: $(cat "$TMP/err")"
grep -q '"deleted":true' "$TMP/out" || fail "rm printed: $(cat "$TMP/out")"
rc=0
"$POLLHOOK" subscribers frobnicate "${C[@]}" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a usage error exits $rc"
pass "subscribers add, list, test, rotate, rm through the API; errors exit 1 with the API's message, usage 2"
stop_daemon
