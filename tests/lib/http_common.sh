# Sourced by the http_*.sh integration tests: a scratch directory, the
# loopback test API (tests/lib/httpserver.py), pollhook runs, and checks on
# their output. Everything started here is stopped on exit.

set -u

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"
: "${top_builddir:?top_builddir must be set (make check exports it)}"

POLLHOOK=$top_builddir/bridge/pollhook
. "$top_srcdir/tests/lib/kinds.sh"
. "$top_srcdir/tests/lib/ports.sh"
# A test of another poller names it in NEED_POLLERS before sourcing this file.
need_kind pollers ${NEED_POLLERS:-http}
HTTPSERVER=$top_srcdir/tests/lib/httpserver.py
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-http.XXXXXX")
PIDS=""
WWW=$TMP/www
mkdir -p "$WWW" "$TMP/state"

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	# What other helpers started (tests/lib/pg.sh's server).
	for h in ${CLEANUP_HOOKS:-}; do
		"$h"
	done
	free_port_release
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	# KEEP_DAEMON_ERR=FILE keeps pollhook's whole stderr for debugging.
	if [ -n "${KEEP_DAEMON_ERR:-}" ] && [ -f "$TMP/daemon.err" ]; then
		cp "$TMP/daemon.err" "$KEEP_DAEMON_ERR"
	fi
	if grep -q 'Sanitizer' "$TMP/daemon.err" 2>/dev/null; then
		echo "--- pollhook stderr (sanitizer report):" >&2
		sed -n '/Sanitizer/,+25p' "$TMP/daemon.err" >&2
	elif [ -s "$TMP/daemon.err" ]; then
		echo "--- pollhook stderr (last lines):" >&2
		tail -n 20 "$TMP/daemon.err" >&2
	fi
	exit 1
}

pass() {
	echo "ok: $*"
}

for tool in python3; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is required"
done
[ -x "$POLLHOOK" ] || fail "$POLLHOOK not built"

# The store every test's configuration uses: SQLite in $TMP/state (nothing
# to say), or with POLLHOOK_TEST_STORE=postgres a PostgreSQL server of the
# test's own (tests/lib/pg.sh), the same test body on either backend.
# Configurations put $STORE_CONF in their bridge group.
STORE_CONF=
if [ "${POLLHOOK_TEST_STORE:-sqlite}" = postgres ]; then
	. "$top_srcdir/tests/lib/pg.sh"
	need_pg
	pg_start || fail "PostgreSQL did not start"
	STORE_CONF="store = { backend = \"postgres\"; conninfo = \"$PG_CONNINFO\"; node = \"test\"; };"
fi

# Writes stdin to $WWW/NAME atomically, so the server never serves half a file.
put() {
	cat >"$WWW/$1.tmp" && mv "$WWW/$1.tmp" "$WWW/$1"
}

# Waits until FILE exists and is not empty, at most SECONDS (tenths polled).
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}

# wait_for SECONDS CMD...: runs CMD every 0.2 s until it succeeds, at most
# SECONDS; fails the test if the daemon dies meanwhile.
wait_for() {
	local secs=$1 i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ "$i" -le $((secs * 5)) ] || return 1
		if [ -n "${DAEMON_PID:-}" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			fail "pollhook died while waiting for: $*"
		fi
		sleep 0.2
	done
}

# wait_grep PATTERN FILE SECONDS: waits until FILE has a line matching PATTERN.
wait_grep() {
	wait_for "$3" grep -qs -- "$1" "$2"
}

# start_api NAME [httpserver options]: starts a test API; its port is in
# ${NAME}_PORT and its request log in $TMP/NAME.log.
start_api() {
	name=$1
	shift
	python3 "$HTTPSERVER" --dir "$WWW" --port-file "$TMP/$name.port" \
	    --log "$TMP/$name.log" "$@" 2>>"$TMP/$name.err" &
	PIDS="$PIDS $!"
	wait_file "$TMP/$name.port" 10 || fail "test API $name did not start: $(cat "$TMP/$name.err")"
	: >>"$TMP/$name.log"
	eval "${name}_PORT=\$(cat \"\$TMP/\$name.port\")"
}

