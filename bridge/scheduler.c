#include "scheduler.h"

#include <math.h>

#include "hmap.h"
#include "util.h"

/*
 * Sources per phase below which fewer phases are used: one wake-up serves
 * them all. A wake-up costs more than a poll (200 snmp sources at 1 s, in
 * one run: twenty a step took 0.64x the CPU of ten a step).
 */
#define SCHED_PER_PHASE	20
/*
 * The coarsest: a handful of sources still go one by one, so that they do
 * not all open connections to one server at the same instant.
 */
#define SCHED_MIN_PHASES	10

unsigned
sched_phases(size_t peers)
{
	size_t n = peers / SCHED_PER_PHASE;

	return n < SCHED_MIN_PHASES ? SCHED_MIN_PHASES : n > SCHED_MAX_PHASES ? SCHED_MAX_PHASES :
	    (unsigned)n;
}

double
sched_splay(const char *name, double interval, unsigned phases)
{
	unsigned long long h = hmap_hash(name);
	double frac;

	/*
	 * FNV-1a leaves its high bits poorly mixed for names that differ in
	 * their last characters (edge-00001, edge-00002, ...): run it through
	 * the splitmix64 finaliser before taking the top 53 bits as a fraction.
	 */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	frac = (double)(h >> 11) / 9007199254740992.0;
	/*
	 * Phases fall on a few steps per interval: sources sharing a phase
	 * fire in one loop wake-up and their answers come back together. A
	 * wake-up costs more than a poll, so the steps are as coarse as
	 * spreading the load allows (see sched_phases).
	 */
	if (phases < 1)
		phases = 1;
	frac = floor(frac * phases) / phases;

	return frac * interval;
}

double
sched_slot_time(const struct sched_entry *e, double k)
{
	return e->splay + k * e->interval;
}

/* Returns the index of the latest slot at or before t; floor's rounding is corrected. */
static double
slot_before(const struct sched_entry *e, double t)
{
	double k = floor((t - e->splay) / e->interval);

	if (sched_slot_time(e, k) > t)
		k--;
	else if (sched_slot_time(e, k + 1) <= t)
		k++;
	return k;
}

/*
 * Picks the slot a tick at now serves and moves e->next past it; returns the
 * delay until the next slot. The timer fires at its slot or a little after
 * (or a hair before: libev's timers run on the monotonic clock, slots on the
 * wall clock). Only when now is a whole interval past the slot (the loop
 * stalled, the wall clock jumped forward) or well before it (the wall clock
 * went back) does the tick serve the latest slot at or before now instead.
 */
static double
advance(struct sched_entry *e, double now)
{
	double k = e->next, next_at;

	if (!(now >= sched_slot_time(e, k) - e->interval / 2 &&
	    now < sched_slot_time(e, k + 1)))
		k = slot_before(e, now);
	e->scheduled = sched_slot_time(e, k);
	e->next = k + 1;
	next_at = sched_slot_time(e, e->next);
	/* An interval below the resolution of Unix times: no slots, plain repeats. */
	if (!(next_at > now))
		return e->interval;
	return next_at - now;
}

void
sched_tick_at(struct ev_loop *loop, struct sched_entry *e, double now)
{
	double delay = advance(e, now);

	/* A catch-up serves a slot long past: it is late by design, not the loop. */
	e->due = isnan(e->catch_up) ? e->scheduled : e->catch_up;
	e->catch_up = NAN;

	/* Re-armed before the poll starts: whatever fire does, the next slot is set. */
	if (ev_is_active(&e->timer)) {
		ev_timer_stop(loop, &e->timer);
		ev_timer_set(&e->timer, delay, e->interval);
		ev_timer_start(loop, &e->timer);
	}
	if (e->running) {
		e->overruns++;
		return;
	}
	e->running = true;
	e->ticks++;
	e->fire(e);
}

static void
sched_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sched_entry *e = container_of(w, struct sched_entry, timer);

	(void)revents;
	sched_tick_at(loop, e, ev_now(loop));
}

void
sched_init(struct sched_entry *e, double interval, sched_fire_fn fire)
{
	ev_timer_init(&e->timer, sched_tick, 0., interval);
	e->interval = interval;
	e->phases = SCHED_MAX_PHASES;
	e->splay = 0;
	e->next = NAN;
	e->scheduled = NAN;
	e->due = NAN;
	e->catch_up = NAN;
	e->running = false;
	e->ticks = e->overruns = 0;
	e->fire = fire;
}

void
sched_start(struct ev_loop *loop, struct sched_entry *e, const char *key)
{
	double now = ev_now(loop), k, delay;

	e->splay = sched_splay(key, e->interval, e->phases);
	e->catch_up = NAN;
	k = slot_before(e, now);
	if (sched_slot_time(e, k) < now)
		k++;
	e->next = k;
	delay = sched_slot_time(e, k) - now;
	ev_timer_set(&e->timer, delay > 0 ? delay : 0., e->interval);
	ev_timer_start(loop, &e->timer);
}

double
sched_next_slot(struct sched_entry *e, const char *key, double t)
{
	double k;

	e->splay = sched_splay(key, e->interval, e->phases);
	k = slot_before(e, t);
	if (sched_slot_time(e, k) < t)
		k++;
	return sched_slot_time(e, k);
}

void
sched_start_at(struct ev_loop *loop, struct sched_entry *e, const char *key, double at)
{
	double now = ev_now(loop);

	e->splay = sched_splay(key, e->interval, e->phases);
	/*
	 * The tick at `at` serves the slot nearest to it: the latest due then
	 * (advance takes it as the one it is late for), or the next one when
	 * that is nearer (within half an interval: advance serves it early
	 * rather than poll twice that close). The slots go on after it.
	 */
	e->next = slot_before(e, at);
	if (sched_slot_time(e, e->next + 1) - at < at - sched_slot_time(e, e->next))
		e->next++;
	e->catch_up = at;
	ev_timer_set(&e->timer, at > now ? at - now : 0., e->interval);
	ev_timer_start(loop, &e->timer);
}

void
sched_done(struct sched_entry *e)
{
	e->running = false;
}

void
sched_stop(struct ev_loop *loop, struct sched_entry *e)
{
	ev_timer_stop(loop, &e->timer);
}
