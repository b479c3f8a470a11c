/*
 * Unit tests of the engine. Its sense of time, on a fake clock: a device whose
 * answers come 0-50 ms late (seeded, so every run is the same) must not
 * change whether a threshold rule's `for` is met. N polls one interval
 * apart span (N - 1) intervals: with `for` equal to that span they fire, and
 * resolve, every time; N - 1 such polls never do. Events carry the
 * scheduled starts of the polls (event_ts, since), not the answers' times.
 * And its reduce and scale, which never turn finite values into infinity.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ev.h>
#include <json-c/json.h>

#include "config.h"
#include "engine.h"
#include "event.h"
#include "log.h"
#include "poller.h"
#include "sample.h"
#include "scheduler.h"
#include "util.h"
#include "xmalloc.h"

#define TRIALS		50
#define T0		1764393600.0	/* 2025-11-29T05:20:00Z */
#define MAX_EVENTS	16

/* The fake clock the engine reads. */
struct fake_clock {
	double now;
};

static double
fake_now(void *arg)
{
	return ((struct fake_clock *)arg)->now;
}

/* The fake device: a poll waits until the test answers it. */
struct device {
	struct sample *sample;
	poll_done_fn done;
	void *arg;
};

static struct device *the_device;	/* the one source's state */

static int
device_start(struct ev_loop *loop, void *shared, const struct source_config *src,
    void **state)
{
	(void)loop;
	(void)shared;
	(void)src;
	the_device = xcalloc(1, sizeof(*the_device));
	*state = the_device;
	return 0;
}

static void
device_poll(void *state, struct sample *sample, poll_done_fn done, void *arg)
{
	struct device *d = state;

	d->sample = sample;
	d->done = done;
	d->arg = arg;
}

static void
device_stop(void *state)
{
	free(state);
	the_device = NULL;
}

static const struct poller_ops device_ops = {
	.name = "fake",
	.start = device_start,
	.poll = device_poll,
	.stop = device_stop,
};

/* What the engine emitted. */
struct seen_event {
	char name[64];
	int64_t ts_ms;
	char since[32];
};

struct sink {
	struct seen_event ev[MAX_EVENTS];
	size_t n;
};

static void
sink_event(void *arg, struct event *ev)
{
	struct sink *k = arg;
	struct json_object *body = json_tokener_parse(ev->body), *pl, *since;

	assert_non_null(body);
	assert_int_not_equal(k->n, MAX_EVENTS);
	snprintf(k->ev[k->n].name, sizeof(k->ev[k->n].name), "%s", ev->name);
	k->ev[k->n].ts_ms = ev->ts_ms;
	assert_true(json_object_object_get_ex(body, "payload", &pl));
	assert_true(json_object_object_get_ex(pl, "since", &since));
	snprintf(k->ev[k->n].since, sizeof(k->ev[k->n].since), "%s",
	    json_object_get_string(since));
	k->n++;
	json_object_put(body);
	event_free(ev);
}

/* A small deterministic generator: the same delays on every run. */
static uint64_t rng_state;

static double
rng_uniform(double lo, double hi)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

struct rig {
	struct ev_loop *loop;
	struct metric_config metric;
	struct source_config src;
	struct rule_config rule;
	struct config cfg;
	struct engine *eng;
	struct fake_clock clock;
	struct sink sink;
	double base;		/* the time of slot 0 */
	int polls;		/* polls so far: slot of the next one */
	char name[32];
};

/*
 * An engine with one source polled every interval and one rule, above 90
 * (clear at or below 80) for for_s, on a clock set near T0 + offset.
 */
