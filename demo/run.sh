#!/bin/bash
# pollhook's demo: a simulated router and REST API, three verifying webhook
# subscribers and pollhook with conf/demo.conf, all on 127.0.0.1, all stopped
# when the demo ends (after its story, or at Ctrl-C).
#
#   demo/run.sh          the whole story, about a minute
#   demo/run.sh --ci     a short version (about 20 s), no colours, one line
#                        per SNMP request; tests/integration/demo.sh checks it
#   demo/run.sh --keep   keep the scratch directory (logs, outbox) afterwards
#
# POLLHOOK=/path/to/pollhook overrides the binary (default: bridge/pollhook of
# the in-tree build). Needs Debian's snmpd and snmp (snmpget), and python3.
#
# The parts:
#   router     snmpd with its own configuration on a free UDP port; its CPU
#              load (CISCO-PROCESS-MIB::cpmCPUTotal5secRev.1) comes from
#              demo/router-cpu.sh, a pass_persist script reading a file this
#              script writes: normal, a spike above 90 %, normal again
#   REST API   tests/lib/httpserver.py serving a meeting room's status and a
#              list of recordings that grows (with ETags: unchanged is a 304)
#   receivers  tests/lib/receiver.py, three of them: Standard Webhooks, Zoom
#              and GitHub signatures, each verifying every request
#   pollhook   -c conf/demo.conf, its ports and secrets from the environment
#   display    demo/show.py, which follows all their logs and prints one line
#              per webhook, event and story step, and the closing figures

set -u

usage() {
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

CI=0
KEEP=0
for arg in "$@"; do
	case $arg in
	--ci) CI=1 ;;
	--keep) KEEP=1 ;;
	-h | --help) usage 0 ;;
	*) echo "demo/run.sh: unknown option $arg" >&2; usage 2 >&2 ;;
	esac
done

DEMO=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$DEMO")
POLLHOOK=${POLLHOOK:-$SRC/bridge/pollhook}
CONF=$SRC/conf/demo.conf
RECEIVER=$SRC/tests/lib/receiver.py
HTTPSERVER=$SRC/tests/lib/httpserver.py
SHOW=$DEMO/show.py
SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)
export PYTHONDONTWRITEBYTECODE=1 PYTHONIOENCODING=utf-8

die() {
	echo "demo: $*" >&2
	exit 1
}

[ -x "$POLLHOOK" ] || die "$POLLHOOK is not built: run ./autogen.sh && ./configure && make (or set POLLHOOK=)"
[ -x "$SNMPD" ] || die "snmpd not found (Debian: apt-get install snmpd snmp)"
for tool in snmpget python3; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (Debian: apt-get install snmp python3)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-demo.XXXXXX") || die "mktemp failed"
STATE=$TMP/router               # the router's CPU value and request log
WWW=$TMP/www                    # the REST API's documents
STORY=$TMP/story.log            # narration, printed by show.py
mkdir -p "$STATE" "$WWW/v2/rooms/boardroom" "$WWW/v2/users/me" "$TMP/snmpd-persist"
: >"$STORY"

SNMPD_PID=""
API_PID=""
RCV_PIDS=""
POLLHOOK_PID=""
SHOW_PID=""
FAILED=0

# stop PID SECONDS: SIGTERM, at most SECONDS to exit, then SIGKILL.
stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt $(($2 * 10)) ]; then
			kill -KILL "$1" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$1" 2>/dev/null
	return 0
}

