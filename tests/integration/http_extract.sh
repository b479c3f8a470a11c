#!/bin/sh
# http poller, --once: JSON Pointer and wildcard extraction, labels, value
# types, items, per-metric errors, POST bodies and headers, http_status.

. "$top_srcdir/tests/lib/http_common.sh"

start_api api

put data.json <<'EOF'
{
  "system": { "cpu": { "percent": 42.5 }, "up": true, "name": "box-1", "note": null },
  "a/b": { "m~n": 7 },
  "ifaces": [ { "name": "eth0", "rx": 10 }, { "name": "eth1", "rx": 20 }, { "rx": 30 } ],
  "disks": { "sda": { "used": 0.5 }, "sdb": { "used": 0.25 } },
  "meetings": [ { "uuid": "m1", "topic": "standup" }, { "uuid": "m2" }, { "uuid": "m1" } ],
  "counter": 18446744073709551615
}
EOF

cat >"$TMP/extract.conf" <<EOF
sources = (
  {
    name = "api";
    poller = "http";
    interval = 10.0;
    timeout = 3.0;
    http = { url = "http://127.0.0.1:$api_PORT/data.json"; headers = ( "X-Test: extract" ); };
    metrics = (
      { name = "cpu"; json = "/system/cpu/percent"; },
      { name = "up_flag"; json = "/system/up"; },
      { name = "host"; json = "/system/name"; },
      { name = "note"; json = "/system/note"; },
      { name = "escaped"; json = "/a~1b/m~0n"; },
      { name = "rx"; json = "/ifaces/*/rx"; label = "/name"; },
      { name = "rx_max"; json = "/ifaces/*/rx"; reduce = "max"; },
      { name = "rx_count"; json = "/ifaces/*"; reduce = "count"; },
      { name = "disk"; json = "/disks/*/used"; },
      { name = "second_if"; json = "/ifaces/1/name"; },
      { name = "meetings"; json = "/meetings"; items = true; key = "/uuid"; },
      { name = "counter"; json = "/counter"; },
      { name = "missing"; json = "/system/memory"; },
      { name = "wrong_type"; json = "/system/cpu"; },
      { name = "out_of_range"; json = "/ifaces/9/rx"; }
    );
  },
  {
    name = "query";
    poller = "http";
    timeout = 3.0;
    http = { url = "http://127.0.0.1:$api_PORT/data.json"; method = "POST";
             body = "{\"query\": \"cpu\"}"; };
    metrics = ( { name = "cpu"; json = "/system/cpu/percent"; } );
  },
  {
    # The test API doubles as a forward proxy: it serves the path of the
    # absolute URL it is asked for. The .invalid host is never resolved.
    name = "proxied";
    poller = "http";
    timeout = 3.0;
    http = { url = "http://pollhook-test.invalid/data.json"; proxy = "http://127.0.0.1:$api_PORT"; };
    metrics = ( { name = "cpu"; json = "/system/cpu/percent"; } );
  },
  {
    name = "health";
    poller = "http";
    timeout = 3.0;
    http = { url = "http://127.0.0.1:$api_PORT/data.json"; };
    metrics = ( { name = "cpu"; json = "/system/cpu/percent"; } );
  }
);
EOF

once "$TMP/extract.conf"
[ "$ONCE_RC" -eq 0 ] || fail "--once exited $ONCE_RC, want 0 (every poll succeeded): $(cat "$TMP/once.err")"

expect api ok - true
expect api http_status - 200
expect api up - 1
expect api cpu - 42.5
expect api up_flag - true
expect api host - '"box-1"'
expect api note - null
expect api escaped - 7
pass "scalars: number, boolean, string, null, ~0/~1 escapes"

expect api rx 0 10
expect api rx 1 20
expect api rx 2 30
expect api label:rx 0 eth0
expect api label:rx 1 eth1
expect api label:rx 2 None
expect api rx_max - 30
expect api rx_count - 3
expect api disk sda 0.5
expect api disk sdb 0.25
expect api second_if - '"eth1"'
pass "wildcards over arrays and objects, labels, reduce"

expect api meetings - '[{"topic":"standup","uuid":"m1"},{"uuid":"m2"}]'
expect api counter - 1.8446744073709552e+19
pass "items (duplicate keys once), unsigned 64-bit counter"

expect api missing - '/system/memory: no such member'
expect api wrong_type - '/system/cpu: expected a number, string, boolean or null, got an object'
expect api out_of_range - '/ifaces/9: index out of range (the array has 3 elements)'
pass "a pointer that matches nothing or the wrong type fails that metric only"

n=$(count_lines "$TMP/api.log" 'r["method"] == "POST" and r["body"] == "{\"query\": \"cpu\"}" and r["headers"].get("content-type") == "application/json"')
[ "$n" -eq 1 ] || fail "the server saw $n POSTs with the JSON body, want 1"
expect query cpu - 42.5
n=$(count_lines "$TMP/api.log" 'r["headers"].get("x-test") == "extract" and r["headers"].get("user-agent", "").startswith("pollhook/")')
[ "$n" -eq 1 ] || fail "the server saw $n requests with X-Test and pollhook's User-Agent, want 1"
pass "POST with a body, extra headers"

expect proxied cpu - 42.5
n=$(count_lines "$TMP/api.log" 'r["path"] == "http://pollhook-test.invalid/data.json"')
[ "$n" -eq 1 ] || fail "the proxy saw $n requests for the absolute URL, want 1"
pass "requests through the configured proxy"

# A failing source makes --once exit 2; the others still report.
cat >"$TMP/fail.conf" <<EOF
sources = (
  { name = "good"; poller = "http"; timeout = 3.0;
    http = { url = "http://127.0.0.1:$api_PORT/data.json"; };
    metrics = ( { name = "cpu"; json = "/system/cpu/percent"; } ); },
  { name = "bad"; poller = "http"; timeout = 3.0;
    http = { url = "http://127.0.0.1:$api_PORT/status?code=500"; };
    metrics = ( { name = "cpu"; json = "/system/cpu/percent"; } ); }
);
EOF
# A proxy from the environment is not used: only the configured one.
http_proxy=http://127.0.0.1:1 HTTP_PROXY=http://127.0.0.1:1 all_proxy=http://127.0.0.1:1
export http_proxy HTTP_PROXY all_proxy
once "$TMP/fail.conf"
unset http_proxy HTTP_PROXY all_proxy
[ "$ONCE_RC" -eq 2 ] || fail "--once with a failing source exited $ONCE_RC, want 2"
expect good cpu - 42.5
expect bad ok - false
pass "--once exits 2 when a poll fails; *_proxy variables are ignored"

exit 0
