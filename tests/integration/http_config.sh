#!/bin/sh
# http poller configuration: every semantic error is reported as FILE:LINE
# by --check-config (exit 1), all of them in one run; good configs pass.

. "$top_srcdir/tests/lib/http_common.sh"

# bad NAME EXPECTED-LINE... : writes $TMP/NAME.conf from stdin, checks it is
# rejected and that stderr has each expected line (FILE is the conf path).
bad() {
	name=$1
	shift
	cat >"$TMP/$name.conf"
	rc=0
	"$POLLHOOK" --check-config -c "$TMP/$name.conf" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
	[ "$rc" -eq 1 ] || fail "$name: --check-config exited $rc, want 1: $(cat "$TMP/$name.err")"
	for want in "$@"; do
		grep -qxF "$TMP/$name.conf:$want" "$TMP/$name.err" ||
		    fail "$name: stderr lacks '$TMP/$name.conf:$want'; it has:
$(cat "$TMP/$name.err")"
	done
	pass "$name"
}

bad pointers \
    '5: JSON pointer "cpu" must be empty or start with /' \
    '6: JSON pointer "/a~2": "~" must be followed by 0 or 1' \
    '7: label needs a "*" segment in json "/a"' \
    '8: key "/*/id" cannot have a "*" segment' \
    '9: items = true needs key, the pointer to each item'"'"'s unique key (e.g. key = "/id")' \
    '10: key needs items = true' \
    '11: reduce needs numbers; an items metric has none' <<'EOF'
sources = (
  { name = "s"; poller = "http";
    http = { url = "http://127.0.0.1:1/"; };
    metrics = (
      { name = "a"; json = "cpu"; },
      { name = "b"; json = "/a~2"; },
      { name = "c"; json = "/a"; label = "/name"; },
      { name = "d"; json = "/list"; items = true; key = "/*/id"; },
      { name = "e"; json = "/list"; items = true; },
      { name = "f"; json = "/x"; key = "/id"; },
      { name = "g"; json = "/list"; items = true; key = "/id"; reduce = "max"; }
    ); }
);
EOF

printf 'secret\n' >"$TMP/pw"
bad request \
    '3: url "ftp://127.0.0.1/x" must be http:// or https://' \
    '4: a body needs method = "POST"' \
    '5: header "NoColon" is not "Name: value" on one line' \
    '6: a password needs a user' \
    '7: use either user/password or token, not both' \
    '8: ok_status "6xx" is not a status ("404"), a class ("4xx") or a range ("400-404") within 100-599' \
    '9: TLS settings need an https:// url' \
    '10: key_file needs cert_file' <<EOF
sources = (
  { name = "r1"; poller = "http"; metrics = ( { name = "m"; json = "/m"; } );
    http = { url = "ftp://127.0.0.1/x"; }; },
  { name = "r2"; poller = "http"; metrics = ( { name = "m"; json = "/m"; } ); http = { url = "http://127.0.0.1/"; body = "{}"; }; },
  { name = "r3"; poller = "http"; metrics = ( { name = "m"; json = "/m"; } ); http = { url = "http://127.0.0.1/"; headers = ( "NoColon" ); }; },
  { name = "r4"; poller = "http"; metrics = ( { name = "m"; json = "/m"; } ); http = { url = "http://127.0.0.1/"; password_file = "$TMP/pw"; }; },
  { name = "r5"; poller = "http"; metrics = ( { name = "m"; json = "/m"; } ); http = { url = "http://127.0.0.1/"; user = "u"; token = "t"; }; },
  { name = "r6"; poller = "http"; metrics = ( { name = "m"; json = "/m"; } ); http = { url = "http://127.0.0.1/"; ok_status = [ "6xx" ]; }; },
  { name = "r7"; poller = "http"; metrics = ( { name = "m"; json = "/m"; } ); http = { url = "http://127.0.0.1/"; ca_file = "/etc/hostname"; }; },
  { name = "r8"; poller = "http"; metrics = ( { name = "m"; json = "/m"; } ); http = { url = "https://127.0.0.1/"; key_file = "/etc/hostname"; }; }
);
EOF

cat >"$TMP/good.conf" <<EOF
sources = (
  { name = "g"; poller = "http"; interval = 5.0; timeout = 2.0;
    http = { url = "https://127.0.0.1:8443/api?x=1"; method = "POST"; body = "{\"q\": 1}";
             headers = ( "X-A: b" ); user = "u"; password_file = "$TMP/pw";
             ca_file = "/etc/hostname"; insecure = false; proxy = "http://127.0.0.1:3128";
             connect_timeout = 1.5; max_body = 65536; follow_redirects = true;
             max_redirects = 3; conditional = false; compression = true;
             ok_status = [ "404", "5xx", "300-302" ]; };
    metrics = (
      { name = "all"; json = ""; reduce = "count"; },
      { name = "rx"; json = "/if/*/rx"; label = "/name"; },
      { name = "n"; json = "/h/*/*"; reduce = "sum"; },
      { name = "items"; json = "/list"; items = true; key = "/meta/id"; }
    ); }
);
EOF
"$POLLHOOK" --check-config -c "$TMP/good.conf" >"$TMP/good.out" 2>&1 ||
    fail "a good http config was rejected: $(cat "$TMP/good.out")"
pass "every http key in a good config"

# The shipped examples validate (their secrets come from the environment).
ZOOM_TOKEN=t SEARCH_MONITOR_PASSWORD=p \
ARCHIVE_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
ONCALL_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
export ZOOM_TOKEN SEARCH_MONITOR_PASSWORD ARCHIVE_WEBHOOK_SECRET ONCALL_WEBHOOK_SECRET
n=0
for f in "$top_srcdir"/conf/examples/http-*.conf; do
	"$POLLHOOK" --check-config -c "$f" >"$TMP/example.out" 2>&1 ||
	    fail "example $f does not validate: $(cat "$TMP/example.out")"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "found $n http examples in conf/examples, want at least 2"
pass "$n example configs validate"

exit 0
