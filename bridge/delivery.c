#include "delivery.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "emitter.h"
#include "hmap.h"
#include "kinds.h"
#include "log.h"
#include "router.h"
#include "slice.h"
#include "transform_worker.h"
#include "util.h"
#include "xmalloc.h"

/*
 * Claims come when the store wakes the daemon (a retry requested, a NOTIFY),
 * every store_claim_interval where leases lapse silently, and at each sweep
 * (a request whose wake-up was lost).
 */
#define CLAIM_LIMIT	1000	/* deliveries one claim hands over at most */
/*
 * Outcomes alone wait this long for a commit: at thousands of deliveries a
 * second (a backlog draining), fewer commits rewrite fewer hot pages; 0.05
 * cost 76-85 us of CPU per delivery in outage_bench's drain, 0.2 59-61 us.
 */
#define MARK_DELAY 0.2
#define SWEEP_INTERVAL 60.0	/* seconds between sweeps of delivered events */
#define EVENT_RETENTION 3600.0	/* delivered events are kept this long (history) */
/*
 * Attempts one loop iteration may start (signing, a transfer set up), or
 * seconds: with max_in_flight in the hundreds, the rest start in the next
 * iterations, timers and sockets served in between.
 */
#define PUMP_BUDGET	64
#define PUMP_TIME	0.002
#define TOTAL_IN_FLIGHT	512	/* attempts at once over every subscriber: a fan-out
				   to thousands queues here, not as open sockets */
#define PAGE_MAX	4096	/* rows one read of the store brings back at most */
#define PAGE_RETRY	1.0	/* seconds before a failed read is made again */

struct sub_rt;

/* A caller of delivery_commit. */
struct waiter {
	store_done_fn fn;
	void *arg;
};

/* One (event, subscriber) delivery in memory, mirrored by a row of the store. */
struct dlv {
	int64_t seq;
	const struct store_ticket *tk;	/* while staged: what its commit made of it */
	struct event *ev;	/* one reference */
	struct keyq *kq;
	unsigned attempts;
	double created;
	double next_at;
	size_t heap_idx;	/* position in the retry heap, or SIZE_MAX */
	struct dlv *next;	/* in its key queue */
	struct sub_rt *sub;	/* NULL when the subscriber went away in flight */
	bool in_flight;
	struct format_body body;	/* this attempt's, rendered when it starts */
};

/* The deliveries of one ordering key, oldest first; only the head may be attempted. */
struct keyq {
	char *okey;
	struct dlv *head, *tail;
	struct keyq *ready_next;
	bool ready;
};

struct sub_rt {
	struct delivery *d;
	const struct subscriber_config *conf;
	char *name;		/* owned: outlives reloads */
	void *state;
	bool disabled;		/* by a 410, until its configuration changes */
	bool dynamic;		/* added at run time (the API), not by the config */
	bool held;		/* a dynamic one disabled: its deliveries wait */
	struct hmap keys;	/* okey -> struct keyq */
	struct keyq *ready_head, *ready_tail;
	struct dlv **heap;	/* heads waiting for next_at, min-heap */
	size_t nheap, capheap;
	ev_timer timer;
	size_t in_flight;
	bool pumping;		/* sub_pump is on the stack: emitters may complete
				   inside deliver(), and must not recurse */
	bool starved;		/* in d's starved list: ready, but TOTAL_IN_FLIGHT reached */
	struct sub_rt *starved_next;
	/*
	 * The memory window: at most window deliveries in memory (nqueued).
	 * Past it the subscriber is spilled: every delivery it holds with a
	 * seq above cursor is left in the store (where it already is) and read
	 * back in seq order, page by page, as the window drains; those at or
	 * below cursor are all in memory or done. Since each key's deliveries
	 * are in seq order, memory holds the oldest of each key: order holds.
	 */
	size_t nqueued;
	size_t page_limit;	/* the rows the read in flight asked for */
	int64_t max_seq;	/* the highest seq ever queued in memory */
	int64_t cursor;
	bool spilled;
	bool paging;		/* a read of the store is in flight */
	bool page_failed;	/* the last read failed (logged once until one succeeds) */
	bool in_page, page_again;	/* page_in is on the stack; and is asked again */
};

/* The deliveries of one commit, waiting for the store to say they are stored. */
struct gen {
	struct dlv **items;
	size_t n;
	struct gen *next;
};

struct delivery {
	struct ev_loop *loop;
	struct store *st;
	const struct config *cfg;
	struct sub_rt **subs;
	size_t nsubs, capsubs;
	struct hmap byname;	/* name -> struct sub_rt */
	const struct subscriber_config **dyn;	/* the dynamic ones' confs, borrowed */
	size_t ndyn, capdyn;
	delivery_observer_fn observe;
	void *observe_arg;
	struct sub_rt *starved_head, *starved_tail;	/* waiting for TOTAL_IN_FLIGHT */
	struct waiter *waiters;	/* delivery_commit's, for this iteration's commit */
	size_t nwaiters, capwaiters;
	struct kinds kinds;	/* the shared state of each emitter kind */
	struct tworker *tw;	/* runs the jq transforms; started with the first */
	struct dlv **staged;	/* waiting for this iteration's commit */
	size_t nstaged, capstaged;
	struct gen *gens, *gens_tail;	/* committed, oldest first */
	struct hmap disabled;	/* subscriber -> fingerprint it was disabled under (owned) */
	bool loaded;		/* the disabled subscribers are known: attempts may start */
	bool resumed;		/* the first claims (the backlog at start) are done */
	size_t resumed_n;
	bool claiming, claim_again, in_claim;
	int round_retries, round_taken;	/* what the claims in progress handed over */
	ev_prepare commit;
	struct slice pump;	/* the attempts' budget per loop iteration */
	ev_timer mark_flush;
	ev_timer claim_timer;
	ev_timer sweep;
	ev_timer page_retry;	/* a read of the store failed: try again */
	size_t window;		/* bridge.delivery.memory_window */
	bool settled;		/* no claim round in progress: reads may start */
	bool draining;
	struct delivery_stats stats;
};

static void sub_pump(struct sub_rt *s);
static void pump_starved(struct delivery *d);
static void flush_waiters(struct delivery *d);

