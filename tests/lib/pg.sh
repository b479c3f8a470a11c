# Sourced by tests that need a PostgreSQL server of their own: a PostgreSQL
# 15 cluster made with initdb in a temporary directory, run by an
# unprivileged user (tests run as root: the user postgres of the Debian
# package, through runuser), listening on a free loopback port and on a
# unix socket inside that directory, stopped and removed on exit. Every wait
# is bounded. The Debian package's own cluster is never used.
#
#   need_pg        exits 77 unless the server's programs are installed and
#                  $POLLHOOK has the postgres store (call before pg_start)
#   pg_start       starts the server; PG_CONNINFO is a connection string to
#                  the database "pollhook" (over the socket), PG_PORT its port;
#                  adds pg_stop to CLEANUP_HOOKS, which http_common.sh's
#                  cleanup runs on exit (others: trap pg_stop EXIT)
#   pg_stop        stops it and removes its directory
#   pg_down        stops the server (fast shutdown: connections are closed)
#   pg_up          starts it again
#   pg_restart [SECONDS]   pg_down, waits SECONDS (default 0), pg_up
#   pg_sql SQL     runs SQL in the database pollhook (psql, output unaligned)
#
# PG_SETTINGS (before pg_start): extra "-c name=value" server options.

PG_BINDIR=
for _d in "$(pg_config --bindir 2>/dev/null)" /usr/lib/postgresql/*/bin; do
	if [ -n "$_d" ] && [ -x "$_d/initdb" ] && [ -x "$_d/pg_ctl" ] && [ -x "$_d/postgres" ]; then
		PG_BINDIR=$_d
		break
	fi
done
PG_DIR=
PG_PORT=
PG_CONNINFO=

need_pg() {
	if [ -z "$PG_BINDIR" ] || ! command -v psql >/dev/null 2>&1; then
		echo "SKIP: PostgreSQL is not installed (apt-get install postgresql libpq-dev)"
		exit 77
	fi
	if [ -n "${POLLHOOK:-}" ] && "$POLLHOOK" --version | grep -q '^stores left out:.* postgres'; then
		echo "SKIP: this pollhook was built without the postgres store"
		exit 77
	fi
}

# pg_as CMD...: runs CMD as the server's user (the postgres user when root),
# from / (the test's directory may be closed to that user).
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

. "$top_srcdir/tests/lib/ports.sh"

_pg_ctl_start() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
	    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 ${PG_SETTINGS:-}" \
	    start >>"$PG_DIR/ctl.log" 2>&1
}

pg_start() {
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pollhook-pg.XXXXXX") || return 1
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
	PG_PORT=$(free_port)
	if ! pg_as "$PG_BINDIR/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 \
	    --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1; then
		echo "pg_start: initdb failed: $(tail -n 5 "$PG_DIR/initdb.log")" >&2
		return 1
	fi
	CLEANUP_HOOKS="${CLEANUP_HOOKS:-} pg_stop"
	if ! _pg_ctl_start; then
		echo "pg_start: the server did not start: $(tail -n 5 "$PG_DIR/server.log")" >&2
		return 1
	fi
	PG_CONNINFO="host=$PG_DIR port=$PG_PORT user=postgres dbname=pollhook"
	pg_as "$PG_BINDIR/psql" -X -q -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres \
	    -c 'CREATE DATABASE pollhook' >>"$PG_DIR/ctl.log" 2>&1 || {
		echo "pg_start: cannot create the database: $(tail -n 3 "$PG_DIR/ctl.log")" >&2
		return 1
	}
	export PG_CONNINFO PG_PORT PG_DIR
}

pg_stop() {
	[ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ] || return 0
	pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 20 stop >>"$PG_DIR/ctl.log" 2>&1 ||
		pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 10 stop \
		    >>"$PG_DIR/ctl.log" 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=
}

pg_down() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 20 stop >>"$PG_DIR/ctl.log" 2>&1
}

pg_up() {
	_pg_ctl_start
}

pg_restart() {
	pg_down
	sleep "${1:-0}"
	pg_up
}

pg_sql() {
	"$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$PG_CONNINFO" -c "$1"
}
