#!/usr/bin/env bash
# The soak: pollhook running for SOAK_MINUTES (default 30) with everything
# moving, watched for growth. Not part of `make check` (it takes half an
# hour); run it by hand from a built tree:
#
#     tests/soak/soak.sh                    # 30 minutes, ./bridge/pollhook
#     SOAK_MINUTES=10 tests/soak/soak.sh    # shorter
#     top_builddir=/path/to/build tests/soak/soak.sh
#
# What runs: SOAK_SOURCES (default 2,000) sources, SOAK_SNMP_EVERY-th one
# (default every 10th) SNMP against a real snmpd (the pass script's cpu
# value), the others HTTP against SOAK_HTTP_SERVERS (default 4) python3 test
# APIs (tests/lib/httpserver.py), every SOAK_INTERVAL seconds (default 10);
# the values flap (every 30 s the cpu files go from 20 to 95 or back, so
# cpu.high fires and resolves on every source); two subscribers, one steady,
# one whose receiver is killed for 30 s and started again every minute; a
# SIGHUP every minute, alternating between two configurations (a rule
# threshold and the sources' labels differ).
#
# What is watched: every 5 s the daemon's RSS (VmRSS of /proc/PID/status)
# and its open descriptors (/proc/PID/fd). After the first 5 minutes
# (warm-up) both must grow by less than 2 %, comparing the first 2 minutes
# after the warm-up with the last 2 (24 records each, so that each window
# holds its 4 half-minute phases alike: a reload's trim, a flip's burst, the
# receiver up and down): the RSS by its median, the descriptors by their
# floor, the lowest of the window's counts, taken every second (the polls
# and attempts in flight come and go by hundreds, and a slow build's
# delivery backlog holds a hundred more for a minute; a leak raises the
# floor).
# The table (a row every 30 s) is printed, then PASS or FAIL. On a
# sanitizer build (./configure --enable-sanitizers) ASAN_OPTIONS/UBSAN_OPTIONS
# log_path go to a directory that must hold no
# report at the end (leaks are reported at exit, after a SIGTERM). ASan's
# own memory grows RSS by itself: its quarantine of freed memory (held here
# to 32 MiB, quarantine_size_mb; 256 by default) and its stack depot, where
# every allocation's stack is kept for good (+4.5 % in 10 minutes while a
# normal build stays flat), so the soak sets malloc_context_size=0: reports
# then come without allocation stacks; to read one, run again with
# ASAN_OPTIONS=malloc_context_size=30 (the caller's options win). Exit 0
# PASS, 1 FAIL, 77 when a part is missing.
# SOAK_KEEP=1 keeps the scratch directory.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
POLLHOOK=${POLLHOOK:-$top_builddir/bridge/pollhook}
. "$top_srcdir/tests/lib/ports.sh"
MINUTES=${SOAK_MINUTES:-30}
NSOURCES=${SOAK_SOURCES:-2000}
SNMP_EVERY=${SOAK_SNMP_EVERY:-10}
NHTTP=${SOAK_HTTP_SERVERS:-4}
INTERVAL=${SOAK_INTERVAL:-10}
WARMUP=300
SAMPLE=30	# seconds between the table's rows
RECORD=5	# seconds between the records the verdict compares
LIMIT_PCT=2

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-soak.XXXXXX")
PIDS=""
DAEMON_PID=""
RECV_PID=""

cleanup() {
	for p in $PIDS $RECV_PID $DAEMON_PID; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS $RECV_PID $DAEMON_PID; do
		wait "$p" 2>/dev/null
	done
	free_port_release
	[ -n "${SOAK_KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $*" >&2
	[ -s "$TMP/daemon.err" ] && tail -n 20 "$TMP/daemon.err" >&2
	exit 1
}
now() {
	date +%s
}
wait_file() {
	local i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}

[ -x "$POLLHOOK" ] || skip "$POLLHOOK not built"
SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)
for tool in python3 curl snmpget "$SNMPD"; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is required"
done
"$POLLHOOK" --version 2>&1 | grep -q snmp || skip "pollhook built without the snmp poller"

# Sanitizer reports go to files, checked at the end.
SANLOG=$TMP/sanitizer
mkdir -p "$SANLOG" "$TMP/state" "$TMP/www" "$TMP/snmp"
# The soak's defaults first, so that the caller's ASAN_OPTIONS override them.
export ASAN_OPTIONS="detect_leaks=1:quarantine_size_mb=32:malloc_context_size=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}:log_path=$SANLOG/asan"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}:log_path=$SANLOG/ubsan"

