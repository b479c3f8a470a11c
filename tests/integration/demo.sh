#!/bin/bash
# The demo, non-interactively: demo/run.sh --ci runs the short story (a
# simulated router whose CPU spikes above 90 % and falls back, a REST API whose
# list of recordings grows, three verifying subscribers with the standard,
# zoom and github signature schemes) and this checks what it printed:
#   - the fan-out figures: the router served N SNMP requests, about one a
#     second of polling, and 3 subscribers polling it themselves would have
#     cost 3N (same for the REST API); N is the router's own counter and
#     matches the requests it logged and the demo printed
#   - one cpu.high and one cpu.high.resolved per subscriber, in that order,
#     from one event each in pollhook
#   - each new recording exactly once per subscriber as recording.completed
#   - every delivery verified, with the subscriber's own scheme; room status
#     changes only at the subscriber that asked for them
# and that the examples of conf/examples/ the other tests do not check validate.
# Exit 0 pass, 1 fail.

set -u

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"
: "${top_builddir:?top_builddir must be set (make check exports it)}"

OUT=$(mktemp "${TMPDIR:-/tmp}/pollhook-demo-test.XXXXXX")
trap 'rm -f "$OUT"' EXIT

fail() {
	echo "FAIL: $*" >&2
	echo "--- demo/run.sh --ci printed:" >&2
	cat "$OUT" >&2
	exit 1
}

[ -x "$top_builddir/bridge/pollhook" ] || fail "$top_builddir/bridge/pollhook not built"
POLLHOOK=$top_builddir/bridge/pollhook
. "$top_srcdir/tests/lib/kinds.sh"
need_kind pollers snmp http

