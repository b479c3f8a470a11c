#!/bin/sh
# Prints pollhook's version, for configure.ac's AC_INIT (run by autoconf from
# the top of the source tree):
#   - a release tarball: the contents of .tarball-version (written by make dist);
#   - a git checkout: `git describe` of the newest release tag vX.Y.Z, without
#     the "v" (0.2.0, or 0.2.0-14-g1a2b3c4 fourteen commits later, with
#     "-dirty" for uncommitted changes);
#   - a git checkout before its first tag: the version of NEWS's first entry
#     followed by "-dev-g" and the commit;
#   - neither: NEWS's first version followed by "-unknown".
# No trailing newline: m4_esyscmd_s takes the output as it is.
cd "$(dirname "$0")/.." || exit 1
if [ -f .tarball-version ]; then
	v=$(cat .tarball-version)
elif [ -e .git ] && v=$(git describe --tags --match 'v[0-9]*' --abbrev=7 --dirty 2>/dev/null); then
	v=${v#v}
else
	news=$(sed -n 's/^pollhook \([0-9][0-9.]*\).*/\1/p' NEWS 2>/dev/null | head -n 1)
	news=${news:-0.0.0}
	if [ -e .git ] && h=$(git rev-parse --short=7 HEAD 2>/dev/null); then
		v="$news-dev-g$h"
		git diff-index --quiet HEAD -- 2>/dev/null || v="$v-dirty"
	else
		v="$news-unknown"
	fi
fi
printf '%s' "$v"
