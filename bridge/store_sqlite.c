/*
 * The SQLite store backend, the default: one database file (WAL) on local
 * disk, written by one daemon at a time and read (and marked for retries)
 * by the CLI beside it. Requests run on the loop: every one completes
 * before it returns, through the same callbacks as the PostgreSQL
 * backend's. In the daemon, commits run on a thread of their own (worker.c)
 * with a connection of their own, since a commit waits for the disk (an
 * fsync of the log; a checkpoint now and then) and a busy disk takes
 * hundreds of milliseconds; requests made meanwhile wait until it is done,
 * so that they see the database as the loop knows it, and they never wait
 * for the commit's lock. The CLI commits on its loop, as before.
 *
 * The schema's version is SQLite's user_version: 0 is the schema of the
 * outbox before versions existed, which migration 1 (CREATE ... IF NOT
 * EXISTS of the same tables) adopts as it is.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sqlite3.h>

#include "event.h"
#include "log.h"
#include "store_impl.h"
#include "worker.h"
#include "util.h"
#include "xmalloc.h"

static const char *const migrations[] = {
	/* 1: the outbox, rule state and subscriber state. */
	"CREATE TABLE IF NOT EXISTS events ("
	" id TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL,"
	" rule TEXT NOT NULL, instance TEXT, ts_ms INTEGER NOT NULL,"
	" body TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS events_ts ON events(ts_ms);"
	"CREATE TABLE IF NOT EXISTS deliveries ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" event_id TEXT NOT NULL REFERENCES events(id),"
	" subscriber TEXT NOT NULL, okey TEXT NOT NULL,"
	" state INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	" created REAL NOT NULL, next_at REAL NOT NULL, updated REAL NOT NULL,"
	" last_status INTEGER NOT NULL DEFAULT 0, last_error TEXT);"
	"CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries(state, subscriber, seq);"
	"CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event_id);"
	"CREATE TABLE IF NOT EXISTS rule_state (key TEXT PRIMARY KEY, json TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS subscriber_state (name TEXT PRIMARY KEY, disabled_fp TEXT);",
	/* 2: subscribers added through the API, each one JSON record with its secrets. */
	"CREATE TABLE api_subscribers (name TEXT PRIMARY KEY, record TEXT NOT NULL);",
	/* 3: silences added through the API, each one JSON record. */
	"CREATE TABLE silences (id TEXT PRIMARY KEY, record TEXT NOT NULL);",
	/* 4: devices found by bridge.discover, and each discovery's last sweep. */
	"CREATE TABLE discovered (key TEXT PRIMARY KEY, record TEXT NOT NULL);",
};
#define SCHEMA_LATEST ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum stmt_id {
	ST_ADD_EVENT, ST_ADD_DELIVERY, ST_DONE_DEL, ST_RETRY, ST_DEAD, ST_STATE_SAVE,
	ST_STATE_DEL, ST_SUB, ST_IMPORT_DELIVERY, ST_SWEEP, ST_DSUB_SAVE, ST_DSUB_DEL,
	ST_SILENCE_SAVE, ST_SILENCE_DEL, ST_DISC_SAVE, ST_DISC_DEL, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_ADD_EVENT] = "INSERT OR IGNORE INTO events(id, name, source, rule, instance, ts_ms,"
	    " body) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_ADD_DELIVERY] = "INSERT INTO deliveries(event_id, subscriber, okey, state,"
	    " created, next_at, updated) VALUES(?1, ?2, ?3, 0, ?4, ?4, ?4)",
	[ST_DONE_DEL] = "DELETE FROM deliveries WHERE seq = ?1",
	[ST_RETRY] = "UPDATE deliveries SET attempts = ?2, next_at = ?3, last_status = ?4,"
	    " last_error = ?5, updated = ?6 WHERE seq = ?1",
	[ST_DEAD] = "UPDATE deliveries SET state = 1, attempts = ?2, last_status = ?3,"
	    " last_error = ?4, updated = ?5 WHERE seq = ?1",
	[ST_STATE_SAVE] = "INSERT INTO rule_state(key, json) VALUES(?1, ?2)"
	    " ON CONFLICT(key) DO UPDATE SET json = excluded.json",
	[ST_STATE_DEL] = "DELETE FROM rule_state WHERE key = ?1",
	[ST_SUB] = "INSERT INTO subscriber_state(name, disabled_fp) VALUES(?1, ?2)"
	    " ON CONFLICT(name) DO UPDATE SET disabled_fp = excluded.disabled_fp",
	[ST_IMPORT_DELIVERY] = "INSERT OR IGNORE INTO deliveries(seq, event_id, subscriber, okey,"
	    " state, attempts, created, next_at, updated, last_status, last_error)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[ST_SWEEP] = "DELETE FROM events WHERE ts_ms < ?1 AND NOT EXISTS"
	    " (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)",
	[ST_DSUB_SAVE] = "INSERT INTO api_subscribers(name, record) VALUES(?1, ?2)"
	    " ON CONFLICT(name) DO UPDATE SET record = excluded.record",
	[ST_DSUB_DEL] = "DELETE FROM api_subscribers WHERE name = ?1",
	[ST_SILENCE_SAVE] = "INSERT INTO silences(id, record) VALUES(?1, ?2)"
	    " ON CONFLICT(id) DO UPDATE SET record = excluded.record",
	[ST_SILENCE_DEL] = "DELETE FROM silences WHERE id = ?1",
	[ST_DISC_SAVE] = "INSERT INTO discovered(key, record) VALUES(?1, ?2)"
	    " ON CONFLICT(key) DO UPDATE SET record = excluded.record",
	[ST_DISC_DEL] = "DELETE FROM discovered WHERE key = ?1",
};

