#!/usr/bin/env bash
# Case: bridge.user, giving root up after the API's port and the store are open.
#   config     bridge.user = a throwaway system user made here (useradd,
#              removed at exit); the API on a port below 1024; an http source
#              and an ICMP one (raw socket when datagram ICMP is not allowed)
#   behaviour  started as root; SIGHUP moving the API to another low port; a
#              write to the store; then started as that user; an unknown user
#   expected   the process runs as the user (all uids and gids, its group
#              only), keeps CAP_NET_RAW and CAP_NET_BIND_SERVICE and nothing
#              else (so no way back to root); the state directory and the
#              database are the user's; the API answers, moves to the new low
#              port, stores a silence; the ICMP source is up; as non-root
#              it says there is nothing to drop; an unknown user is a
#              FILE:LINE error
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: not root"; exit 77; }
command -v useradd >/dev/null && command -v userdel >/dev/null && command -v setpriv >/dev/null ||
	{ echo "SKIP: useradd, userdel or setpriv missing"; exit 77; }

PUSER=phk$$
useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$PUSER" ||
	fail "useradd $PUSER"
remove_user() {
	userdel "$PUSER" 2>/dev/null
	getent group "$PUSER" >/dev/null && groupdel "$PUSER" 2>/dev/null
	return 0
}
CLEANUP_HOOKS="${CLEANUP_HOOKS:-} remove_user"
PUID=$(id -u "$PUSER")
PGID=$(id -g "$PUSER")
chmod 755 "$TMP"
chmod 644 "$TMP/api.token"
setpriv --reuid="$PUID" --regid="$PGID" --clear-groups test -r "$TMP/api.token" ||
	{ echo "SKIP: $TMP is not reachable by another user (TMPDIR's parents)"; exit 77; }

# low_port: a free port below 1024.
low_port() {
	python3 -c '
import random, socket
for p in random.sample(range(700, 1000), 300):
    try:
        s = socket.socket(); s.bind(("127.0.0.1", p)); s.close(); print(p); break
    except OSError:
        pass'
}

echo '{"cpu": 20}' | put status.json
start_api api
ICMP_SOURCE=
if "$POLLHOOK" --version | grep -q '^pollers:.* icmp'; then
	ICMP_SOURCE=', { name = "ping"; poller = "icmp"; interval = 0.5; timeout = 0.4;
    icmp = { address = "127.0.0.1"; count = 1; }; }'