cleanup() {
	trap '' INT TERM
	stop "$SHOW_PID" 3
	stop "$POLLHOOK_PID" 12
	for p in $RCV_PIDS $API_PID; do
		stop "$p" 3
	done
	stop "$SNMPD_PID" 5
	if [ "$KEEP" = 1 ] || [ "$FAILED" = 1 ]; then
		echo "demo: logs and state kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
INTERRUPTED=0
trap 'INTERRUPTED=1' INT
trap 'exit 143' TERM

fail() {
	[ "$INTERRUPTED" = 0 ] || exit 130
	FAILED=1
	echo "demo: FAILED: $*" >&2
	for f in pollhook.log snmpd.log api.err noc.err chat.err ticket.err; do
		if [ -s "$TMP/$f" ]; then
			echo "--- $f (last lines):" >&2
			tail -n 15 "$TMP/$f" >&2
		fi
	done
	exit 1
}

# wait_until SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds.
wait_until() {
	local n=$(($1 * 10))
	shift
	until "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] && [ "$INTERRUPTED" = 0 ] || return 1
		sleep 0.1
	done
}

free_udp_port() {
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Writes stdin to FILE atomically (the API and the router never read half).
put() {
	cat >"$1.tmp" && mv "$1.tmp" "$1"
}

say() {
	printf '%s %s\n' "$(date +%s.%N)" "$*" >>"$STORY"
}

# ---------------------------------------------------------------- the router
set_cpu() {
	echo "$1" | put "$STATE/cpu"
}
set_cpu 22

SNMP_PORT=$(free_udp_port)
cat >"$TMP/snmpd.conf" <<CONF
agentAddress udp:127.0.0.1:$SNMP_PORT
rocommunity public 127.0.0.1
sysName edge-router-1
sysLocation demo-lab
sysDescr pollhook demo router (net-snmp snmpd, CPU load scripted by demo/router-cpu.sh)
pass_persist .1.3.6.1.4.1.9.9.109.1.1.1.1 /bin/sh $DEMO/router-cpu.sh $STATE
CONF
SNMP_PERSISTENT_DIR=$TMP/snmpd-persist MIBS= \
    "$SNMPD" -f -r -C -I -smux -c "$TMP/snmpd.conf" -Lf "$TMP/snmpd.log" -p "$TMP/snmpd.pid" \
    </dev/null >/dev/null 2>&1 &
SNMPD_PID=$!

snmp_value() {
	MIBS= snmpget -v2c -c public -r 1 -t 0.5 -Oqv "127.0.0.1:$SNMP_PORT" "$1" 2>/dev/null
}
router_up() {
	kill -0 "$SNMPD_PID" 2>/dev/null || fail "snmpd exited (see below)"
	[ -n "$(snmp_value .1.3.6.1.2.1.1.3.0)" ]
}
wait_until 10 router_up || fail "snmpd did not answer on udp:127.0.0.1:$SNMP_PORT within 10 s"
# The probes above were requests too: the router's own packet counter
# (SNMPv2-MIB::snmpInPkts.0) is read now and after pollhook stops.
PKTS_BEFORE=$(snmp_value .1.3.6.1.2.1.11.1.0)
: >"$STATE/requests.log"

# -------------------------------------------------------------- the REST API
room_status() {
	printf '{"name": "Boardroom", "status": "%s", "people": %d, "device": {"model": "ZR-Demo 2", "firmware": "6.1.4"}}\n' \
	    "$1" "$2" | put "$WWW/v2/rooms/boardroom/status"
}

# add_recording TOPIC MINUTES: prints the new meeting's uuid.
add_recording() {
	python3 - "$WWW/v2/users/me/recordings" "$1" "$2" <<'PY'
import base64, datetime, json, os, random, sys
path, topic, minutes = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    doc = json.load(open(path))
except FileNotFoundError:
    doc = {"page_size": 300, "total_records": 0, "meetings": []}
uuid = base64.b64encode(os.urandom(16)).decode()
end = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
start = end - datetime.timedelta(minutes=minutes)
doc["meetings"].insert(0, {
    "uuid": uuid, "id": random.randint(81000000000, 89999999999),
    "topic": topic, "start_time": start.isoformat().replace("+00:00", "Z"),
    "duration": minutes, "recording_count": 2,
    "share_url": "https://example.com/rec/share/" + uuid[:10]})
doc["total_records"] = len(doc["meetings"])
with open(path + ".tmp", "w") as f:
    json.dump(doc, f, indent=1)
os.replace(path + ".tmp", path)
print(uuid)
PY
}

room_status available 0
add_recording "Quarterly planning" 55 >/dev/null
add_recording "Network change review" 25 >/dev/null

python3 "$HTTPSERVER" --dir "$WWW" --port-file "$TMP/api.port" --log "$TMP/api.log" \
    </dev/null >/dev/null 2>"$TMP/api.err" &
API_PID=$!
wait_until 10 test -s "$TMP/api.port" || fail "the REST API did not start"
: >>"$TMP/api.log"
API_PORT=$(cat "$TMP/api.port")

# ------------------------------------------------------------- the receivers
secret() {
	python3 -c 'import base64, os, sys
raw = os.urandom(24)
print("whsec_" + base64.b64encode(raw).decode() if sys.argv[1] == "standard"
      else base64.urlsafe_b64encode(raw).decode().rstrip("="))' "$1"
}
NOC_SECRET=$(secret standard)
CHAT_SECRET=$(secret zoom)
TICKET_SECRET=$(secret github)

# start_receiver FILE-NAME SCHEME SECRET
# The secret goes as --secret=VALUE: a generated one starts with "-" one time
# in 64 and would otherwise be read as an option.
start_receiver() {
	python3 "$RECEIVER" --port-file="$TMP/$1.port" --log="$TMP/$1.jsonl" \
	    --scheme="$2" --secret="$3" </dev/null >/dev/null 2>"$TMP/$1.err" &
	RCV_PIDS="$RCV_PIDS $!"
	wait_until 10 test -s "$TMP/$1.port" || fail "receiver $1 did not start"
	: >>"$TMP/$1.jsonl"
}
start_receiver noc standard "$NOC_SECRET"
start_receiver chat zoom "$CHAT_SECRET"
start_receiver ticket github "$TICKET_SECRET"

export DEMO_STATE_DIR=$TMP/pollhook-state
export DEMO_SNMP_PORT=$SNMP_PORT DEMO_API_PORT=$API_PORT
export DEMO_NOC_PORT=$(cat "$TMP/noc.port") DEMO_NOC_SECRET=$NOC_SECRET
export DEMO_CHAT_PORT=$(cat "$TMP/chat.port") DEMO_CHAT_SECRET=$CHAT_SECRET
export DEMO_TICKET_PORT=$(cat "$TMP/ticket.port") DEMO_TICKET_SECRET=$TICKET_SECRET

"$POLLHOOK" --check-config -c "$CONF" >"$TMP/check.out" 2>&1 ||
    fail "conf/demo.conf does not validate: $(cat "$TMP/check.out")"

# ------------------------------------------------------------------ the show
if [ "$CI" = 1 ]; then B="" ; N=""; else B=$(tput bold 2>/dev/null); N=$(tput sgr0 2>/dev/null); fi
[ -t 1 ] || { B=""; N=""; }
cat <<EOF
${B}pollhook demo${N}: everything on 127.0.0.1, everything stopped when the demo ends
  router       edge-router-1   snmpd on udp:127.0.0.1:$SNMP_PORT, SNMP v2c, scripted CPU load
  REST API     boardroom       http://127.0.0.1:$API_PORT/v2/rooms/boardroom/status
               recordings      http://127.0.0.1:$API_PORT/v2/users/me/recordings (2 recordings so far)
  subscriber   noc-dashboard   http://127.0.0.1:$DEMO_NOC_PORT/hooks/pollhook       Standard Webhooks
  subscriber   chat-bot        http://127.0.0.1:$DEMO_CHAT_PORT/webhooks/zoom        Zoom signatures
  subscriber   ticketing       http://127.0.0.1:$DEMO_TICKET_PORT/github-style/hook  GitHub signatures
  pollhook     $POLLHOOK -c conf/demo.conf
               polls each source once a second, whatever the number of subscribers;
               cpu.high fires above 90 % held 3 s, resolves at or below 80 % held 3 s
EOF
[ "$CI" = 1 ] || echo "  (Ctrl-C stops it early; every part is stopped either way)"
echo

SHOW_ARGS=(--story "$STORY" --router "$STATE/requests.log" --pollhook "$TMP/pollhook.log"
	--receiver "noc-dashboard,standard,$TMP/noc.jsonl"
	--receiver "chat-bot,zoom,$TMP/chat.jsonl"
	--receiver "ticketing,github,$TMP/ticket.jsonl")
[ "$CI" = 1 ] && SHOW_ARGS+=(--ci)
python3 "$SHOW" follow "${SHOW_ARGS[@]}" </dev/null &
SHOW_PID=$!

"$POLLHOOK" -c "$CONF" 2>"$TMP/pollhook.log" &
POLLHOOK_PID=$!
POLL_START=$(date +%s.%N)

pollhook_alive() {
	kill -0 "$POLLHOOK_PID" 2>/dev/null || fail "pollhook exited"
}

# The first polls set the baselines (the recordings already there are not new).
first_polls() {
	pollhook_alive
	[ -s "$STATE/requests.log" ] &&
	    grep -q '"path": "/v2/users/me/recordings".*"status": 200' "$TMP/api.log" &&
	    grep -q '"path": "/v2/rooms/boardroom/status".*"status": 200' "$TMP/api.log"
}
wait_until 10 first_polls || fail "pollhook's first polls did not arrive within 10 s"
sleep 0.5

# ------------------------------------------------------------------ the story
# Every step is "SECONDS ACTION ARGUMENTS", seconds after the first polls; the
# CPU load follows the phases set by cpu steps, with a little noise. cpu.high
# fires on the fourth poll of a spike (3 s after the first): a spike lasts 6 s,
# so that this script waking up late at either end still leaves it 5 polls.
if [ "$CI" = 1 ]; then
	STEPS=(
		"0 say pollhook is polling: router and API once a second, baselines taken"
		"1 room in_meeting 6"
		"2 cpu spike"
		"5 recording Incident bridge: core switch upgrade|40"
		"8 cpu normal"
		"10 room available 0"
		"12 recording Boardroom: weekly sync|30"
		"14 end"
	)
else
	STEPS=(
		"0 say pollhook is polling: the router once a second over SNMP, the room and the recordings once a second over HTTP"
		"2 say the first polls were baselines: the 2 recordings already listed are not new, the CPU is normal"
		"6 room in_meeting 6"
		"12 cpu spike"
		"18 cpu band"
		"21 cpu spike"
		"24 cpu band"
		"26 cpu normal"
		"32 room available 0"
		"36 recording Boardroom: weekly sync|30"
		"44 recording Incident bridge: core switch upgrade|40"
		"52 recording Vendor call: optics RMA|15"
		"58 end"
	)
fi

CPU_PHASE=normal
cpu_tick() {
	local v
	case $CPU_PHASE in
	normal) v=$((18 + RANDOM % 17)) ;;         # 18-34 %
	spike) v=$((92 + RANDOM % 7)) ;;           # 92-98 %
	band) v=$((84 + RANDOM % 5)) ;;            # 84-88 %: between clear and above
	esac
	set_cpu "$v"
}

