/*
 * Unit tests of the store, one body for both backends: SQLite (a real file
 * in a temporary directory) by default, PostgreSQL when
 * POLLHOOK_TEST_PG_CONNINFO names a server (tests/unit/test_store_pg.sh
 * starts one), each test in a database of its own. And the backoff.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "delivery.h"
#include "event.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define WAIT 20.0	/* seconds one answer of the store may take */

/* One answer, waited for; data is what the row callbacks fill. */
struct answer {
	bool done;
	long long result;
	void *data;
};

struct rows {
	int n;
	int64_t seq[16];
	char sub[16][32];
	char body[16][256];
	unsigned attempts[16];
	char okey[16][64];
	enum store_dstate state[16];
};

static void
collect(void *arg, const struct store_row *r)
{
	struct rows *rs = ((struct answer *)arg)->data;

	if (rs->n >= 16)
		return;
	rs->seq[rs->n] = r->seq;
	snprintf(rs->sub[rs->n], sizeof(rs->sub[0]), "%s", r->subscriber);
	snprintf(rs->body[rs->n], sizeof(rs->body[0]), "%s", r->body);
	snprintf(rs->okey[rs->n], sizeof(rs->okey[0]), "%s", r->okey);
	rs->attempts[rs->n] = r->attempts;
	rs->state[rs->n] = r->state;
	rs->n++;
}

/* Where a test's store is: its directory, and the configuration of its backend. */
struct fixture {
	char *dir;
	struct store_config conf;
	bool pg;
};

static const char *
pg_conninfo(void)
{
	const char *c = getenv("POLLHOOK_TEST_PG_CONNINFO");

	return c != NULL && *c != '\0' ? c : NULL;
}

/* Runs one SQL statement on the server's maintenance database with psql. */
static void
psql(const char *sql)
{
	char *cmd = xasprintf("PGOPTIONS='-c client_min_messages=warning' psql -X -q "
	    "-v ON_ERROR_STOP=1 '%s dbname=postgres' -c '%s' >/dev/null", pg_conninfo(), sql);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static int
setup(void **state)
{
	const char *base = getenv("TMPDIR");
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[4096];
	int n;

	n = snprintf(tmpl, sizeof(tmpl), "%s/pollhook-test-store-XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	assert_true(n > 0 && (size_t)n < sizeof(tmpl));
	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	f->conf.queue_max = 1000;
	f->conf.lease_ttl = 10.0;
	f->conf.node = "unit";
	if (pg_conninfo() != NULL) {
		f->pg = true;
		f->conf.backend = "postgres";
		psql("DROP DATABASE IF EXISTS pollhook_unit WITH (FORCE)");
		psql("CREATE DATABASE pollhook_unit");
		f->conf.conninfo = xasprintf("%s dbname=pollhook_unit", pg_conninfo());
	} else {
		f->conf.backend = "sqlite";
		f->conf.path = xasprintf("%s/pollhook.db", f->dir);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->dir);
	free(f->conf.path);
	free(f->conf.conninfo);
	free(f);
	return 0;
}

static struct store *
open_st(struct fixture *f)
{
	char err[256];
	struct store *st = store_open(ev_default_loop(0), &f->conf, STORE_CLAIMS, err,
	    sizeof(err));

	if (st == NULL)
		fail_msg("store_open: %s", err);
	return st;
}


static void
answered(void *arg, long long result)
{
	struct answer *a = arg;

	a->done = true;
	a->result = result;
}

static long long
wait_answer(struct store *st, struct answer *a)
{
	if (store_wait(st, &a->done, WAIT) != 0)
		fail_msg("no answer: %s", store_error(st));
	return a->result;
}

static long long
commit(struct store *st)
{
	struct answer a = { 0 };

	store_commit(st, answered, &a);
	return wait_answer(st, &a);
}

static long long
depth(struct store *st)
{
	struct answer a = { 0 };

	store_depth(st, answered, &a);
	return wait_answer(st, &a);
}

static long long
page(struct store *st, enum store_dstate state, int64_t after, int limit, struct rows *rs)
{
	struct answer a = { .data = rs };

	store_deliveries_page(st, state, after, limit, collect, answered, &a);
	return wait_answer(st, &a);
}

static long long
claim(struct store *st, struct rows *rs)
{
	struct answer a = { .data = rs };

	store_claim(st, 100, collect, answered, &a);
	return wait_answer(st, &a);
}

static long long
request_retry(struct store *st, int64_t seq)
{
	struct answer a = { 0 };

	store_request_retry(st, seq, answered, &a);
	return wait_answer(st, &a);
}

static long long
purge(struct store *st, double before)
{
	struct answer a = { 0 };

	store_purge(st, before, answered, &a);
	return wait_answer(st, &a);
}

static struct event *
mkevent(const char *name, const char *instance)
{
	struct event *ev = event_new(name, "cpu.high", "edge-1", instance, NULL, 1764393600123LL);

	event_finish(ev);
	return ev;
}

/* What a commit's callback reads of its tickets: they last until it returns. */
struct ticketed {
	struct answer a;
	const struct store_ticket *tk[8];
	size_t n;
	int64_t *seqs;
	bool claimed[8];
};

static void
tickets_read(void *arg, long long result)
{
	struct ticketed *t = arg;

	for (size_t i = 0; result == 0 && i < t->n; i++) {
		t->seqs[i] = t->tk[i]->seq;
		t->claimed[i] = t->tk[i]->claimed;
	}
	answered(&t->a, result);
}

/* Adds ev for subs and commits; seqs receive the deliveries' ids. */
static void
add_commit(struct store *st, struct event *ev, const char *const *subs, size_t n,
    int64_t *seqs)
{
	struct ticketed t = { .n = n, .seqs = seqs };

	assert_int_equal(store_add(st, ev, subs, n, 1000.0, t.tk), 0);
	assert_true(store_dirty(st));
	store_commit(st, tickets_read, &t);
	assert_int_equal(wait_answer(st, &t.a), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(seqs[i] > 0);
		assert_true(t.claimed[i]);
	}
}

/* Events and deliveries survive a close and reopen: what a crash after commit leaves. */
static void
test_add_commit_reopen(void **state)
{
	const char *subs[] = { "ops", "audit" };
	struct store *st = open_st(*state);
	struct event *ev = mkevent("cpu.high", "2");
	struct rows rs = { 0 };
	int64_t seqs[2];

	add_commit(st, ev, subs, 2, seqs);
	assert_true(seqs[1] > seqs[0]);
	assert_false(store_dirty(st));
	assert_int_equal(store_stats(st)->commits, 1);
	store_close(st);

	st = open_st(*state);
	assert_int_equal(depth(st), 2);
	assert_int_equal(page(st, STORE_PENDING, 0, 10, &rs), 2);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.sub[0], "ops");
	assert_string_equal(rs.sub[1], "audit");
	assert_string_equal(rs.body[0], ev->body);
	assert_string_equal(rs.okey[0], "edge-1\x1f" "cpu.high\x1f" "2");
	store_close(st);
	event_free(ev);
}

/* The one ordering key: what the delivery manager queues by is what the store keeps. */
static void
test_order_key(void **state)
{
	const char *subs[] = { "ops" };
	struct store *st = open_st(*state);
	struct event *scalar = mkevent("cpu.high", NULL);
	struct event *row = mkevent("cpu.high", "2");
	struct rows rs = { 0 };
	int64_t seq;
	char *k;

	k = store_order_key(scalar);
	assert_string_equal(k, "edge-1\x1f" "cpu.high\x1f");
	free(k);
	k = store_order_key(row);
	assert_string_equal(k, "edge-1\x1f" "cpu.high\x1f" "2");
	add_commit(st, row, subs, 1, &seq);
	assert_int_equal(page(st, STORE_PENDING, 0, 10, &rs), 1);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.okey[0], k);
	free(k);
	store_close(st);
	event_free(scalar);
	event_free(row);
}

