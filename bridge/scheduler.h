#ifndef POLLHOOK_SCHEDULER_H
#define POLLHOOK_SCHEDULER_H

/*
 * The scheduler: one libev timer per source. A source's polls are splayed
 * deterministically: its phase within the interval is a hash of its name, so
 * many sources with the same interval spread out instead of firing at once,
 * and restarts keep each source on its phase.
 *
 * A source's polls fall on slots, the Unix times phase + k * interval. Each
 * poll carries the time of its slot (its scheduled start), which is what the
 * rules measure time by: a loop that wakes up a few milliseconds late, or a
 * device that answers late, does not move it. A poll still running when the
 * next slot is due is not doubled: that slot is counted as an overrun and
 * skipped. A loop that wakes up more than an interval late polls the latest
 * slot due, once, rather than a burst of the missed ones.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

/* The finest phase steps per interval (thousands of sources share one). */
#define SCHED_MAX_PHASES	100

struct sched_entry;

/* Called on every tick that is not an overrun; call sched_done when the poll ends. */
typedef void (*sched_fire_fn)(struct sched_entry *e);

struct sched_entry {
	ev_timer timer;		/* embedded: container_of gets back to the owner */
	double interval;
	double splay;		/* the phase of the slots, in [0, interval) */
	double next;		/* index k of the next slot due; NAN before sched_start */
	double scheduled;	/* Unix time of the slot of the poll fired last */
	double due;		/* when that tick was due: its slot, or a catch-up's time */
	double catch_up;	/* the time of a catch-up tick armed (sched_start_at); NAN: none */
	unsigned phases;	/* phase steps per interval (sched_phases) */
	bool running;		/* a poll is in flight */
	uint64_t ticks;		/* polls started */
	uint64_t overruns;	/* ticks skipped because a poll was still running */
	sched_fire_fn fire;
};

/*
 * Returns the phase steps per interval for peers sources sharing an interval:
 * about twenty sources per step, from 10 to SCHED_MAX_PHASES.
 */
unsigned sched_phases(size_t peers);
/* Returns the phase of name in [0, interval) on one of phases steps: FNV-1a of the name, scaled. */
double sched_splay(const char *name, double interval, unsigned phases);
/* Returns the Unix time of slot k of e. */
double sched_slot_time(const struct sched_entry *e, double k);
/* Prepares e to call fire every interval seconds, on SCHED_MAX_PHASES phase steps (set e->phases to change). */
void sched_init(struct sched_entry *e, double interval, sched_fire_fn fire);
/* Starts e's timer on loop for the first slot at or after now, at the phase of key (the source name). */
void sched_start(struct ev_loop *loop, struct sched_entry *e, const char *key);
/*
 * Runs the tick of e that its timer runs at Unix time now: picks the slot it
 * serves, re-arms the timer (when started) for the next one, and fires a poll
 * with e->scheduled set to the slot's time, or counts an overrun. The timer
 * calls it with ev_now; tests call it with a fake clock.
 */
void sched_tick_at(struct ev_loop *loop, struct sched_entry *e, double now);
/* Returns the first slot at or after Unix time t of e at the phase of key (set in e). */
double sched_next_slot(struct sched_entry *e, const char *key, double t);
/*
 * Starts e's timer on loop for one poll at Unix time at (not after its next
 * slot), serving the slot nearest to at (the latest due then, or the next),
 * and for its slots after that.
 */
void sched_start_at(struct ev_loop *loop, struct sched_entry *e, const char *key, double at);
/* Marks the running poll of e as finished. */
void sched_done(struct sched_entry *e);
/* Stops e's timer. */
void sched_stop(struct ev_loop *loop, struct sched_entry *e);

#endif