double
delivery_backoff(unsigned attempt, double first, double cap, double jitter01)
{
	double ceiling = first;

	for (unsigned i = 1; i < attempt && ceiling < cap; i++)
		ceiling *= 2;
	if (ceiling > cap)
		ceiling = cap;
	return ceiling * jitter01;
}

static double
jitter(void)
{
	uint32_t r;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)random();
	return (double)r / 4294967296.0;
}

/* Retry heap, ordered by next_at. */

static void
heap_swap(struct sub_rt *s, size_t a, size_t b)
{
	struct dlv *t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->heap_idx = a;
	s->heap[b]->heap_idx = b;
}

static void
heap_push(struct sub_rt *s, struct dlv *it)
{
	size_t i;

	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 16;
		s->heap = xreallocarray(s->heap, s->capheap, sizeof(*s->heap));
	}
	i = s->nheap++;
	s->heap[i] = it;
	it->heap_idx = i;
	while (i > 0 && s->heap[(i - 1) / 2]->next_at > s->heap[i]->next_at) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static struct dlv *
heap_pop(struct sub_rt *s)
{
	struct dlv *top = s->heap[0];
	size_t i = 0;

	s->nheap--;
	if (s->nheap > 0) {
		s->heap[0] = s->heap[s->nheap];
		s->heap[0]->heap_idx = 0;
		for (;;) {
			size_t l = 2 * i + 1, r = l + 1, m = i;

			if (l < s->nheap && s->heap[l]->next_at < s->heap[m]->next_at)
				m = l;
			if (r < s->nheap && s->heap[r]->next_at < s->heap[m]->next_at)
				m = r;
			if (m == i)
				break;
			heap_swap(s, i, m);
			i = m;
		}
	}
	top->heap_idx = SIZE_MAX;
	return top;
}

static void
arm_timer(struct sub_rt *s)
{
	ev_timer_stop(s->d->loop, &s->timer);
	if (s->nheap == 0)
		return;
	ev_timer_set(&s->timer, fmax(0.0, s->heap[0]->next_at - ev_now(s->d->loop)), 0.);
	ev_timer_start(s->d->loop, &s->timer);
}

static void
ready_push(struct sub_rt *s, struct keyq *kq)
{
	if (kq->ready)
		return;
	kq->ready = true;
	kq->ready_next = NULL;
	if (s->ready_tail != NULL)
		s->ready_tail->ready_next = kq;
	else
		s->ready_head = kq;
	s->ready_tail = kq;
}

static struct keyq *
ready_pop(struct sub_rt *s)
{
	struct keyq *kq = s->ready_head;

	if (kq == NULL)
		return NULL;
	s->ready_head = kq->ready_next;
	if (s->ready_head == NULL)
		s->ready_tail = NULL;
	kq->ready = false;
	return kq;
}

/* Makes the head of kq attemptable now or when its retry time comes. */
static void
schedule_head(struct sub_rt *s, struct keyq *kq)
{
	struct dlv *it = kq->head;

	if (it->next_at <= ev_now(s->d->loop))
		ready_push(s, kq);
	else {
		heap_push(s, it);
		if (s->heap[0] == it)
			arm_timer(s);
	}
}

/* Queues it behind its key; a claimed copy of a delivery already queued is dropped. */
static void
enqueue(struct sub_rt *s, struct dlv *it)
{
	char *key = store_order_key(it->ev);
	struct keyq *kq;

	kq = hmap_get(&s->keys, key);
	/* A key's queue is in seq order but for dead letters asked for again. */
	for (struct dlv *o = kq != NULL && kq->tail->seq >= it->seq ? kq->head : NULL;
	    o != NULL; o = o->next) {
		if (o->seq == it->seq) {
			free(key);
			event_free(it->ev);
			free(it);
			return;
		}
	}
	if (kq == NULL) {
		kq = xcalloc(1, sizeof(*kq));
		kq->okey = key;
		hmap_put(&s->keys, key, kq);
	} else
		free(key);
	it->sub = s;
	it->kq = kq;
	it->heap_idx = SIZE_MAX;
	it->next = NULL;
	s->d->stats.queued++;
	s->nqueued++;
	if (it->seq > s->max_seq)
		s->max_seq = it->seq;
	if (kq->tail != NULL) {
		kq->tail->next = it;
		kq->tail = it;
		return;
	}
	kq->head = kq->tail = it;
	schedule_head(s, kq);
}

static void
item_free(struct dlv *it)
{
	format_body_clear(&it->body);
	event_free(it->ev);
	free(it);
}

/* Removes the head of its key queue after a final outcome and moves on. */
static void
finish_head(struct sub_rt *s, struct dlv *it)
{
	struct keyq *kq = it->kq;

	kq->head = it->next;
	if (kq->head == NULL) {
		kq->tail = NULL;
		hmap_del(&s->keys, kq->okey);
		free(kq->okey);
		free(kq);
	} else
		schedule_head(s, kq);
	s->d->stats.queued--;
	s->nqueued--;
	item_free(it);
}

static void
mark_dead(struct sub_rt *s, struct dlv *it, int status, const char *why)
{
	struct delivery *d = s->d;

	log_warnx("%s/%s: event %s (%s) dead after %u attempt%s: %s",
	    s->conf->emitter->name, s->name, it->ev->id, it->ev->name, it->attempts,
	    it->attempts == 1 ? "" : "s", why);
	store_mark_dead(d->st, it->seq, it->attempts, status, why);
	d->stats.dead++;
	finish_head(s, it);
}