fi
# conf FILE PORT STATE: a configuration with bridge.user.
conf() {
	cat >"$1" <<CONF
bridge = { state_dir = "$3"; user = "$PUSER"; $STORE_CONF
  api = { listen = "127.0.0.1:$2"; token_file = "$TMP/api.token"; }; };
sources = ( { name = "edge-1"; poller = "http"; interval = 0.2; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/status.json"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); } $ICMP_SOURCE );
rules = ( { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 85.0; } );
CONF
	chmod 644 "$1"
}

API_PORT=$(low_port)
[ -n "$API_PORT" ] || fail "no free port below 1024"
conf "$TMP/pollhook.conf" "$API_PORT" "$TMP/state"
start_daemon "$TMP/pollhook.conf"
wait_for 15 healthy || fail "the API did not answer /healthz on port $API_PORT"
grep -q "bridge.user: dropped root: now $PUSER (uid $PUID, gid $PGID)" "$TMP/daemon.err" ||
	fail "no 'dropped root' log line"

st=/proc/$DAEMON_PID/status
read -r _ u1 u2 u3 u4 < <(grep '^Uid:' "$st")
read -r _ g1 g2 g3 g4 < <(grep '^Gid:' "$st")
for v in "$u1" "$u2" "$u3" "$u4"; do [ "$v" = "$PUID" ] || fail "Uid: $(grep '^Uid:' "$st"), want $PUID"; done
for v in "$g1" "$g2" "$g3" "$g4"; do [ "$v" = "$PGID" ] || fail "Gid: $(grep '^Gid:' "$st"), want $PGID"; done
groups=$(sed -n 's/^Groups:[[:space:]]*//p' "$st" | tr -d ' \t')
[ "$groups" = "$PGID" ] || fail "Groups: '$groups', want only $PGID"
# CAP_NET_BIND_SERVICE (10) and CAP_NET_RAW (13), nothing else: no CAP_SETUID, no way back.
for c in CapPrm CapEff; do
	v=$(sed -n "s/^$c:[[:space:]]*//p" "$st")
	[ "$((16#$v))" = "$(((1 << 10) | (1 << 13)))" ] || fail "$c: $v, want 0x2400"
done
[ "$(sed -n 's/^CapInh:[[:space:]]*//p' "$st")" = 0000000000000000 ] || fail "inheritable capabilities left"
pass "runs as $PUSER ($PUID:$PGID), its group only, CAP_NET_RAW and CAP_NET_BIND_SERVICE only"

if [ "${POLLHOOK_TEST_STORE:-sqlite}" = sqlite ]; then
	for f in "$TMP/state" "$TMP/state/pollhook.db"; do
		[ "$(stat -c %u "$f")" = "$PUID" ] || fail "$f belongs to uid $(stat -c %u "$f")"
	done
fi
st=$(curl -s --max-time 5 -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    --data '{"matchers": {"source": "edge-*"}, "ends": "2099-01-01T00:00:00Z", "comment": "t", "creator": "t"}' \
    "http://127.0.0.1:$API_PORT/v1/silences")
[ "$st" = 201 ] || fail "POST /v1/silences as $PUSER: $st: $(cat "$TMP/body")"
pass "the store is written as $PUSER"

if [ -n "$ICMP_SOURCE" ]; then
	ping_up() {
		expect_status 200 GET /metrics "$TOKEN"
		grep -q '^pollhook_source_up{source="ping"} 1' "$TMP/body"
	}
	wait_for 10 ping_up || fail "the ICMP source is not up after dropping root: $(grep icmp "$TMP/daemon.err")"
	pass "ICMP after dropping root: $(grep -o 'IPv4 echo over [a-z ]*socket' "$TMP/daemon.err" | head -1)"
fi

# A reload to another port below 1024: CAP_NET_BIND_SERVICE is kept for it.
OLD_PORT=$API_PORT
NEW_PORT=$(low_port)
conf "$TMP/pollhook.conf" "$NEW_PORT" "$TMP/state"
kill -HUP "$DAEMON_PID"
API_PORT=$NEW_PORT
wait_for 10 healthy || fail "the API did not move to port $NEW_PORT as $PUSER: $(tail -3 "$TMP/daemon.err")"
pass "reload: the API moved from port $OLD_PORT to $NEW_PORT"
stop_daemon

# Not root: nothing to drop, and it says so.
mkdir -p "$TMP/state2"
chown "$PUID:$PGID" "$TMP/state2"
API_PORT=$(free_port)
conf "$TMP/user.conf" "$API_PORT" "$TMP/state2"
setpriv --reuid="$PUID" --regid="$PGID" --clear-groups "$POLLHOOK" -c "$TMP/user.conf" \
    2>"$TMP/daemon.err" &
DAEMON_PID=$!
PIDS="$PIDS $DAEMON_PID"
wait_for 15 healthy || fail "as $PUSER, the API did not answer"
grep -q "bridge.user: not started as root (uid $PUID): nothing to drop" "$TMP/daemon.err" ||
	fail "no 'not started as root' log line"
stop_daemon
pass "not root: a log line, nothing dropped"

# An unknown user is an error of the file.
sed "s/user = \"$PUSER\"/user = \"no-such-user-$$\"/" "$TMP/pollhook.conf" >"$TMP/bad.conf"
"$POLLHOOK" --check-config -c "$TMP/bad.conf" >/dev/null 2>"$TMP/check.err" &&
	fail "an unknown bridge.user passed --check-config"
grep -q "^$TMP/bad.conf:1: bridge.user: no user \"no-such-user-$$\"" "$TMP/check.err" ||
	fail "unknown user: $(cat "$TMP/check.err")"
pass "an unknown user: $(head -1 "$TMP/check.err")"
