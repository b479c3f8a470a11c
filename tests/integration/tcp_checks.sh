#!/usr/bin/env bash
# The tcp poller against real loopback servers (tests/lib/tcpserver.py): a
# banner found and not found, a closed port, TLS with a certificate made
# here that expires in 3 days (cert_days_left near 3, verified with its CA,
# unverified without, up either way), send and expect over TLS, and the
# rule `cert_days_left below 14` firing and its webhook arriving.
NEED_POLLERS=tcp
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
command -v openssl >/dev/null 2>&1 || fail "openssl is required"

TCPSERVER=$top_srcdir/tests/lib/tcpserver.py

# start_tcp NAME ARGS...: a server; its port in ${NAME}_PORT.
start_tcp() {
	name=$1
	shift
	python3 "$TCPSERVER" --port-file "$TMP/$name.port" --log "$TMP/$name.log" "$@" \
	    2>>"$TMP/$name.err" &
	PIDS="$PIDS $!"
	wait_file "$TMP/$name.port" 10 || fail "server $name did not start: $(cat "$TMP/$name.err")"
	eval "${name}_PORT=\$(cat \"\$TMP/\$name.port\")"
}

openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=svc.test" \
    -addext "subjectAltName=DNS:svc.test,IP:127.0.0.1" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >"$TMP/openssl.log" 2>&1 ||
	fail "openssl req: $(cat "$TMP/openssl.log")"

start_tcp ssh --banner $'SSH-2.0-OpenSSH_9.2\r\n'
start_tcp tls --cert "$TMP/cert.pem" --key "$TMP/key.pem" --ask PING --answer PONG
DEAD_PORT=$(free_port)

cat >"$TMP/once.conf" <<CONF
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "ssh"; poller = "tcp"; interval = 2.0;
    tcp = { address = "127.0.0.1:$ssh_PORT"; expect = "SSH-2.0"; }; },
  { name = "wrong-banner"; poller = "tcp"; interval = 2.0; timeout = 1.0;
    tcp = { address = "127.0.0.1:$ssh_PORT"; expect = "220 "; }; },
  { name = "closed"; poller = "tcp"; interval = 2.0;
    tcp = { address = "127.0.0.1:$DEAD_PORT"; }; },
  { name = "tls-untrusted"; poller = "tcp"; interval = 2.0;
    tcp = { address = "127.0.0.1:$tls_PORT"; tls = true; }; },
  { name = "tls-trusted"; poller = "tcp"; interval = 2.0;
    tcp = { address = "127.0.0.1:$tls_PORT"; tls = true; ca_file = "$TMP/cert.pem";
            server_name = "svc.test"; send = "PING\r\n"; expect = "PONG"; }; },
  { name = "tls-other-name"; poller = "tcp"; interval = 2.0;
    tcp = { address = "127.0.0.1:$tls_PORT"; tls = true; ca_file = "$TMP/cert.pem";
            server_name = "other.test"; }; }
);
CONF

once "$TMP/once.conf"
[ "$ONCE_RC" -eq 2 ] || fail "--once with a closed port exited $ONCE_RC, want 2"
expect ssh up - 1
expect ssh expect_ok - 1
expect ssh tls_seconds - MISSING
[ "$(get ssh connect_seconds)" != MISSING ] || fail "ssh: no connect_seconds"
pass "banner found: up 1, expect_ok 1, connect_seconds"
expect wrong-banner up - 1
expect wrong-banner expect_ok - 0
pass "banner not found within the timeout: up 1, expect_ok 0"
expect closed ok - false
expect closed up - 0
get closed error | grep -q "Connection refused" || fail "closed: error $(get closed error)"
pass "closed port: the poll fails with connection refused"

days=$(get tls-untrusted cert_days_left)
python3 -c "import sys; d=float(sys.argv[1]); sys.exit(0 if 2.9 < d <= 3.0 else 1)" "$days" ||
	fail "cert_days_left $days, want about 3"
expect tls-untrusted tls_verified - 0
expect tls-untrusted up - 1
expect tls-trusted tls_verified - 1
expect tls-trusted expect_ok - 1
[ "$(get tls-trusted tls_seconds)" != MISSING ] || fail "tls-trusted: no tls_seconds"
expect tls-other-name tls_verified - 0
expect tls-other-name up - 1
grep -q '"received": "PING' "$TMP/tls.log" || fail "the TLS server did not get PING: $(cat "$TMP/tls.log")"
pass "TLS: cert_days_left $days for an untrusted chain too; verified with its CA and name only"

start_receiver hook standard "$SECRET_A"
cat >"$TMP/daemon.conf" <<CONF
bridge = { state_dir = "$TMP/state"; $STORE_CONF };
sources = (
  { name = "svc"; poller = "tcp"; interval = 0.5;
    tcp = { address = "127.0.0.1:$tls_PORT"; tls = true; }; }
);
rules = ( { name = "cert.expiring"; metric = "cert_days_left"; below = 14.0; severity = "warning"; } );
subscribers = ( { name = "hook"; url = "http://127.0.0.1:$hook_PORT/hook"; secret = "$SECRET_A"; } );
CONF
start_daemon "$TMP/daemon.conf"
wait_for 15 grep -qs '"status": 200' "$TMP/hook.jsonl" || fail "no webhook within 15 s"
[ "$(events hook)" = cert.expiring ] || fail "webhooks: $(events hook), want cert.expiring"
all_verified hook
# Three more polls: the unverified chain is a state, logged when it starts.
conns_at_least() {
	[ "$(grep -c connected "$TMP/tls.log")" -ge "$1" ]
}
wait_for 10 conns_at_least $(($(grep -c connected "$TMP/tls.log") + 3)) ||
	fail "the daemon stopped polling svc"
[ "$(grep -c 'certificate not verified' "$TMP/daemon.err")" -eq 1 ] ||
	fail "the unverified certificate was logged more than once"
stop_daemon
pass "rule cert_days_left below 14 fired: one signed webhook; the unverified chain logged once"
