# Sourced by the webhook_*.sh integration tests, after http_common.sh: the
# verifying receivers (tests/lib/receiver.py) and checks on what they got.

RECEIVER=$top_srcdir/tests/lib/receiver.py
SECRET_A=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
SECRET_B=whsec_dGhpcyBpcyB0aGUgc2Vjb25kIHNlY3JldCBrZXk=

# start_receiver NAME SCHEME SECRET...: its port in ${NAME}_PORT, its log in
# $TMP/NAME.jsonl, its mode file $TMP/NAME.mode (write "503\n2" for an outage
# answering Retry-After: 2).
start_receiver() {
	name=$1
	scheme=$2
	shift 2
	args=()
	# --secret=VALUE: a secret that starts with "-" must not read as an option.
	for s in "$@"; do
		args+=("--secret=$s")
	done
	python3 "$RECEIVER" --port-file "$TMP/$name.port" --log "$TMP/$name.jsonl" \
	    --scheme "$scheme" --mode-file "$TMP/$name.mode" --hang-max 20 "${args[@]}" \
	    2>>"$TMP/$name.err" &
	PIDS="$PIDS $!"
	wait_file "$TMP/$name.port" 10 || fail "receiver $name did not start: $(cat "$TMP/$name.err")"
	: >>"$TMP/$name.jsonl"
	eval "${name}_PORT=\$(cat \"\$TMP/\$name.port\")"
}

# mode NAME MODE [RETRY_AFTER]: what the receiver answers from now on.
mode() {
	printf '%s\n%s\n' "$2" "${3:-}" >"$TMP/$1.mode.tmp" && mv "$TMP/$1.mode.tmp" "$TMP/$1.mode"
}

# events NAME [STATUS]: the event names the receiver got (answered STATUS,
# default 200), one per line, in arrival order.
events() {
	python3 - "$TMP/$1.jsonl" "${2:-200}" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if str(r["status"]) == sys.argv[2]:
        print(json.loads(r["body"])["event"])
PY
}

# all_verified NAME: fails unless every request the receiver got was authentic.
all_verified() {
	bad=$(count_lines "$TMP/$1.jsonl" 'not r["verified"]')
	[ "$bad" -eq 0 ] || fail "receiver $1 got $bad requests that did not verify: $(grep '"verified": false' "$TMP/$1.jsonl" | head -3)"
}

# deliveries STATE: `pollhook deliveries list --json` for STATE.
deliveries() {
	"$POLLHOOK" deliveries list --state "$1" --json -c "$TMP/pollhook.conf" 2>"$TMP/cli.err" ||
		fail "deliveries list --state $1 failed: $(cat "$TMP/cli.err")"
}