step() {
	local what=$1
	shift
	case $what in
	say) say "$*" ;;
	cpu)
		CPU_PHASE=$1
		case $1 in
		spike) say "the router's CPU spikes to 92-98 %: above 90, pollhook waits until it has held 3 s" ;;
		band) say "the CPU eases to 84-88 %: inside the hysteresis band (80-90), the alert stays firing" ;;
		normal) say "the CPU is back to normal (18-34 %): at or below 80 for 3 s resolves the alert" ;;
		esac
		cpu_tick
		;;
	room)
		say "the Boardroom's status becomes $1 ($2 people): the API's answer changes"
		room_status "$1" "$2"
		;;
	recording)
		local all="$*" topic minutes uuid
		topic=${all%|*}
		minutes=${all##*|}
		uuid=$(add_recording "$topic" "$minutes") || fail "could not add a recording"
		say "a new recording appears in the API's list: \"$topic\" uuid=$uuid"
		;;
	end) return 1 ;;
	esac
	return 0
}

T0=$(date +%s%N)
elapsed_ms() {
	echo $((($(date +%s%N) - T0) / 1000000))
}
next=0
last_tick=-1
while [ "$INTERRUPTED" = 0 ]; do
	pollhook_alive
	ms=$(elapsed_ms)
	if [ $((ms / 1000)) -ne "$last_tick" ]; then
		last_tick=$((ms / 1000))
		cpu_tick
	fi
	ended=0
	while [ "$next" -lt "${#STEPS[@]}" ]; do
		set -f
		set -- ${STEPS[$next]}
		set +f
		[ $(($1 * 1000)) -le "$ms" ] || break
		next=$((next + 1))
		shift
		step "$@" || { ended=1; break; }
	done
	[ "$ended" = 1 ] && break
	sleep 0.2