static void
attempt_done(void *arg, const struct delivery_outcome *out)
{
	struct dlv *it = arg;
	struct sub_rt *s = it->sub;
	struct delivery *d;
	double now, delay;

	it->in_flight = false;
	format_body_clear(&it->body);
	if (s == NULL) {
		/* Its subscriber was removed by a reload while this ran. */
		item_free(it);
		return;
	}
	d = s->d;
	s->in_flight--;
	d->stats.in_flight--;
	if (s->dynamic && d->observe != NULL && out->result != DELIVERY_CANCELLED)
		d->observe(d->observe_arg, s->name, out);
	switch (out->result) {
	case DELIVERY_CANCELLED:
		/* The emitter stopped (shutting down): the row stays pending as it was. */
		ready_push(s, it->kq);
		return;
	case DELIVERY_OK:
		store_mark_done(d->st, it->seq);
		d->stats.ok++;
		hist_add(&d->stats.latency, ev_time() - (double)it->ev->ts_ms / 1000.0);
		finish_head(s, it);
		break;
	case DELIVERY_FAIL:
		mark_dead(s, it, out->status, out->error);
		break;
	case DELIVERY_GONE:
		if (s->dynamic) {
			/* The observer disabled it (delivery_hold): PATCH enables it again. */
			d->stats.gone++;
			mark_dead(s, it, out->status, out->error);
			break;
		}
		log_warnx("%s/%s: the receiver answered %d (gone): subscriber disabled until "
		    "its configuration changes", s->conf->emitter->name, s->name, out->status);
		s->disabled = true;
		store_sub_disable(d->st, s->name, s->conf->fingerprint);
		free(hmap_put(&d->disabled, s->name, xstrdup(s->conf->fingerprint)));
		d->stats.gone++;
		mark_dead(s, it, out->status, out->error);
		break;
	case DELIVERY_RETRY:
		now = ev_now(d->loop);
		delay = delivery_backoff(it->attempts, s->conf->retry_first, s->conf->retry_cap,
		    jitter());
		if (out->retry_after > delay)
			delay = out->retry_after;
		if (it->attempts >= s->conf->max_attempts) {
			mark_dead(s, it, out->status, out->error);
			break;
		}
		if (now + delay - it->created > s->conf->max_age) {
			mark_dead(s, it, out->status, "max_age reached");
			break;
		}
		log_debug("%s/%s: event %s attempt %u failed (%s), retry in %.1fs",
		    s->conf->emitter->name, s->name, it->ev->id, it->attempts, out->error, delay);
		it->next_at = now + delay;
		store_mark_retry(d->st, it->seq, it->attempts, it->next_at, out->status,
		    out->error);
		d->stats.retried++;
		schedule_head(s, it->kq);
		break;
	}
	sub_pump(s);
	pump_starved(d);
}

/* Fails the attempt it at once: its body could not be made (it goes to the dead letters). */
static void
render_failed(struct dlv *it, const char *why)
{
	struct delivery_outcome out = { .result = DELIVERY_FAIL };
	struct sub_rt *s = it->sub;

	if (s != NULL)
		log_warnx("%s/%s: event %s: no body in format %s: %s", s->conf->emitter->name,
		    s->name, it->ev->id, format_name(&s->conf->format), why);
	snprintf(out.error, sizeof(out.error), "%s", why);
	attempt_done(it, &out);
}

/* The transform worker's answer: the body, or why there is none. */
static void
transformed(void *arg, int rc, char *res, size_t len, const char *err)
{
	struct dlv *it = arg;
	struct sub_rt *s = it->sub;

	if (s == NULL) {
		/* Its subscriber went away meanwhile (or the daemon stops). */
		free(res);
		item_free(it);
		return;
	}
	if (rc != 0) {
		render_failed(it, err);
		return;
	}
	it->body.buf = res;
	it->body.data = res;
	it->body.len = len;
	it->body.content_type = "application/json";
	s->conf->emitter->deliver(s->state, it->ev, &it->body, it->attempts, attempt_done, it);
}

/* Renders the body of it in its subscriber's format and hands it to the emitter. */
static void
start_attempt(struct sub_rt *s, struct dlv *it)
{
	const struct format_conf *fc = &s->conf->format;
	char err[256];

	if (fc->transform != NULL) {
		if (s->d->tw == NULL)
			s->d->tw = tworker_new(s->d->loop);
		tworker_submit(s->d->tw, fc->transform, it->ev->body, strlen(it->ev->body),
		    transformed, it);
		return;
	}
	if (format_render(fc, it->ev, s->name, &it->body, err, sizeof(err)) != 0) {
		render_failed(it, err);
		return;
	}
	s->conf->emitter->deliver(s->state, it->ev, &it->body, it->attempts, attempt_done, it);
}

/*
 * Says whether a delivery of s with seq, held by this instance, goes into
 * memory now; when not, it waits in the store and a later page brings it.
 */
static bool
admit(struct sub_rt *s, int64_t seq)
{
	if (s->spilled)
		return seq <= s->cursor;
	if (s->nqueued < s->d->window)
		return true;
	/* The window is full: from here on the store holds the newer ones. */
	log_debug("%s/%s: %zu deliveries in memory: newer ones wait in the store",
	    s->conf->emitter->name, s->name, s->nqueued);
	s->spilled = true;
	s->cursor = s->max_seq;
	return seq <= s->cursor;
}

static void page_in(struct sub_rt *s);

static void
paged_row(void *arg, const struct store_row *r);

/* A page of what s left in the store: a short one means it is all in memory now. */
static void
paged(void *arg, long long n)
{
	struct sub_rt *s = arg;
	struct delivery *d = s->d;

	s->paging = false;
	if (n < 0) {
		if (!s->page_failed)
			log_warnx("%s/%s: cannot read pending deliveries back from the store: %s; "
			    "trying again every %.0f s", s->conf->emitter->name, s->name,
			    store_error(d->st), PAGE_RETRY);
		s->page_failed = true;
		if (!ev_is_active(&d->page_retry))
			ev_timer_start(d->loop, &d->page_retry);
		return;
	}
	if (s->page_failed)
		log_info("%s/%s: pending deliveries are read from the store again",
		    s->conf->emitter->name, s->name);
	s->page_failed = false;
	if (n < (long long)s->page_limit) {
		s->spilled = false;
		log_debug("%s/%s: every pending delivery is in memory again",
		    s->conf->emitter->name, s->name);
	}
	sub_pump(s);
	pump_starved(d);
}

/*
 * Reads the next page of s's deliveries from the store when its window has
 * room. A page that completes within the call (SQLite) asks for the next
 * one here, in a loop, not by recursion.
 */
static void
page_in(struct sub_rt *s)
{
	struct delivery *d = s->d;
	size_t room;

	if (s->in_page) {
		s->page_again = true;
		return;
	}
	s->in_page = true;
	do {
		s->page_again = false;
		if (!s->spilled || s->paging || !d->loaded || !d->settled || d->draining ||
		    s->nqueued > d->window / 2)
			break;
		room = d->window - s->nqueued;
		s->page_limit = room < PAGE_MAX ? room : PAGE_MAX;
		s->paging = true;
		store_pending_page(d->st, s->name, s->cursor, (int)s->page_limit, paged_row, paged,
		    s);
	} while (s->page_again);
	s->in_page = false;
}