#define ROW_COLUMNS "SELECT d.seq, d.event_id, d.subscriber, d.okey, d.state, d.attempts," \
	" d.created, d.next_at, d.last_status, d.last_error, e.name, e.body, e.source," \
	" e.rule, e.instance, e.ts_ms, d.updated FROM deliveries d JOIN events e ON e.id = d.event_id"

/*
 * Retry requests reach a running daemon through a wake file beside the
 * database: whoever marks dead letters for a retry (the CLI, the API)
 * changes its size, and the daemon watches it (ev_stat: inotify where the
 * file system allows) instead of probing the database every second.
 */
#define WAKE_SUFFIX	"-wake"
#define WAKE_MAX	64	/* bytes before the file starts again from empty */

/* A connection that commits, with its statements and what its last commit ran into. */
struct sqlite_conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	int rc;			/* the (extended) result code of the last failed commit step */
	char err[512];		/* what failed, and SQLite's message */
	int swept;		/* events the last commit's sweep removed */
};

struct sqlite_be {
	struct store *st;
	struct ev_loop *loop;
	struct sqlite_conn lc;	/* the loop's connection (the CLI commits with it) */
	struct sqlite_conn wc;	/* the worker's (the daemon); wc.db NULL otherwise */
	struct worker *worker;
	bool wbusy;		/* a batch is at the worker */
	bool draining;		/* its requests are running, after it came back */
	bool closing;
	struct store_batch *held;	/* the next commit, sent once they ran */
	struct store_req **deferred;	/* requests made while a batch was at the worker */
	size_t ndeferred, capdeferred;
	char *path;
	char *wake_path;
	ev_stat wake;		/* the daemon's watch on wake_path */
	int version;		/* the schema's, as opened */
	bool claimed_all;	/* the first claims handed every pending row over */
	long long max_pages;	/* bridge.store.max_size_mb in pages (0: no limit) */
	unsigned max_size_mb;	/* as configured, for the message */
	int64_t claim_after;	/* the seq the first claims reached */
};

static int
fail(struct sqlite_be *be, const char *what)
{
	store_set_error(be->st, "%s: %s", what, sqlite3_errmsg(be->lc.db));
	log_warnx("store: sqlite: %s", store_error(be->st));
	return -1;
}

