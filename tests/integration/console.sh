#!/usr/bin/env bash
# Case: the operator's console (GET /) in a real browser.
#   config     bridge.api with a token; three http sources (one labelled
#              role = core), cpu.high on them; one subscriber answering 400
#   behaviour  headless chromium (Debian's) driven by playwright-core
#              (tests/browser/console.test.js): a wrong token, then the
#              right one; the test raises edge-1's CPU; the dead letter is
#              retried from the page after the receiver turns to 200; a
#              silence added from the page and ended
#   expected   the console's files with a strict Content-Security-Policy,
#              served without the token; a clear message for a wrong token;
#              every source listed and up; the event appears live; the
#              retried delivery reaches the receiver, verified; the page
#              works at phone width; nothing is fetched from elsewhere;
#              screenshots in tests/artifacts/console/
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"

NODE_DIR=$top_srcdir/tests/browser
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if ! command -v node >/dev/null 2>&1 || [ -z "$CHROMIUM" ] ||
    [ ! -d "$NODE_DIR/node_modules/playwright-core" ]; then
	echo "SKIP: needs node, chromium and tests/browser's playwright-core" \
	    "(the README's first command: apt-get install chromium; npm ci --prefix tests/browser)"
	exit 77
fi
# API_PORT, TOKEN in $TMP/api.token, the test API "api", receiver r; req, header.
. "$(dirname "$0")/../lib/api_common.sh"
for s in edge-1 edge-2 core-1; do
	echo '{"cpu": 20}' | put "$s.json"
done
mode r 400

src() {
	printf '{ name = "%s"; poller = "http"; interval = 0.5; timeout = 0.5; labels = { role = "%s"; };
    http = { url = "http://127.0.0.1:%s/%s.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); }' "$1" "$2" "$api_PORT" "$1"
}
cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF
  api = { listen = "127.0.0.1:$API_PORT"; token_file = "$TMP/api.token"; }; };
sources = ( $(src edge-1 edge), $(src edge-2 edge), $(src core-1 core) );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    timeout = 5.0; retry = { first_delay = 0.2; max_delay = 0.5; }; } );
CONF
start_daemon "$TMP/pollhook.conf"
wait_for 10 healthy || fail "the API did not answer /healthz"

# The files, without the token, with their types and security headers.
for p in / /console.js /console.css; do
	expect_status 200 GET "$p"
	case "$(header Content-Security-Policy)" in
	"default-src 'none'; script-src 'self'; style-src 'self';"*) ;;
	*) fail "GET $p: no strict Content-Security-Policy: $(cat "$TMP/headers")" ;;
	esac
	[ "$(header X-Content-Type-Options)" = nosniff ] || fail "GET $p: no nosniff"
	case $p in
	/) want='text/html' ;; *.js) want='text/javascript' ;; *.css) want='text/css' ;;
	esac
	case "$(header Content-Type)" in
	"$want"*) ;;
	*) fail "GET $p: content type: $(header Content-Type)" ;;
	esac
	f=${p#/}
	f=${f:-index.html}
	cmp -s "$TMP/body" "$top_srcdir/console/$f" || fail "GET $p is not console/$f as built in"
done
grep -Eq '(src|href)="(https?:)?//' "$top_srcdir/console/index.html" &&
	fail "console/index.html refers to another site"
# The data still needs the token.
expect_status 401 GET /v1/sources
pass "the console's files served with a strict CSP; the API behind it still asks for the token"

ARTIFACTS=$top_builddir/tests/artifacts/console
rm -rf "$ARTIFACTS"
python3 - "$TMP/browser.json" <<PY
import json, sys
json.dump({"url": "http://127.0.0.1:$API_PORT/", "token": "$TOKEN",
    "sources": ["edge-1", "edge-2", "core-1"], "statusFile": "$WWW/edge-1.json",
    "receiverLog": "$TMP/r.jsonl", "receiverMode": "$TMP/r.mode",
    "artifacts": "$ARTIFACTS", "chromium": "$CHROMIUM"}, open(sys.argv[1], "w"))
PY
# Bounded: the script's steps wait 20 s each at most; the whole at most 180 s.
NODE_PATH=$NODE_DIR/node_modules timeout 180 node "$NODE_DIR/console.test.js" "$TMP/browser.json" \
    >"$TMP/browser.out" 2>&1
rc=$?
cat "$TMP/browser.out"
[ "$rc" -eq 0 ] || fail "the browser test failed (rc $rc); screenshots in $ARTIFACTS"
all_verified r
pass "the console in headless chromium: wrong token, sources, a live event, a dead letter retried, a silence added and ended; screenshots in $ARTIFACTS"
