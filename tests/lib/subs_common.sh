# Sourced by the subs_*.sh integration tests, after http_common.sh,
# webhook_common.sh and api_common.sh: a daemon with the management API and
# bridge.api.subscriptions, one source whose CPU the test sets, and helpers
# for the subscriber endpoints.
#
#   subs_start [SUBSCRIPTIONS-KEYS] [CONFIG-SUBSCRIBERS]
#                       writes $TMP/pollhook.conf and starts the daemon; the
#                       keys default to allow_networks 127.0.0.0/8 and
#                       require_https false (the receivers are on loopback)
#   post PATH JSON      POST with the token; prints the status, body in $TMP/body
#   patch PATH JSON, del PATH, get PATH: the same for the other methods
#   jq_body EXPR        prints a Python expression of the body as d

LOOPBACK_OK='allow_networks = [ "127.0.0.0/8" ]; require_https = false;'

subs_conf() {
	cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF
  api = { listen = "127.0.0.1:$API_PORT"; token_file = "$TMP/api.token";
    subscriptions = { ${1-$LOOPBACK_OK} validation_timeout = 1.0; }; }; };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
${2:-}
CONF
}

subs_start() {
	subs_conf "$@"
	start_daemon "$TMP/pollhook.conf"
	wait_for 10 healthy || fail "the API did not answer /healthz"
}

# send METHOD PATH [JSON]: prints the status; body in $TMP/body.
send() {
	local data=()
	[ $# -ge 3 ] && data=(-H "Content-Type: application/json" --data-binary "$3")
	curl -s --max-time 10 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
	    -X "$1" -H "Authorization: Bearer $TOKEN" "${data[@]}" "http://127.0.0.1:$API_PORT$2"
}
post() { send POST "$@"; }
patch() { send PATCH "$@"; }
del() { send DELETE "$1"; }
get() { send GET "$1"; }

# want STATUS METHOD PATH [JSON]: fails unless the request gets STATUS.
want() {
	local st=$1 got
	shift
	got=$(send "$@")
	[ "$got" = "$st" ] || fail "$1 $2: status $got, want $st: $(cat "$TMP/body")"
}

# body EXPR: a Python expression over the last body, d.
body() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$TMP/body" "$1"
}

# error_has TEXT: the last body is a JSON error containing TEXT.
error_has() {
	is_json_error
	python3 -c 'import json, sys; assert sys.argv[2] in json.load(open(sys.argv[1]))["error"]' \
	    "$TMP/body" "$1" 2>/dev/null || fail "the error does not say '$1': $(cat "$TMP/body")"
}

# hook_url NAME: the URL of receiver NAME.
hook_url() {
	eval "echo http://127.0.0.1:\${$1_PORT}/hook"
}

# signed_by NAME SECRET: prints, for each request receiver NAME logged, in
# order, the number of its webhook-signature values that SECRET verifies
# (Standard Webhooks), then a slash and how many it carried.
signed_by() {
	python3 - "$TMP/$1.jsonl" "$2" <<'PY'
import base64, hashlib, hmac, json, sys
key = base64.b64decode(sys.argv[2][len("whsec_"):])
for line in open(sys.argv[1]):
    r = json.loads(line)
    h = r["headers"]
    if "webhook-signature" not in h:
        continue
    msg = ("%s.%s." % (h["webhook-id"], h["webhook-timestamp"])).encode() + r["body"].encode()
    want = "v1," + base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
    sigs = h["webhook-signature"].split(" ")
    print("%d/%d" % (sum(hmac.compare_digest(want, s) for s in sigs), len(sigs)))
PY
}
