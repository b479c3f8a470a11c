#!/usr/bin/env bash
# Case: the SSRF guard on dynamic subscriber URLs.
#   config     bridge.api.subscriptions without allow_networks (require_https
#              off, the receivers being plain http on loopback)
#   behaviour  URLs of a loopback receiver by literal, by "localhost", by the
#              host name (resolved by DNS at connection), as IPv6 loopback
#              and IPv4-mapped IPv6; link-local metadata, RFC 1918, CGNAT,
#              unique-local literals; then a subscriber added while loopback
#              was allowed, whose address the guard refuses after a reload
#   expected   403 naming the range, and not one packet at the receiver; the
#              one added earlier gets nothing more once refused, the log
#              says why (the guard checks every connection, not the URL once)
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"
. "$(dirname "$0")/../lib/subs_common.sh"

start_receiver target standard "$SECRET_A"
subs_start "require_https = false;"
wait_served api 1
p=$target_PORT

refused() {
	want 403 POST /v1/subscribers "{\"url\": \"$1\", \"secret\": \"$SECRET_A\"}"
	error_has "$2"
	error_has "SSRF guard"
}
refused "http://127.0.0.1:$p/hook" "is loopback"
refused "http://127.9.9.9:$p/hook" "is loopback"
refused "http://localhost:$p/hook" "is loopback"
refused "http://[::1]:$p/hook" "is loopback"
refused "http://[::ffff:127.0.0.1]:$p/hook" "is loopback"
refused "http://169.254.169.254/latest/meta-data/" "cloud metadata"
refused "http://10.1.2.3/hook" "private (RFC 1918)"
refused "http://172.16.0.1/hook" "private (RFC 1918)"
refused "http://192.168.0.1/hook" "private (RFC 1918)"
refused "http://[::ffff:192.168.0.1]/hook" "private (RFC 1918)"
refused "http://100.64.0.1/hook" "CGNAT"
refused "http://[fd00::1]/hook" "unique-local"
refused "http://[fe80::1]/hook" "link-local"
refused "http://0.0.0.0:$p/hook" "unspecified"
# A name that DNS resolves to loopback: caught on the address curl connects to.
host=$(hostname)
if getent hosts "$host" | grep -q '^127\.'; then
	refused "http://$host:$p/hook" "is loopback"
	named=1
else
	echo "note: $host does not resolve to loopback here: the by-name case is left out"
	named=0
fi
sleep 0.3
[ "$(count_lines "$TMP/target.jsonl" 'True')" -eq 0 ] ||
	fail "the loopback receiver got $(count_lines "$TMP/target.jsonl" 'True') requests"
pass "loopback (literal, localhost, ::1, mapped, by DNS: $named), metadata, RFC 1918, CGNAT, ULA, link-local, unspecified: 403 and no packet"

# Allowed while loopback is exempt, then refused at every connection once not.
stop_daemon
subs_conf "allow_networks = [ \"127.0.0.0/8\" ]; require_https = false;"
start_daemon "$TMP/pollhook.conf"
wait_for 10 healthy || fail "the API did not answer /healthz"
name_host=127.0.0.1
[ "$named" = 1 ] && name_host=$host
want 201 POST /v1/subscribers "{\"name\": \"t\", \"url\": \"http://$name_host:$p/hook\", \"secret\": \"$SECRET_A\", \"events\": [\"cpu.*\"]}"
echo '{"cpu": 95}' | put status.json
wait_count "$TMP/target.jsonl" '"cpu.high" in r["body"]' 1 10 || fail "no cpu.high while allowed"
subs_conf "require_https = false;"
kill -HUP "$DAEMON_PID"
wait_grep "reloaded" "$TMP/daemon.err" 10 || fail "no reload"
before=$(count_lines "$TMP/target.jsonl" 'True')
echo '{"cpu": 30}' | put status.json
wait_grep "subs/t: deliveries failing: .* is loopback (refused by the SSRF guard" "$TMP/daemon.err" 15 ||
	fail "the refused delivery is not logged"
sleep 0.5
[ "$(count_lines "$TMP/target.jsonl" 'True')" -eq "$before" ] || fail "a packet reached the receiver after the reload"
want 200 GET /v1/subscribers/t
[ "$(body 'd["health"]["consecutive_failures"] >= 1')" = True ] || fail "health: $(cat "$TMP/body")"
body 'd["health"]["last_error"]' | grep -q "SSRF guard" || fail "last_error: $(cat "$TMP/body")"
pass "a subscriber allowed before is refused at the connection after the reload, with no packet sent"
stop_daemon
