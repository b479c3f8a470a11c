#!/bin/bash
# The release tarball holds sources only: `make distdir` into a scratch
# directory, then every file in it must be tracked by git (apart from what
# autotools generates for a tarball: configure, Makefile.in, aclocal.m4,
# build-aux/ and .tarball-version), and every file git tracks must be in it
# (apart from the repository's own: .gitignore, and the benchmarks' helpers
# that are not sources of the build). Skipped (77) outside a git checkout,
# e.g. inside make distcheck.
set -u
: "${top_srcdir:?top_srcdir must be set (make check exports it)}"
: "${top_builddir:?top_builddir must be set (make check exports it)}"

# The top of a checkout, not a tarball unpacked inside one (make distcheck).
top=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null)
if [ -z "$top" ] || [ "$(cd "$top" && pwd -P)" != "$(cd "$top_srcdir" && pwd -P)" ]; then
	echo "SKIP: $top_srcdir is not the top of a git checkout"
	exit 77
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-dist.XXXXXX")
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT

# A make of its own, not the jobs of the make check that runs this test.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" distdir \
    distdir="$TMP/d" >"$TMP/make.log" 2>&1; then
	echo "FAIL: make distdir failed:"
	tail -20 "$TMP/make.log"
	exit 1
fi
(cd "$TMP/d" && find . -type f | sed 's#^\./##' | LC_ALL=C sort) >"$TMP/tarball"
git -C "$top_srcdir" ls-files | LC_ALL=C sort >"$TMP/git"

generated='^(configure|aclocal\.m4|\.tarball-version|build-aux/.*|(.*/)?Makefile\.in)$'
not_shipped='^(\.gitignore)$'
failed=0
extra=$(LC_ALL=C comm -23 "$TMP/tarball" "$TMP/git" | grep -Ev "$generated")
if [ -n "$extra" ]; then
	echo "FAIL: in the tarball but not tracked by git (build products?):"
	sed 's/^/    /' <<<"$extra"
	failed=1
fi
missing=$(LC_ALL=C comm -13 "$TMP/tarball" "$TMP/git" | grep -Ev "$not_shipped")
if [ -n "$missing" ]; then
	echo "FAIL: tracked by git but not in the tarball (add it to EXTRA_DIST):"
	sed 's/^/    /' <<<"$missing"
	failed=1
fi
[ "$failed" -eq 0 ] || exit 1
echo "ok: the tarball's $(wc -l <"$TMP/tarball") files are git's $(wc -l <"$TMP/git") tracked files and the generated build files"