static void
sub_pump(struct sub_rt *s)
{
	struct delivery *d = s->d;

	if (s->pumping)
		return;
	s->pumping = true;
	/* No attempt without a current claim: another instance may hold it otherwise. */
	while (!d->draining && d->loaded && !s->disabled && !s->held && store_holding(d->st) &&
	    s->in_flight < s->conf->max_in_flight && d->stats.in_flight < TOTAL_IN_FLIGHT &&
	    s->ready_head != NULL) {
		struct keyq *kq;
		struct dlv *it;

		if (!slice_take(&d->pump, 1)) {
			/* The rest start in the next iterations (pump_resume). */
			slice_wait(&d->pump);
			break;
		}
		kq = ready_pop(s);
		it = kq->head;
		it->attempts++;
		it->in_flight = true;
		s->in_flight++;
		d->stats.in_flight++;
		start_attempt(s, it);
	}
	if (d->stats.in_flight >= TOTAL_IN_FLIGHT && s->ready_head != NULL && !s->starved) {
		s->starved = true;
		s->starved_next = NULL;
		if (d->starved_tail != NULL)
			d->starved_tail->starved_next = s;
		else
			d->starved_head = s;
		d->starved_tail = s;
	}
	s->pumping = false;
	page_in(s);
}

/* Attempts ended: the subscribers that waited for room go, in the order they waited. */
static void
pump_starved(struct delivery *d)
{
	while (d->starved_head != NULL && d->stats.in_flight < TOTAL_IN_FLIGHT) {
		struct sub_rt *s = d->starved_head;

		d->starved_head = s->starved_next;
		if (d->starved_head == NULL)
			d->starved_tail = NULL;
		s->starved = false;
		sub_pump(s);
	}
}

static void
unstarve(struct delivery *d, struct sub_rt *s)
{
	struct sub_rt **pp = &d->starved_head, *prev = NULL;

	if (!s->starved)
		return;
	for (; *pp != NULL; prev = *pp, pp = &(*pp)->starved_next)
		if (*pp == s) {
			*pp = s->starved_next;
			if (d->starved_tail == s)
				d->starved_tail = prev;
			break;
		}
	s->starved = false;
}

static void
sub_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sub_rt *s = container_of(w, struct sub_rt, timer);
	double now = ev_now(loop);

	(void)revents;
	while (s->nheap > 0 && s->heap[0]->next_at <= now)
		ready_push(s, heap_pop(s)->kq);
	arm_timer(s);
	sub_pump(s);
}

static struct sub_rt *
find_sub(struct delivery *d, const char *name)
{
	return hmap_get(&d->byname, name);
}

static void
stage(struct delivery *d, struct dlv *it)
{
	if (d->nstaged == d->capstaged) {
		d->capstaged = d->capstaged ? d->capstaged * 2 : 64;
		d->staged = xreallocarray(d->staged, d->capstaged, sizeof(*d->staged));
	}
	d->staged[d->nstaged++] = it;
}

const char *const delivery_reason_names[4] = { "parent", "silence", "maintenance", "other" };

/* Stores a held-back event with no delivery (its body says why), and counts it. */
static void
store_suppressed(struct delivery *d, struct event *ev)
{
	size_t r, len = strcspn(ev->suppressed, ":");

	for (r = 0; r < DLV_REASON_OTHER; r++)
		if (strlen(delivery_reason_names[r]) == len &&
		    strncmp(delivery_reason_names[r], ev->suppressed, len) == 0)
			break;
	d->stats.suppressed[r]++;
	store_add(d->st, ev, NULL, 0, ev_now(d->loop), NULL);
	event_free(ev);
}

void
delivery_submit(struct delivery *d, struct event *ev)
{
	const char **names;
	struct sub_rt **targets;
	const struct store_ticket **tickets;
	double now = ev_now(d->loop);
	size_t n = 0;

	if (ev->suppressed != NULL) {
		d->stats.events++;
		store_suppressed(d, ev);
		return;
	}
	names = xcalloc(d->nsubs, sizeof(*names));
	targets = xcalloc(d->nsubs, sizeof(*targets));
	tickets = xcalloc(d->nsubs, sizeof(*tickets));
	for (size_t i = 0; i < d->nsubs; i++) {
		if (!router_match(d->subs[i]->conf, ev))
			continue;
		names[n] = d->subs[i]->name;
		targets[n++] = d->subs[i];
	}
	d->stats.events++;
	/* Refused only when the memory queue is full: the store logs and counts it. */
	if (n > 0 && store_add(d->st, ev, names, n, now, tickets) != 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		struct dlv *it = xcalloc(1, sizeof(*it));

		it->tk = tickets[i];
		it->ev = event_ref(ev);
		it->created = it->next_at = now;
		it->sub = targets[i];
		stage(d, it);
	}
	free(names);
	free(targets);
	free(tickets);
	event_free(ev);
}

static void
pump_all(struct delivery *d)
{
	for (size_t i = 0; i < d->nsubs; i++)
		sub_pump(d->subs[i]);
}

/* A new iteration's budget: start what waited for it. */
static void
pump_resume(struct slice *sl)
{
	struct delivery *d = container_of(sl, struct delivery, pump);

	slice_clear(sl);
	pump_all(d);
}

/*
 * A commit ended: its deliveries are stored, so attempts may start, for
 * those this instance holds. The others wait in the store for whoever
 * holds their key (store_claim brings them here when that is this one).
 */
static void
commit_done(void *arg, long long result)
{
	struct delivery *d = arg;
	struct gen *g = d->gens;

	d->gens = g->next;
	if (d->gens == NULL)
		d->gens_tail = NULL;
	for (size_t i = 0; i < g->n; i++) {
		struct dlv *it = g->items[i];

		if (result >= 0 && it->sub != NULL && it->tk->claimed && it->tk->seq != 0 &&
		    admit(it->sub, it->tk->seq)) {
			it->seq = it->tk->seq;
			it->tk = NULL;
			enqueue(it->sub, it);
		} else
			item_free(it);
	}
	free(g->items);
	free(g);
	/* Pumping may complete and free items: they are not looked at again. */
	if (result >= 0)
		pump_all(d);
}

