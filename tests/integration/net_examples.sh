#!/usr/bin/env bash
# The network check examples in conf/examples validate: a core switch with
# ping and SNMP, a service with TLS expiry and banners.
NEED_POLLERS="icmp tcp snmp"
. "$(dirname "$0")/../lib/http_common.sh"

export SNMP_COMMUNITY=public
n=0
for f in "$top_srcdir"/conf/examples/net-*.conf; do
	"$POLLHOOK" --check-config -c "$f" >"$TMP/check.out" 2>&1 ||
		fail "$f does not validate: $(cat "$TMP/check.out")"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "found $n net-*.conf examples, want 2"
pass "$n network check examples validate"