static void
rig_init(struct rig *r, int trial, double interval, double for_s)
{
	struct engine_sink sink = { NULL, sink_event, &r->sink };

	memset(r, 0, sizeof(*r));
	r->loop = ev_loop_new(EVFLAG_AUTO);
	snprintf(r->name, sizeof(r->name), "edge-router-%d", trial);
	r->metric.name = (char *)"cpu";
	r->metric.scale = 1.0;
	r->src.name = r->name;
	r->src.poller = &device_ops;
	r->src.interval = interval;
	r->src.timeout = interval;
	r->src.metrics = &r->metric;
	r->src.nmetrics = 1;
	r->rule.name = (char *)"cpu.high";
	r->rule.kind = RULE_ABOVE;
	r->rule.metric = (char *)"cpu";
	r->rule.threshold = 90.0;
	r->rule.clear = 80.0;
	r->rule.for_s = for_s;
	r->cfg.sources = &r->src;
	r->cfg.nsources = 1;
	r->cfg.rules = &r->rule;
	r->cfg.nrules = 1;
	r->eng = engine_new(r->loop, &r->cfg, &sink);
	assert_non_null(r->eng);
	engine_set_clock(r->eng, fake_now, &r->clock);
	/* Armed on a loop that never runs: the test's ticks are the only ones. */
	engine_start(r->eng);
	/* Slots of this source: its phase plus whole intervals, somewhere in a day. */
	r->base = sched_splay(r->name, interval, sched_phases(1)) + interval * floor((T0 + trial * 86400.0 / TRIALS) / interval);
}

/*
 * One poll: the loop wakes up for the slot 0-3 ms late, the device answers
 * value 0-50 ms after that. Returns the number of events it caused.
 */
static size_t
rig_poll(struct rig *r, double value)
{
	struct device *d = the_device;
	size_t before = r->sink.n;

	r->clock.now = r->base + r->polls * r->src.interval + rng_uniform(0.0, 0.003);
	engine_tick(r->eng, 0);
	assert_non_null(d->done);
	r->clock.now += rng_uniform(0.0, 0.050);
	sample_add_number(d->sample, "cpu", NULL, value);
	d->done(d->arg);
	r->polls++;
	return r->sink.n - before;
}

static void
rig_free(struct rig *r)
{
	engine_free(r->eng);
	ev_loop_destroy(r->loop);
}

static void
assert_event_at(const struct seen_event *ev, const char *name, double when, double since)
{
	char want[32];

	assert_string_equal(ev->name, name);
	assert_int_equal(ev->ts_ms, llround(when * 1000.0));
	event_format_time(want, sizeof(want), since);
	assert_string_equal(ev->since, want);
}

/*
 * TRIALS times, with fresh delays each: N - 1 polls above never fire; N fire
 * at the N-th, with since at the first of them; then N - 1 polls at the
 * clear level never resolve, and N resolve at the N-th.
 */
static void
run_trials(double interval, double for_s, int n)
{
	rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
	for (int t = 0; t < TRIALS; t++) {
		struct rig r;
		double first;

		rig_init(&r, t, interval, for_s);
		assert_int_equal(rig_poll(&r, 20), 0);
		/* N - 1 polls above: one interval short of `for`. */
		for (int i = 0; i < n - 1; i++)
			assert_int_equal(rig_poll(&r, 95), 0);
		assert_int_equal(rig_poll(&r, 50), 0);
		/* N polls above: exactly `for` between the first and the last. */
		first = r.base + r.polls * interval;
		for (int i = 0; i < n - 1; i++)
			assert_int_equal(rig_poll(&r, 95), 0);
		assert_int_equal(rig_poll(&r, 96), 1);
		assert_event_at(&r.sink.ev[0], "cpu.high", first + (n - 1) * interval, first);
		/* Firing: N - 1 polls at the clear level, then above it again. */
		for (int i = 0; i < n - 1; i++)
			assert_int_equal(rig_poll(&r, 75), 0);
		assert_int_equal(rig_poll(&r, 85), 0);
		/* N polls at the clear level resolve at the N-th. */
		first = r.base + r.polls * interval;
		for (int i = 0; i < n - 1; i++)
			assert_int_equal(rig_poll(&r, 75), 0);
		assert_int_equal(rig_poll(&r, 70), 1);
		assert_event_at(&r.sink.ev[1], "cpu.high.resolved", first + (n - 1) * interval,
		    first);
		assert_int_equal(r.sink.n, 2);
		rig_free(&r);
	}
}

/* The README's demo: four polls one second apart, for = 3. */
static void
test_for_ignores_answer_jitter(void **unused)
{
	(void)unused;
	run_trials(1.0, 3.0, 4);
}