/* Sends the staged deliveries' batch; commit_done queues them once it is stored. */
static void
flush_staged(struct delivery *d)
{
	struct gen *g;

	if (d->nstaged == 0) {
		if (store_dirty(d->st))
			store_commit(d->st, NULL, NULL);
		return;
	}
	g = xcalloc(1, sizeof(*g));
	g->items = d->staged;
	g->n = d->nstaged;
	d->staged = NULL;
	d->nstaged = d->capstaged = 0;
	if (d->gens_tail != NULL)
		d->gens_tail->next = g;
	else
		d->gens = g;
	d->gens_tail = g;
	/* Attempt outcomes made meanwhile go with the next batch. */
	store_commit(d->st, commit_done, d);
}

/*
 * Once per loop iteration, before it blocks: new events are committed at
 * once, since no attempt may start before they are durable. Outcomes alone
 * (a delivery done, a retry time) can wait MARK_DELAY for company: losing
 * one in a crash only means a duplicate with the same id, and batching them
 * saves an fsync per completed delivery.
 */
static void
commit_batch(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct delivery *d = container_of(w, struct delivery, commit);

	(void)revents;
	if (d->nwaiters > 0)
		flush_waiters(d);
	else if (d->nstaged > 0) {
		ev_timer_stop(loop, &d->mark_flush);
		flush_staged(d);
	} else if (store_dirty(d->st) && !ev_is_active(&d->mark_flush)) {
		ev_timer_set(&d->mark_flush, MARK_DELAY, 0.);
		ev_timer_start(loop, &d->mark_flush);
	}
}

static void
mark_flush(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct delivery *d = container_of(w, struct delivery, mark_flush);

	(void)loop;
	(void)revents;
	flush_staged(d);
}

static void claim(struct delivery *d);

static void
sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct delivery *d = container_of(w, struct delivery, sweep);

	(void)revents;
	store_sweep(d->st, (int64_t)((ev_now(loop) - EVENT_RETENTION) * 1000));
	if (d->loaded)
		claim(d);
}

static struct dlv *
item_from_row(const struct store_row *r)
{
	struct dlv *it = xcalloc(1, sizeof(*it));
	struct event *ev = event_new(r->event_name, r->rule, r->source, r->instance, NULL,
	    r->ts_ms);

	snprintf(ev->id, sizeof(ev->id), "%s", r->event_id);
	ev->body = xstrdup(r->body);
	json_object_put(ev->payload);
	ev->payload = NULL;
	it->seq = r->seq;
	it->ev = ev;
	it->attempts = r->attempts;
	it->created = r->created;
	it->next_at = r->next_at;
	return it;
}

static void
claimed_row(void *arg, const struct store_row *r)
{
	struct delivery *d = arg;
	struct sub_rt *s = find_sub(d, r->subscriber);

	if (r->state == STORE_RETRY)
		d->round_retries++;
	else
		d->round_taken++;
	if (s == NULL) {
		d->stats.orphaned++;
		return;
	}
	if (admit(s, r->seq))
		enqueue(s, item_from_row(r));
}

/* What a quiet claim took of subscriber: it is read back from the store in pages. */
static void
claimed_count(void *arg, const char *subscriber, long long n)
{
	struct delivery *d = arg;

	d->round_taken += (int)n;
	if (find_sub(d, subscriber) == NULL)
		d->stats.orphaned += (uint64_t)n;
}

static void
paged_row(void *arg, const struct store_row *r)
{
	struct sub_rt *s = arg;

	if (r->seq > s->cursor)
		s->cursor = r->seq;
	enqueue(s, item_from_row(r));
}


static void
claim_done(void *arg, long long n)
{
	struct delivery *d = arg;

	d->claiming = false;
	if (n >= CLAIM_LIMIT)
		d->claim_again = true;	/* a full page: there may be more */
	if (d->round_retries > 0)
		log_info("store: %d dead letter%s queued again", d->round_retries,
		    d->round_retries == 1 ? "" : "s");
	if (!d->resumed) {
		d->resumed_n += (size_t)d->round_taken;
		if (n >= 0 && !d->claim_again) {
			d->resumed = true;
			if (d->resumed_n > 0)
				log_info("store: %zu pending deliveries resumed", d->resumed_n);
			if (d->stats.orphaned > 0)
				log_warnx("store: %llu pending deliveries belong to subscribers "
				    "no longer configured; kept in the store",
				    (unsigned long long)d->stats.orphaned);
		}
	} else if (d->round_taken > 0)
		log_info("store: %d pending deliveries taken over from instances whose lease "
		    "lapsed", d->round_taken);
	d->round_retries = d->round_taken = 0;
	if (n >= 0 && !d->claim_again && !d->settled) {
		/* What the claims handed over is in the store: pages may read it. */
		d->settled = true;
		pump_all(d);
	} else if (n > 0)
		pump_all(d);
	/* Completed later than the call: go on from here. */
	if (d->claim_again && !d->in_claim)
		claim(d);
}

/* Claims what the store hands over, page after page; one round at a time. */
static void
claim(struct delivery *d)
{
	if (d->claiming || d->in_claim) {
		d->claim_again = true;
		return;
	}
	d->in_claim = true;
	do {
		d->claim_again = false;
		d->claiming = true;
		/*
		 * Until the first claims (or those after a reset) are done, every
		 * subscriber reads what it holds from the store, from the oldest:
		 * the claims need not bring a backlog of any size into memory.
		 */
		if (!d->settled)
			store_claim_quiet(d->st, CLAIM_LIMIT, claimed_count, claim_done, d);
		else
			store_claim(d->st, CLAIM_LIMIT, claimed_row, claim_done, d);
	} while (!d->claiming && d->claim_again && !d->draining);
	d->in_claim = false;
}

static void
page_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct delivery *d = container_of(w, struct delivery, page_retry);

	(void)loop;
	(void)revents;
	pump_all(d);
}

static void
claim_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct delivery *d = container_of(w, struct delivery, claim_timer);

	(void)loop;
	(void)revents;
	/*
	 * Not while this instance's own lease has lapsed: the claim would take
	 * its own deliveries back, every one in full, only for the reset that
	 * follows the renewal to drop them and claim again (quietly).
	 */
	if (d->loaded && store_holding(d->st))
		claim(d);
}

static void
on_wake(void *arg)
{
	struct delivery *d = arg;

	if (d->loaded)
		claim(d);
	pump_all(d);
}

