# Sourced by the benchmarks (tests/bench/*.sh): their scratch directory, the
# cleanup at exit, free ports.
#
#   bench_tmp NAME   makes $TMP (pollhook-NAME.XXXXXX under $TMPDIR) and sets
#                    PIDS and CLEANUP_HOOKS; at exit every pid of PIDS is
#                    stopped and waited for, an nginx whose pid is in
#                    $TMP/nginx.pid too, each function named in CLEANUP_HOOKS
#                    runs (tests/lib/pg.sh's server), and $TMP goes
#   free_port        prints a free TCP port on 127.0.0.1

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
	sleep 0.2
	rm -rf "$TMP"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
