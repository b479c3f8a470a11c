/*
 * The store's front: picks the backend by name and does what every backend
 * shares (see store.h): the open batch, the queue of committed batches, the
 * memory bound while the database is away, and the requests' life.
 *
 * Batches: writes go into st->open. store_commit appends it to st->ready,
 * the batches waiting to be sent, merging it into the last one while that
 * stays under MERGE_MAX events, so that a database slower than the loop
 * gets fewer, larger transactions. One batch at a time is in flight
 * (st->inflight). A failed commit goes back to the head of st->ready and is
 * sent again once the backend says the database is up, or after a backoff.
 */

#include "store.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "store_batch.h"
#include "store_impl.h"
#include "util.h"
#include "xmalloc.h"

#define OKEY_SEP	"\x1f"	/* separates the parts of an ordering key */
#define MERGE_MAX	10000	/* events a merged batch may reach */
#define RETRY_FIRST	0.2	/* seconds before a failed commit is sent again */
#define RETRY_MAX	2.0
#define CLOSE_GRACE	5.0	/* seconds store_close lets work in flight finish */

struct store {
	struct ev_loop *loop;
	const struct store_config *conf;	/* = &own */
	struct store_config own;		/* a copy: configs come and go with reloads */
	const struct store_ops *ops;
	void *be;
	int flags;
	struct store_batch *open;
	struct store_batch *ready, *ready_tail;
	struct store_batch *inflight;
	struct store_req *reqs;		/* open requests, for store_forget */
	size_t queued_events;		/* in open, ready and inflight */
	struct store_stats stats;
	struct store_hooks hooks;
	struct store_cluster_hooks cluster;
	bool backend_up;		/* as the backend last said */
	bool holding;
	bool failed;
	bool away;			/* commits are failing: the database is away */
	double away_since;
	enum store_error_kind away_kind;	/* what the failures logged ran into */
	enum store_error_kind err_kind;	/* of the failure about to be reported */
	size_t away_stored;		/* events stored since it came back */
	bool dropping;
	uint64_t dropped_now;		/* dropped since dropping began */
	double retry_delay;
	ev_timer retry;
	char err[512];
};

/* The backends, by name; one known by name but not built in says so. */
static const struct backend_entry {
	const char *name;
	const struct store_ops *ops;
} backends[] = {
	{ "sqlite", &store_sqlite_ops },
#ifdef HAVE_STORE_POSTGRES
	{ "postgres", &store_pg_ops },
#else
	{ "postgres", NULL },
#endif
};

static const struct store_ops *
backend_find(const char *name, bool *known)
{
	*known = false;
	for (size_t i = 0; i < NELEM(backends); i++)
		if (strcmp(backends[i].name, name) == 0) {
			*known = true;
			return backends[i].ops;
		}
	return NULL;
}

const char *
store_backend_at(size_t i, bool *compiled, const char **library)
{
	if (i >= NELEM(backends))
		return NULL;
	*compiled = backends[i].ops != NULL;
	*library = *compiled && backends[i].ops->library_version != NULL ?
	    backends[i].ops->library_version() : NULL;
	return backends[i].name;
}

const char *
store_backend_check(const char *name, char *buf, size_t len)
{
	bool known;

	if (backend_find(name, &known) != NULL)
		return NULL;
	if (known)
		snprintf(buf, len, "%s store not compiled in", name);
	else
		snprintf(buf, len, "unknown store backend \"%s\" (known: sqlite, postgres)", name);
	return buf;
}

