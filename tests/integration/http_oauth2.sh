#!/bin/bash
# http poller with OAuth2 (Zoom's Server-to-Server OAuth against the test
# API): the token fetched before the first poll with Basic credentials and
# the account_credentials grant, shared by sources with the same settings;
# refreshed before it expires and refetched once after a 401, with no poll
# failing; token endpoints that are down or answer garbage fail the poll
# (up = 0) with their error, never a crash; no secret and no token in any
# message.

. "$top_srcdir/tests/lib/http_common.sh"
. "$top_srcdir/tests/lib/http_saas_common.sh"

start_saas zoom --ttl 3
recordings zoom r1:0.1 r2:0.2 r3:0.3
DEAD_PORT=$(free_port)
Z=http://127.0.0.1:$zoom_PORT
H=127.0.0.1:$zoom_PORT
LIST="$Z/v2/users/me/recordings?from=%{since:%Y-%m-%d}&to=%{now:%Y-%m-%d}"

tokens() {
	count_lines "$TMP/zoom.log" 'r["path"] == "/oauth/token" and r["status"] == 200'
}

# source_of NAME TOKEN_PATH: a recordings source whose token comes from
# TOKEN_PATH, polled as $TIMING says (--once runs give the test API time).
TIMING="interval = 5.0; timeout = 4.0;"
source_of() {
	cat <<EOS
  { name = "$1"; poller = "http"; $TIMING
    http = { url = "$LIST"; $(oauth2_group "$zoom_PORT" "$2")
             paginate = { next_pointer = "/next_page_token"; next_param = "next_page_token"; }; };
    metrics = ( { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; } ); }
EOS
}

# Case 1: --once, two sources with the same settings share one token.
cat >"$TMP/once.conf" <<EOC
sources = (
$(source_of a /oauth/token),
$(source_of b /oauth/token)
);
EOC
once "$TMP/once.conf"
expect a ok - true
expect b ok - true
[ "$(items_of a meetings)" = "r1 r2 r3" ] || fail "source a saw $(items_of a meetings), want r1 r2 r3"
[ "$(tokens)" -eq 1 ] || fail "$(tokens) token requests for two sources with the same settings, want 1"
n=$(count_lines "$TMP/zoom.log" 'r["path"] == "/oauth/token" and r["method"] == "POST" and r["headers"].get("authorization", "").startswith("Basic ") and "grant_type=account_credentials" in r["body"] and "account_id='"$ACCOUNT_ID"'" in r["body"] and "client_secret" not in r["body"]')
[ "$n" -eq 1 ] || fail "the token request is not Basic with grant_type=account_credentials and account_id: $(grep oauth "$TMP/zoom.log")"
n=$(count_lines "$TMP/zoom.log" 'r["path"].startswith("/v2/") and r["status"] != 200')
[ "$n" -eq 0 ] || fail "$n recordings requests were refused"
no_secrets "$TMP/once.json" "$TMP/once.err"
pass "a token fetched once, Basic credentials and the account_credentials grant, shared"

# Case 2: the client_credentials grant with the credentials in the form
# (auth = "body"), scopes and a client_secret_file.
printf '%s\n' "$CLIENT_SECRET" >"$TMP/client.secret"
cat >"$TMP/body.conf" <<EOC
sources = (
  { name = "body"; poller = "http"; $TIMING
    http = { url = "$Z/v2/users/me/recordings?from=2000-01-01&to=2100-01-01";
             oauth2 = { token_url = "$Z/oauth/token"; client_id = "$CLIENT_ID";
                        client_secret_file = "$TMP/client.secret"; auth = "body";
                        scopes = [ "recording:read", "user:read" ]; }; };
    metrics = ( { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; } ); }
);
EOC
: >"$TMP/zoom.log"
once "$TMP/body.conf"
expect body ok - true
n=$(count_lines "$TMP/zoom.log" 'r["path"] == "/oauth/token" and r["status"] == 200 and "authorization" not in r["headers"] and r["body"] == "grant_type=client_credentials&scope=recording%3Aread%20user%3Aread&client_id='"$CLIENT_ID"'&client_secret='"$CLIENT_SECRET"'"')
[ "$n" -eq 1 ] || fail "the token request is not the form with the credentials: $(grep oauth "$TMP/zoom.log")"
no_secrets "$TMP/once.json" "$TMP/once.err"
pass "client_credentials with the credentials in the form, scopes, client_secret_file"

