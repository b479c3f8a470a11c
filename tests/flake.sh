#!/usr/bin/env bash
# Runs the test suite N times in a fresh out-of-tree build and prints, per
# test, how many runs failed, with the log of its first failure.
#
#   tests/flake.sh [options] N [TEST...]
#
# TEST is a test as make check names it (tests/integration/demo.sh), or its
# file name (demo.sh) or base name (demo); without TEST, the whole suite.
#
#   -j JOBS      make -j JOBS for the build and for each run (default 2)
#   --limit S    a run that takes longer than S seconds is stopped and its
#                unfinished tests count as failed (default 1800)
#   --keep       keep the build directory afterwards
#
# The sources are copied as they are in the working tree (tracked files and
# untracked ones git does not ignore, so uncommitted edits are tested and an
# in-tree build does not get in the way) into a clone of the repository;
# autogen.sh runs there, and configure in a separate build directory, with
# CONFIGURE_FLAGS (default "--enable-werror --enable-sanitizers", as in CI). Everything lives in one
# mktemp -d directory; the failing logs stay there after the run. Each run
# has a TMPDIR of its own in it: what a run leaves there, and the processes
# it leaves running, are reported (and the processes stopped).
#
# Exit status: 0 when no test failed, 1 when one did, 2 on a usage or build
# error.

set -u

usage() {
	sed -n '2,/^$/p' "$0" | sed -e '/^$/d' -e 's/^# \{0,1\}//'
	exit "${1:-0}"
}

die() {
	echo "flake.sh: $*" >&2
	echo "flake.sh: everything is in $WORK" >&2
	exit 2
}