done

# ------------------------------------------------------------------ the end
delivered_all() {
	pollhook_alive
	"$POLLHOOK" deliveries list --state pending --json --state-dir "$DEMO_STATE_DIR" \
	    >"$TMP/pending.json" 2>/dev/null && [ "$(tr -d ' \n' <"$TMP/pending.json")" = "[]" ]
}
resolved() {
	pollhook_alive
	grep -q ' cpu\.high\.resolved ' "$TMP/pollhook.log"
}
if [ "$INTERRUPTED" = 0 ]; then
	say "the story is over: waiting for the last deliveries"
	wait_until 20 resolved || say "cpu.high has not resolved within 20 s"
	# Deliveries of the last events may still be in flight.
	sleep 0.5
	wait_until 20 delivered_all || say "deliveries still pending after 20 s: $(cat "$TMP/pending.json" 2>/dev/null)"
else
	say "interrupted: stopping everything"
fi
sleep 0.5
stop "$POLLHOOK_PID" 12
POLLHOOK_PID=""
POLL_END=$(date +%s.%N)
PKTS_AFTER=$(snmp_value .1.3.6.1.2.1.11.1.0)
stop "$SHOW_PID" 3
SHOW_PID=""

SERVED=-1
case "$PKTS_BEFORE$PKTS_AFTER" in
*[!0-9]* | "") ;;
*) SERVED=$((PKTS_AFTER - PKTS_BEFORE - 1)) ;;
esac
SUMMARY_ARGS=(--router "$STATE/requests.log" --api "$TMP/api.log"
	--snmp-requests="$SERVED"
	--seconds="$(python3 -c "print($POLL_END - $POLL_START)")"
	--receiver "noc-dashboard,standard,$TMP/noc.jsonl"
	--receiver "chat-bot,zoom,$TMP/chat.jsonl"
	--receiver "ticketing,github,$TMP/ticket.jsonl")
[ "$CI" = 1 ] && SUMMARY_ARGS+=(--ci)
python3 "$SHOW" summary "${SUMMARY_ARGS[@]}"
if grep -q 'Sanitizer' "$TMP/pollhook.log"; then
	fail "pollhook reported a sanitizer error"
fi
[ "$INTERRUPTED" = 0 ] || exit 130
exit 0