/* Drops what s has queued but not in flight, which the store no longer says it holds. */
static void
sub_drop_queued(struct sub_rt *s)
{
	size_t pos = 0;
	const char *k;
	void *v;

	ev_timer_stop(s->d->loop, &s->timer);
	s->nheap = 0;
	s->ready_head = s->ready_tail = NULL;
	while (hmap_next(&s->keys, &pos, &k, &v)) {
		struct keyq *kq = v;
		struct dlv *it = kq->head, *next;

		kq->ready = false;
		if (it->in_flight) {
			/* Its outcome finishes the head; the copy claimed again is dropped. */
			next = it->next;
			it->next = NULL;
			kq->tail = it;
			it = next;
		} else
			kq->head = kq->tail = NULL;
		for (; it != NULL; it = next) {
			next = it->next;
			item_free(it);
			s->d->stats.queued--;
			s->nqueued--;
		}
		if (kq->head == NULL) {
			/* Deletion leaves a tombstone: iteration may go on. */
			hmap_del(&s->keys, kq->okey);
			free(kq->okey);
			free(kq);
		}
	}
}

static void
on_claims_reset(void *arg)
{
	struct delivery *d = arg;

	log_warnx("store: this instance's claims lapsed and were given up: queued "
	    "deliveries are claimed again");
	for (size_t i = 0; i < d->nsubs; i++) {
		struct sub_rt *s = d->subs[i];

		sub_drop_queued(s);
		/* What the claims bring back is read from the store, in order. */
		store_forget(d->st, s);
		s->paging = false;
		s->spilled = true;
		s->cursor = 0;
	}
	d->resumed = true;
	d->settled = false;
	claim(d);
}

static void
sub_stop(struct delivery *d, struct sub_rt *s)
{
	struct keyq *kq;
	size_t pos = 0;
	const char *k;
	void *v;

	ev_timer_stop(d->loop, &s->timer);
	unstarve(d, s);
	store_forget(d->st, s);
	/* Drop what is queued; in-flight items are detached and freed on done. */
	while (hmap_next(&s->keys, &pos, &k, &v)) {
		struct dlv *it, *next;

		kq = v;
		for (it = kq->head; it != NULL; it = next) {
			next = it->next;
			if (it->in_flight) {
				/* Its outcome finds no subscriber: the count goes down here. */
				it->sub = NULL;
				d->stats.in_flight--;
			} else
				item_free(it);
			d->stats.queued--;
		}
		free(kq->okey);
		free(kq);
	}
	hmap_free(&s->keys);
	if (s->state != NULL)
		s->conf->emitter->stop(s->state);
	free(s->heap);
	free(s->name);
	free(s);
}

/* Applies what the store says about 410s: disabled until the configuration changes. */
static void
sub_check_disabled(struct delivery *d, struct sub_rt *s)
{
	const char *fp = hmap_get(&d->disabled, s->name);

	if (s->dynamic)
		return;
	s->disabled = fp != NULL && strcmp(fp, s->conf->fingerprint) == 0;
	if (s->disabled)
		log_warnx("%s/%s: disabled after a 410 answer; change its configuration to "
		    "enable it again", s->conf->emitter->name, s->name);
}

static struct sub_rt *
sub_new(struct delivery *d, const struct subscriber_config *sc)
{
	struct sub_rt *s = xcalloc(1, sizeof(*s));
	const struct emitter_ops *ops = sc->emitter;
	void *shared;

	s->d = d;
	s->conf = sc;
	s->name = xstrdup(sc->name);
	/* What the store holds for it is read in pages, from the oldest. */
	s->spilled = true;
	hmap_init(&s->keys);
	ev_timer_init(&s->timer, sub_timer, 0., 0.);
	if (d->loaded)
		sub_check_disabled(d, s);
	if (kinds_emitter(&d->kinds, ops, d->loop, &shared) != 0)
		goto fail;
	if (ops->start(d->loop, shared, s->name, sc->emitter_conf, &s->state) != 0) {
		log_warnx("%s/%s: cannot start the subscriber", ops->name, sc->name);
		s->state = NULL;
		goto fail;
	}
	return s;
fail:
	sub_stop(d, s);
	return NULL;
}

static void
disabled_row(void *arg, const char *name, const char *fp)
{
	struct delivery *d = arg;

	free(hmap_put(&d->disabled, name, xstrdup(fp)));
}

/* The disabled subscribers are known: attempts may start, the backlog is claimed. */
static void
subs_loaded(void *arg, long long n)
{
	struct delivery *d = arg;

	if (n < 0)
		log_warnx("store: the disabled subscribers could not be read: %s",
		    store_error(d->st));
	d->loaded = true;
	for (size_t i = 0; i < d->nsubs; i++)
		sub_check_disabled(d, d->subs[i]);
	claim(d);
	pump_all(d);
}

static void add_rt(struct delivery *d, struct sub_rt *s);

struct delivery *
delivery_new(struct ev_loop *loop, const struct config *cfg, struct store *st)
{
	struct delivery *d = xcalloc(1, sizeof(*d));
	struct store_hooks hooks = { on_wake, on_claims_reset, d };

	d->loop = loop;
	d->st = st;
	d->cfg = cfg;
	d->window = cfg->bridge.memory_window > 0 ? cfg->bridge.memory_window : 10000;
	ev_timer_init(&d->page_retry, page_retry, PAGE_RETRY, 0.);
	slice_init(&d->pump, loop, PUMP_BUDGET, PUMP_TIME, pump_resume);
	hmap_init(&d->disabled);
	hmap_init(&d->byname);
	for (size_t i = 0; i < cfg->nsubscribers; i++) {
		struct sub_rt *s = sub_new(d, &cfg->subscribers[i]);

		if (s == NULL)
			goto fail;
		add_rt(d, s);
	}
	ev_prepare_init(&d->commit, commit_batch);
	ev_prepare_start(loop, &d->commit);
	ev_timer_init(&d->mark_flush, mark_flush, MARK_DELAY, 0.);
	ev_timer_init(&d->sweep, sweep, SWEEP_INTERVAL, SWEEP_INTERVAL);
	ev_timer_start(loop, &d->sweep);
	ev_timer_init(&d->claim_timer, claim_tick, store_claim_interval(st),
	    store_claim_interval(st));
	if (store_claim_interval(st) > 0)
		ev_timer_start(loop, &d->claim_timer);
	store_set_hooks(st, &hooks);
	return d;
fail:
	delivery_free(d);
	return NULL;
}

