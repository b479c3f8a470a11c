#ifndef POLLHOOK_TAKEOVER_H
#define POLLHOOK_TAKEOVER_H

/*
 * When sources taken over are first polled (the cluster's takeover). A
 * source keeps its phase unless that leaves it unpolled too long: one whose
 * previous owner last polled it (as far as the store knows) a slot or more
 * before now is overdue, and is polled at once, the most overdue first,
 * spread over a window of a third of the lease or interval (the shorter)
 * so that thousands of them are not one burst: the most overdue, polled
 * first, set the takeover's longest gap, the window's end adds nothing to
 * it (a longer window costs the median, a shorter one a larger burst: at a
 * third, a lease as long as the interval and every source overdue, the
 * device sees at most 5/3 of its usual rate). Even an
 * overdue source whose next slot is near is polled at once (its catch-up
 * serves that slot early, sched_start_at): waiting for the slot would leave
 * it unpolled up to lease_ttl + two intervals, when its owner died right
 * after a heartbeat and before that slot.
 * Pure: no clock, no loop (tested in tests/unit/test_cluster.c).
 */

#include <stddef.h>

struct takeover {
	double since;		/* when its previous owner was last known to poll it; NAN: unknown */
	double next;		/* its first slot at or after now */
	double interval;
	double at;		/* out: when to poll it first, before next; NAN: at next */
};

/* Steps the window of catch-up polls is cut in (each one a loop wake-up). */
#define TAKEOVER_STEPS	20

/*
 * Sets at of each of the n sources taken at Unix time now by a member whose
 * lease is ttl seconds. Reorders nothing; takes O(n log n).
 */
void takeover_plan(struct takeover *v, size_t n, double now, double ttl);

#endif