/* Without a commit, nothing is in the database (the batch is the unit). */
static void
test_uncommitted_batch_is_atomic(void **state)
{
	struct fixture *f = *state;
	const char *subs[] = { "ops" };
	struct store *st = open_st(f), *other;
	struct event *ev = mkevent("cpu.high", NULL);
	const struct store_ticket *tk;
	char cmd[512];

	assert_int_equal(store_add(st, ev, subs, 1, 1000.0, &tk), 0);
	assert_int_equal(store_stats(st)->queued_events, 1);
	/* Another user of the database sees none of it. */
	other = open_st(f);
	assert_int_equal(depth(other), 0);
	store_close(other);
	if (!f->pg) {
		/* Copy the files as a crash would leave them: the WAL holds no commit. */
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s/crash' && cp '%s'/pollhook.db* "
		    "'%s/crash/'", f->dir, f->dir, f->dir);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(commit(st), 0);
	assert_int_equal(store_stats(st)->queued_events, 0);
	store_close(st);
	if (!f->pg) {
		char *path = f->conf.path;

		f->conf.path = xasprintf("%s/crash/pollhook.db", f->dir);
		st = open_st(f);
		assert_int_equal(depth(st), 0);
		store_close(st);
		free(f->conf.path);
		f->conf.path = path;
	}
	event_free(ev);
}

struct counts {
	int n;
	char sub[4][16];
	long long count[4];
};

static void
collect_count(void *arg, const char *subscriber, long long count)
{
	struct counts *c = ((struct answer *)arg)->data;

	snprintf(c->sub[c->n], sizeof(c->sub[0]), "%s", subscriber);
	c->count[c->n++] = count;
}

static long long
counts(struct store *st, enum store_dstate state, struct counts *c)
{
	struct answer a = { .data = c };

	store_count_by_subscriber(st, state, 10, collect_count, answered, &a);
	return wait_answer(st, &a);
}

static void
test_outcomes(void **state)
{
	const char *subs[] = { "a", "b", "c" };
	struct store *st = open_st(*state);
	struct event *ev = mkevent("cpu.high", NULL);
	struct rows pending = { 0 }, dead = { 0 };
	struct counts c = { 0 };
	int64_t seqs[3];

	add_commit(st, ev, subs, 3, seqs);
	store_mark_done(st, seqs[0]);
	store_mark_retry(st, seqs[1], 3, 2000.0, 503, "HTTP 503");
	store_mark_dead(st, seqs[2], 1, 400, "HTTP 400");
	assert_int_equal(commit(st), 0);
	/* Marking an already delivered one again is harmless (replay after a crash). */
	store_mark_done(st, seqs[0]);
	assert_int_equal(commit(st), 0);
	assert_int_equal(page(st, STORE_PENDING, 0, 10, &pending), 1);
	assert_int_equal(pending.n, 1);
	assert_int_equal(pending.seq[0], seqs[1]);
	assert_int_equal(pending.attempts[0], 3);
	assert_int_equal(page(st, STORE_DEAD, 0, 10, &dead), 1);
	assert_int_equal(dead.n, 1);
	assert_int_equal(dead.seq[0], seqs[2]);
	/* Counted by subscriber: the dead letter is c's alone. */
	assert_int_equal(counts(st, STORE_DEAD, &c), 1);
	assert_string_equal(c.sub[0], "c");
	assert_int_equal(c.count[0], 1);
	store_close(st);
	event_free(ev);
}