static bool
str_equal(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

bool
store_config_equal(const struct store_config *a, const struct store_config *b)
{
	return str_equal(a->backend, b->backend) && str_equal(a->path, b->path) &&
	    str_equal(a->conninfo, b->conninfo) && str_equal(a->node, b->node) &&
	    a->queue_max == b->queue_max && a->lease_ttl == b->lease_ttl &&
	    a->max_size_mb == b->max_size_mb &&
	    a->durability == b->durability;
}

void
store_set_error(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

const char *
store_error(const struct store *st)
{
	return st->err;
}

void
store_set_error_kind(struct store *st, enum store_error_kind kind)
{
	st->err_kind = kind;
}

const char *
store_error_kind_name(enum store_error_kind kind)
{
	static const char *const names[STORE_ERR_KINDS] = {
		[STORE_ERR_OTHER] = "other", [STORE_ERR_FULL] = "full", [STORE_ERR_IO] = "io",
		[STORE_ERR_BUSY] = "busy", [STORE_ERR_UNREACHABLE] = "unreachable",
	};

	return kind < STORE_ERR_KINDS ? names[kind] : "other";
}

const struct store_stats *
store_stats(const struct store *st)
{
	return &st->stats;
}

double
store_claim_interval(const struct store *st)
{
	return st->ops->claim_interval;
}

bool
store_failed(const struct store *st)
{
	return st->failed;
}

const char *
store_backend_name(const struct store *st)
{
	return st->ops->name;
}

int
store_schema_latest(const struct store *st)
{
	return st->ops->schema_latest();
}

char *
store_order_key(const struct event *ev)
{
	return xasprintf("%s" OKEY_SEP "%s" OKEY_SEP "%s", ev->source, ev->rule,
	    ev->instance != NULL ? ev->instance : "");
}

static void
config_clear(struct store_config *c)
{
	free(c->backend);
	free(c->path);
	/* Holds a password, maybe: not left in freed memory. */
	if (c->conninfo != NULL)
		explicit_bzero(c->conninfo, strlen(c->conninfo));
	free(c->conninfo);
	free(c->node);
}

static struct store_batch *
open_batch(struct store *st)
{
	if (st->open == NULL)
		st->open = batch_new();
	return st->open;
}

/* The write calls: into the open batch. */

int
store_add(struct store *st, struct event *ev, const char *const *subs, size_t nsubs,
    double now, const struct store_ticket **tickets)
{
	if (st->queued_events >= st->conf->queue_max) {
		st->stats.dropped_events++;
		st->dropped_now++;
		if (!st->dropping) {
			st->dropping = true;
			log_warnx("store: the memory queue is full (%u events waiting for the "
			    "database): new events are DROPPED until it takes them",
			    st->conf->queue_max);
		}
		return -1;
	}
	batch_add(open_batch(st), ev, subs, nsubs, now, tickets);
	/*
	 * pollhook's own events (rule "pollhook": a discovery's found and lost, a
	 * subscriber's) come from work one member does, not from a source's polls:
	 * no ownership fences them.
	 */
	if (st->cluster.fence != NULL && strcmp(ev->rule, "pollhook") != 0)
		st->open->adds[st->open->nadds - 1].epoch =
		    st->cluster.fence(st->cluster.arg, ev->source, NULL);
	st->queued_events++;
	st->stats.queued_events = st->queued_events;
	return 0;
}

void
store_mark_done(struct store *st, int64_t seq)
{
	batch_mark(open_batch(st), STORE_MARK_DONE, seq, 0, 0, 0, NULL);
}

void
store_mark_retry(struct store *st, int64_t seq, unsigned attempts, double next_at, int status,
    const char *error)
{
	batch_mark(open_batch(st), STORE_MARK_RETRY, seq, attempts, next_at, status, error);
}

void
store_mark_dead(struct store *st, int64_t seq, unsigned attempts, int status, const char *error)
{
	batch_mark(open_batch(st), STORE_MARK_DEAD, seq, attempts, 0, status, error);
}

void
store_state_save(struct store *st, const char *key, const char *json)
{
	int64_t epoch = st->cluster.fence != NULL ?
	    st->cluster.fence(st->cluster.arg, NULL, key) : 0;

	batch_state(open_batch(st), xstrdup(key), xstrdup(json), epoch);
}

void
store_state_delete(struct store *st, const char *key)
{
	batch_state(open_batch(st), xstrdup(key), NULL, 0);
}

void
store_sub_disable(struct store *st, const char *name, const char *fp)
{
	batch_sub(open_batch(st), name, fp);
}

void
store_dsub_save(struct store *st, const char *name, const char *json)
{
	batch_dsub(open_batch(st), name, json);
}

void
store_silence_save(struct store *st, const char *id, const char *json)
{
	batch_silence(open_batch(st), id, json);
}

void
store_disc_save(struct store *st, const char *key, const char *json)
{
	batch_disc(open_batch(st), key, json);
}

void
store_sweep(struct store *st, int64_t before_ms)
{
	struct store_batch *b = open_batch(st);

	if (before_ms > b->sweep_before_ms)
		b->sweep_before_ms = before_ms;
}

void
store_import_delivery(struct store *st, const struct store_row *r)
{
	batch_import_delivery(open_batch(st), r);
}

void
store_import_event(struct store *st, const struct store_event *ev)
{
	batch_import_event(open_batch(st), ev);
}

bool
store_dirty(const struct store *st)
{
	return st->open != NULL && !batch_empty(st->open);
}

bool
store_idle(const struct store *st)
{
	return st->ready == NULL && st->inflight == NULL;
}

/* Commits */

static void kick(struct store *st);

static void
retry_later(struct store *st)
{
	if (ev_is_active(&st->retry))
		return;
	st->retry_delay = st->retry_delay > 0 ? fmin(st->retry_delay * 2, RETRY_MAX) : RETRY_FIRST;
	ev_timer_set(&st->retry, st->retry_delay, 0.);
	ev_timer_start(st->loop, &st->retry);
}

static void
retry_fire(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct store *st = container_of(w, struct store, retry);

	(void)loop;
	(void)revents;
	kick(st);
}

/* Sends the first ready batch when nothing is in flight and the backend can take it. */
static void
kick(struct store *st)
{
	struct store_batch *b;

	if (st->inflight != NULL || st->ready == NULL || st->failed || !st->backend_up ||
	    ev_is_active(&st->retry))
		return;
	b = st->ready;
	st->ready = b->next;
	if (st->ready == NULL)
		st->ready_tail = NULL;
	b->next = NULL;
	if (batch_empty(b)) {
		/* Only callbacks, of commits that had nothing new: the one before is stored. */
		for (size_t i = 0; i < b->ncbs; i++)
			if (b->cbs[i].fn != NULL)
				b->cbs[i].fn(b->cbs[i].arg, 0);
		batch_free(b);
		kick(st);
		return;
	}
	st->inflight = b;
	st->ops->commit(st->be, b);
}

void
store_commit(struct store *st, store_done_fn fn, void *arg)
{
	struct store_batch *b = open_batch(st), *t = st->ready_tail;

	st->open = NULL;
	if (fn != NULL)
		batch_callback(b, fn, arg);
	if (batch_empty(b) && st->ready == NULL && st->inflight == NULL) {
		/* Nothing to store and nothing before it: done now. */
		for (size_t i = 0; i < b->ncbs; i++)
			b->cbs[i].fn(b->cbs[i].arg, 0);
		batch_free(b);
		return;
	}
	if (t != NULL && t->nevents + b->nevents <= MERGE_MAX)
		batch_merge(t, b);
	else {
		if (t != NULL)
			t->next = b;
		else
			st->ready = b;
		st->ready_tail = b;
	}
	kick(st);
}

/* What the callbacks of a forgotten request become. */
static void
noop_row(void *arg, const struct store_row *row)
{
	(void)arg;
	(void)row;
}

static bool
noop_event(void *arg, const struct store_event *ev)
{
	(void)arg;
	(void)ev;
	return false;
}

static void
noop_pair(void *arg, const char *key, const char *value)
{
	(void)arg;
	(void)key;
	(void)value;
}

static void
noop_count(void *arg, const char *subscriber, long long n)
{
	(void)arg;
	(void)subscriber;
	(void)n;
}

static void
noop_member(void *arg, const struct store_member *m)
{
	(void)arg;
	(void)m;
}

static void
noop_own(void *arg, const char *source, int64_t epoch, double since)
{
	(void)arg;
	(void)source;
	(void)epoch;
	(void)since;
}

void
store_forget(struct store *st, void *arg)
{
	struct store_batch *lists[] = { st->open, st->inflight, st->ready };

	for (struct store_req *rq = st->reqs; rq != NULL; rq = rq->next) {
		if (rq->arg != arg)
			continue;
		rq->row = noop_row;
		rq->event = noop_event;
		rq->pair = noop_pair;
		rq->count = noop_count;
		rq->member = noop_member;
		rq->own = noop_own;
		rq->done = NULL;
	}
	for (size_t l = 0; l < NELEM(lists); l++)
		for (struct store_batch *b = lists[l]; b != NULL; b = b->next)
			for (size_t i = 0; i < b->ncbs; i++)
				if (b->cbs[i].arg == arg)
					b->cbs[i].fn = NULL;
}

static void
note_stored(struct store *st, size_t events)
{
	st->stats.commits++;
	st->stats.up = true;
	st->retry_delay = 0;
	if (st->away) {
		st->away = false;
		log_warnx("store: %s: the database %s again after %.1f s: "
		    "%zu events waited in memory and are stored now", st->ops->name,
		    st->away_kind == STORE_ERR_FULL ? "has room" : "is reachable",
		    ev_now(st->loop) - st->away_since, st->away_stored + events);
	}
	if (st->dropping && st->queued_events < st->conf->queue_max) {
		st->dropping = false;
		log_warnx("store: the memory queue has room again; %llu events were dropped "
		    "while it was full", (unsigned long long)st->dropped_now);
		st->dropped_now = 0;
	}
}

/*
 * Logged once when commits start failing (the next commits are retried
 * quietly, every RETRY_MAX seconds at most), and again only if what they
 * run into changes: a full disk that becomes an I/O error says so.
 */
static void
note_failed(struct store *st, const char *why, enum store_error_kind kind)
{
	st->stats.up = false;
	if (!st->away || kind != st->away_kind) {
		if (!st->away) {
			st->away = true;
			st->away_since = ev_now(st->loop);
			st->away_stored = 0;
		}
		st->away_kind = kind;
		log_warnx("store: %s: cannot store: %s; events wait in memory (at most %u)",
		    st->ops->name, why, st->conf->queue_max);
	} else
		log_debug("store: %s: still cannot store: %s", st->ops->name, why);
}

void
store_batch_done(struct store *st, struct store_batch *b, int status)
{
	enum store_error_kind kind = st->err_kind;

	st->err_kind = STORE_ERR_OTHER;
	if (b == st->inflight)
		st->inflight = NULL;
	if (status != 0) {
		st->stats.errors[kind]++;
		/* Tried again first: nothing of it was stored. */
		for (size_t i = 0; i < b->nadds; i++)
			for (size_t j = 0; j < b->adds[i].nsubs; j++)
				b->adds[i].tickets[j].seq = 0;
		if (st->failed) {
			for (size_t i = 0; i < b->ncbs; i++)
				if (b->cbs[i].fn != NULL)
					b->cbs[i].fn(b->cbs[i].arg, -1);
			st->queued_events -= b->nevents;
			st->stats.queued_events = st->queued_events;
			batch_free(b);
			return;
		}
		note_failed(st, st->err, kind);
		b->next = st->ready;
		st->ready = b;
		if (st->ready_tail == NULL)
			st->ready_tail = b;
		retry_later(st);
		return;
	}
	st->queued_events -= b->nevents;
	st->stats.queued_events = st->queued_events;
	note_stored(st, b->nevents);
	for (size_t i = 0; i < b->ncbs; i++)
		if (b->cbs[i].fn != NULL)
			b->cbs[i].fn(b->cbs[i].arg, 0);
	batch_free(b);
	kick(st);
}

/* Backend reports */

void
store_backend_up(struct store *st, bool up, const char *why)
{
	st->backend_up = up;
	if (!up) {
		note_failed(st, why, STORE_ERR_UNREACHABLE);
		return;
	}
	ev_timer_stop(st->loop, &st->retry);
	kick(st);
}

void
store_backend_holding(struct store *st, bool holding)
{
	bool was = st->holding;

	st->holding = holding;
	if (holding && !was && st->hooks.wake != NULL)
		st->hooks.wake(st->hooks.arg);
}

void
store_backend_reset(struct store *st)
{
	if (st->hooks.claims_reset != NULL)
		st->hooks.claims_reset(st->hooks.arg);
}

void
store_backend_wake(struct store *st)
{
	if (st->hooks.wake != NULL)
		st->hooks.wake(st->hooks.arg);
}

void
store_backend_cluster_wake(struct store *st)
{
	if (st->cluster.wake != NULL)
		st->cluster.wake(st->cluster.arg);
}

void
store_backend_fenced(struct store *st, const char *source, int64_t epoch)
{
	if (st->cluster.fenced != NULL)
		st->cluster.fenced(st->cluster.arg, source, epoch);
}

void
store_set_cluster_hooks(struct store *st, const struct store_cluster_hooks *hooks)
{
	st->cluster = *hooks;
}

void
store_backend_failed(struct store *st)
{
	st->failed = true;
}

bool
store_holding(const struct store *st)
{
	return st->holding;
}

void
store_set_hooks(struct store *st, const struct store_hooks *hooks)
{
	st->hooks = *hooks;
}

/* Requests */

struct store_req *
store_req_new(struct store *st, enum store_req_kind kind, store_done_fn done, void *arg)
{
	struct store_req *rq = xcalloc(1, sizeof(*rq));

	rq->st = st;
	rq->kind = kind;
	rq->done = done;
	rq->arg = arg;
	rq->next = st->reqs;
	if (st->reqs != NULL)
		st->reqs->prev = rq;
	st->reqs = rq;
	return rq;
}

void
store_req_run(struct store_req *rq)
{
	struct store *st = rq->st;

	if (st->failed) {
		store_set_error(st, "the store is not usable: %s", st->err);
		store_req_done(rq, -1);
		return;
	}
	st->ops->request(st->be, rq);
}

void
store_req_done(struct store_req *rq, long long result)
{
	struct store *st = rq->st;

	if (rq->prev != NULL)
		rq->prev->next = rq->next;
	else
		st->reqs = rq->next;
	if (rq->next != NULL)
		rq->next->prev = rq->prev;
	if (rq->done != NULL)
		rq->done(rq->arg, result);
	free(rq->after);
	for (size_t i = 0; i < rq->nnames; i++)
		free(rq->names[i]);
	free(rq->names);
	free(rq->version);
	free(rq);
}

void
store_claim(struct store *st, int limit, store_row_fn fn, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_CLAIM, done, arg);

	rq->limit = limit;
	rq->row = fn;
	rq->when = ev_time();
	store_req_run(rq);
}

void
store_claim_quiet(struct store *st, int limit, store_count_fn fn, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_CLAIM, done, arg);

	rq->limit = limit;
	rq->count = fn;		/* and no row function: quiet */
	rq->when = ev_time();
	store_req_run(rq);
}

