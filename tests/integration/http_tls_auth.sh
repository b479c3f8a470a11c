#!/bin/sh
# http poller: HTTPS with a CA made here (verification on by default,
# ca_file, insecure, client certificates), basic and bearer authentication
# (inline and *_file secrets).

. "$top_srcdir/tests/lib/http_common.sh"

make_pki
ssl req -newkey rsa:2048 -nodes -subj "/CN=pollhook client" \
    -keyout "$PKI/client.key" -out "$PKI/client.csr"
ssl x509 -req -in "$PKI/client.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 2 -out "$PKI/client.pem"

start_api tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key"
start_api mtls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" --client-ca "$PKI/ca.pem"
start_api plain --user alice --password 's3cret' --token 'tok-123'

echo '{"v": 7}' | put v.json
printf 's3cret\n' >"$TMP/password"
printf 'tok-123\n' >"$TMP/token"

TLS="https://127.0.0.1:$tls_PORT/v.json"
MTLS="https://127.0.0.1:$mtls_PORT/v.json"
PLAIN="http://127.0.0.1:$plain_PORT"

cat >"$TMP/tls.conf" <<EOF
sources = (
  { name = "tls_ca"; poller = "http"; timeout = 3.0;
    http = { url = "$TLS"; ca_file = "$PKI/ca.pem"; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "tls_untrusted"; poller = "http"; timeout = 3.0;
    http = { url = "$TLS"; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "tls_insecure"; poller = "http"; timeout = 3.0;
    http = { url = "$TLS"; insecure = true; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "mtls_cert"; poller = "http"; timeout = 3.0;
    http = { url = "$MTLS"; ca_file = "$PKI/ca.pem";
             cert_file = "$PKI/client.pem"; key_file = "$PKI/client.key"; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "mtls_nocert"; poller = "http"; timeout = 3.0;
    http = { url = "$MTLS"; ca_file = "$PKI/ca.pem"; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "basic"; poller = "http"; timeout = 3.0;
    http = { url = "$PLAIN/basic/v.json"; user = "alice"; password = "s3cret"; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "basic_file"; poller = "http"; timeout = 3.0;
    http = { url = "$PLAIN/basic/v.json"; user = "alice"; password_file = "$TMP/password"; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "basic_wrong"; poller = "http"; timeout = 3.0;
    http = { url = "$PLAIN/basic/v.json"; user = "alice"; password = "nope"; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "bearer"; poller = "http"; timeout = 3.0;
    http = { url = "$PLAIN/bearer/v.json"; token = "tok-123"; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "bearer_file"; poller = "http"; timeout = 3.0;
    http = { url = "$PLAIN/bearer/v.json"; token_file = "$TMP/token"; };
    metrics = ( { name = "v"; json = "/v"; } ); },
  { name = "bearer_none"; poller = "http"; timeout = 3.0;
    http = { url = "$PLAIN/bearer/v.json"; };
    metrics = ( { name = "v"; json = "/v"; } ); }
);
EOF

once "$TMP/tls.conf"
[ "$ONCE_RC" -eq 2 ] || fail "--once exited $ONCE_RC, want 2 (some sources must fail)"

expect tls_ca v - 7
expect tls_ca up - 1
expect tls_untrusted ok - false
expect tls_untrusted up - 0
case $(get tls_untrusted error) in
"TLS: SSL certificate problem: "*) ;;
*) fail "tls_untrusted: got error '$(get tls_untrusted error)', want a TLS certificate problem" ;;
esac
expect tls_insecure v - 7
pass "HTTPS: verified against ca_file, refused without it, insecure skips it"

# make_pki's server certificate expires in 2 days.
for s in tls_ca tls_insecure; do
	python3 -c "import sys; d=float(sys.argv[1]); sys.exit(0 if 1.9 < d <= 2.0 else 1)" \
	    "$(get $s cert_days_left)" 2>/dev/null ||
		fail "$s: cert_days_left $(get $s cert_days_left), want about 2"
done
expect basic cert_days_left - MISSING
pass "HTTPS: cert_days_left is the server certificate's expiry; none over plain HTTP"

expect mtls_cert v - 7
# How the server's refusal surfaces (a TLS alert, a reset) depends on timing.
expect mtls_nocert ok - false
expect mtls_nocert up - 0
pass "client certificates"

expect basic v - 7
expect basic_file v - 7
expect basic_wrong error - "HTTP 401"
expect basic_wrong http_status - 401
expect bearer v - 7
expect bearer_file v - 7
expect bearer_none error - "HTTP 401"
n=$(count_lines "$TMP/plain.log" 'r["headers"].get("authorization") == "Bearer tok-123"')
[ "$n" -eq 2 ] || fail "the server saw $n requests with the bearer token, want 2"
pass "basic and bearer authentication, secrets inline and from files"

exit 0
