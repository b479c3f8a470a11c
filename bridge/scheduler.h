#ifndef POLLHOOK_SCHEDULER_H
#define POLLHOOK_SCHEDULER_H

/*
 * The scheduler: one libev timer per source. A source's polls are splayed
 * deterministically: its phase within the interval is a hash of its name, so
 * many sources with the same interval spread out instead of firing at once,
 * and restarts keep each source on its phase. A poll still running when the
 * next is due is not doubled: the tick is counted as an overrun and skipped.
 */

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

struct sched_entry;

/* Called on every tick that is not an overrun; call sched_done when the poll ends. */
typedef void (*sched_fire_fn)(struct sched_entry *e);

struct sched_entry {
	ev_timer timer;		/* embedded: container_of gets back to the owner */
	double interval;
	bool running;		/* a poll is in flight */
	uint64_t ticks;		/* polls started */
	uint64_t overruns;	/* ticks skipped because a poll was still running */
	sched_fire_fn fire;
};

/* Returns the phase of name in [0, interval): FNV-1a of the name, scaled. */
double sched_splay(const char *name, double interval);
/* Returns the delay from now until the next time at phase splay of interval. */
double sched_first_delay(double now, double interval, double splay);
/* Prepares e to call fire every interval seconds. */
void sched_init(struct sched_entry *e, double interval, sched_fire_fn fire);
/* Starts e's timer on loop at its splayed phase for key (the source name). */
void sched_start(struct ev_loop *loop, struct sched_entry *e, const char *key);
/* Marks the running poll of e as finished. */
void sched_done(struct sched_entry *e);
/* Stops e's timer. */
void sched_stop(struct ev_loop *loop, struct sched_entry *e);

#endif
