#include "takeover.h"

#include <math.h>
#include <stdlib.h>

#include "xmalloc.h"

/* An overdue source, in the order they are caught up. */
struct late {
	struct takeover *t;
	double last;		/* its slot last polled for sure */
};

static int
by_last(const void *a, const void *b)
{
	const struct late *x = a, *y = b;

	/* Ties by position: the same sources give the same plan. */
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* Returns the latest slot of t at or before its since, or NAN when t is not overdue. */
static double
overdue(const struct takeover *t)
{
	double k, last;

	if (isnan(t->since) || isnan(t->next) || !(t->interval > 0) || t->since >= t->next)
		return NAN;
	k = ceil((t->next - t->since) / t->interval);
	last = t->next - k * t->interval;
	/* The slot after the last one polled is the next one: nothing missed. */
	if (last + t->interval >= t->next)
		return NAN;
	return last;
}

void
takeover_plan(struct takeover *v, size_t n, double now, double ttl)
{
	struct late *late = xcalloc(n + 1, sizeof(*late));
	double window = INFINITY, step;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		struct takeover *t = &v[i];
		double last = overdue(t);

		t->at = NAN;
		if (isnan(last))
			continue;
		/*
		 * Even when its next slot is near: waiting for it would leave it up
		 * to lease + two intervals unpolled (the catch-up serves that slot,
		 * the scheduler's sched_start_at: no double).
		 */
		late[m].t = t;
		late[m++].last = last;
		if (fmin(ttl, t->interval) / 3 < window)
			window = fmin(ttl, t->interval) / 3;
	}
	qsort(late, m, sizeof(*late), by_last);
	step = m > 0 ? window / TAKEOVER_STEPS : 0;
	for (size_t j = 0; j < m; j++) {
		struct takeover *t = late[j].t;
		double at = now + floor((double)j * TAKEOVER_STEPS / (double)m) * step;

		if (at < t->next)
			t->at = at;
	}
	free(late);
}
