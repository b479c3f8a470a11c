#!/usr/bin/env bash
# Every configuration key the validator knows (pollhook --list-keys) is shown
# in the reference configuration conf/pollhook.conf: as "KEY =" (commented
# out or not), or named as the alternative "or KEY" of the key beside it.
# The reference config itself must validate.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
POLLHOOK=$top_builddir/bridge/pollhook
CONF=$top_srcdir/conf/pollhook.conf

# The reference config names every poller: a build that left one out cannot check it.
lacking=$("$POLLHOOK" --version | sed -n 's/^pollers left out: //p')
if [ -n "$lacking" ]; then
	echo "SKIP: conf/pollhook.conf has sources of every poller; left out here: $lacking"
	exit 77
fi
"$POLLHOOK" --check-config -c "$CONF" >/dev/null || { echo "FAIL: $CONF does not validate"; exit 1; }
keys=$("$POLLHOOK" --list-keys) || { echo "FAIL: pollhook --list-keys"; exit 1; }
[ "$(echo "$keys" | wc -l)" -gt 50 ] || { echo "FAIL: --list-keys printed too little: $keys"; exit 1; }
missing=0
for k in $keys; do
	leaf=${k##*.}
	if ! grep -qE "(^|[^A-Za-z0-9_])$leaf[[:space:]]*=|(^|[^A-Za-z0-9_])or $leaf([^A-Za-z0-9_]|$)" "$CONF"; then
		echo "missing from conf/pollhook.conf: $k"
		missing=$((missing + 1))
	fi
done
[ "$missing" -eq 0 ] || { echo "FAIL: $missing keys missing"; exit 1; }
echo "ok: all $(echo "$keys" | wc -l) keys appear in conf/pollhook.conf, which validates"
