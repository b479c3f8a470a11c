#!/bin/bash
# The Debian package, end to end (not in make check: it needs root and
# installs into the system; .ci/run runs it): builds pollhook_VERSION.deb
# with dpkg-buildpackage -us -uc -b from a copy of the checkout, checks it
# with lintian (no errors), installs it with dpkg -i, runs the installed
# binary (--version; --check-config on the installed configuration, also as
# the pollhook user), checks the user, the state directory, the conffile,
# the unit and the man pages, then purges it and checks that all of them
# are gone. Exit 77 when it cannot run here (not root, tools missing, or a
# pollhook package or user already on the machine, which it must not touch).
#
# Usage: tests/deb/package.sh [SRCDIR]   (default: the checkout it is in)
set -u
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i)"
for t in dpkg-buildpackage dh lintian git; do
	command -v "$t" >/dev/null || skip "$t is not installed (debhelper, lintian, git)"
done
dpkg-query -W -f='${Status}\n' pollhook 2>/dev/null | grep -q "installed" &&
	skip "a pollhook package is installed already"
getent passwd pollhook >/dev/null && skip "a pollhook user exists already"
[ -e /etc/pollhook ] && skip "/etc/pollhook exists already"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-deb.XXXXXX") || fail "mktemp"
installed=0
cleanup() {
	[ "$installed" = 1 ] && dpkg --purge pollhook >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# The tracked files as they are in the work tree, with the version of the
# checkout fixed in .tarball-version (the copy has no .git).
mkdir -p "$TMP/src/pollhook"
(cd "$src" && git ls-files -z | tar --null -T - -cf -) | tar -C "$TMP/src/pollhook" -xf - ||
	fail "copying the checkout"
sh "$src/tools/version.sh" >"$TMP/src/pollhook/.tarball-version"
echo "building the package (version $(cat "$TMP/src/pollhook/.tarball-version"))"
if ! (cd "$TMP/src/pollhook" && dpkg-buildpackage -us -uc -b >"$TMP/build.log" 2>&1); then
	tail -40 "$TMP/build.log"
	fail "dpkg-buildpackage -us -uc -b failed"
fi
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
deb=$(ls "$TMP"/src/pollhook_"$ver"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no pollhook_${ver}_*.deb built: $(ls "$TMP/src")"
echo "built $(basename "$deb")"

lintian --tag-display-limit 0 "$deb" >"$TMP/lintian.log" 2>&1
if grep -q '^E:' "$TMP/lintian.log"; then
	cat "$TMP/lintian.log"
	fail "lintian reports errors"
fi
echo "lintian: $(grep -c '^E:' "$TMP/lintian.log") errors, $(grep -c '^W:' "$TMP/lintian.log") warnings"
grep '^W:' "$TMP/lintian.log" | sed 's/^/    /'

dpkg -i "$deb" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail "dpkg -i failed"; }
installed=1
/usr/bin/pollhook --version || fail "pollhook --version failed"
/usr/bin/pollhook --check-config -c /etc/pollhook/pollhook.conf ||
	fail "--check-config of the installed configuration failed"
getent passwd pollhook >/dev/null || fail "no pollhook user after install"
runuser -u pollhook -- /usr/bin/pollhook --check-config -c /etc/pollhook/pollhook.conf >/dev/null ||
	fail "the pollhook user cannot read the installed configuration"
[ "$(stat -c %U:%a /var/lib/pollhook)" = pollhook:750 ] ||
	fail "/var/lib/pollhook is $(stat -c %U:%a /var/lib/pollhook), not pollhook:750"
[ "$(stat -c %G:%a /etc/pollhook/pollhook.conf)" = pollhook:640 ] ||
	fail "/etc/pollhook/pollhook.conf is $(stat -c %G:%a /etc/pollhook/pollhook.conf), not group pollhook, 640"
dpkg-query -W -f='${Conffiles}\n' pollhook | grep -q '/etc/pollhook/pollhook.conf' ||
	fail "/etc/pollhook/pollhook.conf is not a conffile"
unit=$(dpkg -L pollhook | grep '/systemd/system/pollhook.service$')
[ -n "$unit" ] && [ -f "$unit" ] || fail "no systemd unit installed"
grep -q '^ExecStart=/usr/bin/pollhook ' "$unit" || fail "the unit does not start /usr/bin/pollhook"
for m in man8/pollhook.8 man5/pollhook.conf.5; do
	[ -f "/usr/share/man/$m.gz" ] || fail "no /usr/share/man/$m.gz"
done
echo "installed: user, /var/lib/pollhook, conffile, $unit, man pages"

dpkg --purge pollhook >"$TMP/purge.log" 2>&1 || { cat "$TMP/purge.log"; fail "dpkg --purge failed"; }
installed=0
[ -e /usr/bin/pollhook ] && fail "/usr/bin/pollhook left after purge"
[ -e /var/lib/pollhook ] && fail "/var/lib/pollhook left after purge"
[ -e /etc/pollhook ] && fail "/etc/pollhook left after purge"
getent passwd pollhook >/dev/null && fail "the pollhook user is left after purge"
getent group pollhook >/dev/null && fail "the pollhook group is left after purge"
echo "PASS: built, checked, installed, ran and purged $(basename "$deb")"
