#!/bin/bash
# The bad-config suite: every file bad/*.conf must be rejected by
# `pollhook --check-config` with the FILE:LINE message of its first line,
#   # expect: FILE:LINE: message          (the exact stderr line)
#   # expect-glob: FILE:LINE: ... *       (a bash pattern, for build-dependent text)
# and conf/pollhook.conf and good/*.conf must pass. Optional header lines
# (in good/*.conf too):
#   # requires-key: KEY    skip unless `pollhook --list-keys` prints KEY
#   # skip-if-key: KEY     skip if it does (e.g. "not compiled in" cases)
#   # requires-store-left-out: NAME   skip unless this build left out store NAME
# A file (the reference config too) whose sources name a poller this build
# left out is skipped, unless it is such a "not compiled in" case.
# FILE is relative to tests/config: the suite runs from there.

set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
pollhook=${POLLHOOK:-$top_builddir/bridge/pollhook}

cd "$here" || exit 1
if [ ! -x "$pollhook" ]; then
	echo "FAIL: $pollhook not built"
	exit 1
fi

# Used by good/full.conf; the bad ones must not see their variable.
export POLLHOOK_TEST_SITE=fra1
unset POLLHOOK_TEST_UNDEFINED_HOST

keys=$("$pollhook" --list-keys 2>/dev/null)
pass=0 fail=0 skip=0

has_key() {
	grep -qxF -- "$1" <<<"$keys"
}

lacking=" $("$pollhook" --version | sed -n 's/^pollers left out: //p') "
stores_lacking=" $("$pollhook" --version | sed -n 's/^stores left out: //p') "

# left_out FILE: prints the first poller FILE names that this build left out.
left_out() {
	local p
	for p in $(sed -n 's/^[^#]*poller *= *"\([a-z0-9_]*\)".*/\1/p' "$1" | sort -u); do
		case "$lacking" in
		*" $p "*) echo "$p"; return ;;
		esac
	done
}

header() {	# header FILE NAME: prints the value of "# NAME: value"
	sed -n "s/^# $2: //p" "$1" | head -n 1
}

for f in bad/*.conf; do
	need=$(header "$f" requires-key)
	unless=$(header "$f" skip-if-key)
	store_out=$(header "$f" requires-store-left-out)
	if [ -n "$store_out" ] && [[ $stores_lacking != *" $store_out "* ]]; then
		echo "SKIP: $f (the $store_out store is compiled in)"
		skip=$((skip + 1))
		continue
	fi
	if [ -n "$need" ] && ! has_key "$need"; then
		echo "SKIP: $f (needs $need)"
		skip=$((skip + 1))
		continue
	fi
	if [ -n "$unless" ] && has_key "$unless"; then
		echo "SKIP: $f ($unless is there)"
		skip=$((skip + 1))
		continue
	fi
	if [ -z "$unless" ] && [ -n "$(left_out "$f")" ]; then
		echo "SKIP: $f (the $(left_out "$f") poller is not compiled in)"
		skip=$((skip + 1))
		continue
	fi
	expect=$(header "$f" expect)
	glob=$(header "$f" expect-glob)
	if [ -z "$expect" ] && [ -z "$glob" ]; then
		echo "FAIL: $f has no '# expect:' line"
		fail=$((fail + 1))
		continue
	fi
	err=$("$pollhook" --check-config -c "$f" 2>&1 >/dev/null)
	rc=$?
	found=no
	while IFS= read -r line; do
		if [ -n "$expect" ] && [ "$line" = "$expect" ]; then
			found=yes
		elif [ -n "$glob" ] && [[ $line == $glob ]]; then
			found=yes
		fi
	done <<<"$err"
	if [ $rc -eq 0 ]; then
		echo "FAIL: $f was accepted"
		fail=$((fail + 1))
	elif [ $found = no ]; then
		echo "FAIL: $f: expected: ${expect:-$glob}"
		sed 's/^/    got: /' <<<"$err"
		fail=$((fail + 1))
	else
		echo "PASS: $f"
		pass=$((pass + 1))
	fi
done

# A main file that is not there at all.
err=$("$pollhook" --check-config -c bad/no-such-file.conf 2>&1 >/dev/null)
if [ $? -ne 0 ] && grep -qxF "bad/no-such-file.conf: cannot open: No such file or directory" <<<"$err"; then
	echo "PASS: bad/no-such-file.conf (missing)"
	pass=$((pass + 1))
else
	echo "FAIL: bad/no-such-file.conf (missing): got: $err"
	fail=$((fail + 1))
fi

for f in "$top_srcdir/conf/pollhook.conf" good/*.conf; do
	need=$(header "$f" requires-key)
	if [ -n "$need" ] && ! has_key "$need"; then
		echo "SKIP: $f (needs $need)"
		skip=$((skip + 1))
		continue
	fi
	if [ -n "$(left_out "$f")" ]; then
		echo "SKIP: $f (the $(left_out "$f") poller is not compiled in)"
		skip=$((skip + 1))
		continue
	fi
	if err=$("$pollhook" --check-config -c "$f" 2>&1 >/dev/null); then
		echo "PASS: $f"
		pass=$((pass + 1))
	else
		echo "FAIL: $f was rejected:"
		sed 's/^/    /' <<<"$err"
		fail=$((fail + 1))
	fi
done

echo "config suite: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
