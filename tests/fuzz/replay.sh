#!/bin/sh
# Replays every fuzz target's corpus (tests/fuzz/corpus/NAME/) through the
# target linked with replay.c instead of libFuzzer, so every input that once
# crashed or was interesting stays a regression test. A target compiled out
# (--without-snmp) is skipped; the test skips (77) when none is built.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
LSAN_OPTIONS="suppressions=$top_srcdir/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
ran=0
for dir in "$top_srcdir"/tests/fuzz/corpus/*/; do
	name=$(basename "$dir")
	bin=$top_builddir/tests/fuzz/fuzz_${name}_replay
	if [ ! -x "$bin" ]; then
		echo "replay: $name: not built, skipped"
		continue
	fi
	printf 'replay: %s: ' "$name"
	"$bin" "$dir"* >/dev/null 2>"${TMPDIR:-/tmp}/replay-$name.$$" || {
		echo "FAILED"
		tail -40 "${TMPDIR:-/tmp}/replay-$name.$$"
		rm -f "${TMPDIR:-/tmp}/replay-$name.$$"
		exit 1
	}
	rm -f "${TMPDIR:-/tmp}/replay-$name.$$"
	echo "$(ls "$dir" | wc -l) inputs"
	ran=$((ran + 1))
done
[ $ran -gt 0 ] || exit 77
