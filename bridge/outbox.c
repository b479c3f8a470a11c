#include "outbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "event.h"
#include "log.h"
#include "xmalloc.h"

#define OKEY_SEP "\x1f"	/* separates the parts of an ordering key */

static const char schema[] =
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
    "CREATE TABLE IF NOT EXISTS subscriber_state (name TEXT PRIMARY KEY, disabled_fp TEXT);";

enum stmt_id {
	ST_ADD_EVENT, ST_ADD_DELIVERY, ST_DONE_DEL, ST_RETRY, ST_DEAD, ST_STATE_SAVE,
	ST_STATE_DEL, ST_COUNT
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
};

struct outbox {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	bool in_tx;
	uint64_t commits;
	char err[512];
};

static double
now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
fail(struct outbox *ob, const char *what)
{
	snprintf(ob->err, sizeof(ob->err), "%s: %s", what, sqlite3_errmsg(ob->db));
	log_warnx("outbox: %s", ob->err);
	return -1;
}

static int
exec(struct outbox *ob, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(ob->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(ob->err, sizeof(ob->err), "%s", msg != NULL ? msg : "unknown error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Opens the batch transaction on the first write after a commit. */
static int
begin(struct outbox *ob)
{
	if (ob->in_tx)
		return 0;
	if (exec(ob, "BEGIN IMMEDIATE") != 0) {
		log_warnx("outbox: cannot begin a transaction: %s", ob->err);
		return -1;
	}
	ob->in_tx = true;
	return 0;
}

/* Runs a prepared statement that returns no rows, then resets it. */
static int
step_done(struct outbox *ob, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = ob->st[id];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return fail(ob, what);
	return 0;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

struct outbox *
outbox_open(const char *dir, char *err, size_t errlen)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));
	char *path = NULL;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		goto fail;
	}
	path = xasprintf("%s/pollhook.db", dir);
	if (sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    ob->db != NULL ? sqlite3_errmsg(ob->db) : "out of memory");
		goto fail;
	}
	/*
	 * WAL lets the CLI read and mark deliveries while the daemon runs;
	 * synchronous=FULL makes every commit durable (one fsync per batch).
	 */
	sqlite3_busy_timeout(ob->db, 5000);
	if (exec(ob, "PRAGMA journal_mode=WAL") != 0 ||
	    exec(ob, "PRAGMA synchronous=FULL") != 0 ||
	    exec(ob, "PRAGMA foreign_keys=OFF") != 0 ||
	    exec(ob, schema) != 0) {
		snprintf(err, errlen, "%s: %s", path, ob->err);
		goto fail;
	}
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(ob->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &ob->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(ob->db));
			goto fail;
		}
	}
	free(path);
	return ob;
fail:
	free(path);
	if (ob->db != NULL) {
		for (int i = 0; i < ST_COUNT; i++)
			sqlite3_finalize(ob->st[i]);
		sqlite3_close(ob->db);
	}
	free(ob);
	return NULL;
}

void
outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	outbox_commit(ob);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(ob->st[i]);
	sqlite3_close(ob->db);
	free(ob);
}

char *
outbox_order_key(const struct event *ev)
{
	return xasprintf("%s" OKEY_SEP "%s" OKEY_SEP "%s", ev->source, ev->rule,
	    ev->instance != NULL ? ev->instance : "");
}

int
outbox_add(struct outbox *ob, const struct event *ev, const char *const *subs, size_t nsubs,
    double now, int64_t *seqs)
{
	sqlite3_stmt *s;
	char *okey;
	int rc = -1;

	if (begin(ob) != 0)
		return -1;
	s = ob->st[ST_ADD_EVENT];
	bind_text(s, 1, ev->id);
	bind_text(s, 2, ev->name);
	bind_text(s, 3, ev->source);
	bind_text(s, 4, ev->rule);
	bind_text(s, 5, ev->instance);
	sqlite3_bind_int64(s, 6, ev->ts_ms);
	bind_text(s, 7, ev->body);
	if (step_done(ob, ST_ADD_EVENT, "storing an event") != 0)
		return -1;
	okey = outbox_order_key(ev);
	for (size_t i = 0; i < nsubs; i++) {
		s = ob->st[ST_ADD_DELIVERY];
		bind_text(s, 1, ev->id);
		bind_text(s, 2, subs[i]);
		bind_text(s, 3, okey);
		sqlite3_bind_double(s, 4, now);
		if (step_done(ob, ST_ADD_DELIVERY, "storing a delivery") != 0)
			goto out;
		seqs[i] = sqlite3_last_insert_rowid(ob->db);
	}
	rc = 0;
out:
	free(okey);
	return rc;
}