# The values: one file per HTTP server, the snmpd pass script's cpu.
cpu() {
	local h
	for h in $(seq 1 "$NHTTP"); do
		printf '{"cpu": %s}\n' "$1" >"$TMP/www/s$h.tmp" && mv "$TMP/www/s$h.tmp" "$TMP/www/s$h.json"
	done
	printf '%s\n' "$1" >"$TMP/snmp/cpu.tmp" && mv "$TMP/snmp/cpu.tmp" "$TMP/snmp/cpu"
}
cpu 20
for f in counter:100 if1.status:1 if1.name:lo if2.status:1 if2.name:eth0 if3.status:2 if3.name:eth1; do
	printf '%s\n' "${f#*:}" >"$TMP/snmp/${f%%:*}"
done

# snmpd
SNMPD_PORT=$(free_port)
cat >"$TMP/snmpd.conf" <<CONF
agentAddress udp:127.0.0.1:$SNMPD_PORT
rocommunity public 127.0.0.1
pass .1.3.6.1.4.1.99999 /bin/sh $top_srcdir/tests/lib/snmp_pass.sh $TMP/snmp
[snmp] serverRecvBuf 4194304
CONF
mkdir -p "$TMP/snmpd-persist"
SNMP_PERSISTENT_DIR=$TMP/snmpd-persist MIBS= "$SNMPD" -f -r -C -c "$TMP/snmpd.conf" \
    -Lf "$TMP/snmpd.log" -p "$TMP/snmpd.pid" &
PIDS="$PIDS $!"
i=0
until snmpget -v2c -c public -r 0 -t 0.2 "127.0.0.1:$SNMPD_PORT" .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -le 40 ] || skip "snmpd did not start"
	sleep 0.25
done

# The HTTP test APIs.
for h in $(seq 1 "$NHTTP"); do
	python3 "$top_srcdir/tests/lib/httpserver.py" --dir "$TMP/www" --port-file "$TMP/http$h.port" \
	    --log /dev/null 2>>"$TMP/http$h.err" &
	PIDS="$PIDS $!"
	wait_file "$TMP/http$h.port" 10 || fail "test API $h did not start: $(cat "$TMP/http$h.err")"
done

# The receivers: "steady" always up, "flappy" killed and started again.
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
receiver() {
	python3 "$top_srcdir/tests/lib/receiver.py" --port "$2" --log /dev/null \
	    --scheme standard "--secret=$SECRET" 2>>"$TMP/$1.err" &
}
STEADY_PORT=$(free_port)
FLAPPY_PORT=$(free_port)
receiver steady "$STEADY_PORT"
PIDS="$PIDS $!"
receiver flappy "$FLAPPY_PORT"
RECV_PID=$!
API_PORT=$(free_port)

