#!/usr/bin/env bash
# Case: /metrics in the Prometheus text format.
#   config     bridge.api with a token; one http source
#   behaviour  two scrapes with at least one poll between them
#   expected   every line parses; the expected names and types; counters
#              grow between scrapes; histogram buckets cumulative
. "$(dirname "$0")/../lib/http_common.sh"
. "$(dirname "$0")/../lib/webhook_common.sh"
. "$(dirname "$0")/../lib/api_common.sh"

api_start

# /metrics: the format, the names, counters growing.
check_metrics() {
	python3 - "$@" <<'PY'
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lval = r'"(?:[^"\\\n]|\\[\\"n])*"'
labels = r"\{(?:%s=%s(?:,%s=%s)*)?\}" % (name, lval, name, lval)
value = r"(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf)"
line_re = re.compile(r"^(%s)(%s)? %s$" % (name, labels, value))

def parse(path):
    samples, types = {}, {}
    text = open(path).read()
    assert text.endswith("\n"), "no final newline"
    for ln in text.splitlines():
        if ln.startswith("#"):
            parts = ln.split(" ", 3)
            if len(parts) >= 3 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = line_re.match(ln)
        assert m, "not a sample line: %r" % ln
        samples[m.group(1) + (m.group(2) or "")] = float(ln.rsplit(" ", 1)[1])
    return samples, types

a, ta = parse(sys.argv[1])
b, tb = parse(sys.argv[2])
want = {
    'pollhook_polls_total{source="edge-1"}', 'pollhook_poll_errors_total{source="edge-1"}',
    'pollhook_overruns_total{source="edge-1"}', 'pollhook_source_up{source="edge-1"}',
    'pollhook_poll_seconds_bucket{le="+Inf"}', 'pollhook_poll_seconds_sum',
    'pollhook_poll_seconds_count', 'pollhook_events_total',
    'pollhook_deliveries_total{outcome="ok"}', 'pollhook_deliveries_total{outcome="retried"}',
    'pollhook_deliveries_total{outcome="dead"}', 'pollhook_deliveries_total{outcome="gone"}',
    'pollhook_outbox_depth', 'pollhook_delivery_latency_seconds{quantile="0.5"}',
    'pollhook_delivery_latency_seconds{quantile="0.99"}',
    'pollhook_delivery_latency_seconds_count',
}
missing = want - set(b)
assert not missing, "missing: %s" % sorted(missing)
assert tb["pollhook_poll_seconds"] == "histogram", tb
assert tb["pollhook_delivery_latency_seconds"] == "summary", tb
assert tb["pollhook_polls_total"] == "counter" and tb["pollhook_source_up"] == "gauge", tb
assert b['pollhook_source_up{source="edge-1"}'] == 1
# Counters increase between scrapes; histogram buckets are cumulative.
for k in ('pollhook_polls_total{source="edge-1"}', "pollhook_poll_seconds_count"):
    assert b[k] > a[k], (k, a[k], b[k])
buckets = sorted(((float(re.search(r'le="([^"]+)"', k).group(1)), v) for k, v in b.items()
                  if k.startswith("pollhook_poll_seconds_bucket")))
assert len(buckets) >= 5, buckets
assert all(x[1] <= y[1] for x, y in zip(buckets, buckets[1:])), buckets
assert buckets[-1][1] == b["pollhook_poll_seconds_count"], buckets
for k in sys.argv[3:]:
    n, v = k.rsplit("=", 1)
    assert b.get(n) == float(v), (n, b.get(n), v)
PY
}
# polled_since FILE: a new scrape in $TMP/m2 shows more polls than FILE.
polled_since() {
	scrape "$TMP/m2"
	python3 - "$1" "$TMP/m2" <<'PY'
import re, sys
def polls(path):
    m = re.search(r'^pollhook_poll_seconds_count (\S+)$', open(path).read(), re.M)
    return float(m.group(1)) if m else -1
sys.exit(0 if polls(sys.argv[2]) > polls(sys.argv[1]) >= 0 else 1)
PY
}
scrape "$TMP/m1"
wait_for 10 polled_since "$TMP/m1" || fail "no poll counted between two scrapes: $(cat "$TMP/m2")"
check_metrics "$TMP/m1" "$TMP/m2" || fail "/metrics: $(cat "$TMP/m2")"
pass "/metrics: text format, expected names, counters increasing, cumulative buckets"