int
outbox_mark_done(struct outbox *ob, int64_t seq)
{
	/* The event stays for outbox_sweep: it is also the recent-events history. */
	if (begin(ob) != 0)
		return -1;
	sqlite3_bind_int64(ob->st[ST_DONE_DEL], 1, seq);
	return step_done(ob, ST_DONE_DEL, "removing a delivery");
}

int
outbox_sweep(struct outbox *ob, int64_t before_ms)
{
	sqlite3_stmt *s;
	int rc;

	if (begin(ob) != 0)
		return -1;
	if (sqlite3_prepare_v2(ob->db, "DELETE FROM events WHERE ts_ms < ?1 AND NOT EXISTS"
	    " (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)", -1, &s, NULL) !=
	    SQLITE_OK)
		return fail(ob, "preparing the event sweep");
	sqlite3_bind_int64(s, 1, before_ms);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(ob, "sweeping old events");
	return sqlite3_changes(ob->db);
}

int
outbox_mark_retry(struct outbox *ob, int64_t seq, unsigned attempts, double next_at, int status,
    const char *error)
{
	sqlite3_stmt *s = ob->st[ST_RETRY];

	if (begin(ob) != 0)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int(s, 2, (int)attempts);
	sqlite3_bind_double(s, 3, next_at);
	sqlite3_bind_int(s, 4, status);
	bind_text(s, 5, error);
	sqlite3_bind_double(s, 6, now_unix());
	return step_done(ob, ST_RETRY, "recording a retry");
}

int
outbox_mark_dead(struct outbox *ob, int64_t seq, unsigned attempts, int status, const char *error)
{
	sqlite3_stmt *s = ob->st[ST_DEAD];

	if (begin(ob) != 0)
		return -1;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int(s, 2, (int)attempts);
	sqlite3_bind_int(s, 3, status);
	bind_text(s, 4, error);
	sqlite3_bind_double(s, 5, now_unix());
	return step_done(ob, ST_DEAD, "recording a dead letter");
}

int
outbox_commit(struct outbox *ob)
{
	if (!ob->in_tx)
		return 0;
	ob->in_tx = false;
	if (exec(ob, "COMMIT") != 0) {
		log_warnx("outbox: commit failed: %s", ob->err);
		exec(ob, "ROLLBACK");
		return -1;
	}
	ob->commits++;
	return 0;
}

bool
outbox_dirty(const struct outbox *ob)
{
	return ob->in_tx;
}

