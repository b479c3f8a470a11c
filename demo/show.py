#!/usr/bin/env python3
"""What the demo's terminal shows: demo/run.sh's helper. Standard library only.

  show.py follow [options]    follows the logs of the demo's parts and prints
                              one line per thing that happened, until SIGTERM
                              (then it prints what is left and exits)
  show.py summary [options]   prints the closing figures

The logs it reads (each optional; a file that does not exist yet is waited for):
  --story FILE       lines of narration written by demo/run.sh
  --router FILE      the simulated router's own record of the SNMP requests it
                     answered (demo/router-cpu.sh: "UNIXTIME OP OID VALUE")
  --pollhook FILE    pollhook's log (standard error): events, warnings, errors
  --receiver NAME,SCHEME,FILE   a verifying receiver's JSON lines
                     (tests/lib/receiver.py --log), repeated per subscriber
  --api FILE         the simulated REST API's request log
                     (tests/lib/httpserver.py --log), for the summary

--ci: no colours and no status line; every SNMP request gets a line of its own.
Otherwise, on a terminal, the router's requests update one status line.
"""

import argparse
import datetime
import json
import shutil
import signal
import sys
import time

CPU_OID = ".1.3.6.1.4.1.9.9.109.1.1.1.1.6.1"


class Style:
    def __init__(self, colour):
        self.colour = colour

    def __call__(self, code, text):
        if not self.colour:
            return text
        return "\033[%sm%s\033[0m" % (code, text)


def clock(ts=None):
    """HH:MM:SS, local time, of a Unix time (default now)."""
    try:
        return datetime.datetime.fromtimestamp(float(ts)).strftime("%H:%M:%S")
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.datetime.now().strftime("%H:%M:%S")


def iso_clock(text):
    """HH:MM:SS, local time, of pollhook's log time (2026-11-29T09:56:01.123Z)."""
    try:
        t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
        return clock(t.replace(tzinfo=datetime.timezone.utc).timestamp())
    except ValueError:
        return clock()


class Tail:
    """Complete lines appended to a file since the last call."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.buf = b""

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return []
        self.pos += len(data)
        self.buf += data
        *done, self.buf = self.buf.split(b"\n")
        return [d.decode("utf-8", "replace") for d in done if d.strip()]


def parse_receivers(specs):
    out = []
    for spec in specs:
        try:
            name, scheme, path = spec.split(",", 2)
        except ValueError:
            sys.exit("show.py: --receiver wants NAME,SCHEME,FILE, got %r" % spec)
        out.append((name, scheme, path))
    return out


def describe(event, p, ci):
    """A short human description of an event body's payload."""
    src = p.get("source", "?")
    value = p.get("value")
    if event.startswith("cpu.high"):
        if p.get("state") == "firing":
            return "%s CPU %s %% > %s" % (src, fmt(value), fmt(p.get("threshold")))
        return "%s CPU %s %% \u2264 %s" % (src, fmt(value), fmt(p.get("clear")))
    if event.startswith("recording."):
        obj = p.get("object") or {}
        topic = obj.get("topic", "?")
        if ci:
            return "\u201c%s\u201d uuid=%s" % (topic, value)
        return "\u201c%s\u201d" % topic
    if event.startswith("room."):
        return "%s %s \u2192 %s" % (src, p.get("previous"), value)
    if event.startswith("device."):
        state = "unreachable" if p.get("state") == "firing" else "reachable again"
        return "%s %s" % (src, state)
    return "%s %s=%s %s" % (src, p.get("metric"), fmt(value), p.get("state"))


def fmt(v):
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v)


def follow(args):
    st = Style(not args.ci and sys.stdout.isatty())
    status_line = not args.ci and sys.stdout.isatty()
    receivers = parse_receivers(args.receiver)
    tails = []
    if args.story:
        tails.append(("story", None, Tail(args.story)))
    if args.router:
        tails.append(("router", None, Tail(args.router)))
    if args.pollhook:
        tails.append(("pollhook", None, Tail(args.pollhook)))
    for name, scheme, path in receivers:
        tails.append(("receiver", (name, scheme), Tail(path)))
    width = max([len(r[0]) for r in receivers] + [8])

    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    # Started in the background by demo/run.sh, SIGINT is ignored: Ctrl-C is
    # the driver's to handle, and it stops this with SIGTERM after its last
    # lines. Run by hand, Ctrl-C stops it.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda *a: stop.append(1))

    requests = 0
    last_cpu = None
    status = ""

    def emit(line):
        if status_line and status:
            sys.stdout.write("\r\033[K")
        sys.stdout.write(line + "\n")
        if status_line and status:
            sys.stdout.write(status)
        sys.stdout.flush()

    def set_status(text):
        nonlocal status
        cols = shutil.get_terminal_size().columns
        status = st("2", text[:max(cols - 1, 20)])
        sys.stdout.write("\r\033[K" + status)
        sys.stdout.flush()

    while True:
        final = bool(stop)
        for kind, info, tail in tails:
            for line in tail.lines():
                if kind == "story":
                    # "UNIXTIME text"
                    ts, _, text = line.partition(" ")
                    emit("%s  %s" % (clock(ts), st("1;36", "\u25b6 " + text)))
                elif kind == "router":
                    parts = line.split()
                    if len(parts) < 4:
                        continue
                    requests += 1
                    t = clock(parts[0])
                    last_cpu = parts[3]
                    op = "GET" if parts[1] == "get" else "GETNEXT"
                    name = ("cpmCPUTotal5secRev.1" if parts[2] == CPU_OID
                            else parts[2])
                    if status_line:
                        set_status("%s  router: SNMP request #%d (CPU %s %%),"
                                   " 1/s for all %d subscribers" %
                                   (t, requests, last_cpu, len(receivers)))
                    else:
                        emit("%s  %-*s  SNMP %s #%d %s = %s %%" %
                             (t, width + 2, "router", op, requests, name,
                              last_cpu))
                elif kind == "pollhook":
                    show_pollhook(line, st, emit, width)
                else:
                    show_webhook(line, st, emit, width, args.ci, *info)
        if final:
            break
        time.sleep(0.1)
    if status_line and status:
        sys.stdout.write("\r\033[K")
        sys.stdout.flush()