static void
test_retry_requests_and_purge(void **state)
{
	const char *subs[] = { "a" };
	struct store *st = open_st(*state);
	struct event *e1 = mkevent("x", "1"), *e2 = mkevent("x", "2");
	struct rows taken = { 0 }, dead = { 0 }, none = { 0 };
	int64_t s1, s2;

	add_commit(st, e1, subs, 1, &s1);
	add_commit(st, e2, subs, 1, &s2);
	/*
	 * The first claims hand over what is pending at start: with SQLite all
	 * of it; with PostgreSQL what no live member holds, and this one holds
	 * both since it stored them.
	 */
	assert_int_equal(claim(st, &none), ((struct fixture *)*state)->pg ? 0 : 2);
	store_mark_dead(st, s1, 15, 503, "HTTP 503");
	store_mark_dead(st, s2, 1, 404, "HTTP 404");
	assert_int_equal(commit(st), 0);
	/* Only dead ones can be asked for; an unknown id changes nothing. */
	assert_int_equal(request_retry(st, s1 + 1000), 0);
	assert_int_equal(request_retry(st, s1), 1);
	assert_int_equal(claim(st, &taken), 1);
	assert_int_equal(taken.seq[0], s1);
	assert_int_equal(taken.state[0], STORE_RETRY);
	assert_int_equal(taken.attempts[0], 0);
	assert_int_equal(depth(st), 1);
	/* Nothing more to take. */
	assert_int_equal(claim(st, &taken), 0);
	/* Purge removes dead letters older than the cut, and only those. */
	assert_int_equal(purge(st, 1.0), 0);
	assert_int_equal(purge(st, 9e12), 1);
	/* Events stay as history until swept; one still needed is never swept. */
	store_sweep(st, 9000000000000LL);	/* e2's only */
	assert_int_equal(commit(st), 0);
	assert_int_equal(depth(st), 1);
	assert_int_equal(page(st, STORE_DEAD, 0, 10, &dead), 0);
	assert_int_equal(depth(st), 1);
	store_close(st);
	event_free(e1);
	event_free(e2);
}

static void
count_state(void *arg, const char *key, const char *json)
{
	int *n = ((struct answer *)arg)->data;

	assert_string_equal(key, "cpu.high\x1f" "edge-1\x1f");
	assert_string_equal(json, "{\"phase\":\"firing\"}");
	(*n)++;
}

static void
disabled(void *arg, const char *name, const char *fp)
{
	int *n = ((struct answer *)arg)->data;

	assert_string_equal(name, "ops");
	assert_string_equal(fp, "abc");
	(*n)++;
}

static void
test_rule_state_and_subscribers(void **state)
{
	struct store *st = open_st(*state);
	int n = 0, subs = 0;
	struct answer a = { .data = &n }, b = { .data = &subs };

	store_state_save(st, "cpu.high\x1f" "edge-1\x1f", "{\"phase\":\"ok\"}");
	store_state_save(st, "cpu.high\x1f" "edge-1\x1f", "{\"phase\":\"firing\"}");
	store_state_save(st, "gone\x1f" "x\x1f", "{}");
	store_state_delete(st, "gone\x1f" "x\x1f");
	store_sub_disable(st, "ops", "abc");
	store_sub_disable(st, "other", "abc");
	store_sub_disable(st, "other", NULL);	/* enabled again */
	assert_int_equal(commit(st), 0);
	store_close(st);
	st = open_st(*state);
	store_states_load(st, count_state, answered, &a);
	assert_int_equal(wait_answer(st, &a), 1);
	assert_int_equal(n, 1);
	/* Disabled under "abc" is what a subscriber with that fingerprint checks. */
	store_subs_load(st, disabled, answered, &b);
	assert_int_equal(wait_answer(st, &b), 1);
	assert_int_equal(subs, 1);
	store_close(st);
}

static void
dsub_row(void *arg, const char *name, const char *json)
{
	struct rows *rs = ((struct answer *)arg)->data;

	snprintf(rs->sub[rs->n], sizeof(rs->sub[0]), "%s", name);
	snprintf(rs->body[rs->n], sizeof(rs->body[0]), "%s", json);
	rs->n++;
}