static int
exec(struct sqlite_be *be, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(be->lc.db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_set_error(be->st, "%s: %s", what, msg != NULL ? msg : "unknown error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/*
 * Runs a prepared statement of a commit that returns no rows, then resets
 * it. A failure is not logged here: the front logs the first of a run of
 * failed commits (sqlite_commit says why), not every one.
 */
static int
step_done(struct sqlite_conn *c, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = c->stmt[id];
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		c->rc = sqlite3_extended_errcode(c->db);
		snprintf(c->err, sizeof(c->err), "%s: %s", what, sqlite3_errmsg(c->db));
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* The batch */

static int
put_add(struct sqlite_conn *c, struct store_add *a)
{
	sqlite3_stmt *s = c->stmt[ST_ADD_EVENT];
	struct event *ev = a->ev;
	char *okey;
	int rc = -1;

	bind_text(s, 1, ev->id);
	bind_text(s, 2, ev->name);
	bind_text(s, 3, ev->source);
	bind_text(s, 4, ev->rule);
	bind_text(s, 5, ev->instance);
	sqlite3_bind_int64(s, 6, ev->ts_ms);
	bind_text(s, 7, ev->body);
	if (step_done(c, ST_ADD_EVENT, "storing an event") != 0)
		return -1;
	okey = store_order_key(ev);
	for (size_t i = 0; i < a->nsubs; i++) {
		s = c->stmt[ST_ADD_DELIVERY];
		bind_text(s, 1, ev->id);
		bind_text(s, 2, a->subs[i]);
		bind_text(s, 3, okey);
		sqlite3_bind_double(s, 4, a->now);
		if (step_done(c, ST_ADD_DELIVERY, "storing a delivery") != 0)
			goto out;
		/* One instance: it holds everything it stores. */
		a->tickets[i].seq = sqlite3_last_insert_rowid(c->db);
		a->tickets[i].claimed = true;
	}
	rc = 0;
out:
	free(okey);
	return rc;
}

static int
put_mark(struct sqlite_conn *c, const struct store_mark *m)
{
	sqlite3_stmt *s;

	switch (m->kind) {
	case STORE_MARK_DONE:
		sqlite3_bind_int64(c->stmt[ST_DONE_DEL], 1, m->seq);
		return step_done(c, ST_DONE_DEL, "removing a delivery");
	case STORE_MARK_RETRY:
		s = c->stmt[ST_RETRY];
		sqlite3_bind_int64(s, 1, m->seq);
		sqlite3_bind_int(s, 2, (int)m->attempts);
		sqlite3_bind_double(s, 3, m->next_at);
		sqlite3_bind_int(s, 4, m->status);
		bind_text(s, 5, m->error);
		sqlite3_bind_double(s, 6, m->at);
		return step_done(c, ST_RETRY, "recording a retry");
	case STORE_MARK_DEAD:
		s = c->stmt[ST_DEAD];
		sqlite3_bind_int64(s, 1, m->seq);
		sqlite3_bind_int(s, 2, (int)m->attempts);
		sqlite3_bind_int(s, 3, m->status);
		bind_text(s, 4, m->error);
		sqlite3_bind_double(s, 5, m->at);
		return step_done(c, ST_DEAD, "recording a dead letter");
	}
	return -1;
}

static int
put_import(struct sqlite_conn *c, const struct store_import *im)
{
	sqlite3_stmt *s;

	if (im->event) {
		s = c->stmt[ST_ADD_EVENT];
		bind_text(s, 1, im->ev.id);
		bind_text(s, 2, im->ev.name);
		bind_text(s, 3, im->ev.source);
		bind_text(s, 4, im->ev.rule);
		bind_text(s, 5, im->ev.instance);
		sqlite3_bind_int64(s, 6, im->ev.ts_ms);
		bind_text(s, 7, im->ev.body);
		return step_done(c, ST_ADD_EVENT, "importing an event");
	}
	s = c->stmt[ST_IMPORT_DELIVERY];
	sqlite3_bind_int64(s, 1, im->row.seq);
	bind_text(s, 2, im->row.event_id);
	bind_text(s, 3, im->row.subscriber);
	bind_text(s, 4, im->row.okey);
	sqlite3_bind_int(s, 5, (int)im->row.state);
	sqlite3_bind_int(s, 6, (int)im->row.attempts);
	sqlite3_bind_double(s, 7, im->row.created);
	sqlite3_bind_double(s, 8, im->row.next_at);
	sqlite3_bind_double(s, 9, im->row.updated);
	sqlite3_bind_int(s, 10, im->row.last_status);
	bind_text(s, 11, im->row.last_error);
	return step_done(c, ST_IMPORT_DELIVERY, "importing a delivery");
}

static int
put_batch(struct sqlite_conn *c, struct store_batch *b)
{
	for (size_t i = 0; i < b->nadds; i++)
		if (put_add(c, &b->adds[i]) != 0)
			return -1;
	for (size_t i = 0; i < b->nmarks; i++)
		if (put_mark(c, &b->marks[i]) != 0)
			return -1;
	for (size_t i = 0; i < b->nstates; i++) {
		const struct store_pair *p = &b->states[i];
		enum stmt_id id = p->value != NULL ? ST_STATE_SAVE : ST_STATE_DEL;

		bind_text(c->stmt[id], 1, p->key);
		if (p->value != NULL)
			bind_text(c->stmt[id], 2, p->value);
		if (step_done(c, id, "saving rule state") != 0)
			return -1;
	}
	for (size_t i = 0; i < b->nsubs; i++) {
		bind_text(c->stmt[ST_SUB], 1, b->subs[i].key);
		bind_text(c->stmt[ST_SUB], 2, b->subs[i].value);
		if (step_done(c, ST_SUB, "updating a subscriber") != 0)
			return -1;
	}
	for (size_t i = 0; i < b->nimports; i++)
		if (put_import(c, &b->imports[i]) != 0)
			return -1;
	for (size_t i = 0; i < b->ndsubs; i++) {
		const struct store_pair *p = &b->dsubs[i];
		enum stmt_id id = p->value != NULL ? ST_DSUB_SAVE : ST_DSUB_DEL;

		bind_text(c->stmt[id], 1, p->key);
		if (p->value != NULL)
			bind_text(c->stmt[id], 2, p->value);
		if (step_done(c, id, "saving a dynamic subscriber") != 0)
			return -1;
	}
	for (size_t i = 0; i < b->nsilences; i++) {
		const struct store_pair *p = &b->silences[i];
		enum stmt_id id = p->value != NULL ? ST_SILENCE_SAVE : ST_SILENCE_DEL;

		bind_text(c->stmt[id], 1, p->key);
		if (p->value != NULL)
			bind_text(c->stmt[id], 2, p->value);
		if (step_done(c, id, "saving a silence") != 0)
			return -1;
	}
	for (size_t i = 0; i < b->ndiscs; i++) {
		const struct store_pair *p = &b->discs[i];
		enum stmt_id id = p->value != NULL ? ST_DISC_SAVE : ST_DISC_DEL;

		bind_text(c->stmt[id], 1, p->key);
		if (p->value != NULL)
			bind_text(c->stmt[id], 2, p->value);
		if (step_done(c, id, "saving a discovered device") != 0)
			return -1;
	}
	if (b->sweep_before_ms > 0) {
		sqlite3_bind_int64(c->stmt[ST_SWEEP], 1, b->sweep_before_ms);
		if (step_done(c, ST_SWEEP, "sweeping old events") != 0)
			return -1;
		c->swept = sqlite3_changes(c->db);
	}
	return 0;
}

/* What a failed commit ran into, by its result code. */
static enum store_error_kind
error_kind(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return STORE_ERR_FULL;
	case SQLITE_IOERR:
		return STORE_ERR_IO;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_ERR_BUSY;
	default:
		return STORE_ERR_OTHER;
	}
}

/*
 * Commits b on c in one transaction; 0, or -1 with c->rc and c->err saying
 * what failed, after rolling back what SQLite did not already roll back
 * itself (SQLITE_FULL may end the transaction), without letting the
 * rollback's own error hide the reason. Touches nothing but c and b: it
 * runs on the worker's thread in the daemon.
 */
static int
run_commit(struct sqlite_conn *c, struct store_batch *b)
{
	char *msg = NULL;
	const char *what = "cannot begin a transaction";

	c->rc = SQLITE_OK;
	c->err[0] = '\0';
	c->swept = 0;
	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto failed;
	if (put_batch(c, b) != 0)
		goto rollback;
	what = "commit failed";
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, &msg) == SQLITE_OK)
		return 0;
failed:
	c->rc = sqlite3_extended_errcode(c->db);
	snprintf(c->err, sizeof(c->err), "%s: %s", what, msg != NULL ? msg : sqlite3_errmsg(c->db));
	sqlite3_free(msg);
rollback:
	if (!sqlite3_get_autocommit(c->db))
		(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Reports the end of b's commit on c to the front: a failure with the
 * database's path and, for SQLITE_FULL, "disk full" or, when the database
 * reached bridge.store.max_size_mb, that.
 */
static void
commit_finish(struct sqlite_be *be, const struct sqlite_conn *c, struct store_batch *b,
    int status)
{
	char full[128] = "";
	enum store_error_kind kind;
	struct statvfs fs;
	bool at_limit;

	if (c->swept > 0)
		log_debug("store: sqlite: %d delivered events swept", c->swept);
	if (status == 0) {
		store_batch_done(be->st, b, 0);
		return;
	}
	kind = error_kind(c->rc);
	/*
	 * SQLITE_FULL is the limit or the disk (SQLite has usually rolled the
	 * whole transaction back already, so its size is gone): with a limit
	 * set, the disk when its file system has less than a MiB left.
	 */
	at_limit = kind == STORE_ERR_FULL && be->max_pages > 0 &&
	    (statvfs(be->path, &fs) != 0 || (unsigned long long)fs.f_bavail * fs.f_frsize >= 1048576);
	if (at_limit)
		snprintf(full, sizeof(full), "full: bridge.store.max_size_mb (%u MiB) reached: ",
		    be->max_size_mb);
	else if (kind == STORE_ERR_FULL)
		snprintf(full, sizeof(full), "disk full (no space left for the database): ");
	store_set_error(be->st, "%s: %s%s", be->path, full, c->err);
	log_debug("store: sqlite: commit failed: %s", store_error(be->st));
	store_set_error_kind(be->st, kind);
	store_batch_done(be->st, b, -1);
}

/* The worker's job: a batch, committed on the worker's connection. */
static int
commit_run(void *arg, void *job)
{
	struct sqlite_be *be = arg;

	return run_commit(&be->wc, job);
}

static void run_request(struct sqlite_be *be, struct store_req *rq);

/*
 * A batch is back from the worker: the front learns how it went (and may
 * commit the next one, held meanwhile), then the requests made while it
 * was away run, then the next batch goes.
 */
static void
commit_back(void *arg, void *job, int status)
{
	struct sqlite_be *be = arg;
	size_t i;

	be->wbusy = false;
	if (be->closing) {
		commit_finish(be, &be->wc, job, status);
		return;
	}
	be->draining = true;
	commit_finish(be, &be->wc, job, status);
	/* One that these make runs at once: nothing is at the worker. */
	for (i = 0; i < be->ndeferred; i++)
		run_request(be, be->deferred[i]);
	be->ndeferred = 0;
	be->draining = false;
	if (be->held != NULL) {
		struct store_batch *b = be->held;

		be->held = NULL;
		be->wbusy = true;
		worker_queue(be->worker, b);
	}
}

static void
sqlite_commit(void *arg, struct store_batch *b)
{
	struct sqlite_be *be = arg;

	if (be->worker == NULL) {
		commit_finish(be, &be->lc, b, run_commit(&be->lc, b));
		return;
	}
	if (be->wbusy || be->draining) {
		be->held = b;	/* the front has one batch in flight: this is it */
		return;
	}
	be->wbusy = true;
	worker_queue(be->worker, b);
}

/* Requests */

/* Prepares sql, binding ?1.. from the int64s at v (n of them). */
static sqlite3_stmt *
prepare(struct sqlite_be *be, const char *sql, const int64_t *v, int n)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(be->lc.db, sql, -1, &s, NULL) != SQLITE_OK) {
		fail(be, "preparing a query");
		return NULL;
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(s, i + 1, v[i]);
	return s;
}

/* Runs a statement without rows; returns the changes, or -1. */
static long long
run_change(struct sqlite_be *be, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(be, what);
	return sqlite3_changes(be->lc.db);
}

/* Passes every row of s (ROW_COLUMNS) to fn; returns the count, or -1. */
static long long
rows(struct sqlite_be *be, sqlite3_stmt *s, store_row_fn fn, void *arg)
{
	long long n = 0;
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_row r = {
			.seq = sqlite3_column_int64(s, 0),
			.event_id = col_text(s, 1),
			.subscriber = col_text(s, 2),
			.okey = col_text(s, 3),
			.state = (enum store_dstate)sqlite3_column_int(s, 4),
			.attempts = (unsigned)sqlite3_column_int(s, 5),
			.created = sqlite3_column_double(s, 6),
			.next_at = sqlite3_column_double(s, 7),
			.last_status = sqlite3_column_int(s, 8),
			.last_error = col_text(s, 9),
			.event_name = col_text(s, 10),
			.body = col_text(s, 11),
			.source = col_text(s, 12),
			.rule = col_text(s, 13),
			.instance = col_text(s, 14),
			.ts_ms = sqlite3_column_int64(s, 15),
			.updated = sqlite3_column_double(s, 16),
		};

		if (fn != NULL)
			fn(arg, &r);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(be, "reading deliveries");
	return n;
}

/* Passes claimed rows on, noting the last seq; retries as they are after the update. */
struct claim_ctx {
	struct store_req *rq;
	int64_t last;
};

static void
claim_row(void *arg, const struct store_row *r)
{
	struct claim_ctx *c = arg;
	struct store_row copy = *r;

	c->last = r->seq;
	if (r->state == STORE_RETRY) {
		copy.attempts = 0;
		copy.created = copy.next_at = copy.updated = c->rq->when;
	}
	if (c->rq->row != NULL)
		c->rq->row(c->rq->arg, &copy);
	else
		c->rq->count(c->rq->arg, r->subscriber, 1);
}

/* The first claims, quiet: how many pending rows of each subscriber, at once. */
static long long
claim_pending_quiet(struct sqlite_be *be, struct store_req *rq)
{
	sqlite3_stmt *s = prepare(be, "SELECT subscriber, count(*), max(seq) FROM deliveries"
	    " WHERE state = 0 AND seq > ?1 GROUP BY subscriber", &be->claim_after, 1);
	long long n = 0;
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long k = sqlite3_column_int64(s, 1);
		int64_t last = sqlite3_column_int64(s, 2);

		rq->count(rq->arg, col_text(s, 0), k);
		n += k;
		if (last > be->claim_after)
			be->claim_after = last;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(be, "counting pending deliveries");
	be->claimed_all = true;
	return n;
}

/* The first claims: every pending row, in pages of limit. */
static long long
claim_pending(struct sqlite_be *be, struct store_req *rq)
{
	int64_t v[2] = { be->claim_after, rq->limit > 0 ? rq->limit : -1 };
	struct claim_ctx c = { rq, be->claim_after };
	long long n;

	n = rows(be, prepare(be, ROW_COLUMNS " WHERE d.state = 0 AND d.seq > ?1"
	    " ORDER BY d.seq LIMIT ?2", v, 2), claim_row, &c);
	if (n < 0)
		return -1;
	be->claim_after = c.last;
	if (rq->limit <= 0 || n < rq->limit)
		be->claimed_all = true;
	return n;
}

/* Requested retries become pending and due at now, handed over as STORE_RETRY rows. */
static long long
claim_retries(struct sqlite_be *be, struct store_req *rq)
{
	struct claim_ctx c = { rq, 0 };
	int64_t limit = rq->limit > 0 ? rq->limit : -1;
	sqlite3_stmt *s;
	long long n;
	int rc;

	/* A cheap probe first: this runs at every wake-up and sweep. */
	s = prepare(be, "SELECT 1 FROM deliveries WHERE state = 2 LIMIT 1", NULL, 0);
	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return fail(be, "probing for retries");
	/* One transaction: no CLI can add a request between the read and the update. */
	if (exec(be, "BEGIN IMMEDIATE", "cannot begin a transaction") != 0)
		return fail(be, "taking retries");
	n = rows(be, prepare(be, ROW_COLUMNS " WHERE d.state = 2 ORDER BY d.seq LIMIT ?1",
	    &limit, 1), claim_row, &c);
	if (n > 0) {
		s = prepare(be, "UPDATE deliveries SET state = 0, attempts = 0, next_at = ?1,"
		    " created = ?1, updated = ?1 WHERE state = 2 AND seq <= ?2", NULL, 0);
		if (s != NULL) {
			sqlite3_bind_double(s, 1, rq->when);
			sqlite3_bind_int64(s, 2, c.last);
		}
		if (run_change(be, s, "taking retries") < 0)
			n = -1;
	}
	if (n < 0 || exec(be, "COMMIT", "commit failed") != 0) {
		exec(be, "ROLLBACK", "rollback");
		return -1;
	}
	return n;
}

static long long
load_pairs(struct sqlite_be *be, const char *sql, struct store_req *rq)
{
	sqlite3_stmt *s = prepare(be, sql, NULL, 0);
	long long n = 0;
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rq->pair(rq->arg, col_text(s, 0), col_text(s, 1));
		n++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? n : fail(be, "loading state");
}

static long long
events_after(struct sqlite_be *be, struct store_req *rq)
{
	sqlite3_stmt *s;
	long long n = 0;
	int rc;

	/* The primary key's index walks the ids in order: no sort, LIMIT bounds the work. */
	s = prepare(be, "SELECT id, name, source, rule, instance, ts_ms, body FROM events"
	    " WHERE id > ?1 ORDER BY id LIMIT ?2", NULL, 0);
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, rq->after != NULL ? rq->after : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, rq->limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_event ev = {
			.id = col_text(s, 0), .name = col_text(s, 1), .source = col_text(s, 2),
			.rule = col_text(s, 3), .instance = col_text(s, 4),
			.ts_ms = sqlite3_column_int64(s, 5), .body = col_text(s, 6),
		};

		n++;
		if (!rq->event(rq->arg, &ev)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? n : fail(be, "reading events");
}

static long long
count_by_subscriber(struct sqlite_be *be, struct store_req *rq)
{
	int64_t v[2] = { rq->state, rq->limit };
	sqlite3_stmt *s = prepare(be, "SELECT subscriber, count(*) FROM deliveries"
	    " WHERE state = ?1 GROUP BY subscriber ORDER BY subscriber LIMIT ?2", v, 2);
	long long n = 0;
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rq->count(rq->arg, col_text(s, 0), sqlite3_column_int64(s, 1));
		n++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? n : fail(be, "counting deliveries");
}

static long long
one_int(struct sqlite_be *be, const char *sql)
{
	sqlite3_stmt *s = prepare(be, sql, NULL, 0);
	long long n = -1;

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		fail(be, "reading a count");
	sqlite3_finalize(s);
	return n;
}

static long long
purge(struct sqlite_be *be, double before)
{
	sqlite3_stmt *s = prepare(be, "DELETE FROM deliveries WHERE state = 1 AND updated < ?1",
	    NULL, 0);

	if (s != NULL)
		sqlite3_bind_double(s, 1, before);
	return run_change(be, s, "purging dead letters");
}

/* Tells a daemon watching the wake file that there are retries to claim. */
static void
wake_poke(struct sqlite_be *be)
{
	struct stat sb;
	int fd = open(be->wake_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	/* Its size is what changes (a watch sees times only to the second). */
	if (fd < 0 || fstat(fd, &sb) != 0 ||
	    (sb.st_size >= WAKE_MAX ? ftruncate(fd, 0) : (int)write(fd, "w", 1)) < 0)
		log_warn("store: sqlite: %s: a running daemon takes the retries at its next "
		    "sweep (within a minute)", be->wake_path);
	if (fd >= 0)
		close(fd);
}

static void
wake_changed(struct ev_loop *loop, ev_stat *w, int revents)
{
	struct sqlite_be *be = container_of(w, struct sqlite_be, wake);

	(void)loop;
	(void)revents;
	store_backend_wake(be->st);
}

/* The daemon watches the wake file (created when missing, so that inotify can). */
static void
wake_watch(struct sqlite_be *be)
{
	int fd = open(be->wake_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);

	if (fd >= 0)
		close(fd);
	ev_stat_init(&be->wake, wake_changed, be->wake_path, 0.);
	ev_stat_start(be->loop, &be->wake);
}

/* Deletes every delivery of rq's subscriber; returns how many were pending. */
static long long
drop_deliveries(struct sqlite_be *be, struct store_req *rq)
{
	sqlite3_stmt *s;
	long long n = -1;

	if (exec(be, "BEGIN IMMEDIATE", "cannot begin a transaction") != 0)
		return fail(be, "dropping deliveries");
	s = prepare(be, "SELECT count(*) FROM deliveries WHERE subscriber = ?1 AND state <> 1",
	    NULL, 0);
	if (s != NULL) {
		sqlite3_bind_text(s, 1, rq->after, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	s = n >= 0 ? prepare(be, "DELETE FROM deliveries WHERE subscriber = ?1", NULL, 0) : NULL;
	if (s != NULL)
		sqlite3_bind_text(s, 1, rq->after, -1, SQLITE_STATIC);
	if (n < 0 || run_change(be, s, "dropping deliveries") < 0 ||
	    exec(be, "COMMIT", "commit failed") != 0) {
		exec(be, "ROLLBACK", "rollback");
		return fail(be, "dropping deliveries");
	}
	return n;
}

static long long
recover(struct sqlite_be *be, struct store_req *rq)
{
	sqlite3_stmt *s = prepare(be, "UPDATE deliveries SET state = 2 WHERE state = 1"
	    " AND subscriber = ?1 AND updated >= ?2", NULL, 0);

	if (s != NULL) {
		sqlite3_bind_text(s, 1, rq->after, -1, SQLITE_STATIC);
		sqlite3_bind_double(s, 2, rq->when);
	}
	return run_change(be, s, "recovering dead letters");
}

static void
run_request(struct sqlite_be *be, struct store_req *rq)
{
	int64_t v[2] = { rq->state, rq->seq };
	long long n = -1;

	switch (rq->kind) {
	case STORE_REQ_CLAIM:
		if (be->claimed_all)
			n = claim_retries(be, rq);
		else if ((n = rq->row != NULL ? claim_pending(be, rq) :
		    claim_pending_quiet(be, rq)) >= 0 && be->claimed_all) {
			/* The last page of the backlog: retries asked for meanwhile too. */
			long long r = claim_retries(be, rq);

			n = r < 0 ? -1 : n + r;
		}
		break;
	case STORE_REQ_STATES:
		n = load_pairs(be, "SELECT key, json FROM rule_state", rq);
		break;
	case STORE_REQ_SUBS:
		n = load_pairs(be, "SELECT name, disabled_fp FROM subscriber_state"
		    " WHERE disabled_fp IS NOT NULL", rq);
		break;
	case STORE_REQ_EVENTS:
		n = events_after(be, rq);
		break;
	case STORE_REQ_DELIVERIES: {
		int64_t w[3] = { rq->state, rq->seq, rq->limit };

		n = rows(be, prepare(be, ROW_COLUMNS " WHERE d.state = ?1 AND d.seq > ?2"
		    " ORDER BY d.seq LIMIT ?3", w, 3), rq->row, rq->arg);
		break;
	}
	case STORE_REQ_PENDING: {
		int64_t w[3] = { 0, rq->seq, rq->limit };
		sqlite3_stmt *s = prepare(be, ROW_COLUMNS " WHERE d.state = 0 AND d.subscriber = ?1"
		    " AND d.seq > ?2 ORDER BY d.seq LIMIT ?3", w, 3);

		if (s != NULL)
			sqlite3_bind_text(s, 1, rq->after, -1, SQLITE_STATIC);
		n = rows(be, s, rq->row, rq->arg);
		break;
	}
	case STORE_REQ_COUNT:
		n = count_by_subscriber(be, rq);
		break;
	case STORE_REQ_DEPTH:
		n = one_int(be, "SELECT count(*) FROM deliveries WHERE state = 0");
		break;
	case STORE_REQ_RETRY:
		n = run_change(be, prepare(be, rq->seq > 0 ?
		    "UPDATE deliveries SET state = 2 WHERE state = 1 AND seq = ?2" :
		    "UPDATE deliveries SET state = 2 WHERE state = 1 AND ?2 = 0", v, 2),
		    "requesting a retry");
		if (n > 0)
			wake_poke(be);
		break;
	case STORE_REQ_PURGE:
		n = purge(be, rq->when);
		break;
	case STORE_REQ_SCHEMA:
		n = one_int(be, "PRAGMA user_version");
		break;
	case STORE_REQ_CLUSTER_SYNC:
	case STORE_REQ_CLUSTER_TAKE:
	case STORE_REQ_CLUSTER_RELEASE:
		store_set_error(be->st, "a cluster needs the postgres store");
		break;
	case STORE_REQ_DSUBS:
		n = load_pairs(be, "SELECT name, record FROM api_subscribers ORDER BY name", rq);
		break;
	case STORE_REQ_SILENCES:
		n = load_pairs(be, "SELECT id, record FROM silences ORDER BY id", rq);
		break;
	case STORE_REQ_DISCS:
		n = load_pairs(be, "SELECT key, record FROM discovered ORDER BY key", rq);
		break;
	case STORE_REQ_DROP:
		n = drop_deliveries(be, rq);
		break;
	case STORE_REQ_RECOVER:
		n = recover(be, rq);
		/* Pending again: claimed at the wake-up, as a retry request is. */
		if (n > 0)
			wake_poke(be);
		break;
	}
	store_req_done(rq, n);
}

/* Runs rq now, or once the batch at the worker is back. */
static void
sqlite_request(void *arg, struct store_req *rq)
{
	struct sqlite_be *be = arg;

	if (!be->wbusy) {
		run_request(be, rq);
		return;
	}
	if (be->ndeferred == be->capdeferred) {
		be->capdeferred = be->capdeferred ? be->capdeferred * 2 : 8;
		be->deferred = xreallocarray(be->deferred, be->capdeferred, sizeof(*be->deferred));
	}
	be->deferred[be->ndeferred++] = rq;
}

/* Opening */

static int
migrate(struct sqlite_be *be, char *err, size_t errlen)
{
	long long v = one_int(be, "PRAGMA user_version");
	char sql[64];

	if (v < 0) {
		snprintf(err, errlen, "%s: %s", be->path, store_error(be->st));
		return -1;
	}
	if (v > SCHEMA_LATEST) {
		snprintf(err, errlen, "%s: schema version %lld is newer than this pollhook "
		    "knows (%d): run a newer pollhook", be->path, v, SCHEMA_LATEST);
		return -1;
	}
	if (v == 0 && one_int(be, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'table' AND name = 'deliveries'") > 0)
		log_info("store: sqlite: %s: the outbox of an earlier pollhook, adopted as "
		    "schema version 1", be->path);
	for (int i = (int)v; i < SCHEMA_LATEST; i++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", i + 1);
		if (exec(be, "BEGIN IMMEDIATE", "migrating") != 0 ||
		    exec(be, migrations[i], "migrating") != 0 || exec(be, sql, "migrating") != 0 ||
		    exec(be, "COMMIT", "migrating") != 0) {
			snprintf(err, errlen, "%s: migration to schema version %d: %s", be->path,
			    i + 1, store_error(be->st));
			exec(be, "ROLLBACK", "rollback");
			return -1;
		}
		if (i > 0)
			log_info("store: sqlite: %s migrated to schema version %d", be->path, i + 1);
	}
	be->version = SCHEMA_LATEST;
	return 0;
}

/* Creates the directory of path when missing (the state directory, usually). */
static int
make_parent(const char *path, char *err, size_t errlen)
{
	char *copy = xstrdup(path), *dir = dirname(copy);
	int rc = 0;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create %s: %s", path, dir, strerror(errno));
		rc = -1;
	}
	free(copy);
	return rc;
}

/*
 * bridge.store.max_size_mb: SQLite's max_page_count, for this connection (it
 * is not kept in the file). A database already past it stays as large as it
 * is and grows no more.
 */
static int
size_limit(struct sqlite_be *be, unsigned mb, char *err, size_t errlen)
{
	long long page = one_int(be, "PRAGMA page_size");
	char sql[64];

	if (page <= 0) {
		snprintf(err, errlen, "%s: %s", be->path, store_error(be->st));
		return -1;
	}
	be->max_size_mb = mb;
	be->max_pages = (long long)mb * 1048576 / page;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", be->max_pages);
	if (exec(be, sql, "setting max_page_count") != 0) {
		snprintf(err, errlen, "%s: %s", be->path, store_error(be->st));
		return -1;
	}
	return 0;
}

/* Prepares every statement of a commit on c; 0, or -1 with a message in err. */
static int
conn_prepare(struct sqlite_conn *c, const char *path, char *err, size_t errlen)
{
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &c->stmt[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(c->db));
			return -1;
		}
	}
	return 0;
}

static void
conn_close(struct sqlite_conn *c)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	if (c->db != NULL)
		sqlite3_close(c->db);
}

/*
 * The daemon's commits: a connection of the worker's own, set as the
 * loop's (the same durability, cache and size limit), and the thread. The
 * loop's connection then never checkpoints: its own writes (retries asked
 * for, purges) are rare, and the worker's commits checkpoint the log past
 * SQLite's 1,000 pages, on the worker.
 */
static int
open_worker(struct sqlite_be *be, const struct store_config *conf, char *err, size_t errlen)
{
	struct sqlite_conn *c = &be->wc;
	char sql[64];
	const char *pragmas[] = {
		"PRAGMA cache_size=-512",
		conf->durability == STORE_DURABLE_PROCESS ? "PRAGMA synchronous=NORMAL" :
		    "PRAGMA synchronous=FULL",
		"PRAGMA foreign_keys=OFF",
		sql,
	};
	size_t n = sizeof(pragmas) / sizeof(pragmas[0]);

	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", be->max_pages);
	if (be->max_pages <= 0)
		n--;
	if (sqlite3_open_v2(be->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s for its commits: %s", be->path,
		    c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(c->db, 5000);
	for (size_t i = 0; i < n; i++) {
		if (sqlite3_exec(c->db, pragmas[i], NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s: %s", be->path, pragmas[i],
			    sqlite3_errmsg(c->db));
			return -1;
		}
	}
	if (conn_prepare(c, be->path, err, errlen) != 0)
		return -1;
	sqlite3_wal_autocheckpoint(be->lc.db, 0);
	be->worker = worker_start(be->loop, "the store's commits", commit_run, commit_back, be,
	    err, errlen);
	return be->worker != NULL ? 0 : -1;
}

static void sqlite_close(void *arg);

static void *
sqlite_open(struct store *st, struct ev_loop *loop, const struct store_config *conf, int flags,
    char *err, size_t errlen)
{
	struct sqlite_be *be = xcalloc(1, sizeof(*be));
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	be->st = st;
	be->loop = loop;
	be->path = xstrdup(conf->path);
	be->wake_path = xasprintf("%s" WAKE_SUFFIX, conf->path);
	if (!(flags & STORE_NO_MIGRATE)) {
		oflags |= SQLITE_OPEN_CREATE;
		if (make_parent(be->path, err, errlen) != 0)
			goto fail;
	}
	if (sqlite3_open_v2(be->path, &be->lc.db, oflags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", be->path,
		    be->lc.db != NULL ? sqlite3_errmsg(be->lc.db) : "out of memory");
		goto fail;
	}
	/*
	 * WAL lets the CLI read and mark deliveries while the daemon runs;
	 * synchronous=FULL makes every commit durable (one fsync of the WAL
	 * per batch); NORMAL (durability "process") leaves the commit in the
	 * OS's page cache, fsynced at checkpoints: it survives a crash of the
	 * daemon, not of the machine. The page cache is kept at 512 KiB (the
	 * default is 2 MiB): what is read back is the newest rows, and the rule
	 * states of tens of thousands of sources, written once each, would
	 * otherwise fill it for nothing (the OS caches the file anyway).
	 */
	sqlite3_busy_timeout(be->lc.db, 5000);
	if (exec(be, "PRAGMA journal_mode=WAL", "setting WAL") != 0 ||
	    exec(be, "PRAGMA cache_size=-512", "setting cache_size") != 0 ||
	    exec(be, conf->durability == STORE_DURABLE_PROCESS ? "PRAGMA synchronous=NORMAL" :
	    "PRAGMA synchronous=FULL", "setting synchronous") != 0 ||
	    exec(be, "PRAGMA foreign_keys=OFF", "setting foreign_keys") != 0) {
		snprintf(err, errlen, "%s: %s", be->path, store_error(st));
		goto fail;
	}
	if (conf->max_size_mb > 0 && size_limit(be, conf->max_size_mb, err, errlen) != 0)
		goto fail;
	if (flags & STORE_NO_MIGRATE) {
		store_backend_up(st, true, NULL);
		return be;
	}
	/* The database holds dynamic subscribers' secrets: pollhook's own user only. */
	if (chmod(be->path, 0600) != 0)
		log_warn("store: sqlite: cannot make %s private", be->path);
	if (migrate(be, err, errlen) != 0)
		goto fail;
	if (conn_prepare(&be->lc, be->path, err, errlen) != 0 ||
	    ((flags & STORE_CLAIMS) && open_worker(be, conf, err, errlen) != 0))
		goto fail;
	store_backend_up(st, true, NULL);
	store_backend_holding(st, true);
	if (flags & STORE_CLAIMS)
		wake_watch(be);
	return be;
fail:
	sqlite_close(be);
	return NULL;
}

static bool
sqlite_busy(void *arg)
{
	struct sqlite_be *be = arg;

	return be->wbusy || be->held != NULL || be->ndeferred > 0;
}

static void
sqlite_release(void *arg)
{
	(void)arg;
}

static void
sqlite_close(void *arg)
{
	struct sqlite_be *be = arg;

	if (ev_is_active(&be->wake))
		ev_stat_stop(be->loop, &be->wake);
	/* What is at the worker finishes and is reported; what waits for it fails. */
	be->closing = true;
	worker_stop(be->worker);
	for (size_t i = 0; i < be->ndeferred; i++)
		store_req_done(be->deferred[i], -1);
	free(be->deferred);
	if (be->held != NULL)
		store_batch_done(be->st, be->held, -1);
	conn_close(&be->wc);
	conn_close(&be->lc);
	free(be->wake_path);
	free(be->path);
	free(be);
}

static int
sqlite_schema_latest(void)
{
	return SCHEMA_LATEST;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.claim_interval = 0,
	.open = sqlite_open,
	.commit = sqlite_commit,
	.request = sqlite_request,
	.busy = sqlite_busy,
	.release = sqlite_release,
	.close = sqlite_close,
	.schema_latest = sqlite_schema_latest,
};