# Case 3: token endpoints that fail: up = 0 with the endpoint's error.
cat >"$TMP/bad.conf" <<EOC
sources = (
$(source_of garbage /oauth/bad/garbage),
$(source_of notoken /oauth/bad/notoken),
$(source_of negative /oauth/bad/negative),
$(source_of huge /oauth/bad/huge),
$(source_of echo /oauth/bad/echo),
$(source_of down /oauth/bad/down),
  { name = "refused"; poller = "http"; $TIMING
    http = { url = "$Z/v2/users/me/recordings"; $(oauth2_group "$DEAD_PORT") };
    metrics = ( { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; } ); },
  { name = "wrongsecret"; poller = "http"; $TIMING
    http = { url = "$Z/v2/users/me/recordings";
             oauth2 = { token_url = "$Z/oauth/token"; client_id = "$CLIENT_ID";
                        client_secret = "not-the-secret"; }; };
    metrics = ( { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; } ); }
);
EOC
: >"$TMP/zoom.log"
once "$TMP/bad.conf"
expect garbage error - "oauth2 token: the answer of $H is not a JSON object"
expect notoken error - "oauth2 token: the answer of $H has no access_token"
expect negative error - "oauth2 token: expires_in -5 is not a number of seconds from 1 to 31536000"
expect huge error - "oauth2 token: expires_in 1000000000000 is not a number of seconds from 1 to 31536000"
expect down error - "oauth2 token: HTTP 500 from $H: server_error"
expect refused error - "oauth2 token: cannot connect to 127.0.0.1:$DEAD_PORT: Connection refused"
expect wrongsecret error - "oauth2 token: HTTP 401 from $H: invalid_client"
got=$(get echo error)
case "$got" in
"oauth2 token: HTTP 400 from $H: invalid_request (got Basic ****"*"grant_type=account_credentials"*) ;;
*) fail "echo: got '$got'" ;;
esac
for s in garbage notoken negative huge echo down refused wrongsecret; do
	expect "$s" up - 0
done
n=$(count_lines "$TMP/zoom.log" 'r["path"].startswith("/v2/")')
[ "$n" -eq 0 ] || fail "$n API requests went out without a token"
no_secrets "$TMP/once.json" "$TMP/once.err"
pass "failing token endpoints: up = 0 with their error, no request to the API, no secret shown"

TIMING="interval = 1.0; timeout = 1.0;"

# Case 4: the daemon refreshes 3-second tokens before they expire; no poll
# fails meanwhile.
cat >"$TMP/daemon.conf" <<EOC
bridge = { state_dir = "$TMP/state"; log_level = "debug"; };
sources = ( $(source_of rec /oauth/token) );
rules = ( { name = "rec.down"; metric = "up"; below = 1.0; } );
subscribers = ( { name = "t"; emitter = "log"; path = "$TMP/events.jsonl"; } );
EOC
: >"$TMP/zoom.log"
start_daemon "$TMP/daemon.conf"
# Tokens that live 3 s: a third one within 15 s, and no request refused.
wait_count "$TMP/zoom.log" 'r["path"] == "/oauth/token" and r["status"] == 200' 3 15 ||
    fail "the daemon fetched $(tokens) tokens in 15 s, want 3 (3-second tokens)"
n=$(count_lines "$TMP/zoom.log" 'r["path"].startswith("/v2/") and r["status"] == 401')
[ "$n" -eq 0 ] || fail "$n requests with an expired token: not refreshed before expiry"
n=$(count_lines "$TMP/zoom.log" 'r["path"].startswith("/v2/") and r["status"] == 200')
[ "$n" -ge 6 ] || fail "only $n pages polled (2 a poll)"
if grep -q "poll failed" "$TMP/daemon.err"; then
	fail "a poll failed: $(grep 'poll failed' "$TMP/daemon.err")"
