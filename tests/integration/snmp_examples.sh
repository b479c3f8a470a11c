#!/bin/sh
# The snmp device snippets in conf/examples validate (secrets from files).

. "$top_srcdir/tests/lib/snmp_common.sh"

for x in web-1 cisco juniper mikrotik; do
	echo "a-long-enough-secret" >"$TMP/$x.auth"
	echo "a-long-enough-secret" >"$TMP/$x.priv"
done
for f in "$top_srcdir"/conf/examples/snmp-*.conf; do
	sed "s|/etc/pollhook/|$TMP/|g" "$f" >"$TMP/example.conf"
	"$POLLHOOK" --check-config -c "$TMP/example.conf" >"$TMP/check.out" 2>&1 ||
	    fail "$(basename "$f"): $(cat "$TMP/check.out")"
	pass "$(basename "$f")"
done
exit 0
