#include "histogram.h"

#include <math.h>

static unsigned
bucket_of(double seconds)
{
	double us = seconds * 1e6;
	int exp;
	double mant;
	unsigned idx;

	if (!(us >= 1.0))
		return 0;
	mant = frexp(us, &exp);	/* us = mant * 2^exp, mant in [0.5, 1) */
	idx = (unsigned)(exp - 1) * HIST_SUB + (unsigned)((mant - 0.5) * 2 * HIST_SUB);
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* The upper bound of bucket i, in seconds. */
static double
bucket_top(unsigned i)
{
	unsigned exp = i / HIST_SUB, sub = i % HIST_SUB;

	return ldexp(1.0 + (double)(sub + 1) / HIST_SUB, (int)exp) / 1e6;
}

void
hist_add(struct histogram *h, double seconds)
{
	if (!(seconds > 0))
		seconds = 0;
	h->b[bucket_of(seconds)]++;
	h->count++;
	h->sum += seconds;
	if (seconds > h->max)
		h->max = seconds;
}

double
hist_quantile(const struct histogram *h, double q)
{
	uint64_t want, seen = 0;

	if (h->count == 0)
		return 0;
	want = (uint64_t)ceil(q * (double)h->count);
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want)
			return bucket_top(i);
	}
	return bucket_top(HIST_BUCKETS - 1);
}

uint64_t
hist_count_le(const struct histogram *h, double seconds)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < HIST_BUCKETS && bucket_top(i) <= seconds * (1 + 1e-9); i++)
		n += h->b[i];
	return n;
}