# wait_served NAME N [SECONDS]: waits until the test API NAME has answered N
# requests in all (the daemon has polled it), at most SECONDS (default 10).
wait_served() {
	wait_count "$TMP/$1.log" 'True' "$2" "${3:-10}" ||
		fail "the test API $1 did not get $2 requests in ${3:-10} s"
}

# once CONF: runs pollhook --once; output in $TMP/once.json, status in ONCE_RC.
once() {
	ONCE_RC=0
	"$POLLHOOK" --once --json -c "$1" >"$TMP/once.json" 2>"$TMP/once.err" || ONCE_RC=$?
	if [ "$ONCE_RC" -eq 1 ]; then
		cat "$TMP/once.err" >&2
		fail "pollhook --once -c $1 exited 1 (configuration or start-up error)"
	fi
}

# get SOURCE WHAT [INSTANCE]: prints from the last --once output the sample's
# "ok" or "error" (WHAT = ok | error), or the metric WHAT's value as compact
# JSON (its error text when it failed; MISSING when absent). A "label:"
# prefix on WHAT prints the point's label instead.
get() {
	python3 - "$TMP/once.json" "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
src, what = sys.argv[2], sys.argv[3]
inst = sys.argv[4] if len(sys.argv) > 4 else None
for s in doc["samples"]:
    if s["source"] != src:
        continue
    if what in ("ok", "error"):
        print(json.dumps(s[what]) if what == "ok" else s[what])
        sys.exit(0)
    label = what.startswith("label:")
    metric = what[6:] if label else what
    for p in s["points"]:
        if p["metric"] == metric and p["instance"] == inst:
            if label:
                print(p["label"])
            elif p["error"] is not None:
                print(p["error"])
            else:
                print(json.dumps(p["value"], sort_keys=True, separators=(",", ":")))
            sys.exit(0)
print("MISSING")
EOF
}

# expect SOURCE WHAT INSTANCE|- WANT: fails unless get prints WANT.
expect() {
	if [ "$3" = "-" ]; then
		got=$(get "$1" "$2")
	else
		got=$(get "$1" "$2" "$3")
	fi
	[ "$got" = "$4" ] || fail "source $1 $2${3#-}: got '$got', want '$4'"
}

# start_daemon CONF: runs pollhook in the background, stderr in $TMP/daemon.err.
start_daemon() {
	"$POLLHOOK" -c "$1" 2>"$TMP/daemon.err" &
	DAEMON_PID=$!
	PIDS="$PIDS $DAEMON_PID"
}

# stop_daemon: SIGTERM, then fails on a sanitizer report (leaks show at exit).
stop_daemon() {
	kill "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
	if grep -q 'Sanitizer' "$TMP/daemon.err"; then
		fail "pollhook reported a sanitizer error"
	fi
}

# count_lines FILE PYTHON-CONDITION: JSON lines of FILE for which the condition
# on the parsed line r holds.
count_lines() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
n = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if eval(sys.argv[2]):
                n += 1
except FileNotFoundError:
    pass
print(n)
EOF
}

# wait_count FILE CONDITION N SECONDS: waits until count_lines reaches N.
wait_count() {
	i=0
	while [ "$(count_lines "$1" "$2")" -lt "$3" ]; do
		i=$((i + 1))
		[ "$i" -le $(($4 * 5)) ] || return 1
		if [ -n "${DAEMON_PID:-}" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			fail "pollhook died while waiting for $3 lines of $1 matching $2"
		fi
		sleep 0.2
	done
}

# make_pki: a test CA in $PKI (ca.pem, ca.key) and a server certificate for
# 127.0.0.1 it signed (server.pem, server.key).
make_pki() {
	command -v openssl >/dev/null 2>&1 || fail "openssl is required"
	PKI=$TMP/pki
	mkdir -p "$PKI"
	ssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pollhook test CA" \
	    -keyout "$PKI/ca.key" -out "$PKI/ca.pem"
	ssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	    -keyout "$PKI/server.key" -out "$PKI/server.csr"
	printf 'subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n' >"$PKI/server.ext"
	ssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
	    -CAcreateserial -days 2 -extfile "$PKI/server.ext" -out "$PKI/server.pem"
}

# ssl ARGS...: runs openssl, its output in $PKI/openssl.log; fails the test on error.
ssl() {
	openssl "$@" >>"$PKI/openssl.log" 2>&1 || fail "openssl $1 failed: $(tail -n 5 "$PKI/openssl.log")"
}