/* Dynamic subscribers: saved, replaced, deleted, loaded; their deliveries dropped, recovered. */
static void
test_dynamic_subscribers(void **state)
{
	const char *subs[] = { "dyn", "other" };
	struct store *st = open_st(*state);
	struct rows loaded = { 0 }, none = { 0 }, taken = { 0 };
	struct answer a = { .data = &loaded }, d = { 0 }, r = { 0 };
	struct event *e1 = mkevent("x", "1"), *e2 = mkevent("x", "2");
	int64_t s1[2], s2;

	store_dsub_save(st, "dyn", "{\"v\":1}");
	store_dsub_save(st, "dyn", "{\"v\":2}");
	store_dsub_save(st, "gone", "{}");
	store_dsub_save(st, "gone", NULL);
	assert_int_equal(commit(st), 0);
	add_commit(st, e1, subs, 2, s1);
	add_commit(st, e2, subs, 1, &s2);
	assert_int_equal(claim(st, &none), ((struct fixture *)*state)->pg ? 0 : 3);
	store_mark_dead(st, s2, 2, 503, "HTTP 503");
	assert_int_equal(commit(st), 0);
	store_close(st);
	st = open_st(*state);
	store_dsubs_load(st, dsub_row, answered, &a);
	assert_int_equal(wait_answer(st, &a), 1);
	assert_string_equal(loaded.sub[0], "dyn");
	assert_string_equal(loaded.body[0], "{\"v\":2}");
	/* Dead letters since a time in the future: none; since the start: e2's. */
	store_recover(st, "dyn", 9e12, answered, &r);
	assert_int_equal(wait_answer(st, &r), 0);
	r.done = false;
	store_recover(st, "dyn", 0, answered, &r);
	assert_int_equal(wait_answer(st, &r), 1);
	assert_int_equal(claim(st, &taken), 3);
	/* Dropping counts what was pending (e1's and the recovered e2's), not other's. */
	store_drop_deliveries(st, "dyn", answered, &d);
	assert_int_equal(wait_answer(st, &d), 2);
	assert_int_equal(depth(st), 1);
	store_close(st);
	event_free(e1);
	event_free(e2);
}

/* Discovered devices: saved, replaced, deleted, and loaded after a reopen, in key order. */
static void
test_discovered(void **state)
{
	struct store *st = open_st(*state);
	struct rows loaded = { 0 };
	struct answer a = { .data = &loaded };

	store_disc_save(st, "lab/127.0.0.3:161", "{\"v\":1}");
	store_disc_save(st, "lab/127.0.0.2:161", "{\"v\":1}");
	store_disc_save(st, "lab/127.0.0.2:161", "{\"v\":2}");
	store_disc_save(st, "lab/", "{\"sweep\":1}");
	store_disc_save(st, "lab/127.0.0.9:161", "{}");
	assert_int_equal(commit(st), 0);
	store_disc_save(st, "lab/127.0.0.9:161", NULL);
	assert_int_equal(commit(st), 0);
	store_close(st);
	st = open_st(*state);
	store_discs_load(st, dsub_row, answered, &a);
	assert_int_equal(wait_answer(st, &a), 3);
	assert_int_equal(loaded.n, 3);
	assert_string_equal(loaded.sub[0], "lab/");
	assert_string_equal(loaded.sub[1], "lab/127.0.0.2:161");
	assert_string_equal(loaded.body[1], "{\"v\":2}");
	assert_string_equal(loaded.sub[2], "lab/127.0.0.3:161");
	store_close(st);
}

struct ids {
	int n, stop_after;
	char id[8][40];
};

static bool
collect_event(void *arg, const struct store_event *ev)
{
	struct ids *ids = ((struct answer *)arg)->data;

	assert_non_null(strstr(ev->body, ev->id));
	assert_string_equal(ev->source, "edge-1");
	assert_string_equal(ev->rule, "cpu.high");
	snprintf(ids->id[ids->n++], sizeof(ids->id[0]), "%s", ev->id);
	return ids->n != ids->stop_after;
}

static long long
events_after(struct store *st, const char *after, struct ids *ids)
{
	struct answer a = { .data = ids };

	store_events_after(st, after, 10, collect_event, answered, &a);
	return wait_answer(st, &a);
}

/* The API's pages: events after an id, deliveries after a seq, counts per subscriber. */
static void
test_pages(void **state)
{
	const char *subs[] = { "a", "b" };
	struct store *st = open_st(*state);
	struct event *ev[3];
	struct ids all = { 0 }, after = { 0 }, stopped = { .stop_after = 1 };
	struct rows rs = { 0 };
	struct counts c = { 0 };
	int64_t seqs[3][2];

	for (int i = 0; i < 3; i++) {
		ev[i] = mkevent("x", NULL);
		add_commit(st, ev[i], subs, 2, seqs[i]);
	}
	store_mark_dead(st, seqs[0][1], 1, 404, "HTTP 404");
	assert_int_equal(commit(st), 0);

	/* Ids are ULIDs: id order is creation order. */
	assert_int_equal(events_after(st, NULL, &all), 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(all.id[i], ev[i]->id);
	assert_int_equal(events_after(st, ev[0]->id, &after), 2);
	assert_string_equal(after.id[0], ev[1]->id);
	assert_int_equal(events_after(st, ev[2]->id, &after), 0);
	assert_int_equal(events_after(st, NULL, &stopped), 1);

	/* Pending deliveries after the first, two at most. */
	assert_int_equal(page(st, STORE_PENDING, seqs[0][0], 2, &rs), 2);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.seq[0], seqs[1][0]);
	assert_int_equal(rs.seq[1], seqs[1][1]);

	assert_int_equal(counts(st, STORE_PENDING, &c), 2);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.sub[0], "a");
	assert_int_equal(c.count[0], 3);
	assert_string_equal(c.sub[1], "b");
	assert_int_equal(c.count[1], 2);
	store_close(st);
	for (int i = 0; i < 3; i++)
		event_free(ev[i]);
}

