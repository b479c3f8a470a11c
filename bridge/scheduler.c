#include "scheduler.h"

#include <math.h>

#include "hmap.h"
#include "util.h"

#define SCHED_SLOTS 100

double
sched_splay(const char *name, double interval)
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
	 * Phases fall on SCHED_SLOTS slots per interval: sources sharing a slot
	 * fire in one loop wake-up and their answers come back together, which
	 * saves a context switch per poll when thousands share an interval.
	 */
	frac = floor(frac * SCHED_SLOTS) / SCHED_SLOTS;

	return frac * interval;
}

double
sched_first_delay(double now, double interval, double splay)
{
	double d = fmod(splay - fmod(now, interval), interval);

	if (d < 0)
		d += interval;
	/* libev treats 0 as "now": fine, but keep strictly inside the interval. */
	if (d >= interval)
		d = 0;
	return d;
}

static void
sched_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sched_entry *e = container_of(w, struct sched_entry, timer);

	(void)loop;
	(void)revents;
	if (e->running) {
		e->overruns++;
		return;
	}
	e->running = true;
	e->ticks++;
	e->fire(e);
}

void
sched_init(struct sched_entry *e, double interval, sched_fire_fn fire)
{
	ev_timer_init(&e->timer, sched_tick, 0., interval);
	e->interval = interval;
	e->running = false;
	e->ticks = e->overruns = 0;
	e->fire = fire;
}

void
sched_start(struct ev_loop *loop, struct sched_entry *e, const char *key)
{
	double delay = sched_first_delay(ev_now(loop), e->interval,
	    sched_splay(key, e->interval));

	ev_timer_set(&e->timer, delay, e->interval);
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