/* A request whose rows are (key, value) pairs, each given to fn, then done. */
static void
load_pairs(struct store *st, enum store_req_kind kind, store_pair_fn fn, store_done_fn done,
    void *arg)
{
	struct store_req *rq = store_req_new(st, kind, done, arg);

	rq->pair = fn;
	store_req_run(rq);
}

void
store_states_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg)
{
	load_pairs(st, STORE_REQ_STATES, fn, done, arg);
}

void
store_subs_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg)
{
	load_pairs(st, STORE_REQ_SUBS, fn, done, arg);
}

void
store_dsubs_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg)
{
	load_pairs(st, STORE_REQ_DSUBS, fn, done, arg);
}

void
store_silences_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg)
{
	load_pairs(st, STORE_REQ_SILENCES, fn, done, arg);
}

void
store_discs_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg)
{
	load_pairs(st, STORE_REQ_DISCS, fn, done, arg);
}

void
store_drop_deliveries(struct store *st, const char *subscriber, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_DROP, done, arg);

	rq->after = xstrdup(subscriber);
	store_req_run(rq);
}

void
store_recover(struct store *st, const char *subscriber, double since, store_done_fn done,
    void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_RECOVER, done, arg);

	rq->after = xstrdup(subscriber);
	rq->when = since;
	store_req_run(rq);
}