static long long
pending_page(struct store *st, const char *sub, int64_t after, int limit, struct rows *rs)
{
	struct answer a = { .data = rs };

	memset(rs, 0, sizeof(*rs));
	store_pending_page(st, sub, after, limit, collect, answered, &a);
	return wait_answer(st, &a);
}

/*
 * What the daemon reads back beyond its memory window: one subscriber's
 * pending deliveries it holds, after a seq, in seq order; not the dead ones
 * nor another subscriber's.
 */
static void
test_pending_pages(void **state)
{
	const char *subs[] = { "a", "b" };
	struct store *st = open_st(*state);
	struct event *ev[4];
	struct rows rs;
	int64_t seqs[4][2];

	for (int i = 0; i < 4; i++) {
		ev[i] = mkevent(i % 2 ? "cpu.high.resolved" : "cpu.high", i < 2 ? "1" : "2");
		add_commit(st, ev[i], subs, 2, seqs[i]);
	}
	store_mark_dead(st, seqs[1][0], 1, 404, "HTTP 404");
	assert_int_equal(commit(st), 0);

	assert_int_equal(pending_page(st, "a", 0, 2, &rs), 2);
	assert_int_equal(rs.seq[0], seqs[0][0]);
	assert_int_equal(rs.seq[1], seqs[2][0]);	/* the dead one is left out */
	assert_string_equal(rs.sub[0], "a");
	assert_non_null(strstr(rs.body[0], ev[0]->id));
	/* The next page starts after the last seq read; a short page is the end. */
	assert_int_equal(pending_page(st, "a", rs.seq[1], 2, &rs), 1);
	assert_int_equal(rs.seq[0], seqs[3][0]);
	assert_int_equal(pending_page(st, "a", seqs[3][0], 2, &rs), 0);
	assert_int_equal(pending_page(st, "b", 0, 10, &rs), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rs.seq[i], seqs[i][1]);
	assert_int_equal(pending_page(st, "c", 0, 10, &rs), 0);
	store_close(st);
	for (int i = 0; i < 4; i++)
		event_free(ev[i]);
}

/* A store reopened after a stop hands its pending deliveries over, per key in order. */
static void
test_claims_after_restart(void **state)
{
	const char *subs[] = { "a" };
	struct store *st = open_st(*state);
	struct event *f1 = mkevent("cpu.high", "1"), *r1 = mkevent("cpu.high.resolved", "1");
	struct event *f2 = mkevent("cpu.high", "2");
	struct rows rs = { 0 };
	int64_t s[3];

	add_commit(st, f1, subs, 1, &s[0]);
	add_commit(st, r1, subs, 1, &s[1]);
	add_commit(st, f2, subs, 1, &s[2]);
	store_close(st);
	st = open_st(*state);
	assert_int_equal(claim(st, &rs), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rs.seq[i], s[i]);
		assert_int_equal(rs.state[i], STORE_PENDING);
	}
	/* Held now: a second look finds nothing new. */
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(claim(st, &rs), 0);
	assert_true(store_holding(st));
	store_close(st);
	event_free(f1);
	event_free(r1);
	event_free(f2);
}

static long long
claim_quiet(struct store *st, struct counts *c)
{
	struct answer a = { .data = c };

	memset(c, 0, sizeof(*c));
	store_claim_quiet(st, 100, collect_count, answered, &a);
	return wait_answer(st, &a);
}

/* The quiet claims of a start: counts per subscriber, then the rows are read back in pages. */
static void
test_quiet_claims_after_restart(void **state)
{
	const char *subs[] = { "a", "b" };
	struct store *st = open_st(*state);
	struct event *ev[3];
	struct counts c;
	struct rows rs;
	int64_t s[3][2];

	for (int i = 0; i < 3; i++) {
		ev[i] = mkevent(i % 2 ? "cpu.high.resolved" : "cpu.high", "1");
		add_commit(st, ev[i], subs, 2, s[i]);
	}
	store_mark_done(st, s[0][1]);
	assert_int_equal(commit(st), 0);
	store_close(st);
	st = open_st(*state);
	assert_int_equal(claim_quiet(st, &c), 5);
	assert_int_equal(c.n, 2);
	for (int i = 0; i < 2; i++)
		assert_int_equal(c.count[i], strcmp(c.sub[i], "a") == 0 ? 3 : 2);
	/* Held now, all of them: nothing more to claim, and each reads its own back. */
	assert_int_equal(claim_quiet(st, &c), 0);
	assert_int_equal(pending_page(st, "a", 0, 10, &rs), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rs.seq[i], s[i][0]);
	assert_int_equal(pending_page(st, "b", 0, 10, &rs), 2);
	assert_int_equal(rs.seq[0], s[1][1]);
	assert_int_equal(rs.seq[1], s[2][1]);
	store_close(st);
	for (int i = 0; i < 3; i++)
		event_free(ev[i]);
}

/* A schema newer than the program refuses to open (or to be used). */
static void
test_schema_version(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_st(f);
	struct answer a = { 0 };

	store_schema_version(st, answered, &a);
	assert_int_equal(wait_answer(st, &a), store_schema_latest(st));
	store_close(st);
}

static void
test_open_fails_cleanly(void **state)
{
	struct store_config conf = { .backend = "sqlite", .path = "/proc/definitely/not/here.db",
	    .queue_max = 10 };
	char err[256] = "";

	(void)state;
	assert_null(store_open(ev_default_loop(0), &conf, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "/proc/definitely/not/here"));
	conf.backend = "mysql";
	assert_null(store_open(ev_default_loop(0), &conf, 0, err, sizeof(err)));
	assert_string_equal(err, "unknown store backend \"mysql\" (known: sqlite, postgres)");
}

