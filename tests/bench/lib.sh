# Sourced by the benchmarks (tests/bench/*.sh): their scratch directory, the
# cleanup at exit, free ports.
#
#   bench_tmp NAME   makes $TMP (pollhook-NAME.XXXXXX under $TMPDIR) and sets
#                    PIDS and CLEANUP_HOOKS; at exit every pid of PIDS is
#                    stopped and waited for, an nginx whose pid is in
#                    $TMP/nginx.pid too, each function named in CLEANUP_HOOKS
#                    runs (tests/lib/pg.sh's server), and $TMP goes
#   free_port        prints a free loopback port (tests/lib/ports.sh)

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/ports.sh"

bench_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-$1.XXXXXX") || exit 1
	PIDS=""
	CLEANUP_HOOKS=${CLEANUP_HOOKS:-}
	trap bench_cleanup EXIT
}

bench_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	for h in $CLEANUP_HOOKS; do "$h"; done
	free_port_release
	sleep 0.2
	rm -rf "$TMP"
}

