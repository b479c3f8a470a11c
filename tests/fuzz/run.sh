#!/bin/sh
# Runs libFuzzer targets built by "make fuzz" (a tree configured with
# CC=clang --enable-fuzzing), each for FUZZ_TIME seconds, starting from its
# committed corpus (tests/fuzz/corpus/NAME/, read only) and writing what it
# finds to a work directory. With FUZZ_MERGE=1 the corpus is then replaced
# by the minimised union (-set_cover_merge=1) of both. A crash leaves crash-* in the
# work directory and makes the run fail. Usage: run.sh [NAME ...]
# shellcheck disable=SC2086 # $opts holds several flags
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${FUZZ_BUILD:=$top_srcdir/tests/fuzz}"
: "${FUZZ_TIME:=60}"
: "${FUZZ_WORK:=${TMPDIR:-/tmp}/pollhook-fuzz}"
corpus=$top_srcdir/tests/fuzz/corpus
LSAN_OPTIONS="suppressions=$top_srcdir/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
[ $# -gt 0 ] || set -- $(ls "$corpus")
rc=0
for name in "$@"; do
	bin=$FUZZ_BUILD/fuzz_$name
	if [ ! -x "$bin" ]; then
		echo "fuzz: $name: $bin not built (compiled out?)" >&2
		continue
	fi
	work=$FUZZ_WORK/$name
	mkdir -p "$work/new" "$corpus/$name"
	echo "fuzz: $name for $FUZZ_TIME s (log: $work/log)"
	# -close_fd_mask=3: the targets' own messages (config errors, verify's
	# verdicts) would drown libFuzzer's; crash reports still get through.
	# NAME.dict is the target's dictionary, NAME.options its own flags.
	set -- -max_total_time="$FUZZ_TIME" -close_fd_mask=3 -timeout=10 -rss_limit_mb=2048 \
	    -max_len=8192 -print_final_stats=1
	[ -f "$top_srcdir/tests/fuzz/$name.dict" ] && set -- "$@" -dict="$top_srcdir/tests/fuzz/$name.dict"
	opts=
	[ -f "$top_srcdir/tests/fuzz/$name.options" ] && opts=$(cat "$top_srcdir/tests/fuzz/$name.options")
	set -- "$@" $opts
	(cd "$work" && "$bin" "$@" new "$corpus/$name") >"$work/log" 2>&1
	st=$?
	grep -E '^#[0-9]+.*DONE|^stat::number_of_executed_units' "$work/log" | tail -2
	# A target fuzzed with -detect_leaks=0 (see its .options) is checked
	# for leaks here, over every input it kept.
	if [ $st -eq 0 ] && [ -n "$(ls "$work/new")" ]; then
		(cd "$work" && "$bin" -close_fd_mask=3 -runs=1 new/*) >"$work/leaks.log" 2>&1 ||
			{ st=$?; cat "$work/leaks.log" >>"$work/log"; }
	fi
	if [ $st -ne 0 ]; then
		echo "fuzz: $name: FAILED (status $st); see $work/log and $work/crash-* leak-*" >&2
		rc=1
		continue
	fi
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		rm -rf "$work/merged" && mkdir "$work/merged"
		# the greedy set cover of -merge: same features, fewer files
		"$bin" -set_cover_merge=1 -close_fd_mask=3 -max_len=8192 $opts \
		    "$work/merged" "$corpus/$name" "$work/new" \
		    >"$work/merge.log" 2>&1 || { echo "fuzz: $name: merge failed" >&2; rc=1; continue; }
		rm -f "$corpus/$name"/*
		for f in "$work/merged"/*; do
			[ -e "$f" ] && cp "$f" "$corpus/$name/"
		done
		echo "fuzz: $name: corpus now $(ls "$corpus/$name" | wc -l) inputs"
	fi
done
exit $rc