/* Past queue_max events waiting for the database, store_add refuses and counts. */
static void
test_memory_bound(void **state)
{
	struct fixture *f = *state;
	const char *subs[] = { "a" };
	struct event *ev[3];
	const struct store_ticket *tk;
	struct store *st;

	f->conf.queue_max = 2;
	st = open_st(f);
	for (int i = 0; i < 3; i++)
		ev[i] = mkevent("x", NULL);
	assert_int_equal(store_add(st, ev[0], subs, 1, 1000.0, &tk), 0);
	assert_int_equal(store_add(st, ev[1], subs, 1, 1000.0, &tk), 0);
	assert_int_equal(store_add(st, ev[2], subs, 1, 1000.0, &tk), -1);
	assert_int_equal(store_stats(st)->dropped_events, 1);
	assert_int_equal(commit(st), 0);
	assert_int_equal(depth(st), 2);
	/* Stored: room again. */
	assert_int_equal(store_add(st, ev[2], subs, 1, 1000.0, &tk), 0);
	assert_int_equal(commit(st), 0);
	assert_int_equal(depth(st), 3);
	store_close(st);
	for (int i = 0; i < 3; i++)
		event_free(ev[i]);
}

/*
 * SQLite: a commit past bridge.store.max_size_mb fails whole, is said once
 * with the path and the limit, counted as "full", and waits in memory.
 */
static void
test_full(void **state)
{
	struct fixture *f = *state;
	const char *subs[] = { "a", "b" };
	const struct store_ticket *tk[2];
	struct answer a = { 0 };
	struct store *st;
	struct event *ev;
	int64_t seq[1];
	enum { N = 6000 };

	if (f->pg)
		skip();
	f->conf.queue_max = N + 10;
	f->conf.max_size_mb = 1;
	st = open_st(f);
	for (int i = 0; i < N; i++) {
		ev = mkevent("x", NULL);
		assert_int_equal(store_add(st, ev, subs, 2, 1000.0, tk), 0);
		event_free(ev);
	}
	/*
	 * The daemon's SQLite commits on its worker; a request made meanwhile
	 * runs once the commit is back, before it is tried again.
	 */
	store_commit(st, answered, &a);
	(void)depth(st);
	assert_false(a.done);
	assert_false(store_stats(st)->up);
	assert_int_equal(store_stats(st)->errors[STORE_ERR_FULL], 1);
	assert_int_equal(store_stats(st)->errors[STORE_ERR_OTHER], 0);
	assert_int_equal(store_stats(st)->queued_events, N);
	assert_non_null(strstr(store_error(st), f->conf.path));
	assert_non_null(strstr(store_error(st), "max_size_mb (1 MiB) reached"));
	assert_string_equal(store_error_kind_name(STORE_ERR_FULL), "full");
	store_close(st);
	assert_true(a.done);
	assert_int_equal(a.result, -1);
	/* Nothing of it was stored; without the limit the store takes writes. */
	f->conf.max_size_mb = 0;
	st = open_st(f);
	assert_int_equal(depth(st), 0);
	ev = mkevent("y", NULL);
	add_commit(st, ev, subs, 1, seq);
	event_free(ev);
	assert_int_equal(depth(st), 1);
	store_close(st);
}

/* PostgreSQL: two members on loops of their own, one of which stops renewing. */

struct member {
	struct ev_loop *loop;
	struct store_config conf;
	struct store *st;
	bool reset;
};

static void
member_reset(void *arg)
{
	((struct member *)arg)->reset = true;
}

static void
member_open(struct member *m, struct fixture *f, const char *node, double ttl)
{
	struct store_hooks hooks = { NULL, member_reset, m };
	char err[256];

	m->loop = ev_loop_new(0);
	m->conf = f->conf;
	m->conf.node = (char *)node;
	m->conf.lease_ttl = ttl;
	m->st = store_open(m->loop, &m->conf, STORE_CLAIMS, err, sizeof(err));
	if (m->st == NULL)
		fail_msg("store_open: %s", err);
	store_set_hooks(m->st, &hooks);
	/* Joined once it answers. */
	assert_true(depth(m->st) >= 0);
	assert_true(store_holding(m->st));
}

static void
member_close(struct member *m)
{
	store_close(m->st);
	ev_loop_destroy(m->loop);
}

/* Adds one event for subscriber "a" and commits; returns its ticket's claim. */
static bool
add_one(struct store *st, struct event *ev, int64_t *seq)
{
	const char *subs[] = { "a" };
	struct ticketed t = { .n = 1, .seqs = seq };

	assert_int_equal(store_add(st, ev, subs, 1, 1000.0, t.tk), 0);
	store_commit(st, tickets_read, &t);
	assert_int_equal(wait_answer(st, &t.a), 0);
	return t.claimed[0];
}

/* Runs only m's loop for secs seconds. */
static void
run_for(struct member *m, double secs)
{
	bool never = false;

	(void)store_wait(m->st, &never, secs);
}

/*
 * Only the head of an ordering key can be claimed, with the rest of its key;
 * a delivery is claimed when stored only if nobody else holds an older one
 * of its key; when a member's lease lapses, another takes its keys over, in
 * order, and the first one's late outcomes change nothing (fenced); it then
 * gives up what it held and is told to claim again.
 */
