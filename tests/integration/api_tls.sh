#!/usr/bin/env bash
# Case: the management API over HTTPS (bridge.api.tls_cert, tls_key).
#   config     a self-signed certificate for 127.0.0.1 made here by openssl
#   behaviour  curl with and without the CA, plain http; the CLI from the
#              configuration, with --url and --cacert, with a wrong CA; a
#              TCP connection that never starts its handshake; SIGHUP with
#              a new certificate
#   expected   https answers with the CA and fails without it; http gets no
#              answer; the CLI talks https (the tls_cert file as its CA by
#              default) and fails against a wrong CA; the silent connection
#              is cut (header_timeout); after the reload only the new
#              certificate is served
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

command -v openssl >/dev/null 2>&1 || { echo "SKIP: openssl not installed"; exit 77; }

# mkcert NAME: a self-signed certificate for 127.0.0.1 in $TMP/NAME.crt, key NAME.key.
mkcert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pollhook-test-$1" \
	    -addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/$1.key" -out "$TMP/$1.crt" \
	    2>"$TMP/openssl.err" || fail "openssl: $(cat "$TMP/openssl.err")"
}
mkcert a
mkcert b

write_conf "token_file = \"$TMP/api.token\"; tls_cert = \"$TMP/a.crt\"; tls_key = \"$TMP/a.key\";
    header_timeout = 2.0;"
"$POLLHOOK" --check-config -c "$TMP/pollhook.conf" >/dev/null 2>"$TMP/check.err" || {
	if grep -q 'without TLS support' "$TMP/check.err"; then
		echo "SKIP: libmicrohttpd without TLS"
		exit 77
	fi
	fail "check-config: $(cat "$TMP/check.err")"
}
start_daemon "$TMP/pollhook.conf"

# https GET PATH CA: prints the status (000: no answer).
https() {
	curl -s --max-time 5 --cacert "$2" -o "$TMP/body" -w '%{http_code}' \
	    -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$API_PORT$1"
}
https_up() {
	[ "$(https /healthz "$TMP/a.crt")" = 200 ]
}
wait_for 10 https_up || fail "no https answer on /healthz"
grep -q "api: listening on 127.0.0.1:$API_PORT (https)" "$TMP/daemon.err" ||
	fail "no 'listening ... (https)' log line"
[ "$(https /v1/sources "$TMP/a.crt")" = 200 ] || fail "an authorised https GET: $(cat "$TMP/body")"
[ "$(https /healthz "$TMP/b.crt")" = 000 ] || fail "https accepted against a CA that did not sign it"
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/healthz")" \
    != 200 ] || fail "plain http answered 200 on an https API"
pass "https: answered with the CA, refused without it, no plain http"

# The CLI: https from the configuration, its tls_cert as the CA.
"$POLLHOOK" subscribers list -c "$TMP/pollhook.conf" --json >"$TMP/cli.out" 2>"$TMP/cli.err" ||
	fail "subscribers list over https: $(cat "$TMP/cli.err")"
grep -q '"r"' "$TMP/cli.out" || fail "subscribers list: $(cat "$TMP/cli.out")"
"$POLLHOOK" silences list --url "https://127.0.0.1:$API_PORT" --token-file "$TMP/api.token" \
    --cacert "$TMP/a.crt" --json >"$TMP/cli.out" 2>"$TMP/cli.err" ||
	fail "silences list --url https --cacert: $(cat "$TMP/cli.err")"
"$POLLHOOK" silences list --url "https://127.0.0.1:$API_PORT" --token-file "$TMP/api.token" \
    --cacert "$TMP/b.crt" --json >"$TMP/cli.out" 2>"$TMP/cli.err" &&
	fail "silences list accepted a certificate its --cacert did not sign"
grep -qi 'certificate' "$TMP/cli.err" || fail "wrong CA, no word of the certificate: $(cat "$TMP/cli.err")"
pass "CLI: https with the configuration's certificate, --cacert, and refuses a wrong CA"

# A connection that never starts its TLS handshake is cut by header_timeout.
python3 - "$API_PORT" <<'PY' || fail "a silent TCP connection to the https API was not cut"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(15)
try:
    sys.exit(0 if s.recv(1) == b"" else 1)
except ConnectionResetError:
    sys.exit(0)
except socket.timeout:
    sys.exit(1)
PY
pass "a connection without a handshake is cut"

# A renewed certificate: SIGHUP moves the socket to a server with it.
write_conf "token_file = \"$TMP/api.token\"; tls_cert = \"$TMP/b.crt\"; tls_key = \"$TMP/b.key\";
    header_timeout = 2.0;"
kill -HUP "$DAEMON_PID"
b_served() {
	[ "$(https /healthz "$TMP/b.crt")" = 200 ]
}
wait_for 10 b_served || fail "the new certificate is not served after SIGHUP"
[ "$(https /healthz "$TMP/a.crt")" = 000 ] || fail "the old certificate still served after SIGHUP"
pass "reload: the new certificate served"

stop_daemon
pass "the API over TLS"
