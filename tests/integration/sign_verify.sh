#!/bin/sh
# 'pollhook verify' against the published signature vectors and tampered
# copies of them, then the test receiver (tests/lib/receiver.py) against the
# same vectors, so the two verifiers the other tests rely on agree with the
# specifications rather than only with each other.
#
# POLLHOOK overrides the binary under test.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
POLLHOOK=${POLLHOOK:-$top_builddir/bridge/pollhook}
RECEIVER=$top_srcdir/tests/lib/receiver.py

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sign_verify.XXXXXX") || exit 1
rpid=
cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass=0
fail=0

# check NAME WANT_RC WANT_PREFIX CMD...: runs CMD, compares its exit status
# and the start of its first output line (stdout, else stderr).
check() {
	name=$1 want_rc=$2 want_out=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	out=$(head -n 1 "$tmp/out")
	[ -n "$out" ] || out=$(head -n 1 "$tmp/err")
	case $out in
	"$want_out"*)	ok=1 ;;
	*)		ok=0 ;;
	esac
	if [ "$rc" -eq "$want_rc" ] && [ $ok -eq 1 ]; then
		pass=$((pass + 1))
		echo "ok - $name"
	else
		fail=$((fail + 1))
		echo "not ok - $name: exit $rc (want $want_rc), output: $out (want: $want_out...)"
	fi
}

# Standard Webhooks' published example.
SW_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
SW_ID=msg_p5jXN8AQM9LWM0D4loKWxJek
SW_TS=1614265330
SW_SIG='v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
printf '%s' '{"test": 2432232314}' >"$tmp/sw.json"
printf '%s' '{"test": 2432232315}' >"$tmp/sw-tampered.json"
# GitHub's published example.
GH_SECRET="It's a Secret to Everybody"
GH_SIG=sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
printf '%s' 'Hello, World!' >"$tmp/gh.txt"
# Zoom publishes none: computed with Python's hmac (see tests/unit/test_sign.c).
ZM_SECRET=zoom-secret-token-1
ZM_TS=1764393600
ZM_SIG=v0=6a87adda1b29a155cec0ff8cbf068948ac14397349388c797366a0d631bca398
printf '%s' '{"event":"cpu.high","id":"evt_01KB70VH3V0000000000000000"}' >"$tmp/zm.json"

if ! "$POLLHOOK" verify --help 2>&1 | grep -q 'usage: pollhook verify'; then
	echo "not ok - $POLLHOOK has no verify subcommand (main.c must call verify_main)"
	exit 1
fi

sw() {
	"$POLLHOOK" verify --scheme standard --header "webhook-id: $SW_ID" \
	    --header "webhook-timestamp: $SW_TS" "$@"
}

check "standard vector" 0 "authentic" \
	sw --secret $SW_SECRET --header "webhook-signature: $SW_SIG" \
	--body-file "$tmp/sw.json" --now $SW_TS
check "standard vector, tolerance 0" 0 "authentic" \
	sw --secret $SW_SECRET --header "webhook-signature: $SW_SIG" \
	--body-file "$tmp/sw.json" --tolerance 0
check "standard vector, body on stdin" 0 "authentic" \
	sh -c '"$0" verify --scheme standard --secret "$1" --header "webhook-id: $2" \
	    --header "webhook-timestamp: $3" --header "webhook-signature: $4" \
	    --now "$3" --body-file - <"$5"' \
	"$POLLHOOK" $SW_SECRET $SW_ID $SW_TS "$SW_SIG" "$tmp/sw.json"
check "standard vector, header names in other cases" 0 "authentic" \
	"$POLLHOOK" verify --scheme standard --secret $SW_SECRET \
	--header "WEBHOOK-ID:$SW_ID" --header "Webhook-Timestamp:  $SW_TS" \
	--header "Webhook-Signature: $SW_SIG" --body-file "$tmp/sw.json" --now $SW_TS
check "standard vector, stale" 1 "NOT authentic: timestamp outside tolerance" \
	sw --secret $SW_SECRET --header "webhook-signature: $SW_SIG" \
	--body-file "$tmp/sw.json"
check "standard vector, 301 s early" 1 "NOT authentic: timestamp outside tolerance" \
	sw --secret $SW_SECRET --header "webhook-signature: $SW_SIG" \
	--body-file "$tmp/sw.json" --now $((SW_TS - 301))
check "standard, tampered body" 1 "NOT authentic: bad signature" \
	sw --secret $SW_SECRET --header "webhook-signature: $SW_SIG" \
	--body-file "$tmp/sw-tampered.json" --now $SW_TS
check "standard, wrong secret" 1 "NOT authentic: bad signature" \
	sw --secret whsec_bm90IHRoZSByaWdodCBrZXk= --header "webhook-signature: $SW_SIG" \
	--body-file "$tmp/sw.json" --now $SW_TS
check "standard, wrong id" 1 "NOT authentic: bad signature" \
	"$POLLHOOK" verify --scheme standard --secret $SW_SECRET \
	--header "webhook-id: msg_other" --header "webhook-timestamp: $SW_TS" \
	--header "webhook-signature: $SW_SIG" --body-file "$tmp/sw.json" --now $SW_TS
check "standard, signature missing" 1 "NOT authentic: missing header webhook-signature" \
	sw --secret $SW_SECRET --body-file "$tmp/sw.json" --now $SW_TS
check "standard, second of two signatures matches" 0 "authentic" \
	sw --secret $SW_SECRET --body-file "$tmp/sw.json" --now $SW_TS \
	--header "webhook-signature: v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= $SW_SIG"
check "standard, rotation: second secret matches" 0 "authentic" \
	sw --secret whsec_bm90IHRoZSByaWdodCBrZXk= --secret $SW_SECRET \
	--header "webhook-signature: $SW_SIG" --body-file "$tmp/sw.json" --now $SW_TS
