/* Unit tests of the scheduler: splay, slots on a fake clock, overruns on a real loop. */

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
		a = sched_splay(name, 2.5, SCHED_MAX_PHASES);
		b = sched_splay(name, 2.5, SCHED_MAX_PHASES);
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
		counts[(int)(sched_splay(name, 1.0, SCHED_MAX_PHASES) * BUCKETS)]++;
	}
	for (int b = 0; b < BUCKETS; b++) {
		/* Expected 1,000 per bucket; allow a generous +-15 %. */
		assert_in_range(counts[b], 850, 1150);
	}
}

/* The first slot is the first time at the source's phase at or after now. */
static void
test_first_slot(void **unused)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	const double intervals[] = { 1.0, 0.5, 30.0, 0.37 };

	(void)unused;
	for (size_t i = 0; i < NELEM(intervals); i++) {
		struct sched_entry e;
		double now, first, splay = sched_splay("router-1", intervals[i], SCHED_MAX_PHASES);

		sched_init(&e, intervals[i], NULL);
		ev_now_update(loop);
		now = ev_now(loop);
		sched_start(loop, &e, "router-1");
		first = sched_slot_time(&e, e.next);
		assert_true(e.splay == splay);
		assert_true(first >= now && first < now + intervals[i]);
		assert_true(e.next == floor(e.next));
		assert_true(fabs(first - (splay + e.next * intervals[i])) < 1e-9);
		sched_stop(loop, &e);
	}
	ev_loop_destroy(loop);
}

struct counter {
	struct sched_entry e;
	int fired;
	double slots[16];	/* e.scheduled at each fire */
};

static void
counter_fire(struct sched_entry *e)
{
	struct counter *c = container_of(e, struct counter, e);

	if (c->fired < (int)NELEM(c->slots))
		c->slots[c->fired] = e->scheduled;
	c->fired++;
	sched_done(e);
}

/* An entry whose slot k is at 0.25 + k, next due at T + 0.25 (index T), as sched_start leaves it. */
static void
counter_init(struct counter *c, double t)
{
	memset(c, 0, sizeof(*c));
	sched_init(&c->e, 1.0, counter_fire);
	c->e.splay = 0.25;
	c->e.next = t;
}

#define T	1764393600.0	/* 2025-11-29T05:20:00Z */

/* A tick that comes late (or a hair early) serves its own slot, to the bit. */
static void
test_tick_serves_its_slot(void **unused)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	/* How late the loop woke up for each tick: jitter, never a whole interval. */
	const double late[] = { 0.0, 0.003, 0.049, -0.000001, 0.4, 0.999 };
	struct counter c;

	(void)unused;
	counter_init(&c, T);
	for (size_t i = 0; i < NELEM(late); i++)
		sched_tick_at(loop, &c.e, T + 0.25 + (double)i + late[i]);
	assert_int_equal(c.fired, (int)NELEM(late));
	for (size_t i = 0; i < NELEM(late); i++)
		assert_true(c.slots[i] == T + 0.25 + (double)i);
	/* Four polls one second apart span exactly 3 s. */
	assert_true(c.slots[3] - c.slots[0] == 3.0);
	assert_true(c.e.next == T + (double)NELEM(late));
	assert_int_equal(c.e.overruns, 0);
	ev_loop_destroy(loop);
}

/* A stalled loop polls the latest slot due once; the grid stays where it was. */
static void
test_tick_after_a_stall(void **unused)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct counter c;

	(void)unused;
	counter_init(&c, T);
	sched_tick_at(loop, &c.e, T + 0.25);
	/* The loop was blocked 3.5 s: slots 1 and 2 are lost, slot 3 runs late. */
	sched_tick_at(loop, &c.e, T + 3.75);
	sched_tick_at(loop, &c.e, T + 4.26);
	assert_int_equal(c.fired, 3);
	assert_true(c.slots[0] == T + 0.25);
	assert_true(c.slots[1] == T + 3.25);
	assert_true(c.slots[2] == T + 4.25);
	/* The wall clock went back a minute: the grid follows it. */
	sched_tick_at(loop, &c.e, T - 60.0 + 5.3);
	assert_int_equal(c.fired, 4);
	assert_true(c.slots[3] == T - 60.0 + 5.25);
	assert_true(c.e.next == T - 60.0 + 6.0);
	ev_loop_destroy(loop);
}