void
store_events_after(struct store *st, const char *after, int limit, store_event_fn fn,
    store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_EVENTS, done, arg);

	rq->after = xstrdup(after);
	rq->limit = limit;
	rq->event = fn;
	store_req_run(rq);
}

void
store_deliveries_page(struct store *st, enum store_dstate state, int64_t after, int limit,
    store_row_fn fn, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_DELIVERIES, done, arg);

	rq->state = state;
	rq->seq = after;
	rq->limit = limit;
	rq->row = fn;
	store_req_run(rq);
}

void
store_pending_page(struct store *st, const char *subscriber, int64_t after, int limit,
    store_row_fn fn, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_PENDING, done, arg);

	rq->after = xstrdup(subscriber);
	rq->seq = after;
	rq->limit = limit;
	rq->row = fn;
	store_req_run(rq);
}

void
store_count_by_subscriber(struct store *st, enum store_dstate state, int limit,
    store_count_fn fn, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_COUNT, done, arg);

	rq->state = state;
	rq->limit = limit;
	rq->count = fn;
	store_req_run(rq);
}

void
store_depth(struct store *st, store_done_fn done, void *arg)
{
	store_req_run(store_req_new(st, STORE_REQ_DEPTH, done, arg));
}

void
store_request_retry(struct store *st, int64_t seq, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_RETRY, done, arg);

	rq->seq = seq;
	store_req_run(rq);
}

