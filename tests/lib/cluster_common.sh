# Sourced by the cluster_*.sh integration tests: instances of pollhook with
# one configuration file (node and API port come from the environment,
# ${NODE} and ${API_PORT}) forming a cluster on a PostgreSQL server of the
# test's own, NSRC SNMP sources s000... and a source "cpu" with a rule, all
# on one snmpd, and a webhook receiver r1. snmpd logs every request it
# receives (-Ddumpv_recv); tests/lib/snmp_requests.py keeps one timed line
# per requested OID in $TMP/requests.log, so that each source's polls are
# counted at the device (tests/lib/cluster_check.py). Every wait is bounded.
#
#   cluster_conf              writes $TMP/cluster.conf
#   start_node NAME           starts an instance; ${NAME}_PID, ${NAME}_API
#   wait_members N [SECONDS]  until N members are live and own every source
#   owners FILE               writes "source owner" lines from the store
#   owner_of SOURCE           prints the node owning SOURCE
#   now                       prints the Unix time, in ms
#   check ARGS...             runs cluster_check.py on the requests so far
POLLHOOK_TEST_STORE=postgres
. "$top_srcdir/tests/lib/http_common.sh"
. "$top_srcdir/tests/lib/webhook_common.sh"
need_kind pollers snmp

# fail MESSAGE: as http_common.sh's, with the last lines of every instance's log.
fail() {
	echo "FAIL: $*" >&2
	for f in "$TMP"/[a-z].err; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f" .err) (last lines):" >&2
		if grep -q Sanitizer "$f"; then
			sed -n '/Sanitizer/,+25p' "$f" >&2
		else
			grep -v "metric uptime: no such instance" "$f" | tail -n 12 >&2
		fi
	done
	exit 1
}

NSRC=${NSRC:-300}
TTL=${CLUSTER_TTL:-3}	# lease_ttl, seconds (whole)
INTERVAL=${CLUSTER_INTERVAL:-1}	# every source's, seconds (whole)
SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)
command -v "$SNMPD" >/dev/null 2>&1 || fail "snmpd is required (Debian package snmpd)"
SNMP_STATE=$TMP/snmp-state
mkdir -p "$SNMP_STATE" "$TMP/snmpd-persist"

# set_cpu V: the value the cpu source reads next.
set_cpu() {
	printf '%s\n' "$1" >"$SNMP_STATE/cpu.tmp" && mv "$SNMP_STATE/cpu.tmp" "$SNMP_STATE/cpu"
}
set_cpu 20
echo 100 >"$SNMP_STATE/counter"

now() {
	python3 -c 'import time; print("%.3f" % time.time())'
}

# Starts snmpd on a free UDP port (SNMPD_PORT), its requests logged; waits until it answers.
snmpd_start() {
	SNMPD_PORT=$(free_port)
	cat >"$TMP/snmpd.conf" <<CONF
agentAddress udp:127.0.0.1:$SNMPD_PORT
rocommunity public 127.0.0.1
pass .1.3.6.1.4.1.99999 /bin/sh $top_srcdir/tests/lib/snmp_pass.sh $SNMP_STATE
[snmp] serverRecvBuf 4194304
CONF
	mkfifo "$TMP/snmpd.fifo"
	python3 "$top_srcdir/tests/lib/snmp_requests.py" "$TMP/requests.log" <"$TMP/snmpd.fifo" &
	PIDS="$PIDS $!"
	SNMP_PERSISTENT_DIR=$TMP/snmpd-persist MIBS= \
	    "$SNMPD" -f -r -C -c "$TMP/snmpd.conf" -Lo -Ddumpv_recv >"$TMP/snmpd.fifo" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	until snmpget -v2c -c public -r 0 -t 0.2 -On "127.0.0.1:$SNMPD_PORT" \
	    .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -le 40 ] || fail "snmpd did not start on port $SNMPD_PORT"
		sleep 0.25
	done
}