static void
test_pg_claims_between_members(void **state)
{
	struct fixture *f = *state;
	struct member a = { 0 }, b = { 0 };
	struct event *fire, *res, *again, *other;
	struct rows rs = { 0 };
	int64_t s_fire, s_res, s_again, s_other;

	if (!f->pg)
		skip();
	fire = mkevent("cpu.high", "1");
	res = mkevent("cpu.high.resolved", "1");
	again = mkevent("cpu.high", "1");
	other = mkevent("cpu.high", "2");
	member_open(&a, f, "a", 1.0);
	member_open(&b, f, "b", 10.0);
	assert_true(add_one(a.st, fire, &s_fire));
	assert_true(add_one(a.st, res, &s_res));
	/* a holds the key: b can claim nothing of it, nor its own new row of it. */
	assert_int_equal(claim(b.st, &rs), 0);
	assert_false(add_one(b.st, again, &s_again));
	assert_true(add_one(b.st, other, &s_other));
	store_mark_done(a.st, s_fire);
	assert_int_equal(commit(a.st), 0);
	/* The head is now a's resolved, still held. */
	assert_int_equal(claim(b.st, &rs), 0);

	/* a stops renewing (its loop does not run) beyond its lease of 1 s. */
	run_for(&b, 1.3);
	assert_int_equal(claim(b.st, &rs), 2);
	assert_int_equal(rs.seq[0], s_res);
	assert_int_equal(rs.seq[1], s_again);
	assert_true(s_res < s_again);

	/* a's loop runs again: its outcome for what b took changes nothing. */
	store_mark_dead(a.st, s_res, 1, 400, "HTTP 400");
	assert_int_equal(commit(a.st), 0);
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(page(b.st, STORE_DEAD, 0, 10, &rs), 0);
	assert_int_equal(depth(b.st), 3);
	/* a learns that its lease lapsed, gives up what it held, and is told. */
	(void)store_wait(a.st, &a.reset, 5.0);
	assert_true(a.reset);
	assert_true(store_holding(a.st));
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(claim(a.st, &rs), 0);	/* b holds both keys now */
	/* A member reads back only what it holds: all three are b's now. */
	assert_int_equal(pending_page(a.st, "a", 0, 10, &rs), 0);
	assert_int_equal(pending_page(b.st, "a", 0, 10, &rs), 3);
	assert_int_equal(rs.seq[0], s_res);
	assert_true(rs.seq[0] < rs.seq[1] && rs.seq[1] < rs.seq[2]);
	member_close(&a);
	/* Gone cleanly: nothing of it is held any more. */
	member_close(&b);
	event_free(fire);
	event_free(res);
	event_free(again);
	event_free(other);
}

/* What a cluster member's hooks and requests saw. */
struct fencing {
	int64_t epoch;		/* the fence a write of edge-1 carries */
	int refused;
	int64_t refused_epoch;
	int members, taken, states;
	int64_t taken_epoch;
	double taken_since;	/* when the previous owner was last known to poll it */
	char json[64];		/* the rule state read back */
	int64_t a_gen;		/* member a as a heartbeat saw it: its gen, its sources */
	long long a_owned;
};

static int64_t
fence_epoch(void *arg, const char *source, const char *key)
{
	(void)key;
	/* edge-1's events, and the rule states (of edge-1 here). */
	return source == NULL || strcmp(source, "edge-1") == 0 ? ((struct fencing *)arg)->epoch : 0;
}

static void
fence_refused(void *arg, const char *source, int64_t epoch)
{
	struct fencing *fc = arg;

	assert_string_equal(source, "edge-1");
	fc->refused++;
	fc->refused_epoch = epoch;
}

static void
saw_member(void *arg, const struct store_member *m)
{
	struct fencing *fc = ((struct answer *)arg)->data;

	assert_true(m->lease_left > 0);
	fc->members++;
	if (strcmp(m->name, "a") == 0) {
		fc->a_gen = m->gen;
		fc->a_owned = m->owned;
	}
}


static void
saw_own(void *arg, const char *source, int64_t epoch, double since)
{
	struct fencing *fc = ((struct answer *)arg)->data;

	assert_string_equal(source, "edge-1");
	fc->taken++;
	fc->taken_epoch = epoch;
	fc->taken_since = since;
}

static void
saw_state(void *arg, const char *key, const char *json)
{
	struct fencing *fc = ((struct answer *)arg)->data;

	assert_string_equal(key, "cpu.high\x1f" "edge-1\x1f" "1");
	snprintf(fc->json, sizeof(fc->json), "%s", json);
	fc->states++;
}

/* A heartbeat of member st (full: with the sources it owns) into fc; its result. */
static long long
cluster_sync(struct store *st, struct fencing *fc, bool full)
{
	struct answer a = { .data = fc };

	fc->members = fc->taken = 0;
	store_cluster_sync(st, 10.0, "test", full, saw_member, saw_own, answered, &a);
	return wait_answer(st, &a);
}

static long long
cluster_take(struct store *st, struct fencing *fc)
{
	const char *src[] = { "edge-1" };
	struct answer a = { .data = fc };

	fc->taken = fc->states = 0;
	store_cluster_take(st, src, 1, saw_own, saw_state, answered, &a);
	return wait_answer(st, &a);
}

