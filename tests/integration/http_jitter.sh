#!/bin/sh
# `for` against a device whose answers come 0-50 ms late at random (the test
# API's /seq/, one document per request): with interval 0.25 and for = 0.75,
# four polls above the threshold fire cpu.high on the fourth, every time, and
# three never do; the same for resolving. Events carry the polls' scheduled
# starts: event_ts - since is exactly three intervals. Three trials, about
# 13 s. A machine so loaded that the daemon missed a poll slot makes the run
# inconclusive (skip), since a skipped slot stretches the time between polls.

. "$top_srcdir/tests/lib/http_common.sh"

INTERVAL=0.25
N=4
TRIALS=3
EVENTS=$TMP/events.jsonl

start_api api

# The device's answers, one a poll: per trial a baseline, N - 1 polls above
# (must not fire), one below, N above (fire on the last), N - 1 at the clear
# level (must not resolve), one in the hysteresis band, N at the clear level
# (resolve on the last). Values tell the runs apart.
python3 - "$WWW/seq.json" "$TRIALS" "$N" <<'EOF' || fail "cannot write the sequence"
import json, sys
path, trials, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seq = []
for r in range(trials):
    seq.append(20)
    seq += [200 + 10 * r + i for i in range(n - 1)]
    seq.append(21)
    seq += [100 + 10 * r + i for i in range(n)]
    seq += [50 + r + i / 10 for i in range(n - 1)]
    seq.append(85)
    seq += [60 + r + i / 10 for i in range(n)]
seq.append(20)
json.dump([{"cpu": v} for v in seq], open(path, "w"))
EOF
LEN=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$WWW/seq.json")

cat >"$TMP/jitter.conf" <<EOF
bridge = { state_dir = "$TMP/state"; };
sources = (
  { name = "jittery"; poller = "http"; interval = $INTERVAL; timeout = 0.2;
    http = { url = "http://127.0.0.1:$api_PORT/seq/seq.json?ms=50"; };
    metrics = ( { name = "cpu"; json = "/cpu"; } ); }
);
rules = (
  { name = "cpu.high"; metric = "cpu"; above = 90.0; clear = 80.0; for = 0.75; }
);
subscribers = ( { name = "t"; emitter = "log"; path = "$EVENTS"; } );
EOF

start_daemon "$TMP/jitter.conf"
wait_count "$TMP/api.log" 'r["path"].startswith("/seq/")' "$LEN" 40 ||
    fail "the daemon did not poll the device $LEN times in 40 s"
# The last answers may still be on their way to the rules.
sleep 0.5
stop_daemon

python3 - "$TMP/api.log" "$EVENTS" "$INTERVAL" "$N" "$TRIALS" "$LEN" <<'EOF'
import datetime, json, sys
api_log, events_log = sys.argv[1], sys.argv[2]
interval, n, trials, length = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])

times = [json.loads(l)["t"] for l in open(api_log) if '"/seq/' in l][:length]
gaps = [b - a for a, b in zip(times, times[1:])]
if max(gaps) > 1.5 * interval:
    print("SKIP: the daemon missed a poll slot (%.3f s between two polls at %.2f s):"
          " the machine is too loaded for this test now" % (max(gaps), interval))
    sys.exit(77)

events = [json.loads(l) for l in open(events_log) if l.strip()]
errors = []
def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        errors.append(msg)

def ms(iso):
    t = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")
    return round(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)

fired = [e for e in events if e["event"] == "cpu.high"]
resolved = [e for e in events if e["event"] == "cpu.high.resolved"]
check(len(fired) == trials, "%d cpu.high for %d runs of %d polls above, none for runs of %d (%s)"
      % (len(fired), trials, n, n - 1, [e["payload"]["value"] for e in fired]))
check(len(resolved) == trials, "%d cpu.high.resolved for %d runs of %d polls clear, none for runs of %d (%s)"
      % (len(resolved), trials, n, n - 1, [e["payload"]["value"] for e in resolved]))
check(len(events) == 2 * trials, "no other events (%d in all)" % len(events))
span = round((n - 1) * interval * 1000)
for r in range(trials):
    want = [e for e in fired if e["payload"]["value"] == 100 + 10 * r + n - 1]
    check(len(want) == 1, "trial %d: fired on the %d-th poll above" % (r + 1, n))
    for e in want:
        d = e["event_ts"] - ms(e["payload"]["since"])
        check(abs(d - span) <= 1, "trial %d: event_ts - since = %d ms, the scheduled %d" % (r + 1, d, span))
    want = [e for e in resolved if abs(e["payload"]["value"] - (60 + r + (n - 1) / 10)) < 1e-9]
    check(len(want) == 1, "trial %d: resolved on the %d-th poll at the clear level" % (r + 1, n))
    for e in want:
        d = e["event_ts"] - ms(e["payload"]["since"])
        check(abs(d - span) <= 1, "trial %d: resolved event_ts - since = %d ms" % (r + 1, d))
sys.exit(1 if errors else 0)
EOF
rc=$?
[ "$rc" -eq 77 ] && exit 77
[ "$rc" -eq 0 ] || fail "for did not hold against answer jitter (events: $(cat "$EVENTS"))"
pass "for is met by N polls spanning it, never by N - 1, whatever the answers' jitter"
exit 0
