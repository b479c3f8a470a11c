# Sourced by the snmp_*.sh integration tests: a scratch directory, a real
# snmpd on a free loopback UDP port with its own config (community "public",
# v3 authPriv user "ph-user" SHA-256/AES and "ph-user-2" SHA/DES, "ph-user-3" SHA-512/DES, the test values of snmp_pass.sh,
# and .1.3.6.1.4.1.99998.1.0 from snmp_burst_agent.py: the file $STATE/burst),
# pollhook runs and checks on their output. Everything started here is
# stopped on exit; every wait is bounded. KEEP=1 keeps the scratch directory.

set -u

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"
: "${top_builddir:?top_builddir must be set (make check exports it)}"

POLLHOOK=$top_builddir/bridge/pollhook
. "$top_srcdir/tests/lib/kinds.sh"
. "$top_srcdir/tests/lib/ports.sh"
need_kind pollers snmp
PASS_SCRIPT=$top_srcdir/tests/lib/snmp_pass.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-snmp.XXXXXX")
STATE=$TMP/state
PIDS=""
SNMPD_PID=""
mkdir -p "$STATE"

V3_USER=ph-user
V3_AUTH_PASS=ph-auth-secret
V3_PRIV_PASS=ph-priv-secret

cleanup() {
	for p in $SNMPD_PID $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $SNMPD_PID $PIDS; do
		wait "$p" 2>/dev/null
	done
	free_port_release
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	for f in daemon.err once.err snmpd.log; do
		if grep -q 'Sanitizer' "$TMP/$f" 2>/dev/null; then
			echo "--- $f (sanitizer report):" >&2
			sed -n '/Sanitizer/,+40p' "$TMP/$f" >&2
		elif [ -s "$TMP/$f" ]; then
			echo "--- $f (last lines):" >&2
			tail -n 20 "$TMP/$f" >&2
		fi
	done
	exit 1
}

pass() {
	echo "ok: $*"
}

SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)
for tool in "$SNMPD" snmpget python3; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is required (Debian packages snmpd, snmp, python3)"
done
[ -x "$POLLHOOK" ] || fail "$POLLHOOK not built"

# Writes a test value atomically: set NAME VALUE.
set_value() {
	printf '%s\n' "$2" >"$STATE/$1.tmp" && mv "$STATE/$1.tmp" "$STATE/$1"
}

set_value cpu 20
set_value counter 100
set_value if1.status 1
set_value if1.name lo
set_value if2.status 1
set_value if2.name eth0
set_value if3.status 2
set_value if3.name eth1


# Starts snmpd on a free port (SNMPD_PORT); waits until it answers, at most 10 s.
snmpd_start() {
	SNMPD_PORT=${SNMPD_PORT:-$(free_port)}
	mkdir -p "$TMP/snmpd-persist"
	cat >"$TMP/snmpd.conf" <<CONF
agentAddress udp:127.0.0.1:$SNMPD_PORT
rocommunity public 127.0.0.1
createUser $V3_USER SHA-256 "$V3_AUTH_PASS" AES "$V3_PRIV_PASS"
rouser $V3_USER priv
createUser $V3_USER-2 SHA "$V3_AUTH_PASS" DES "$V3_PRIV_PASS"
rouser $V3_USER-2 auth
createUser $V3_USER-3 SHA-512 "$V3_AUTH_PASS" DES "$V3_PRIV_PASS"
rouser $V3_USER-3 priv
pass .1.3.6.1.4.1.99999 /bin/sh $PASS_SCRIPT $STATE
[snmp] serverRecvBuf 4194304
pass_persist .1.3.6.1.4.1.99998 $(command -v python3) $top_srcdir/tests/lib/snmp_burst_agent.py $STATE
CONF
	SNMP_PERSISTENT_DIR=$TMP/snmpd-persist MIBS= \
	    "$SNMPD" -f -r -C -c "$TMP/snmpd.conf" -Lf "$TMP/snmpd.log" \
	    -p "$TMP/snmpd.pid" &
	SNMPD_PID=$!
	i=0
	until snmpget -v2c -c public -r 0 -t 0.2 -On "127.0.0.1:$SNMPD_PORT" \
	    .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -le 40 ] || fail "snmpd did not start on port $SNMPD_PORT"
		kill -0 "$SNMPD_PID" 2>/dev/null || fail "snmpd exited"
		sleep 0.25
	done
}

snmpd_stop() {
	if [ -n "$SNMPD_PID" ]; then
		kill "$SNMPD_PID" 2>/dev/null
		wait "$SNMPD_PID" 2>/dev/null
		SNMPD_PID=""
	fi
}

# once CONF: runs pollhook --once --json; output in $TMP/once.json, status in ONCE_RC.
once() {
	ONCE_RC=0
	timeout 30 "$POLLHOOK" --once --json -c "$1" >"$TMP/once.json" 2>"$TMP/once.err" ||
	    ONCE_RC=$?
}

# jq-like checks with python: jcheck 'PYTHON EXPRESSION over d' MESSAGE
jcheck() {
	python3 - "$TMP/once.json" "$1" <<'PY' || fail "$2"
import json, sys
d = json.load(open(sys.argv[1]))
def pts(src, metric, instance=...):
    for s in d["samples"]:
        if s["source"] != src:
            continue
        return [p for p in s["points"] if p["metric"] == metric and
                (instance is ... or p["instance"] == instance)]
    return []
def val(src, metric, instance=None):
    p = pts(src, metric, instance)
    return p[0]["value"] if p else None
def sample(src):
    return [s for s in d["samples"] if s["source"] == src][0]
if not eval(sys.argv[2]):
    print(json.dumps(d, indent=1), file=sys.stderr)
    sys.exit(1)
PY
}

# Starts the daemon on CONF (stderr in $TMP/daemon.err).
daemon_start() {
	"$POLLHOOK" -c "$1" 2>"$TMP/daemon.err" &
	DAEMON_PID=$!
	PIDS="$PIDS $DAEMON_PID"
}

# wait_grep PATTERN FILE SECONDS: waits until FILE has a line matching PATTERN.
wait_grep() {
	i=0
	until grep -q -- "$1" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le $(($3 * 10)) ] || return 1
		sleep 0.1
	done
}

# Starts a UDP listener on a free loopback port (DEAD_PORT) that reads every
# request and never answers: an agent that is there but dead.
dead_agent_start() {
	DEAD_PORT=$(free_port)
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recv(65535)
' "$DEAD_PORT" &
	PIDS="$PIDS $!"
}