/*
 * Cluster members own sources under epochs: a live owner's source cannot be
 * taken; once released, the taker gets a new epoch and the rule state; the
 * earlier owner's writes under its old epoch are then refused (its event,
 * the event's delivery, its rule state) and reported through the fenced hook.
 */
static void
test_pg_cluster_fencing(void **state)
{
	struct fixture *f = *state;
	struct member a = { 0 }, b = { 0 };
	struct fencing fa = { 0 }, fb = { 0 };
	struct store_cluster_hooks ha = { fence_epoch, fence_refused, NULL, &fa };
	struct event *fire, *stale;
	const char *key = "cpu.high\x1f" "edge-1\x1f" "1";
	struct answer s = { .data = &fa };
	struct ids ids = { 0 };
	int64_t seq = -1, gen;

	if (!f->pg)
		skip();
	fire = mkevent("cpu.high", "1");
	stale = mkevent("cpu.high", "1");
	member_open(&a, f, "a", 10.0);
	member_open(&b, f, "b", 10.0);
	assert_int_equal(cluster_sync(a.st, &fa, true), 0);
	assert_int_equal(cluster_sync(b.st, &fb, true), 0);
	assert_int_equal(fb.members, 2);
	assert_int_equal(fb.taken, 0);
	assert_int_equal(fb.a_owned, 0);
	gen = fb.a_gen;
	/* Nothing changed hands: a heartbeat without the sources, the same gens. */
	assert_int_equal(cluster_sync(b.st, &fb, false), 0);
	assert_int_equal(fb.members, 2);
	assert_int_equal(fb.a_gen, gen);
	assert_int_equal(fb.a_owned, -1);

	assert_int_equal(cluster_take(a.st, &fa), 1);
	assert_int_equal(fa.taken_epoch, 1);
	/* Nobody polled it before. */
	assert_true(isnan(fa.taken_since));
	/* The take moved a's gen: b's next heartbeat tells, a full one counts it. */
	assert_int_equal(cluster_sync(b.st, &fb, false), 0);
	assert_true(fb.a_gen > gen);
	gen = fb.a_gen;
	assert_int_equal(cluster_sync(a.st, &fa, false), 0);
	assert_int_equal(fa.taken, 0);
	assert_int_equal(cluster_sync(a.st, &fa, true), 0);
	assert_int_equal(fa.taken, 1);
	assert_int_equal(fa.a_owned, 1);
	assert_int_equal(fa.a_gen, gen);
	fa.epoch = 1;
	store_set_cluster_hooks(a.st, &ha);
	store_state_save(a.st, key, "{\"v\":1}");
	assert_true(add_one(a.st, fire, &seq));
	assert_true(seq > 0);
	assert_int_equal(fa.refused, 0);
	/* a is live: b cannot take what a owns. */
	assert_int_equal(cluster_take(b.st, &fb), 0);

	memset(&s, 0, sizeof(s));
	store_cluster_release(a.st, (const char *[]){ "edge-1" }, 1, answered, &s);
	assert_int_equal(wait_answer(a.st, &s), 1);
	assert_int_equal(cluster_take(b.st, &fb), 1);
	assert_int_equal(fb.taken_epoch, 2);
	assert_int_equal(fb.states, 1);
	/* Given up by a, taken by b: a's gen moved again (b's heartbeat sees it). */
	assert_int_equal(cluster_sync(b.st, &fb, false), 0);
	assert_true(fb.a_gen > gen);
	/* a polled it until its release, just now. */
	assert_true(fabs(fb.taken_since - (double)time(NULL)) < 60);
	assert_string_equal(fb.json, "{\"v\":1}");

	/* a, not knowing, writes on under epoch 1: refused, and told. */
	store_state_save(a.st, key, "{\"v\":2}");
	seq = -1;
	assert_false(add_one(a.st, stale, &seq));
	assert_int_equal(seq, 0);
	assert_true(fa.refused >= 1);
	assert_int_equal(fa.refused_epoch, 1);
	assert_int_equal(cluster_take(b.st, &fb), 1);	/* b's again: epoch 3, a's state kept */
	assert_string_equal(fb.json, "{\"v\":1}");
	assert_int_equal(events_after(b.st, NULL, &ids), 1);
	assert_int_equal(depth(b.st), 1);
	member_close(&a);
	member_close(&b);
	event_free(fire);
	event_free(stale);
}

static void
test_backoff(void **state)
{
	(void)state;
	/* The ceiling doubles from the first delay up to the cap; jitter scales it. */
	assert_true(delivery_backoff(1, 5, 3600, 1.0) == 5);
	assert_true(delivery_backoff(2, 5, 3600, 1.0) == 10);
	assert_true(delivery_backoff(5, 5, 3600, 1.0) == 80);
	assert_true(delivery_backoff(15, 5, 3600, 1.0) == 3600);
	assert_true(delivery_backoff(1000, 5, 3600, 1.0) == 3600);
	assert_true(delivery_backoff(3, 5, 3600, 0.5) == 10);
	assert_true(delivery_backoff(3, 5, 3600, 0.0) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_commit_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uncommitted_batch_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_requests_and_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_state_and_subscribers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dynamic_subscribers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_claims_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_claims_between_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_cluster_fencing, setup, teardown),
		cmocka_unit_test(test_open_fails_cleanly),
		cmocka_unit_test(test_backoff),
	};

	log_init(LOG_LEVEL_WARNING, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