# The examples a newcomer is pointed to validate: those of conf/examples/ that
# snmp_examples.sh (snmp-*), http_config.sh (http-*) and net_examples.sh (net-*)
# do not check, with
# every /etc/pollhook/ file they name made up in a scratch directory.
EX=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-demo-examples.XXXXXX")
trap 'rm -f "$OUT"; rm -rf "$EX"' EXIT
n=0
for f in "$top_srcdir"/conf/examples/*.conf; do
	case $(basename "$f") in snmp-* | http-* | net-*) continue ;; esac
	for p in $(grep -o '"/etc/pollhook/[^"]*"' "$f" | tr -d '"'); do
		echo whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw >"$EX/$(basename "$p")"
	done
	sed "s|/etc/pollhook/|$EX/|g" "$f" >"$EX/example.conf"
	"$top_builddir/bridge/pollhook" --check-config -c "$EX/example.conf" >"$EX/check.out" 2>&1 ||
	    fail "conf/examples/$(basename "$f") does not validate: $(cat "$EX/check.out")"
	echo "ok: conf/examples/$(basename "$f") validates"
	n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "found $n of the demo's examples in conf/examples, want at least 3"

rc=0
POLLHOOK=$top_builddir/bridge/pollhook timeout 150 bash "$top_srcdir/demo/run.sh" --ci \
    >"$OUT" 2>&1 </dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "demo/run.sh --ci exited $rc"
echo "ok: demo/run.sh --ci exited 0"

python3 - "$OUT" <<'PY' || fail "the demo's output is not what it should be"
import collections
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
lines = text.splitlines()
errors = []


def check(cond, msg):
    if cond:
        print("ok: " + msg)
    else:
        print("FAIL: " + msg, file=sys.stderr)
        errors.append(msg)


def one(pattern):
    m = [re.search(pattern, l) for l in lines]
    m = [x for x in m if x]
    if len(m) != 1:
        print("FAIL: want one line matching %r, got %d" % (pattern, len(m)),
              file=sys.stderr)
        sys.exit(1)
    return m[0]


check("\033[" not in text, "no colours in --ci output")

# The fan-out figures.
secs = int(one(r"^What it cost the devices \((\d+) s of polling\)$").group(1))
m = one(r"^  router served (\d+) SNMP requests; (\d+) subscribers polling it "
        r"themselves would have cost (\d+)$")
served, nsub, cost = map(int, m.groups())
check(nsub == 3, "3 subscribers (%d)" % nsub)
check(served >= 10, "the router served %d SNMP requests (>= 10)" % served)
check(cost == 3 * served, "would have cost 3 x %d = %d (%d)" % (served, 3 * served, cost))
check(abs(served - secs) <= 2,
      "about one request a second: %d requests in %d s of polling" % (served, secs))
m = one(r"^    \((\d+) requests by the router's own counter snmpInPkts, (\d+) CPU "
        r"readings in its log")
counter, readings = map(int, m.groups())
check(counter == served, "the figure is the router's own counter (%d)" % counter)
check(abs(counter - readings) <= 2,
      "the counter (%d) matches the requests the router logged (%d)" % (counter, readings))
gets = [l for l in lines if re.match(r"^\d\d:\d\d:\d\d  router +SNMP GET #\d+ ", l)]
check(len(gets) == readings,
      "one printed line per SNMP request (%d lines, %d logged)" % (len(gets), readings))
m = one(r"^  REST API served (\d+) HTTP requests; (\d+) subscribers polling it "
        r"themselves would have cost (\d+)$")
api, nsub2, cost2 = map(int, m.groups())
check(nsub2 == 3 and cost2 == 3 * api and api >= 2 * 10,
      "the REST API served %d HTTP requests, 3 x %d = %d" % (api, api, cost2))

# The webhooks, one line each.
hook = re.compile(r"^\d\d:\d\d:\d\d  \u2709 (\S+) +(\S+) +(\S+) +"
                  r"(\u2713 verified|\u2717 NOT VERIFIED: .*?)  (.*)$")
got = collections.defaultdict(list)
nhooks = 0
for l in lines:
    if "\u2709" not in l:
        continue
    m = hook.match(l)
    if not m:
        check(False, "webhook line in the expected format: %r" % l)
        continue
    nhooks += 1
    got[m.group(1)].append(m.groups())
check(nhooks > 0 and all(v == "\u2713 verified" for g in got.values() for (_, _, _, v, _) in g)
      and "NOT VERIFIED" not in text,
      "all %d webhooks verified" % nhooks)

recordings = re.findall(r"a new recording appears in the API's list: \"[^\"]*\" uuid=(\S+)", text)
check(len(recordings) == 2 and len(set(recordings)) == 2,
      "the story added 2 recordings (%d)" % len(recordings))

schemes = {"noc-dashboard": "standard", "chat-bot": "zoom", "ticketing": "github"}
check(sorted(got) == sorted(schemes), "webhooks at exactly the 3 subscribers (%s)" % sorted(got))
for sub, scheme in schemes.items():
    g = got.get(sub, [])
    events = [e for (_, e, _, _, _) in g]
    check(all(s == scheme for (_, _, s, _, _) in g),
          "%s: every webhook signed with %s" % (sub, scheme))
    check(events.count("cpu.high") == 1, "%s: one cpu.high (%d)" % (sub, events.count("cpu.high")))
    check(events.count("cpu.high.resolved") == 1,
          "%s: one cpu.high.resolved (%d)" % (sub, events.count("cpu.high.resolved")))
    if "cpu.high" in events and "cpu.high.resolved" in events:
        check(events.index("cpu.high") < events.index("cpu.high.resolved"),
              "%s: cpu.high before cpu.high.resolved" % sub)
    uuids = [re.search(r"uuid=(\S+)", d).group(1) for (_, e, _, _, d) in g
             if e == "recording.completed" and "uuid=" in d]
    check(sorted(uuids) == sorted(recordings) and
          events.count("recording.completed") == len(recordings),
          "%s: each new recording once as recording.completed (%s)" % (sub, uuids))
    rooms = events.count("room.status.changed")
    want = 2 if sub == "noc-dashboard" else 0
    check(rooms == want, "%s: %d room.status.changed (want %d: its events filter)" % (sub, rooms, want))
    other = set(events) - {"cpu.high", "cpu.high.resolved", "recording.completed",
                           "room.status.changed"}
    check(not other, "%s: no other events (%s)" % (sub, sorted(other)))
    m = one(r"^  subscriber %s \(%s\): (\d+) webhooks, (\d+) verified, (\d+) events" %
            (re.escape(sub), scheme))
    w, v, e = map(int, m.groups())
    check(w == v == e == len(g),
          "%s: summary %d webhooks, %d verified, %d distinct events, %d printed" %
          (sub, w, v, e, len(g)))

# One event in pollhook for each, fanned out to the subscribers.
for ev in ("cpu.high", "cpu.high.resolved"):
    n = len([l for l in lines if re.search(r"  pollhook +event %s from edge-router-1 "
                                            % re.escape(ev), l)])
    check(n == 1, "pollhook emitted one %s (%d)" % (ev, n))
n = len([l for l in lines if re.search(r"  pollhook +event recording\.completed from recordings ", l)])
check(n == len(recordings), "pollhook emitted one recording.completed per new recording (%d)" % n)
check(re.search(r"^  \d+ webhooks delivered, every signature verified$", text, re.M) is not None,
      "summary: every signature verified")
check(not re.search(r"pollhook +(warning|error):", text), "pollhook logged no warning or error")
sys.exit(1 if errors else 0)
PY
exit 0
