#ifndef POLLHOOK_TAKEOVER_H
#define POLLHOOK_TAKEOVER_H

/*
 * When sources taken over are first polled (the cluster's takeover). A
 * source keeps its phase unless that leaves it unpolled too long: one whose
 * previous owner last polled it (as far as the store knows) a slot or more
 * before now is overdue, and is polled at once, the most overdue first,
 * spread over a short window so that thousands of them are not one burst.
 * An overdue source whose next slot comes soon anyway waits for it, as long
 * as that keeps it within lease_ttl + one interval of its last known poll.
 * Pure: no clock, no loop (tested in tests/unit/test_takeover.c).
 */

#include <stddef.h>

struct takeover {
	double since;		/* when its previous owner was last known to poll it; NAN: unknown */
	double next;		/* its first slot at or after now */
	double interval;
	double at;		/* out: when to poll it first, before next; NAN: at next */
};

/* Steps the window of catch-up polls is cut in (each one a loop wake-up). */
#define TAKEOVER_STEPS	10

/*
 * Sets at of each of the n sources taken at Unix time now by a member whose
 * lease is ttl seconds. Reorders nothing; takes O(n log n).
 */
void takeover_plan(struct takeover *v, size_t n, double now, double ttl);

#endif
