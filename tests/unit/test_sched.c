/* Unit tests of the scheduler: splay, first delay, overruns on a real loop. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler.h"
#include "util.h"

static void
test_splay_deterministic_and_in_range(void **unused)
{
	(void)unused;
	for (int i = 0; i < 1000; i++) {
		char name[32];
		double a, b;

		snprintf(name, sizeof(name), "router-%d", i);
		a = sched_splay(name, 2.5);
		b = sched_splay(name, 2.5);
		assert_true(a == b);
		assert_true(a >= 0.0 && a < 2.5);
	}
}

/* 10,000 sources with one interval must spread over it, not bunch up. */
static void
test_splay_spreads_evenly(void **unused)
{
	enum { N = 10000, BUCKETS = 10 };
	unsigned counts[BUCKETS] = { 0 };

	(void)unused;
	for (int i = 0; i < N; i++) {
		char name[32];

		snprintf(name, sizeof(name), "edge-%05d", i);
		counts[(int)(sched_splay(name, 1.0) * BUCKETS)]++;
	}
	for (int b = 0; b < BUCKETS; b++) {
		/* Expected 1,000 per bucket; allow a generous +-15 %. */
		assert_in_range(counts[b], 850, 1150);
	}
}

static void
test_first_delay(void **unused)
{
	(void)unused;
	/* At t = 100.25 with interval 1 and phase 0.75: wait 0.5. */
	assert_true(fabs(sched_first_delay(100.25, 1.0, 0.75) - 0.5) < 1e-9);
	/* Past the phase: wait until the phase of the next interval. */
	assert_true(fabs(sched_first_delay(100.80, 1.0, 0.75) - 0.95) < 1e-9);
	/* Exactly on the phase: now. */
	assert_true(fabs(sched_first_delay(100.75, 1.0, 0.75)) < 1e-9);
	/* Fractional and long intervals. */
	assert_true(fabs(sched_first_delay(1000.0, 30.0, 12.0) - 2.0) < 1e-9);
	for (double now = 0; now < 10; now += 0.37) {
		double d = sched_first_delay(now, 0.5, 0.2);

		assert_true(d >= 0 && d < 0.5);
		assert_true(fabs(fmod(now + d, 0.5) - 0.2) < 1e-9 ||
		    fabs(fmod(now + d, 0.5) - 0.2 - 0.5) < 1e-9 ||
		    fabs(fmod(now + d, 0.5) + 0.5 - 0.2) < 1e-9);
	}
}

struct probe {
	struct sched_entry e;
	int fired;
	bool finish;		/* complete each poll at once */
	ev_timer stop;
};

static void
probe_fire(struct sched_entry *e)
{
	struct probe *p = container_of(e, struct probe, e);

	p->fired++;
	if (p->finish)
		sched_done(e);
}

static void
probe_stop(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
run_probe(struct probe *p, double interval, double run_for)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

	sched_init(&p->e, interval, probe_fire);
	sched_start(loop, &p->e, "probe");
	ev_timer_init(&p->stop, probe_stop, run_for, 0.);
	ev_timer_start(loop, &p->stop);
	ev_run(loop, 0);
	sched_stop(loop, &p->e);
	ev_loop_destroy(loop);
}

static void
test_ticks_on_a_real_loop(void **unused)
{
	struct probe p = { .finish = true };

	(void)unused;
	run_probe(&p, 0.02, 0.31);
	/*
	 * 0.31 s at 20 ms is about 15 ticks; a loaded machine may run fewer,
	 * never more (libev does not replay missed ticks). Rates are measured
	 * by the benchmarks, not here.
	 */
	assert_in_range(p.fired, 2, 16);
	assert_int_equal(p.e.overruns, 0);
	assert_int_equal(p.e.ticks, (uint64_t)p.fired);
}

static void
test_running_poll_is_not_doubled(void **unused)
{
	struct probe p = { .finish = false };

	(void)unused;
	run_probe(&p, 0.02, 0.31);
	/* The first poll never finishes: every later tick is an overrun. */
	assert_int_equal(p.fired, 1);
	assert_int_equal(p.e.ticks, 1);
	assert_in_range(p.e.overruns, 1, 15);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splay_deterministic_and_in_range),
		cmocka_unit_test(test_splay_spreads_evenly),
		cmocka_unit_test(test_first_delay),
		cmocka_unit_test(test_ticks_on_a_real_loop),
		cmocka_unit_test(test_running_poll_is_not_doubled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
