#!/usr/bin/env python3
"""Checks the requests a receiver (tests/lib/receiver.py) logged against the
published contract of a payload format, with code of its own (standard
library only; nothing shared with pollhook's emitters/format_*.c).

  format_check.py FORMAT LOG      FORMAT: envelope, cloudevents, cloudevents-binary,
                                  slack, teams, pagerduty, alertmanager

Prints one line per request that breaks the contract and exits 1 if any
does; exits 0 otherwise (and 1 when the log is empty).

The contracts, as their owners publish them:
- CloudEvents 1.0 (spec and HTTP protocol binding): required id, source,
  specversion "1.0", type, non-empty strings; optional subject (non-empty),
  time (RFC 3339), datacontenttype; extension names lower-case alphanumeric.
  Structured mode: Content-Type application/cloudevents+json, the event a
  JSON object. Binary mode: ce-* headers, percent-encoded values, the data
  as body, Content-Type its datacontenttype.
- PagerDuty Events API v2: routing_key (32 characters), event_action
  trigger|acknowledge|resolve, dedup_key at most 255 characters (required
  but for trigger), a trigger's payload.summary (<= 1024), payload.source,
  payload.severity critical|error|warning|info, optional timestamp (ISO
  8601), component, group, class, custom_details (an object).
- Slack incoming webhooks: text (a non-empty string), blocks (at most 50),
  a section's text object plain_text|mrkdwn with at most 3000 characters, a
  context's elements (1 to 10) text or image objects.
- Microsoft Teams workflow webhooks: type "message", attachments with
  contentType application/vnd.microsoft.card.adaptive and an AdaptiveCard
  content (version, body of typed elements; TextBlock text, FactSet facts
  of title/value strings).
- Alertmanager webhook, version 4: version, groupKey, truncatedAlerts,
  status firing|resolved, receiver, groupLabels, commonLabels,
  commonAnnotations (string maps), externalURL, alerts of status, labels,
  annotations, startsAt, endsAt, generatorURL, fingerprint.
"""

import datetime
import json
import re
import sys
import urllib.parse

RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
ZERO = "0001-01-01T00:00:00Z"