void
store_purge(struct store *st, double before, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_PURGE, done, arg);

	rq->when = before;
	store_req_run(rq);
}

void
store_schema_version(struct store *st, store_done_fn done, void *arg)
{
	store_req_run(store_req_new(st, STORE_REQ_SCHEMA, done, arg));
}

/* Life */

struct store *
store_open(struct ev_loop *loop, const struct store_config *conf, int flags, char *err,
    size_t errlen)
{
	struct store *st;
	const struct store_ops *ops;
	bool known;

	if ((ops = backend_find(conf->backend, &known)) == NULL) {
		store_backend_check(conf->backend, err, errlen);
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->loop = loop;
	st->own = *conf;
	st->own.backend = xstrdup(conf->backend);
	st->own.path = xstrdup(conf->path);
	st->own.conninfo = xstrdup(conf->conninfo);
	st->own.node = xstrdup(conf->node);
	st->conf = &st->own;
	st->ops = ops;
	st->flags = flags;
	st->stats.up = true;
	ev_timer_init(&st->retry, retry_fire, 0., 0.);
	st->be = ops->open(st, loop, st->conf, flags, err, errlen);
	if (st->be == NULL) {
		config_clear(&st->own);
		free(st);
		return NULL;
	}
	return st;
}

static void
wait_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	*(bool *)w->data = true;
}