/* Points staged and committing deliveries at the subscriber of the same name in next. */
static void
remap_staged(struct delivery *d, struct sub_rt **next, size_t n)
{
	struct gen cur = { d->staged, d->nstaged, d->gens };
	struct hmap idx;

	hmap_init(&idx);
	for (size_t j = 0; j < n; j++)
		hmap_put(&idx, next[j]->name, next[j]);
	for (struct gen *g = &cur; g != NULL; g = g->next) {
		for (size_t i = 0; i < g->n; i++) {
			struct dlv *it = g->items[i];

			if (it->sub != NULL)
				it->sub = hmap_get(&idx, it->sub->name);
		}
	}
	hmap_free(&idx);
}

/* Moves the queue of old into s, its successor of the same name. */
static void
move_queue(struct delivery *d, struct sub_rt *old, struct sub_rt *s)
{
	struct keyq *kq;
	size_t pos = 0;
	const char *k;
	void *v;

	s->held = old->held;
	/* A page in flight for old is dropped with it: s reads from the same point. */
	s->spilled = old->spilled;
	s->cursor = old->cursor;
	s->max_seq = old->max_seq;
	while (hmap_next(&old->keys, &pos, &k, &v)) {
		struct dlv *it, *nx;

		kq = v;
		for (it = kq->head; it != NULL; it = nx) {
			nx = it->next;
			d->stats.queued--;
			old->nqueued--;
			if (it->in_flight) {
				/* Its outcome goes to the old runtime: retry it here. */
				struct dlv *copy = xcalloc(1, sizeof(*copy));

				*copy = *it;
				memset(&copy->body, 0, sizeof(copy->body));
				copy->ev = event_ref(it->ev);
				copy->in_flight = false;
				it->sub = NULL;
				old->in_flight--;
				d->stats.in_flight--;
				enqueue(s, copy);
			} else
				enqueue(s, it);
		}
		free(kq->okey);
		free(kq);
	}
	hmap_free(&old->keys);
	hmap_init(&old->keys);
	old->nheap = 0;
}

/* Makes next (n runtimes) the subscribers, moving the queues of those kept by name. */
static void
swap_subs(struct delivery *d, struct sub_rt **next, size_t n)
{
	remap_staged(d, next, n);
	hmap_free(&d->byname);
	hmap_init(&d->byname);
	for (size_t i = 0; i < n; i++)
		hmap_put(&d->byname, next[i]->name, next[i]);
	for (size_t i = 0; i < d->nsubs; i++) {
		struct sub_rt *s = hmap_get(&d->byname, d->subs[i]->name);

		if (s != NULL)
			move_queue(d, d->subs[i], s);
	}
	for (size_t i = 0; i < d->nsubs; i++)
		sub_stop(d, d->subs[i]);
	free(d->subs);
	d->subs = next;
	d->nsubs = d->capsubs = n;
}

int
delivery_reload(struct delivery *d, const struct config *cfg)
{
	size_t n = cfg->nsubscribers + d->ndyn;
	struct sub_rt **next = xcalloc(n + 1, sizeof(*next));
	struct kinds old_kinds = d->kinds;

	for (size_t i = 0; i < cfg->nsubscribers; i++)
		for (size_t j = 0; j < d->ndyn; j++)
			if (strcmp(cfg->subscribers[i].name, d->dyn[j]->name) == 0) {
				log_warnx("subscriber \"%s\" of the configuration has the name of a "
				    "subscriber added through the API", d->dyn[j]->name);
				free(next);
				return -1;
			}
	/* New emitter runtimes first: a failure leaves everything as it was. */
	memset(&d->kinds, 0, sizeof(d->kinds));
	for (size_t i = 0; i < n; i++) {
		bool dyn = i >= cfg->nsubscribers;

		next[i] = sub_new(d, dyn ? d->dyn[i - cfg->nsubscribers] : &cfg->subscribers[i]);
		if (next[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				sub_stop(d, next[j]);
			kinds_fini(&d->kinds);
			d->kinds = old_kinds;
			free(next);
			return -1;
		}
		next[i]->dynamic = dyn;
		if (dyn)
			next[i]->disabled = false;	/* 410s of dynamic ones hold them instead */
	}
	swap_subs(d, next, n);
	kinds_fini(&old_kinds);
	d->cfg = cfg;
	if (cfg->bridge.memory_window > 0)
		d->window = cfg->bridge.memory_window;
	pump_all(d);
	return 0;
}

void
delivery_start(struct delivery *d)
{
	store_subs_load(d->st, disabled_row, subs_loaded, d);
}

void
delivery_commit(struct delivery *d, store_done_fn fn, void *arg)
{
	if (d->nwaiters == d->capwaiters) {
		d->capwaiters = d->capwaiters ? d->capwaiters * 2 : 16;
		d->waiters = xreallocarray(d->waiters, d->capwaiters, sizeof(*d->waiters));
	}
	d->waiters[d->nwaiters].fn = fn;
	d->waiters[d->nwaiters++].arg = arg;
}

void
delivery_forget(struct delivery *d, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nwaiters; i++)
		if (d->waiters[i].arg != arg)
			d->waiters[n++] = d->waiters[i];
	d->nwaiters = n;
	store_forget(d->st, arg);
}

/* The commit of this iteration carries what delivery_commit's callers wrote. */
static void
flush_waiters(struct delivery *d)
{
	struct waiter *w = d->waiters;
	size_t n = d->nwaiters;

	d->waiters = NULL;
	d->nwaiters = d->capwaiters = 0;
	ev_timer_stop(d->loop, &d->mark_flush);
	flush_staged(d);
	/* The first sends the batch; the others, on empty ones, follow it. */
	for (size_t i = 0; i < n; i++)
		store_commit(d->st, w[i].fn, w[i].arg);
	free(w);
}

void
delivery_set_observer(struct delivery *d, delivery_observer_fn fn, void *arg)
{
	d->observe = fn;
	d->observe_arg = arg;
}

static void
add_rt(struct delivery *d, struct sub_rt *s)
{
	if (d->nsubs == d->capsubs) {
		d->capsubs = d->capsubs ? d->capsubs * 2 : 16;
		d->subs = xreallocarray(d->subs, d->capsubs, sizeof(*d->subs));
	}
	d->subs[d->nsubs++] = s;
	hmap_put(&d->byname, s->name, s);
}