fi
stop_daemon
no_secrets "$TMP/daemon.err"
pass "tokens refreshed before they expire"

# Case 5: revoked before they expire (tokens of a minute, not renewed
# meanwhile): one 401, one new token, the page asked again with it.
start_saas zoom2 --ttl 60
Z=http://127.0.0.1:$zoom2_PORT
LIST="$Z/v2/users/me/recordings?from=%{since:%Y-%m-%d}&to=%{now:%Y-%m-%d}"
cp "$TMP/zoom/recordings.json" "$TMP/zoom2/"
sed "s|127.0.0.1:$zoom_PORT|127.0.0.1:$zoom2_PORT|g" "$TMP/daemon.conf" >"$TMP/daemon2.conf"
start_daemon "$TMP/daemon2.conf"
wait_count "$TMP/zoom2.log" 'r["path"].startswith("/v2/") and r["status"] == 200' 3 10 ||
    fail "the daemon did not poll"
python3 -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('$Z/admin/revoke', method='POST'), timeout=5)" ||
    fail "cannot revoke"
wait_count "$TMP/zoom2.log" 'r["path"].startswith("/v2/") and r["status"] == 401' 1 10 ||
    fail "no request hit the revoked token"
wait_count "$TMP/zoom2.log" 'r["path"] == "/oauth/token" and r["status"] == 200' 2 10 ||
    fail "no new token after a 401"
wait_count "$TMP/zoom2.log" 'r["path"].startswith("/v2/") and r["status"] == 200' 8 10 ||
    fail "polling did not go on after the 401"
python3 - "$TMP/zoom2.log" <<'PY' || fail "the 401 was not followed by the same page with a new token"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
i = next(i for i, r in enumerate(rows) if r["status"] == 401)
bad = rows[i]
rest = [r for r in rows[i + 1:] if r["path"] == bad["path"]]
assert rest and rest[0]["status"] == 200, rest[:1]
assert rest[0]["headers"]["authorization"] != bad["headers"]["authorization"]
PY
n=$(count_lines "$TMP/zoom2.log" 'r["path"].startswith("/v2/") and r["status"] == 401')
[ "$n" -eq 1 ] || fail "$n requests refused after one revocation, want 1"
if grep -q "poll failed" "$TMP/daemon.err"; then
	fail "a poll failed: $(grep 'poll failed' "$TMP/daemon.err")"
fi
[ "$(count_lines "$TMP/events.jsonl" 'True')" -eq 0 ] || fail "events: $(cat "$TMP/events.jsonl")"
stop_daemon
no_secrets "$TMP/daemon.err"
pass "a 401 refetches the token once and the poll goes on"

# Case 6: the daemon with a token endpoint that is down: up = 0, the error
# logged once, and the next poll tries again.
Z=http://127.0.0.1:$zoom_PORT
LIST="$Z/v2/users/me/recordings?from=%{since:%Y-%m-%d}&to=%{now:%Y-%m-%d}"
mkdir -p "$TMP/state2"
cat >"$TMP/down.conf" <<EOC
bridge = { state_dir = "$TMP/state2"; };
sources = ( $(source_of rec /oauth/bad/down) );
rules = ( { name = "rec.down"; metric = "up"; below = 1.0; } );
subscribers = ( { name = "t"; emitter = "log"; path = "$TMP/events2.jsonl"; } );
EOC
: >"$TMP/zoom.log"
start_daemon "$TMP/down.conf"
wait_count "$TMP/zoom.log" 'r["path"] == "/oauth/bad/down"' 3 10 || fail "the token endpoint was not asked again"
wait_count "$TMP/events2.jsonl" 'r["event"] == "rec.down"' 1 10 || fail "no rec.down event"
stop_daemon
n=$(grep -c "poll failed: oauth2 token: HTTP 500 from $H: server_error" "$TMP/daemon.err")
[ "$n" -eq 1 ] || fail "the failure was logged $n times, want once: $(cat "$TMP/daemon.err")"
no_secrets "$TMP/daemon.err"
pass "a token endpoint that is down: up = 0, logged once, asked again"
exit 0