def show_pollhook(line, st, emit, width):
    # 2026-11-29T09:56:01.123Z info    message
    parts = line.split(None, 2)
    if len(parts) < 3:
        return
    t, level, msg = iso_clock(parts[0]), parts[1], parts[2]
    if level == "info" and msg.startswith("event "):
        # event ID NAME source=SRC [instance=I]
        f = msg.split()
        if len(f) >= 4:
            src = f[3].split("=", 1)[-1]
            emit("%s  %-*s  %s from %s (%s)" %
                 (t, width + 2, "pollhook", st("1;33", "event " + f[2]), src, f[1]))
    elif level in ("warning", "error"):
        emit("%s  %-*s  %s" % (t, width + 2, "pollhook",
                               st("31", level + ": " + msg)))


def show_webhook(line, st, emit, width, ci, name, scheme):
    r = {}
    try:
        r = json.loads(line)
        body = json.loads(r["body"])
        event = body["event"]
        detail = describe(event, body.get("payload") or {}, ci)
    except (ValueError, KeyError, TypeError, AttributeError):
        r = r if isinstance(r, dict) else {}
        event, detail = "?", "a request that is not an event: %.60s" % r.get("body", line)
    t = clock(r.get("ts"))
    if r.get("verified"):
        check = st("32", "%-8s \u2713 verified" % scheme)
    else:
        check = st("1;31", "%s \u2717 NOT VERIFIED: %s" % (scheme, r.get("why")))
    answered = r.get("status")
    extra = "" if answered is not None and 200 <= answered < 300 else \
        st("31", " (answered %s)" % answered)
    emit("%s  \u2709 %-*s %s %s  %s%s" % (t, width, name, st("1", "%-19s" % event),
                                           check, detail, extra))


def read_jsonl(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    except FileNotFoundError:
        pass
    return out


def summary(args):
    st = Style(not args.ci and sys.stdout.isatty())
    receivers = parse_receivers(args.receiver)
    n = len(receivers)
    polls = 0
    try:
        with open(args.router) as f:
            polls = sum(1 for line in f if line.strip())
    except (FileNotFoundError, TypeError):
        pass
    served = args.snmp_requests if args.snmp_requests >= 0 else polls
    secs = max(args.seconds, 1.0)
    print()
    print(st("1", "What it cost the devices (%d s of polling)" % round(secs)))
    print("  router served %d SNMP requests; %d subscribers polling it "
          "themselves would have cost %d" % (served, n, n * served))
    print("    (%d requests by the router's own counter snmpInPkts, %d CPU "
          "readings in its log: about %.1f a second)" % (served, polls,
                                                        served / secs))
    api = read_jsonl(args.api) if args.api else []
    if api:
        nm = sum(1 for r in api if r.get("status") == 304)
        paths = sorted({r.get("path") for r in api})
        print("  REST API served %d HTTP requests; %d subscribers polling it "
              "themselves would have cost %d" % (len(api), n, n * len(api)))
        print("    (%d of them 304 Not Modified thanks to the ETag; %d "
              "endpoints: %s)" % (nm, len(paths), ", ".join(paths)))
    print(st("1", "What the subscribers received"))
    total = bad = 0
    for name, scheme, path in receivers:
        recs = read_jsonl(path)
        counts = {}
        ids = set()
        ver = 0
        for r in recs:
            try:
                body = json.loads(r["body"])
                ev = body["event"]
                ids.add(body.get("id"))
            except (ValueError, KeyError, TypeError):
                ev = "?"
            counts[ev] = counts.get(ev, 0) + 1
            ver += 1 if r.get("verified") else 0
        total += len(recs)
        bad += len(recs) - ver
        evs = ", ".join("%s %d" % (k, counts[k]) for k in sorted(counts)) or "none"
        print("  subscriber %s (%s): %d webhooks, %d verified, %d events: %s" %
              (name, scheme, len(recs), ver, len(ids), evs))
    verdict = ("every signature verified" if bad == 0 else
               "%d signatures did NOT verify" % bad)
    print("  %d webhooks delivered, %s" % (total, verdict))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("follow", "summary"))
    ap.add_argument("--ci", action="store_true")
    ap.add_argument("--story")
    ap.add_argument("--router")
    ap.add_argument("--pollhook")
    ap.add_argument("--api")
    ap.add_argument("--receiver", action="append", default=[])
    ap.add_argument("--snmp-requests", type=int, default=-1,
                    help="requests the router counted (default: its log's lines)")
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="how long pollhook polled, for the rates")
    args = ap.parse_args()
    if args.mode == "follow":
        follow(args)
    else:
        summary(args)


if __name__ == "__main__":
    main()