int
delivery_add(struct delivery *d, const struct subscriber_config *sc, bool held)
{
	struct sub_rt *s;

	if (find_sub(d, sc->name) != NULL)
		return -1;
	if ((s = sub_new(d, sc)) == NULL)
		return -1;
	s->dynamic = true;
	s->held = held;
	s->disabled = false;
	add_rt(d, s);
	if (d->ndyn == d->capdyn) {
		d->capdyn = d->capdyn ? d->capdyn * 2 : 16;
		d->dyn = xreallocarray(d->dyn, d->capdyn, sizeof(*d->dyn));
	}
	d->dyn[d->ndyn++] = sc;
	return 0;
}

/* Detaches staged and committing deliveries of s: they are freed once committed. */
static void
unstage(struct delivery *d, struct sub_rt *s, struct sub_rt *to)
{
	struct gen cur = { d->staged, d->nstaged, d->gens };

	for (struct gen *g = &cur; g != NULL; g = g->next)
		for (size_t i = 0; i < g->n; i++)
			if (g->items[i]->sub == s)
				g->items[i]->sub = to;
}

static void
dyn_forget(struct delivery *d, const char *name, const struct subscriber_config *repl)
{
	for (size_t j = 0; j < d->ndyn; j++) {
		if (strcmp(d->dyn[j]->name, name) != 0)
			continue;
		if (repl != NULL)
			d->dyn[j] = repl;
		else
			d->dyn[j] = d->dyn[--d->ndyn];
		return;
	}
}

int
delivery_update(struct delivery *d, const struct subscriber_config *sc)
{
	struct sub_rt *old = find_sub(d, sc->name), *s;

	if (old == NULL || !old->dynamic || (s = sub_new(d, sc)) == NULL)
		return -1;
	s->dynamic = true;
	s->disabled = false;
	unstage(d, old, s);
	move_queue(d, old, s);
	for (size_t i = 0; i < d->nsubs; i++)
		if (d->subs[i] == old)
			d->subs[i] = s;
	hmap_put(&d->byname, s->name, s);
	dyn_forget(d, sc->name, sc);
	sub_stop(d, old);
	sub_pump(s);
	return 0;
}

void
delivery_remove(struct delivery *d, const char *name)
{
	struct sub_rt *s = find_sub(d, name);

	if (s == NULL || !s->dynamic)
		return;
	unstage(d, s, NULL);
	for (size_t i = 0; i < d->nsubs; i++)
		if (d->subs[i] == s) {
			d->subs[i] = d->subs[--d->nsubs];
			break;
		}
	hmap_del(&d->byname, name);
	dyn_forget(d, name, NULL);
	sub_stop(d, s);
}

void
delivery_hold(struct delivery *d, const char *name, bool held)
{
	struct sub_rt *s = find_sub(d, name);

	if (s == NULL || !s->dynamic)
		return;
	s->held = held;
	if (held)
		return;
	/* Enabled again: what waited for a retry goes now. */
	while (s->nheap > 0) {
		struct dlv *it = heap_pop(s);

		it->next_at = ev_now(d->loop);
		ready_push(s, it->kq);
	}
	arm_timer(s);
	sub_pump(s);
}

void
delivery_submit_to(struct delivery *d, struct event *ev, const char *name)
{
	struct sub_rt *s = find_sub(d, name);
	const struct store_ticket *tk;
	const char *names[1] = { name };
	struct dlv *it;

	d->stats.events++;
	if (s == NULL || store_add(d->st, ev, names, 1, ev_now(d->loop), &tk) != 0) {
		event_free(ev);
		return;
	}
	it = xcalloc(1, sizeof(*it));
	it->tk = tk;
	it->ev = ev;
	it->created = it->next_at = ev_now(d->loop);
	it->sub = s;
	stage(d, it);
}

void
delivery_drain(struct delivery *d)
{
	d->draining = true;
}

const struct delivery_stats *
delivery_stats(const struct delivery *d)
{
	return &d->stats;
}

void
delivery_free(struct delivery *d)
{
	size_t pos = 0;
	const char *k;
	void *v;

	if (d == NULL)
		return;
	d->draining = true;
	if (d->stats.events > 0)
		log_info("deliveries: %llu events, %llu delivered, %llu retried, %llu dead; "
		    "event to 2xx p50 %.1f ms, p99 %.1f ms; %llu outbox commits",
		    (unsigned long long)d->stats.events, (unsigned long long)d->stats.ok,
		    (unsigned long long)d->stats.retried, (unsigned long long)d->stats.dead,
		    hist_quantile(&d->stats.latency, 0.5) * 1e3,
		    hist_quantile(&d->stats.latency, 0.99) * 1e3,
		    (unsigned long long)store_stats(d->st)->commits);
	ev_prepare_stop(d->loop, &d->commit);
	slice_stop(&d->pump);
	ev_timer_stop(d->loop, &d->mark_flush);
	ev_timer_stop(d->loop, &d->sweep);
	ev_timer_stop(d->loop, &d->claim_timer);
	ev_timer_stop(d->loop, &d->page_retry);
	/* What is staged or committing stays in the store's batches, stored or not. */
	store_forget(d->st, d);
	store_set_hooks(d->st, &(struct store_hooks){ NULL, NULL, NULL });
	for (size_t i = 0; i < d->nstaged; i++)
		item_free(d->staged[i]);
	free(d->staged);
	while (d->gens != NULL) {
		struct gen *g = d->gens;

		d->gens = g->next;
		for (size_t i = 0; i < g->n; i++)
			item_free(g->items[i]);
		free(g->items);
		free(g);
	}
	for (size_t i = 0; i < d->nsubs; i++)
		sub_stop(d, d->subs[i]);
	/* The transforms in flight end as "cancelled": their items are detached, so freed. */
	tworker_free(d->tw);
	free(d->subs);
	hmap_free(&d->byname);
	free(d->dyn);
	free(d->waiters);
	kinds_fini(&d->kinds);
	while (hmap_next(&d->disabled, &pos, &k, &v))
		free(v);
	hmap_free(&d->disabled);
	if (store_dirty(d->st))
		store_commit(d->st, NULL, NULL);
	free(d);
}