# conf FILE THRESHOLD LABEL: the configuration (two of them, for the SIGHUPs).
conf() {
	{
		cat <<CONF
bridge = { state_dir = "$TMP/state"; api = { listen = "127.0.0.1:$API_PORT"; }; };
rules = ( { name = "cpu.high"; metric = "cpu"; above = $2; clear = 50.0; } );
subscribers = (
  { name = "steady"; url = "http://127.0.0.1:$STEADY_PORT/hook"; secret = "$SECRET";
    retry = { first_delay = 1.0; max_delay = 10.0; max_attempts = 1000; }; },
  { name = "flappy"; url = "http://127.0.0.1:$FLAPPY_PORT/hook"; secret = "$SECRET";
    retry = { first_delay = 1.0; max_delay = 10.0; max_attempts = 1000; }; } );
sources = (
CONF
		for n in $(seq 1 "$NSOURCES"); do
			[ "$n" -gt 1 ] && echo ","
			if [ $((n % SNMP_EVERY)) -eq 0 ]; then
				printf '  { name = "s%d"; poller = "snmp"; interval = %s; timeout = 5.0; labels = { soak = "%s"; };\n' "$n" "$INTERVAL" "$3"
				printf '    snmp = { address = "udp:127.0.0.1:%s"; community = "public"; };\n' "$SNMPD_PORT"
				printf '    metrics = ( { name = "cpu"; oid = "1.3.6.1.4.1.99999.1.0"; } ); }'
			else
				h=$((n % NHTTP + 1))
				printf '  { name = "s%d"; poller = "http"; interval = %s; timeout = 5.0; labels = { soak = "%s"; };\n' "$n" "$INTERVAL" "$3"
				printf '    http = { url = "http://127.0.0.1:%s/s%d.json"; };\n' "$(cat "$TMP/http$h.port")" "$h"
				printf '    metrics = ( { name = "cpu"; json = "/cpu"; } ); }'
			fi
		done
		printf '\n);\n'
	} >"$1"
}
conf "$TMP/a.conf" 90.0 a
conf "$TMP/b.conf" 80.0 b
cp "$TMP/a.conf" "$TMP/pollhook.conf"

"$POLLHOOK" -c "$TMP/pollhook.conf" 2>"$TMP/daemon.err" &
DAEMON_PID=$!
i=0
until grep -q "started:" "$TMP/daemon.err"; do
	i=$((i + 1))
	[ "$i" -le 600 ] || fail "pollhook did not start in 60 s"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "pollhook exited at start"
	sleep 0.1
done

metric() {
	curl -s --max-time 10 "http://127.0.0.1:$API_PORT/metrics" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $2 } END { print s + 0 }'
}
rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$DAEMON_PID/status"
}
fds() {
	ls "/proc/$DAEMON_PID/fd" | wc -l
}
# mem_kb: RssAnon RssFile RssShmem of the daemon (what the RSS is made of).
mem_kb() {
	awk '$1 == "RssAnon:" { a = $2 } $1 == "RssFile:" { f = $2 } $1 == "RssShmem:" { s = $2 }
	    END { print a + 0, f + 0, s + 0 }' "/proc/$DAEMON_PID/status"
}
# heap_kb: two parts of the anonymous RSS, the main heap ([heap], glibc's
# main arena) and the unnamed mappings (the arenas of the reload threads,
# large blocks, the threads' stacks), to tell which one a step is in (the
# rest is the libraries' written pages).
heap_kb() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { kind = NF == 5 ? "anon" : $6 }
	    $1 == "Rss:" && kind == "[heap]" { h += $2 } $1 == "Rss:" && kind == "anon" { a += $2 }
	    END { print h + 0 "/" a + 0 }' "/proc/$DAEMON_PID/smaps"
}
# fd_kinds: the daemon's descriptors by kind (socket, file, other), for the
# table; the files by name go to fds.log with the sample's time.
fd_kinds() {
	local d=/proc/$DAEMON_PID/fd t so=0 fi=0 ot=0
	for t in "$d"/*; do
		t=$(readlink "$t" 2>/dev/null) || continue
		case $t in
		socket:*) so=$((so + 1)) ;;
		/*) fi=$((fi + 1)); echo "$1 $t" >>"$TMP/fds.log" ;;
		*) ot=$((ot + 1)) ;;
		esac
	done
	echo "$so/$fi/$ot"
}

echo "(fds*: the lowest count of the 30 s before the sample, kinds socket/file/other at that moment;"
echo " anon/file/shmem: the parts of the RSS in kB; heap/mmap: the anon part in the main heap and in unnamed mappings)"
echo "soak: $NSOURCES sources ($((NSOURCES / SNMP_EVERY)) snmp), every ${INTERVAL}s, $MINUTES min, pid $DAEMON_PID, $POLLHOOK"
printf '%6s %10s %8s %6s %6s %12s %6s %10s %10s %10s %8s %8s\n' "t(s)" "rss(kB)" "anon" "file" "shmem" "heap/mmap" "fds*" "kinds" "polls" "events" "reloads" "flappy"
fmin=
rmin=
start=$(now)
end=$((start + MINUTES * 60))
# Rows fall halfway between the flips, SIGHUPs and receiver changes (at
# whole half-minutes), not on the bursts they start.
next_sample=$((start + 15))
next_record=$((start + RECORD))
next_flip=$((start + 30))
next_hup=$((start + 60))
next_recv=$((start + 30))
high=0
recv_up=1
which=a
reloads=0
: >"$TMP/samples"
while [ "$(now)" -lt "$end" ]; do
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "pollhook died"
	t=$(now)
	f=$(fds)
	if [ -z "$fmin" ] || [ "$f" -lt "$fmin" ]; then
		fmin=$f
		fkinds=$(fd_kinds $((t - start)))
	fi
	if [ -z "$rmin" ] || [ "$f" -lt "$rmin" ]; then
		rmin=$f
	fi
	if [ "$t" -ge "$next_flip" ]; then
		if [ "$high" -eq 1 ]; then cpu 20; high=0; else cpu 95; high=1; fi
		next_flip=$((next_flip + 30))
	fi
	if [ "$t" -ge "$next_recv" ]; then
		if [ "$recv_up" -eq 1 ]; then
			kill "$RECV_PID" 2>/dev/null
			wait "$RECV_PID" 2>/dev/null
			RECV_PID=""
			recv_up=0
		else
			receiver flappy "$FLAPPY_PORT"
			RECV_PID=$!
			recv_up=1
		fi
		next_recv=$((next_recv + 30))
	fi
	if [ "$t" -ge "$next_hup" ]; then
		if [ "$which" = a ]; then which=b; else which=a; fi
		cp "$TMP/$which.conf" "$TMP/pollhook.conf.tmp" && mv "$TMP/pollhook.conf.tmp" "$TMP/pollhook.conf"
		kill -HUP "$DAEMON_PID"
		reloads=$((reloads + 1))
		next_hup=$((next_hup + 60))
	fi
	if [ "$t" -ge "$next_record" ]; then
		r=$(rss_kb)
		m=$(mem_kb)
		echo "$((t - start)) $r $rmin $m" >>"$TMP/samples"
		rmin=
		next_record=$((next_record + RECORD))
	fi
	# A row shows the RSS of the record taken in the same pass (rows fall on records).
	if [ "$t" -ge "$next_sample" ]; then
		f=$fmin
		fmin=
		p=$(metric pollhook_polls_total)
		e=$(metric pollhook_events_total)
		# shellcheck disable=SC2086 # m is three numbers
		printf '%6d %10d %8d %6d %6d %12s %6d %10s %10s %10s %8d %8s\n' $((t - start)) "$r" $m "$(heap_kb)" "$f" "$fkinds" "$p" "$e" "$reloads" \
		    "$([ "$recv_up" -eq 1 ] && echo up || echo down)"
		next_sample=$((next_sample + SAMPLE))
	fi
	sleep 1
done

reload_failures=$(grep -c 'reload failed' "$TMP/daemon.err")
kill "$DAEMON_PID"
wait "$DAEMON_PID"
rc=$?
DAEMON_PID=""

verdict=PASS
python3 - "$TMP/samples" "$WARMUP" "$LIMIT_PCT" "$RECORD" <<'PY' || verdict=FAIL
import sys
rows = [tuple(int(x) for x in l.split()) for l in open(sys.argv[1]) if l.strip()]
warm, limit = int(sys.argv[2]), float(sys.argv[3])
after = [r for r in rows if r[0] >= warm]
n = 120 // int(sys.argv[4])  # records in a 2-minute window
if len(after) < 2 * n:
    print("too few records after the warm-up (%d, want %d): run at least %d minutes"
          % (len(after), 2 * n, warm // 60 + 4))
    sys.exit(1)
first, last = after[:n], after[-n:]
ok = True
median = lambda v: sorted(v)[len(v) // 2]
for i, what, pick in ((1, "rss (kB, median)", median), (2, "fds (floor)", min)):
    a, b = pick([r[i] for r in first]), pick([r[i] for r in last])
    growth = 100.0 * (b - a) / a
    print("%s: %d in the 2 minutes after the warm-up, %d in the last 2, growth %+.2f %% (limit %g %%)"
          % (what, a, b, growth, limit))
    ok = ok and growth < limit
sys.exit(0 if ok else 1)
PY
[ "$rc" -eq 0 ] || { echo "pollhook exited $rc on SIGTERM"; verdict=FAIL; }
[ "$reload_failures" -eq 0 ] || { echo "$reload_failures reloads failed"; verdict=FAIL; }
if ls "$SANLOG"/* >/dev/null 2>&1; then
	echo "sanitizer reports:"
	head -n 40 "$SANLOG"/*
	verdict=FAIL
else
	echo "sanitizer logs: none"
fi
grep -c 'error' "$TMP/daemon.err" | sed 's/^/daemon log lines with "error": /'
echo "$verdict"
[ "$verdict" = PASS ]
