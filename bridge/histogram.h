#ifndef POLLHOOK_HISTOGRAM_H
#define POLLHOOK_HISTOGRAM_H

/*
 * A fixed-size log-linear histogram of durations: 16 sub-buckets per power
 * of two of microseconds, so any quantile is known within about 6 %, in a
 * few kilobytes, however many values are added.
 */

#include <stdint.h>

#define HIST_SUB	16
#define HIST_BUCKETS	(40 * HIST_SUB)	/* up to 2^40 us, about 12 days */

struct histogram {
	uint64_t count;
	double sum;		/* seconds */
	double max;		/* the largest value added, seconds */
	uint64_t b[HIST_BUCKETS];
};

/* Adds one duration in seconds (negative counts as 0). */
void hist_add(struct histogram *h, double seconds);
/* Returns the q-quantile (0..1) in seconds, 0 when empty. */
double hist_quantile(const struct histogram *h, double q);
/*
 * Returns how many values fell in buckets whose upper bound is at or below
 * seconds (for Prometheus's cumulative buckets: a value up to 6 % below a
 * bound may count only at the next one).
 */
uint64_t hist_count_le(const struct histogram *h, double seconds);

#endif