/*
 * A start off the phase (a takeover's catch-up) serves the slot nearest to
 * it: the one it is late for, then the grid; or, nearer, the next one early,
 * then the grid after it (not two polls within half an interval).
 */
static void
test_start_at_catches_up(void **unused)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct counter c;
	double next, at;

	(void)unused;
	memset(&c, 0, sizeof(c));
	sched_init(&c.e, 10.0, counter_fire);
	next = sched_next_slot(&c.e, "edge-1", T + 0.5);
	assert_true(next >= T + 0.5 && next < T + 10.5);
	assert_true(next == c.e.splay + 10.0 * round((next - c.e.splay) / 10.0));
	at = next - 6.0;
	sched_start_at(loop, &c.e, "edge-1", at);
	assert_true(ev_is_active(&c.e.timer));
	sched_tick_at(loop, &c.e, at + 0.001);
	/* Late by 0.001 s, not by the 4 s since its slot. */
	assert_true(c.e.due == at);
	sched_tick_at(loop, &c.e, next + 0.002);
	assert_true(c.e.due == next);
	sched_tick_at(loop, &c.e, next + 10.0);
	assert_int_equal(c.fired, 3);
	assert_true(c.slots[0] == next - 10.0);
	assert_true(c.slots[1] == next);
	assert_true(c.slots[2] == next + 10.0);
	sched_stop(loop, &c.e);

	/* 4 s before its next slot, 6 s after the last: serves the next one, early. */
	memset(&c, 0, sizeof(c));
	sched_init(&c.e, 10.0, counter_fire);
	at = next - 4.0;
	sched_start_at(loop, &c.e, "edge-1", at);
	sched_tick_at(loop, &c.e, at + 0.001);
	assert_true(c.e.due == at);
	sched_tick_at(loop, &c.e, next + 10.0 + 0.002);
	assert_int_equal(c.fired, 2);
	assert_true(c.slots[0] == next);
	assert_true(c.slots[1] == next + 10.0);
	sched_stop(loop, &c.e);
	ev_loop_destroy(loop);
}

/* A slot that finds the poll still running is an overrun: skipped, counted. */
static void
test_tick_overrun_skips_the_slot(void **unused)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct counter c;

	(void)unused;
	counter_init(&c, T);
	sched_tick_at(loop, &c.e, T + 0.25);
	c.e.running = true;	/* the next poll hangs for two slots */
	sched_tick_at(loop, &c.e, T + 1.25);
	sched_tick_at(loop, &c.e, T + 2.25);
	sched_tick_at(loop, &c.e, T + 3.25);
	assert_int_equal(c.fired, 1);
	assert_int_equal(c.e.overruns, 3);
	sched_done(&c.e);
	sched_tick_at(loop, &c.e, T + 4.26);
	assert_int_equal(c.fired, 2);
	assert_true(c.slots[1] == T + 4.25);
	assert_int_equal(c.e.ticks, 2);
	ev_loop_destroy(loop);
}

struct probe {
	struct sched_entry e;
	int fired;
	bool finish;		/* complete each poll at once */
	bool off_grid;		/* a poll's scheduled start was not on its slot */
	double first, last;	/* scheduled starts of the first and last polls */
	ev_timer stop;
};

static void
probe_fire(struct sched_entry *e)
{
	struct probe *p = container_of(e, struct probe, e);
	double k = (e->scheduled - e->splay) / e->interval;

	if (fabs(k - round(k)) > 1e-3)
		p->off_grid = true;
	if (p->fired == 0)
		p->first = e->scheduled;
	p->last = e->scheduled;
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
	/* Every poll carried the time of its slot, on the source's grid. */
	assert_false(p.off_grid);
	assert_true(p.last - p.first >= 0.02 * (p.fired - 1) - 1e-6);
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
		cmocka_unit_test(test_first_slot),
		cmocka_unit_test(test_tick_serves_its_slot),
		cmocka_unit_test(test_tick_after_a_stall),
		cmocka_unit_test(test_start_at_catches_up),
		cmocka_unit_test(test_tick_overrun_skips_the_slot),
		cmocka_unit_test(test_ticks_on_a_real_loop),
		cmocka_unit_test(test_running_poll_is_not_doubled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
