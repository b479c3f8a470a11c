#!/bin/bash
# The systemd unit's hardening: `systemd-analyze security --offline=true` of
# contrib/pollhook.service must rate its exposure at most MAX_EXPOSURE (of
# 10; "OK" is below 4.5). The bound is what the unit scores now (1.2 with
# systemd 252) plus a margin for other systemd versions' weights; a change
# that loosens the unit (a capability, a writable path, a syscall group)
# shows here. Also checks that the unit keeps what the Debian package and
# pollhook need: ExecStart=/usr/bin/pollhook, User=, StateDirectory=.
# Exit status: 0 pass, 1 fail, 77 without systemd-analyze (Debian's systemd,
# which .ci/run and the README's first command install) or with one too old
# for --offline.

set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/.." && pwd)}"
unit=$top_srcdir/contrib/pollhook.service
MAX_EXPOSURE=${MAX_EXPOSURE:-1.5}

command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: no systemd-analyze"; exit 77; }
out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -qi 'unrecognized option\|unknown option' <<<"$out"; then
	echo "SKIP: systemd-analyze without --offline"
	exit 77
fi
score=$(sed -n 's/.*Overall exposure level for pollhook.service: \([0-9.]*\).*/\1/p' <<<"$out")
if [ -z "$score" ]; then
	echo "FAIL: no exposure level from systemd-analyze (status $rc):"
	echo "$out" | tail -n 20
	exit 1
fi
if ! awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
	echo "FAIL: exposure $score above $MAX_EXPOSURE; what is not hardened:"
	grep '✗' <<<"$out"
	exit 1
fi
for want in '^ExecStart=/usr/bin/pollhook ' '^User=pollhook$' '^StateDirectory=pollhook$' \
    '^NoNewPrivileges=yes$' '^ProtectSystem=strict$' '^CapabilityBoundingSet=$'; do
	grep -q "$want" "$unit" || { echo "FAIL: the unit lost $want"; exit 1; }
done
echo "PASS: contrib/pollhook.service exposure $score (bound $MAX_EXPOSURE)"
