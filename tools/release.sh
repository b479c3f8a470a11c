#!/bin/sh
# make release: tags the version of NEWS's first entry, builds its tarball in
# a scratch directory, runs make distcheck on it there, and writes the
# tarball and its SHA-256 (pollhook-X.Y.Z.tar.gz, pollhook-X.Y.Z.tar.gz.sha256)
# in the directory it was run from. Needs a clean git checkout whose NEWS
# heading is "pollhook X.Y.Z (YYYY-MM-DD)", not "(unreleased)". The tag is
# made last, once distcheck has passed; push it yourself.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(pwd)

die() {
	echo "release: $*" >&2
	exit 1
}

cd "$src"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$src is not a git checkout"
[ -z "$(git status --porcelain --untracked-files=no)" ] || die "the checkout has uncommitted changes"
heading=$(sed -n 's/^pollhook \([0-9][0-9.]*\) (\(.*\))$/\1 \2/p' NEWS | head -n 1)
version=${heading%% *}
date=${heading#* }
[ -n "$version" ] || die "NEWS has no 'pollhook X.Y.Z (DATE)' heading"
[ "$date" != unreleased ] || die "NEWS says $version is unreleased: give it its date first"
! git rev-parse -q --verify "refs/tags/v$version" >/dev/null || die "tag v$version exists already"

# The tarball of a detached copy of HEAD, so nothing of this tree leaks in;
# the version is forced, as the tag does not exist yet.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-release.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
git archive --format=tar --prefix=src/ HEAD | tar -C "$tmp" -xf -
printf '%s\n' "$version" >"$tmp/src/.tarball-version"
(cd "$tmp/src" && ./autogen.sh >/dev/null && ./configure -q >/dev/null &&
    make -s -j2 distcheck) || die "make distcheck failed for $version"
tarball=pollhook-$version.tar.gz
cp "$tmp/src/$tarball" "$out/$tarball"
(cd "$out" && sha256sum "$tarball" >"$tarball.sha256")
git tag -a "v$version" -m "pollhook $version"
echo "release: $out/$tarball, $out/$tarball.sha256, tag v$version (push it: git push origin v$version)"