# The whole run is one function, read before it starts: the script can be
# edited (or the branch switched) while a long run goes on.
main() {
	JOBS=2
	LIMIT=1800
	KEEP=0
	while [ $# -gt 0 ]; do
		case $1 in
		-j) [ $# -ge 2 ] || usage 2 >&2; JOBS=$2; shift 2 ;;
		-j*) JOBS=${1#-j}; shift ;;
		--limit) [ $# -ge 2 ] || usage 2 >&2; LIMIT=$2; shift 2 ;;
		--limit=*) LIMIT=${1#--limit=}; shift ;;
		--keep) KEEP=1; shift ;;
		-h | --help) usage 0 ;;
		--) shift; break ;;
		-*) echo "flake.sh: unknown option $1" >&2; usage 2 >&2 ;;
		*) break ;;
		esac
	done
	[ $# -ge 1 ] || usage 2 >&2
	N=$1
	shift
	case $N$JOBS$LIMIT in
	*[!0-9]*) echo "flake.sh: N, -j and --limit want whole numbers" >&2; exit 2 ;;
	esac
	[ "$N" -ge 1 ] || { echo "flake.sh: N must be at least 1" >&2; exit 2; }

	SRC=$(cd "$(dirname "$0")/.." && pwd)
	CONFIGURE_FLAGS=${CONFIGURE_FLAGS:---enable-werror --enable-sanitizers}
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-flake.XXXXXX") || exit 2
	BUILD=$WORK/build
	FAILS=$WORK/failures
	mkdir -p "$WORK/src" "$BUILD" "$FAILS"

	# ------------------------------------------------------------ sources, build
	if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# A clone sharing the objects, its index at HEAD, so that a test
		# reading git (dist_files.sh) sees a checkout as in CI; its files
		# are the working tree's. Files deleted there are listed by git but
		# not copied.
		git clone -q --shared --no-checkout "$SRC" "$WORK/src" >"$WORK/clone.log" 2>&1 &&
		    git -C "$WORK/src" reset -q "$(git -C "$SRC" rev-parse HEAD)" >>"$WORK/clone.log" 2>&1 ||
		    die "cloning the sources failed: see $WORK/clone.log"
		(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
		    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		    tar --null -T - -cf -) | tar -C "$WORK/src" -xf - ||
		    die "copying the sources failed"
		SRCDIR=$WORK/src
		(cd "$SRCDIR" && ./autogen.sh) >"$WORK/autogen.log" 2>&1 ||
		    die "autogen.sh failed: see $WORK/autogen.log"
	elif [ -x "$SRC/configure" ] && [ ! -e "$SRC/config.status" ]; then
		SRCDIR=$SRC
	else
		die "$SRC is not a git checkout and has no unconfigured ./configure"
	fi

	echo "flake.sh: building in $BUILD (configure $CONFIGURE_FLAGS)"
	# shellcheck disable=SC2086
	(cd "$BUILD" && "$SRCDIR/configure" $CONFIGURE_FLAGS) >"$WORK/configure.log" 2>&1 ||
		die "configure failed: see $WORK/configure.log"
	make -C "$BUILD" -j"$JOBS" >"$WORK/make.log" 2>&1 || die "make failed: see $WORK/make.log"
	# The check programs, without running a test.
	make -C "$BUILD" -j"$JOBS" check TESTS= >>"$WORK/make.log" 2>&1 ||
		die "building the check programs failed: see $WORK/make.log"

	# The suite's test names, from the generated Makefile itself.
	ALL=$(printf 'flake-print-tests:\n\t@echo $(TESTS)\n' |
	    make -s -C "$BUILD" -f Makefile -f - flake-print-tests) || die "cannot list the tests"
	TESTS_LIST=""
	WHOLE=0
	if [ $# -eq 0 ]; then
		WHOLE=1
		TESTS_LIST=$ALL
	else
		for want in "$@"; do
			found=""
			for t in $ALL; do
				b=${t##*/}
				if [ "$t" = "$want" ] || [ "$b" = "$want" ] || [ "${b%.*}" = "$want" ]; then
					found=$t
					break
				fi
			done
			if [ -z "$found" ]; then
				rm -rf "$WORK"
				echo "flake.sh: no test named $want; the tests are: $ALL" >&2
				exit 2
			fi
			TESTS_LIST="$TESTS_LIST $found"
		done
	fi
	# shellcheck disable=SC2086
	set -- $TESTS_LIST
	NTESTS=$#
	echo "flake.sh: $N runs of $NTESTS tests, make -j$JOBS, at most $LIMIT s a run"

	# ----------------------------------------------------------------- the runs
	declare -A FAILED FIRST SKIPPED
	for t in $TESTS_LIST; do
		FAILED[$t]=0
		SKIPPED[$t]=0
		FIRST[$t]=""
	done

	run=0
	total_failed=0
	LEFTOVERS=0
	while [ "$run" -lt "$N" ]; do
		run=$((run + 1))
		start=$(date +%s)
		rc=0
		RUNTMP=$WORK/tmp/run$run
		mkdir -p "$RUNTMP"
		if [ "$WHOLE" = 1 ]; then
			TMPDIR=$RUNTMP timeout -k 30 "$LIMIT" make -C "$BUILD" -j"$JOBS" check \
			    >"$WORK/run.log" 2>&1 || rc=$?
		else
			TMPDIR=$RUNTMP timeout -k 30 "$LIMIT" make -C "$BUILD" -j"$JOBS" check \
			    TESTS="$TESTS_LIST" >"$WORK/run.log" 2>&1 || rc=$?
		fi
		secs=$(($(date +%s) - start))
		bad=""
		for t in $TESTS_LIST; do
			# The harness's names: tests/integration/demo.sh.log, .trs
			trs=$BUILD/$t.trs
			log=$BUILD/$t.log
			result=$(sed -n 's/^:test-result: //p' "$trs" 2>/dev/null | head -n 1)
			case $result in
			PASS | XFAIL) continue ;;
			SKIP) SKIPPED[$t]=$((SKIPPED[$t] + 1)); continue ;;
			"") result="NO RESULT" ;;
			esac
			FAILED[$t]=$((FAILED[$t] + 1))
			total_failed=$((total_failed + 1))
			bad="$bad ${t##*/}($result)"
			keep=$FAILS/run$run/$t.log
			mkdir -p "$(dirname "$keep")"
			if [ -f "$log" ]; then cp "$log" "$keep"; else echo "no log (run rc $rc)" >"$keep"; fi
			[ -n "${FIRST[$t]}" ] || FIRST[$t]=$keep
		done
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			bad="$bad [run stopped after $LIMIT s]"
		elif [ "$rc" -ne 0 ] && [ -z "$bad" ]; then
			cp "$WORK/run.log" "$FAILS/run$run.make.log"
			bad=" [make exited $rc with every test passed: see $FAILS/run$run.make.log]"
			total_failed=$((total_failed + 1))
		fi
		# What the run left behind: scratch directories, and processes started
		# from them (a daemon or server a test did not stop).
		left=$(ls -A "$RUNTMP")
		procs=$(pgrep -f -- "$RUNTMP/" || true)
		if [ -n "$procs" ]; then
			bad="$bad [left running: $(ps -o comm= -p "$(echo $procs | tr ' ' ',')" | sort | uniq -c | xargs)]"
			# shellcheck disable=SC2086
			kill $procs 2>/dev/null
			LEFTOVERS=$((LEFTOVERS + 1))
		fi
		if [ -n "$left" ]; then
			bad="$bad [left in TMPDIR: $(echo $left)]"
			LEFTOVERS=$((LEFTOVERS + 1))
		fi
		[ -n "$procs" ] || [ -n "$left" ] || rm -rf "$RUNTMP"
		printf 'run %*d/%d  %4d s  %s\n' "${#N}" "$run" "$N" "$secs" "${bad:- all passed}"
	done

	# ---------------------------------------------------------------- the table
	{
		echo
		printf '%-40s %6s %7s  %s\n' TEST FAILED SKIPPED "FIRST FAILING LOG"
		for t in $TESTS_LIST; do
			printf '%-40s %3d/%-2d %7d  %s\n' "$t" "${FAILED[$t]}" "$N" "${SKIPPED[$t]}" "${FIRST[$t]:--}"
		done
		echo
		if [ "$total_failed" -eq 0 ]; then
			echo "flake.sh: no test failed in $N runs of $NTESTS tests"
		else
			echo "flake.sh: $total_failed failures in $N runs of $NTESTS tests; logs in $FAILS"
		fi
		[ "$LEFTOVERS" -eq 0 ] ||
			echo "flake.sh: $LEFTOVERS runs left files or processes behind (see the run lines; files kept in $WORK/tmp)"
	} | tee "$WORK/summary.txt"

	if [ "$KEEP" = 1 ]; then
		echo "flake.sh: build kept in $BUILD"
	else
		rm -rf "$BUILD" "$WORK/src"
		[ "$total_failed" -eq 0 ] && [ "$LEFTOVERS" -eq 0 ] && rm -rf "$WORK"
	fi
	[ "$total_failed" -eq 0 ]
}

main "$@"
exit $?
