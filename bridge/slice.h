#ifndef POLLHOOK_SLICE_H
#define POLLHOOK_SLICE_H

/*
 * A per-iteration work budget, so that one burst of work (ten thousand
 * events at once) cannot keep timers and sockets waiting: the owner does
 * its work inline while the budget of the current loop iteration lasts
 * (units of work, and time: whichever runs out first),
 * and queues the rest (in a FIFO of its own). While something waits, an
 * ev_idle keeps the loop from blocking and an ev_check calls run() once an
 * iteration with a fresh budget; the I/O and timers of each iteration are
 * served between two slices.
 */

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#define SLICE_CLOCK_EVERY 32

struct slice {
	struct ev_loop *loop;
	ev_check check;
	ev_idle idle;
	unsigned budget;	/* units of work one iteration may take */
	double time_budget;	/* seconds of work one iteration may take */
	unsigned used;		/* taken in iteration iter */
	unsigned iter;
	unsigned unclocked;	/* units taken since the clock was last read */
	double started;		/* ev_time() of the iteration's first take */
	bool spent;		/* the iteration's time is up */
	void (*run)(struct slice *s);	/* resumes the owner's waiting work */
	uint64_t deferred;	/* times work had to wait for a later iteration */
};

/*
 * Prepares s on loop: budget units and seconds (the clock read every
 * SLICE_CLOCK_EVERY units) per iteration; run resumes waiting work.
 */
void slice_init(struct slice *s, struct ev_loop *loop, unsigned budget, double seconds,
    void (*run)(struct slice *s));
/*
 * Returns whether cost more units fit in this iteration's budget, and
 * takes them if so. The first take of an iteration always fits.
 */
bool slice_take(struct slice *s, unsigned cost);
/* Counts cost more units taken, whether they fit or not (work that could not stop). */
void slice_charge(struct slice *s, unsigned cost);
/* Makes the budget whole again, as a new iteration would (tests without a running loop). */
void slice_reset(struct slice *s);
/* The owner has work waiting: run is called in the next iterations until slice_clear. */
void slice_wait(struct slice *s);
/* Nothing waits any more. */
void slice_clear(struct slice *s);
/* Returns whether work waits (between slice_wait and slice_clear). */
bool slice_waiting(const struct slice *s);
/* Stops the watchers; s may be freed after this. */
void slice_stop(struct slice *s);

#endif