/* Intervals that are no binary fraction: the grid's rounding must not matter. */
static void
test_for_on_fractional_intervals(void **unused)
{
	(void)unused;
	run_trials(0.1, 0.3, 4);
	run_trials(0.7, 4.2, 7);
}

/* A poll that outlives its next slot: the skipped slot still counts as time. */
static void
test_overrun_slot_counts_as_time(void **unused)
{
	struct rig r;
	struct device *d;

	(void)unused;
	rng_state = 42;
	rig_init(&r, 0, 1.0, 3.0);
	assert_int_equal(rig_poll(&r, 95), 0);
	/* The second poll hangs past the third slot, which is skipped. */
	r.clock.now = r.base + 1.0 + 0.001;
	engine_tick(r.eng, 0);
	d = the_device;
	r.clock.now = r.base + 2.0 + 0.002;
	engine_tick(r.eng, 0);
	r.clock.now = r.base + 2.3;
	sample_add_number(d->sample, "cpu", NULL, 97);
	d->done(d->arg);
	assert_int_equal(r.sink.n, 0);
	/* Slot 3: three seconds after slot 0, whatever was skipped between. */
	r.polls = 3;
	assert_int_equal(rig_poll(&r, 98), 1);
	assert_event_at(&r.sink.ev[0], "cpu.high", r.base + 3.0, r.base);
	assert_int_equal(engine_source_status(r.eng, 0)->overruns, 1);
	rig_free(&r);
}

static const struct point *
find_point(const struct sample *s, const char *metric, const char *instance)
{
	for (size_t i = 0; i < s->npoints; i++)
		if (strcmp(s->points[i].metric, metric) == 0 &&
		    (instance == NULL ? s->points[i].instance == NULL :
		    s->points[i].instance != NULL && strcmp(s->points[i].instance, instance) == 0))
			return &s->points[i];
	return NULL;
}

/* Scale and reduce never make an infinite value out of finite ones: an error names it. */
static void
test_reduce_overflow(void **unused)
{
	struct metric_config m[] = {
		{ .name = (char *)"bits", .reduce = REDUCE_NONE, .scale = 1e10 },
		{ .name = (char *)"total", .reduce = REDUCE_SUM, .scale = 1.0 },
		{ .name = (char *)"peak", .reduce = REDUCE_MAX, .scale = 1.0 },
	};
	struct source_config src = { .name = (char *)"r", .metrics = m, .nmetrics = 3 };
	struct sample s;
	const struct point *p;

	(void)unused;
	sample_init(&s, T0);
	sample_add_number(&s, "bits", "1", 1e300);
	sample_add_number(&s, "bits", "2", 2.0);
	sample_add_number(&s, "total", "1", 1e308);
	sample_add_number(&s, "total", "2", 1e308);
	sample_add_number(&s, "peak", "1", 1e308);
	sample_add_number(&s, "peak", "2", 1.0);
	engine_reduce(&src, &s);
	p = find_point(&s, "bits", "1");
	assert_non_null(p);
	assert_int_equal(p->value.type, VALUE_NONE);
	assert_string_equal(p->error, "1e+300 times scale 1e+10 is outside the range of a double");
	p = find_point(&s, "bits", "2");
	assert_non_null(p);
	assert_true(p->value.type == VALUE_NUMBER && p->value.num == 2e10);
	p = find_point(&s, "total", NULL);
	assert_non_null(p);
	assert_int_equal(p->value.type, VALUE_NONE);
	assert_string_equal(p->error, "the sum of the values is outside the range of a double");
	p = find_point(&s, "peak", NULL);
	assert_non_null(p);
	assert_true(p->value.type == VALUE_NUMBER && p->value.num == 1e308);
	sample_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_for_ignores_answer_jitter),
		cmocka_unit_test(test_for_on_fractional_intervals),
		cmocka_unit_test(test_overrun_slot_counts_as_time),
		cmocka_unit_test(test_reduce_overflow),
	};

	/* One line per event otherwise: hundreds of them. */
	log_init(LOG_LEVEL_WARNING, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