int
store_wait(struct store *st, const bool *done, double timeout)
{
	bool expired = false;
	ev_timer t;

	ev_timer_init(&t, wait_timeout, timeout, 0.);
	t.data = &expired;
	ev_timer_start(st->loop, &t);
	while (!*done && !expired)
		ev_run(st->loop, EVRUN_ONCE);
	ev_timer_stop(st->loop, &t);
	if (*done)
		return 0;
	store_set_error(st, "no answer from the %s store within %.0f s", st->ops->name, timeout);
	return -1;
}

/* Whether nothing committed could still be stored: the batches went, or cannot go. */
static bool
stored_all(const struct store *st)
{
	return store_idle(st) || !st->backend_up || st->failed;
}

static bool
not_busy(const struct store *st)
{
	return !st->ops->busy(st->be);
}

/* Runs the loop until done(st) or secs pass. */
static void
run_until(struct store *st, bool (*done)(const struct store *st), double secs)
{
	bool expired = false;
	ev_timer t;

	ev_timer_init(&t, wait_timeout, secs, 0.);
	t.data = &expired;
	ev_timer_start(st->loop, &t);
	while (!done(st) && !expired)
		ev_run(st->loop, EVRUN_ONCE);
	ev_timer_stop(st->loop, &t);
}

void
store_close(struct store *st)
{
	size_t lost = 0;

	if (st == NULL)
		return;
	if (store_dirty(st))
		store_commit(st, NULL, NULL);
	/* What is committed gets its chance before the claims go. */
	ev_timer_stop(st->loop, &st->retry);
	kick(st);
	run_until(st, stored_all, CLOSE_GRACE);
	if (st->flags & STORE_CLAIMS) {
		st->ops->release(st->be);
		run_until(st, not_busy, CLOSE_GRACE);
	}
	st->failed = true;	/* what fails from now on is not tried again */
	st->ops->close(st->be);
	ev_timer_stop(st->loop, &st->retry);
	while (st->ready != NULL) {
		struct store_batch *b = st->ready;

		st->ready = b->next;
		lost += b->nevents;
		for (size_t i = 0; i < b->ncbs; i++)
			if (b->cbs[i].fn != NULL)
				b->cbs[i].fn(b->cbs[i].arg, -1);
		batch_free(b);
	}
	if (st->open != NULL) {
		lost += st->open->nevents;
		batch_free(st->open);
	}
	if (lost > 0)
		log_warnx("store: %zu events were never stored: the database %s until the end",
		    lost, st->away_kind == STORE_ERR_FULL ? "was full" : "was unreachable");
	config_clear(&st->own);
	free(st);
}