printf 'whsec_bm90IHRoZSByaWdodCBrZXk=\r\n\n%s\n' $SW_SECRET >"$tmp/secrets"
check "standard, --secret-file with two secrets" 0 "authentic" \
	sw --secret-file "$tmp/secrets" --header "webhook-signature: $SW_SIG" \
	--body-file "$tmp/sw.json" --now $SW_TS

check "github vector" 0 "authentic" \
	"$POLLHOOK" verify --scheme github --secret "$GH_SECRET" \
	--header "X-Hub-Signature-256: $GH_SIG" --body-file "$tmp/gh.txt"
check "github, tampered body" 1 "NOT authentic: bad signature" \
	"$POLLHOOK" verify --scheme github --secret "$GH_SECRET" \
	--header "x-hub-signature-256: $GH_SIG" --body-file "$tmp/sw.json"
check "github, wrong secret" 1 "NOT authentic: bad signature" \
	"$POLLHOOK" verify --scheme github --secret "It's a secret to everybody" \
	--header "x-hub-signature-256: $GH_SIG" --body-file "$tmp/gh.txt"

check "zoom vector" 0 "authentic" \
	"$POLLHOOK" verify --scheme zoom --secret $ZM_SECRET \
	--header "x-zm-request-timestamp: $ZM_TS" --header "x-zm-signature: $ZM_SIG" \
	--body-file "$tmp/zm.json" --now $ZM_TS
check "zoom, stale" 1 "NOT authentic: timestamp outside tolerance" \
	"$POLLHOOK" verify --scheme zoom --secret $ZM_SECRET \
	--header "x-zm-request-timestamp: $ZM_TS" --header "x-zm-signature: $ZM_SIG" \
	--body-file "$tmp/zm.json" --now $((ZM_TS + 600))
check "zoom, timestamp changed" 1 "NOT authentic: bad signature" \
	"$POLLHOOK" verify --scheme zoom --secret $ZM_SECRET \
	--header "x-zm-request-timestamp: $((ZM_TS + 1))" --header "x-zm-signature: $ZM_SIG" \
	--body-file "$tmp/zm.json" --now $ZM_TS

check "usage: no scheme" 2 "pollhook verify: --scheme is required" \
	"$POLLHOOK" verify --secret x --header "a: b" --body-file "$tmp/gh.txt"
check "usage: unknown scheme" 2 "pollhook verify: --scheme must be" \
	"$POLLHOOK" verify --scheme svix --secret x --header "a: b"
check "usage: malformed whsec_ secret" 2 "pollhook verify: secret 1: secret key after \"whsec_\" is not valid base64" \
	sw --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS --header "webhook-signature: $SW_SIG"
check "usage: secret without whsec_" 2 "pollhook verify: secret 1: standard webhook secrets start with" \
	sw --secret MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw --header "webhook-signature: $SW_SIG"
check "usage: no secret" 2 "pollhook verify: --secret or --secret-file is required" \
	sw --header "webhook-signature: $SW_SIG"
check "usage: unknown option" 2 "pollhook verify: unknown option: --sekret" \
	sw --sekret x
check "usage: bad header" 2 "pollhook verify: --header wants 'Name: value'" \
	sw --secret $SW_SECRET --header "webhook-signature"
check "usage: negative tolerance" 2 "pollhook verify: --tolerance wants seconds" \
	sw --secret $SW_SECRET --tolerance -1
check "usage: missing body file" 2 "pollhook verify: $tmp/nonexistent:" \
	sw --secret $SW_SECRET --header "webhook-signature: $SW_SIG" \
	--body-file "$tmp/nonexistent"
check "help" 0 "usage: pollhook verify" "$POLLHOOK" verify --help

# The test receiver: the vectors over one kept-alive connection, then the
# mode file switching it to an outage.
if command -v python3 >/dev/null 2>&1; then
	python3 "$RECEIVER" --port 0 --port-file "$tmp/port" --scheme standard \
	    --secret whsec_bm90IHRoZSByaWdodCBrZXk= --secret $SW_SECRET \
	    --tolerance 0 --log "$tmp/recv.jsonl" --mode-file "$tmp/mode" &
	rpid=$!
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat >"$tmp/client.py" <<'EOF'
import http.client, json, sys
port, tmp, sig = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = open(tmp + "/sw.json", "rb").read()
h = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
     "webhook-timestamp": "1614265330", "webhook-signature": sig}
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for b in (body, body.replace(b"4}", b"5}")):
    c.request("POST", "/hook", body=b, headers=h)
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
sock = c.sock
with open(tmp + "/mode", "w") as f:
    f.write("503\n30\n")
c.request("POST", "/hook", body=body, headers=h)
r = c.getresponse()
r.read()
assert c.sock is sock, "connection not kept alive"
assert r.status == 503 and r.getheader("Retry-After") == "30", r.status
log = [json.loads(l) for l in open(tmp + "/recv.jsonl")]
got = [(e["verified"], e["status"], e["why"]) for e in log]
want = [(True, 200, None), (False, 200, "bad signature"), (True, 503, None)]
assert got == want, got
assert log[0]["headers"]["webhook-id"] == "msg_p5jXN8AQM9LWM0D4loKWxJek"
assert log[0]["body"] == body.decode() and log[0]["path"] == "/hook"
print("ok")
EOF
	check "receiver: vectors, keep-alive, mode file" 0 "ok" \
	    python3 "$tmp/client.py" "$(cat "$tmp/port" 2>/dev/null)" "$tmp" "$SW_SIG"
else
	echo "not ok - python3 not found for the receiver check"
	fail=$((fail + 1))
fi

echo "sign_verify: $pass passed, $fail failed"
[ $fail -eq 0 ]