uint64_t
outbox_commits(const struct outbox *ob)
{
	return ob->commits;
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int
scan(struct outbox *ob, const char *sql, const char *subscriber, outbox_row_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc, n = 0;

	if (sqlite3_prepare_v2(ob->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(ob, "preparing a scan");
	if (subscriber != NULL)
		sqlite3_bind_text(s, 1, subscriber, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct outbox_row r = {
			.seq = sqlite3_column_int64(s, 0),
			.event_id = (char *)col_text(s, 1),
			.subscriber = (char *)col_text(s, 2),
			.okey = (char *)col_text(s, 3),
			.state = (enum outbox_state)sqlite3_column_int(s, 4),
			.attempts = (unsigned)sqlite3_column_int(s, 5),
			.created = sqlite3_column_double(s, 6),
			.next_at = sqlite3_column_double(s, 7),
			.last_status = sqlite3_column_int(s, 8),
			.last_error = (char *)col_text(s, 9),
			.event_name = (char *)col_text(s, 10),
			.body = (char *)col_text(s, 11),
			.source = (char *)col_text(s, 12),
			.rule = (char *)col_text(s, 13),
			.instance = (char *)col_text(s, 14),
			.ts_ms = sqlite3_column_int64(s, 15),
		};

		fn(arg, &r);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(ob, "scanning deliveries");
	return n;
}

#define SCAN_COLUMNS "SELECT d.seq, d.event_id, d.subscriber, d.okey, d.state, d.attempts," \
	" d.created, d.next_at, d.last_status, d.last_error, e.name, e.body, e.source," \
	" e.rule, e.instance, e.ts_ms FROM deliveries d JOIN events e ON e.id = d.event_id"

int
outbox_scan(struct outbox *ob, enum outbox_state state, const char *subscriber,
    outbox_row_fn fn, void *arg)
{
	char sql[512];
	int n;

	n = snprintf(sql, sizeof(sql), SCAN_COLUMNS " WHERE d.state = %d%s ORDER BY d.seq",
	    (int)state, subscriber != NULL ? " AND d.subscriber = ?1" : "");
	if (n < 0 || (size_t)n >= sizeof(sql))
		return -1;
	return scan(ob, sql, subscriber, fn, arg) < 0 ? -1 : 0;
}

int
outbox_request_retry(struct outbox *ob, int64_t seq)
{
	sqlite3_stmt *s;
	int rc;

	if (outbox_commit(ob) != 0)
		return -1;
	if (sqlite3_prepare_v2(ob->db, seq > 0 ?
	    "UPDATE deliveries SET state = 2 WHERE state = 1 AND seq = ?1" :
	    "UPDATE deliveries SET state = 2 WHERE state = 1", -1, &s, NULL) != SQLITE_OK)
		return fail(ob, "preparing a retry request");
	if (seq > 0)
		sqlite3_bind_int64(s, 1, seq);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(ob, "requesting a retry");
	return sqlite3_changes(ob->db);
}

int
outbox_take_retries(struct outbox *ob, double now, outbox_row_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int n, rc;

	/* A cheap probe first: this runs every second while the daemon is up. */
	if (sqlite3_prepare_v2(ob->db, "SELECT 1 FROM deliveries WHERE state = 2 LIMIT 1", -1,
	    &s, NULL) != SQLITE_OK)
		return fail(ob, "probing for retries");
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return fail(ob, "probing for retries");
	/* Inside the write transaction no CLI can add a request between the two. */
	if (begin(ob) != 0)
		return -1;
	n = scan(ob, SCAN_COLUMNS " WHERE d.state = 2 ORDER BY d.seq", NULL, fn, arg);
	if (n < 0)
		return -1;
	if (sqlite3_prepare_v2(ob->db, "UPDATE deliveries SET state = 0, attempts = 0,"
	    " next_at = ?1, created = ?1, updated = ?1 WHERE state = 2", -1, &s, NULL) != SQLITE_OK)
		return fail(ob, "preparing retries");
	sqlite3_bind_double(s, 1, now);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(ob, "taking retries");
	return n;
}

int
outbox_purge(struct outbox *ob, double before)
{
	sqlite3_stmt *s;
	int rc, n;

	if (outbox_commit(ob) != 0 || begin(ob) != 0)
		return -1;
	if (sqlite3_prepare_v2(ob->db, "DELETE FROM deliveries WHERE state = 1 AND updated < ?1",
	    -1, &s, NULL) != SQLITE_OK)
		return fail(ob, "preparing a purge");
	sqlite3_bind_double(s, 1, before);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(ob, "purging dead letters");
	n = sqlite3_changes(ob->db);
	return outbox_commit(ob) != 0 ? -1 : n;
}

long long
outbox_depth(struct outbox *ob)
{
	sqlite3_stmt *s;
	long long n = -1;

	if (sqlite3_prepare_v2(ob->db, "SELECT count(*) FROM deliveries WHERE state = 0", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

int
outbox_state_save(struct outbox *ob, const char *key, const char *json)
{
	if (begin(ob) != 0)
		return -1;
	bind_text(ob->st[ST_STATE_SAVE], 1, key);
	bind_text(ob->st[ST_STATE_SAVE], 2, json);
	return step_done(ob, ST_STATE_SAVE, "saving rule state");
}

int
outbox_state_delete(struct outbox *ob, const char *key)
{
	if (begin(ob) != 0)
		return -1;
	bind_text(ob->st[ST_STATE_DEL], 1, key);
	return step_done(ob, ST_STATE_DEL, "deleting rule state");
}

int
outbox_state_load(struct outbox *ob, outbox_state_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(ob->db, "SELECT key, json FROM rule_state", -1, &s, NULL) !=
	    SQLITE_OK)
		return fail(ob, "preparing the rule state load");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(arg, col_text(s, 0), col_text(s, 1));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : fail(ob, "loading rule state");
}

int
outbox_sub_disable(struct outbox *ob, const char *name, const char *fp)
{
	sqlite3_stmt *s;
	int rc;

	if (begin(ob) != 0)
		return -1;
	if (sqlite3_prepare_v2(ob->db, "INSERT INTO subscriber_state(name, disabled_fp)"
	    " VALUES(?1, ?2) ON CONFLICT(name) DO UPDATE SET disabled_fp = excluded.disabled_fp",
	    -1, &s, NULL) != SQLITE_OK)
		return fail(ob, "preparing a subscriber update");
	bind_text(s, 1, name);
	bind_text(s, 2, fp);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : fail(ob, "updating a subscriber");
}

bool
outbox_sub_disabled(struct outbox *ob, const char *name, const char *fp)
{
	sqlite3_stmt *s;
	bool disabled = false;

	if (sqlite3_prepare_v2(ob->db, "SELECT disabled_fp FROM subscriber_state WHERE name = ?1",
	    -1, &s, NULL) != SQLITE_OK)
		return false;
	bind_text(s, 1, name);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT)
		disabled = strcmp(col_text(s, 0), fp) == 0;
	sqlite3_finalize(s);
	return disabled;
}

int
outbox_events_after(struct outbox *ob, const char *after, int limit, outbox_event_fn fn,
    void *arg)
{
	sqlite3_stmt *s;
	int rc, n = 0;

	/* The primary key's index walks the ids in order: no sort, LIMIT bounds the work. */
	if (sqlite3_prepare_v2(ob->db, "SELECT id, body FROM events WHERE id > ?1"
	    " ORDER BY id LIMIT ?2", -1, &s, NULL) != SQLITE_OK)
		return fail(ob, "preparing an events query");
	sqlite3_bind_text(s, 1, after != NULL ? after : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		if (!fn(arg, col_text(s, 0), col_text(s, 1))) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(ob, "reading events");
	return n;
}

int
outbox_scan_page(struct outbox *ob, enum outbox_state state, int64_t after, int limit,
    outbox_row_fn fn, void *arg)
{
	char sql[512];
	int n;

	n = snprintf(sql, sizeof(sql), SCAN_COLUMNS " WHERE d.state = %d AND d.seq > %lld"
	    " ORDER BY d.seq LIMIT %d", (int)state, (long long)after, limit);
	if (n < 0 || (size_t)n >= sizeof(sql))
		return -1;
	return scan(ob, sql, NULL, fn, arg) < 0 ? -1 : 0;
}

int
outbox_count_by_subscriber(struct outbox *ob, enum outbox_state state, int limit,
    outbox_count_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(ob->db, "SELECT subscriber, count(*) FROM deliveries"
	    " WHERE state = ?1 GROUP BY subscriber ORDER BY subscriber LIMIT ?2", -1, &s,
	    NULL) != SQLITE_OK)
		return fail(ob, "preparing a count");
	sqlite3_bind_int(s, 1, (int)state);
	sqlite3_bind_int(s, 2, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(arg, col_text(s, 0), sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(ob, "counting deliveries");
	return 0;
}

const char *
outbox_error(const struct outbox *ob)
{
	return ob->err;
}