class Bad(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Bad(why)


def nonempty_str(v):
    return isinstance(v, str) and v != ""


def parse_time(s):
    need(isinstance(s, str) and RFC3339.match(s), "not an RFC 3339 time: %r" % (s,))
    s = s.replace("z", "Z").replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(s)


def string_map(m, what):
    need(isinstance(m, dict), "%s is not an object" % what)
    for k, v in m.items():
        need(isinstance(k, str) and isinstance(v, str),
             "%s: %r is not a string pair" % (what, k))


def ce_attributes(a):
    for k in ("id", "source", "specversion", "type"):
        need(nonempty_str(a.get(k)), "required attribute %s missing or empty" % k)
    need(a["specversion"] == "1.0", "specversion is %r" % a["specversion"])
    need(urllib.parse.urlparse(a["source"]) is not None, "source is no URI-reference")
    if "subject" in a:
        need(nonempty_str(a["subject"]), "subject is empty")
    if "time" in a:
        parse_time(a["time"])
    for k in a:
        need(re.match(r"^[a-z0-9]{1,20}$", k) or k == "data" or k == "data_base64",
             "attribute name %r is not lower-case alphanumeric" % k)


def check_cloudevents(h, body):
    need(h.get("content-type", "").split(";")[0].strip() == "application/cloudevents+json",
         "content-type is %r" % h.get("content-type"))
    ev = json.loads(body)
    need(isinstance(ev, dict), "the body is not an object")
    ce_attributes(ev)
    need("data" in ev, "no data")
    return {"id": ev["id"], "type": ev["type"], "data": ev["data"], "source": ev["source"]}


def check_cloudevents_binary(h, body):
    attrs = {}
    for k, v in h.items():
        if k.startswith("ce-"):
            need(re.match(r"^[\x21-\x7e]*$", v), "header %s is not percent-encoded" % k)
            attrs[k[3:]] = urllib.parse.unquote(v)
    need("specversion" not in h, "specversion without ce- prefix")
    ce_attributes(attrs)
    need(h.get("content-type", "").startswith("application/json"),
         "content-type is %r" % h.get("content-type"))
    return {"id": attrs["id"], "type": attrs["type"], "data": json.loads(body),
            "source": attrs["source"]}


def check_pagerduty(h, body):
    e = json.loads(body)
    need(isinstance(e.get("routing_key"), str) and len(e["routing_key"]) == 32,
         "routing_key is not 32 characters")
    need(e.get("event_action") in ("trigger", "acknowledge", "resolve"),
         "event_action is %r" % e.get("event_action"))
    if "dedup_key" in e:
        need(nonempty_str(e["dedup_key"]) and len(e["dedup_key"]) <= 255, "bad dedup_key")
    if e["event_action"] != "trigger":
        need("dedup_key" in e, "%s without dedup_key" % e["event_action"])
    else:
        p = e.get("payload")
        need(isinstance(p, dict), "trigger without payload")
        need(nonempty_str(p.get("summary")) and len(p["summary"]) <= 1024, "bad summary")
        need(nonempty_str(p.get("source")), "bad source")
        need(p.get("severity") in ("critical", "error", "warning", "info"),
             "severity is %r" % p.get("severity"))
        if "timestamp" in p:
            parse_time(p["timestamp"])
        for k in ("component", "group", "class"):
            if k in p:
                need(isinstance(p[k], str), "%s is not a string" % k)
        if "custom_details" in p:
            need(isinstance(p["custom_details"], dict), "custom_details is not an object")
    return e


def text_object(t, what):
    need(isinstance(t, dict) and t.get("type") in ("plain_text", "mrkdwn"),
         "%s is not a text object" % what)
    need(nonempty_str(t.get("text")) and len(t["text"]) <= 3000, "%s text bad" % what)


def check_slack(h, body):
    m = json.loads(body)
    need(nonempty_str(m.get("text")), "no text")
    b = m.get("blocks")
    need(isinstance(b, list) and 1 <= len(b) <= 50, "blocks is not a list of 1..50")
    for blk in b:
        need(isinstance(blk, dict) and nonempty_str(blk.get("type")), "a block without type")
        if blk["type"] == "section":
            text_object(blk.get("text"), "section")
        elif blk["type"] == "context":
            els = blk.get("elements")
            need(isinstance(els, list) and 1 <= len(els) <= 10, "context elements bad")
            for el in els:
                if el.get("type") != "image":
                    text_object(el, "context element")
    return m


def check_teams(h, body):
    m = json.loads(body)
    need(m.get("type") == "message", "type is not message")
    atts = m.get("attachments")
    need(isinstance(atts, list) and len(atts) >= 1, "no attachments")
    for a in atts:
        need(a.get("contentType") == "application/vnd.microsoft.card.adaptive",
             "contentType is %r" % a.get("contentType"))
        c = a.get("content")
        need(isinstance(c, dict) and c.get("type") == "AdaptiveCard", "no AdaptiveCard")
        need(re.match(r"^\d+\.\d+$", str(c.get("version", ""))), "card version bad")
        need(isinstance(c.get("body"), list) and c["body"], "card body empty")
        for el in c["body"]:
            need(nonempty_str(el.get("type")), "card element without type")
            if el["type"] == "TextBlock":
                need(nonempty_str(el.get("text")), "TextBlock without text")
            if el["type"] == "FactSet":
                need(isinstance(el.get("facts"), list), "FactSet without facts")
                for f in el["facts"]:
                    need(isinstance(f.get("title"), str) and isinstance(f.get("value"), str),
                         "a fact is not title/value strings")
    return m


def check_alertmanager(h, body):
    m = json.loads(body)
    need(m.get("version") == "4", "version is %r" % m.get("version"))
    need(isinstance(m.get("groupKey"), str), "groupKey")
    need(isinstance(m.get("truncatedAlerts"), int), "truncatedAlerts")
    need(m.get("status") in ("firing", "resolved"), "status")
    need(isinstance(m.get("receiver"), str), "receiver")
    for k in ("groupLabels", "commonLabels", "commonAnnotations"):
        string_map(m.get(k), k)
    need(isinstance(m.get("externalURL"), str), "externalURL")
    need(isinstance(m.get("alerts"), list) and m["alerts"], "alerts")
    for a in m["alerts"]:
        need(a.get("status") in ("firing", "resolved"), "alert status")
        string_map(a.get("labels"), "labels")
        need(nonempty_str(a["labels"].get("alertname")), "no alertname")
        string_map(a.get("annotations"), "annotations")
        start = parse_time(a.get("startsAt"))
        if a["status"] == "firing":
            need(a.get("endsAt") == ZERO, "a firing alert's endsAt is %r" % a.get("endsAt"))
        else:
            need(parse_time(a.get("endsAt")) >= start, "endsAt before startsAt")
        need(isinstance(a.get("generatorURL"), str), "generatorURL")
        need(re.match(r"^[0-9a-f]{16}$", a.get("fingerprint", "")), "fingerprint")
    return m


def check_envelope(h, body):
    e = json.loads(body)
    need(set(e) == {"event", "event_ts", "id", "payload"}, "keys %r" % sorted(e))
    return e


CHECKS = {
    "envelope": check_envelope,
    "cloudevents": check_cloudevents,
    "cloudevents-binary": check_cloudevents_binary,
    "pagerduty": check_pagerduty,
    "slack": check_slack,
    "teams": check_teams,
    "alertmanager": check_alertmanager,
}


def main():
    fmt, log = sys.argv[1], sys.argv[2]
    bad = n = 0
    for line in open(log):
        r = json.loads(line)
        n += 1
        try:
            CHECKS[fmt](r["headers"], r["body"])
        except (Bad, ValueError, KeyError, TypeError, AttributeError) as e:
            bad += 1
            print("%s: request %d: %s: %s" % (fmt, n, e, r["body"][:300]))
    if n == 0:
        print("%s: no request" % fmt)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
