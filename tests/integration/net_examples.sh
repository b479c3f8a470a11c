#!/usr/bin/env bash
# The network check examples in conf/examples validate: a core switch with
# ping and SNMP, a service with TLS expiry and banners (the files they name
# made up).
NEED_POLLERS="icmp tcp snmp"
. "$(dirname "$0")/../lib/http_common.sh"

# Every /etc/pollhook/ file they name is made up in the scratch directory.
n=0
for f in "$top_srcdir"/conf/examples/net-*.conf; do
	for p in $(grep -o '"/etc/pollhook/[^"]*"' "$f" | tr -d '"'); do
		echo public >"$TMP/$(basename "$p")"
	done
	sed "s|/etc/pollhook/|$TMP/|g" "$f" >"$TMP/example.conf"
	"$POLLHOOK" --check-config -c "$TMP/example.conf" >"$TMP/check.out" 2>&1 ||
		fail "$f does not validate: $(cat "$TMP/check.out")"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "found $n net-*.conf examples, want 2"
pass "$n network check examples validate"
