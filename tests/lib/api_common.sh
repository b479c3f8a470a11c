# Sourced by the api_*.sh integration tests, after http_common.sh and
# webhook_common.sh: a daemon with the management API on a free port, a
# test API for its one source, a verifying receiver, and requests to the
# management API with curl.
#
#   api_start [API-KEYS]   writes $TMP/pollhook.conf (bridge.api on
#                          $API_PORT with API-KEYS, default the token file),
#                          starts the daemon, waits for /healthz
#   req, expect_status, header, is_json_error: requests and their answers

command -v curl >/dev/null 2>&1 || fail "curl is required"

API_PORT=$(free_port)
TOKEN="tok-$$-$RANDOM-secret"
printf '%s\n' "$TOKEN" >"$TMP/api.token"

# req METHOD PATH [TOKEN] [PORT]: prints the status; body in $TMP/body,
# headers in $TMP/headers.
req() {
	local auth=()
	[ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
	curl -s --max-time 5 -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
	    -X "$1" "${auth[@]}" "http://127.0.0.1:${4:-$API_PORT}$2"
}

# expect_status WANT METHOD PATH [TOKEN]: fails unless the request gets WANT.
expect_status() {
	local want=$1 got
	shift
	got=$(req "$@")
	[ "$got" = "$want" ] || fail "$1 $2: status $got, want $want: $(cat "$TMP/body")"
}

# header NAME: the value of header NAME in the last answer.
header() {
	tr -d '\r' <"$TMP/headers" | awk -v n="$1" 'BEGIN { IGNORECASE = 1 }
	    tolower($0) ~ "^" tolower(n) ":" { sub(/^[^:]*: */, ""); print }'
}

# is_json_error: the last body is {"error": "..."}.
is_json_error() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert isinstance(d["error"], str) and d["error"]' \
	    "$TMP/body" 2>/dev/null || fail "not a JSON error body: $(cat "$TMP/body")"
}

healthy() {
	[ "$(req GET /healthz)" = 200 ]
}

# scrape FILE: GET /metrics with the token into FILE, checking its type.
scrape() {
	expect_status 200 GET /metrics "$TOKEN"
	cp "$TMP/body" "$1"
	header Content-Type | grep -q '^text/plain; version=0.0.4' ||
		fail "/metrics content type: $(header Content-Type)"
}

echo '{"cpu": 20}' | put status.json
start_api api
start_receiver r standard "$SECRET_A"
mode r 200

# write_conf API-KEYS: the daemon's configuration, bridge.api = { listen; API-KEYS }.
write_conf() {
	cat >"$TMP/pollhook.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF
  api = { listen = "127.0.0.1:$API_PORT"; $1 }; };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
subscribers = (
  { name = "r"; url = "http://127.0.0.1:$r_PORT/hook"; secret = "$SECRET_A";
    timeout = 5.0; retry = { first_delay = 0.2; max_delay = 0.5; }; } );
CONF
}

api_start() {
	write_conf "${1-token_file = \"$TMP/api.token\";}"
	start_daemon "$TMP/pollhook.conf"
	wait_for 10 healthy || fail "the API did not answer /healthz"
}