cluster_conf() {
	{
		echo "bridge = { state_dir = \"$TMP/state-\${NODE}\";"
		echo "  api = { listen = \"127.0.0.1:\${API_PORT}\"; };"
		# The node in application_name: a server log can tell the instances apart.
		echo "  store = { backend = \"postgres\"; conninfo = \"$PG_CONNINFO application_name=\${NODE}\"; };"
		echo "  cluster = { node = \"\${NODE}\"; lease_ttl = $TTL.0; }; };"
		echo "sources = ("
		echo "  { name = \"cpu\"; poller = \"snmp\"; interval = $INTERVAL.0; timeout = 0.9;"
		echo "    snmp = { address = \"127.0.0.1:$SNMPD_PORT\"; retries = 0; };"
		echo "    metrics = ( { name = \"cpu\"; oid = \"1.3.6.1.4.1.99999.1.0\"; },"
		echo "      { name = \"counter\"; oid = \"1.3.6.1.4.1.99999.3.0\"; } ); }"
		for i in $(seq 0 $((NSRC - 1))); do
			printf ', { name = "s%03d"; poller = "snmp"; interval = %d.0; timeout = 0.9;' \
			    "$i" "$INTERVAL"
			printf ' snmp = { address = "127.0.0.1:%s"; retries = 0; };' "$SNMPD_PORT"
			printf ' metrics = ( { name = "uptime"; oid = "1.3.6.1.2.1.1.3.%d"; } ); }\n' "$i"
		done
		echo ");"
		echo "rules = ( { name = \"cpu.high\"; sources = [ \"cpu\" ]; metric = \"cpu\";"
		echo "  above = 90.0; clear = 85.0; } );"
		echo "subscribers = ( { name = \"r1\"; url = \"http://127.0.0.1:$r1_PORT/hook\";"
		echo "  secret = \"$SECRET_A\"; retry = { first_delay = 0.2; max_delay = 0.5; }; } );"
	} >"$TMP/cluster.conf"
	NODE=x API_PORT=1 "$POLLHOOK" --check-config -c "$TMP/cluster.conf" >/dev/null ||
	    fail "the cluster config does not validate"
}

start_node() {
	port=$(free_port)
	NODE=$1 API_PORT=$port "$POLLHOOK" -c "$TMP/cluster.conf" 2>"$TMP/$1.err" &
	eval "${1}_PID=$!"
	eval "${1}_API=$port"
	PIDS="$PIDS $!"
}

# live_owned: the sources owned by live members, and the live members, "N M".
live_owned() {
	pg_sql "SELECT (SELECT count(*) FROM cluster_owners o JOIN members m ON m.id = o.owner
	    WHERE m.lease_until > now()), (SELECT count(*) FROM members WHERE cluster
	    AND lease_until > now())" | tr '|' ' '
}

wait_members() {
	want="$((NSRC + 1)) $1"
	i=0
	while [ "$(live_owned)" != "$want" ]; do
		i=$((i + 1))
		[ "$i" -le $((${2:-30} * 5)) ] || fail "no cluster of $1 owning every source after ${2:-30} s: $(live_owned); $(tail -n 3 "$TMP"/*.err)"
		sleep 0.2
	done
}

owners() {
	pg_sql "SELECT o.source, m.name FROM cluster_owners o JOIN members m ON m.id = o.owner
	    WHERE m.lease_until > now() ORDER BY o.source" | tr '|' ' ' >"$1"
}

owner_of() {
	pg_sql "SELECT m.name FROM cluster_owners o JOIN members m ON m.id = o.owner
	    WHERE o.source = '$1'"
}

check() {
	python3 "$top_srcdir/tests/lib/cluster_check.py" "$TMP/requests.log" "$@"
}

# firing_ids: the distinct ids of cpu.high firings the receiver got.
firing_ids() {
	python3 - "$TMP/r1.jsonl" <<'PY'
import json, sys
ids = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["status"] != 200:
        continue
    b = json.loads(r["body"])
    if b["event"] == "cpu.high" and b["payload"]["state"] == "firing":
        ids.add(b["id"])
print(len(ids))
PY
}

# no_sanitizer NAME...: the instances' stderr holds no sanitizer report.
no_sanitizer() {
	for n in "$@"; do
		if grep -q Sanitizer "$TMP/$n.err"; then
			sed -n '/Sanitizer/,+30p' "$TMP/$n.err" >&2
			fail "$n reported a sanitizer error"
		fi
	done
}

# stop_nodes NAME...: SIGTERM, then waits (bounded by the daemon's own grace).
stop_nodes() {
	for n in "$@"; do
		eval "kill \$${n}_PID" 2>/dev/null
	done
	for n in "$@"; do
		eval "wait \$${n}_PID" 2>/dev/null
	done
	no_sanitizer "$@"
}

start_receiver r1 standard "$SECRET_A"
snmpd_start
cluster_conf
