/*
 * Unit tests of the bounded loop iteration (slice.h) through the engine: a
 * sample whose rules emit 10,000 events at once is processed in slices on a
 * real libev loop, with a timer served between them; nothing is lost or
 * reordered, the source's next poll waits for its rules, a firing comes
 * before its .resolved, and a shutdown in the middle still hands on every
 * event.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "config.h"
#include "engine.h"
#include "event.h"
#include "log.h"
#include "poller.h"
#include "sample.h"
#include "slice.h"
#include "xmalloc.h"

#define INSTANCES	10000
/* At most what one iteration's budget lets through: 2048 units, 8 per event. */
#define SLICE_EVENTS_MAX (2048 / 8 + 1)

/* The fake device: a poll waits until the test answers it. */
struct device {
	struct sample *sample;
	poll_done_fn done;
	void *arg;
	int polls;
};

static struct device *the_device;

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
	d->polls++;
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

/* What the engine emitted, in order. */
struct sink {
	char (*name)[32];
	char (*instance)[16];
	size_t n;
};

static void
sink_event(void *arg, struct event *ev)
{
	struct sink *k = arg;

	assert_true(k->n < 2 * INSTANCES);
	snprintf(k->name[k->n], sizeof(k->name[0]), "%s", ev->name);
	snprintf(k->instance[k->n], sizeof(k->instance[0]), "%s",
	    ev->instance != NULL ? ev->instance : "");
	k->n++;
	event_free(ev);
}

struct rig {
	struct ev_loop *loop;
	struct metric_config metric;
	struct source_config src;
	struct rule_config rule;
	struct config cfg;
	struct engine *eng;
	struct sink sink;
	ev_timer tick;
	int ticks;
};

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rig *r = w->data;

	(void)loop;
	(void)revents;
	r->ticks++;
}

static void
rig_init(struct rig *r)
{
	struct engine_sink sink = { NULL, sink_event, &r->sink };

	memset(r, 0, sizeof(*r));
	r->loop = ev_loop_new(EVFLAG_AUTO);
	r->sink.name = xcalloc(2 * INSTANCES, sizeof(*r->sink.name));
	r->sink.instance = xcalloc(2 * INSTANCES, sizeof(*r->sink.instance));
	r->metric.name = (char *)"v";
	r->metric.scale = 1.0;
	r->src.name = (char *)"device";
	r->src.poller = &device_ops;
	r->src.interval = 1.0;
	r->src.timeout = 1.0;
	r->src.metrics = &r->metric;
	r->src.nmetrics = 1;
	r->rule.name = (char *)"flip";
	r->rule.kind = RULE_ABOVE;
	r->rule.metric = (char *)"v";
	r->rule.threshold = 0.5;
	r->rule.clear = 0.5;
	r->cfg.sources = &r->src;
	r->cfg.nsources = 1;
	r->cfg.rules = &r->rule;
	r->cfg.nrules = 1;
	r->eng = engine_new(r->loop, &r->cfg, &sink);
	assert_non_null(r->eng);
	ev_timer_init(&r->tick, tick_cb, 0., 0.001);
	r->tick.data = r;
}

/* Polls the device once (unscheduled) and answers every instance with value. */
static void
rig_answer(struct rig *r, double value)
{
	char inst[16];

	engine_poll_all(r->eng);
	assert_non_null(the_device->done);
	for (int i = 0; i < INSTANCES; i++) {
		snprintf(inst, sizeof(inst), "i%05d", i);
		sample_add_number(the_device->sample, "v", inst, value);
	}
	the_device->done(the_device->arg);
}

/* Runs the loop one iteration at a time until the engine is idle; returns the iterations. */
static int
rig_drain(struct rig *r)
{
	int iterations = 0;

	while (engine_in_flight(r->eng) > 0) {
		size_t before = r->sink.n;

		assert_true(iterations < 1000);
		ev_run(r->loop, EVRUN_ONCE);
		assert_true(r->sink.n - before <= SLICE_EVENTS_MAX);
		iterations++;
	}
	return iterations;
}

static void
rig_free(struct rig *r)
{
	ev_timer_stop(r->loop, &r->tick);
	engine_free(r->eng);
	ev_loop_destroy(r->loop);
	free(r->sink.name);
	free(r->sink.instance);
}

/* Events off..off+INSTANCES-1 are name for i00000, i00001, ... in order. */
static void
assert_in_order(const struct rig *r, size_t off, const char *name)
{
	char inst[16];

	for (size_t i = 0; i < INSTANCES; i++) {
		snprintf(inst, sizeof(inst), "i%05zu", i);
		assert_string_equal(r->sink.name[off + i], name);
		assert_string_equal(r->sink.instance[off + i], inst);
	}
}

static void
test_burst_is_sliced(void **unused)
{
	struct rig r;
	int iterations, polls;

	(void)unused;
	rig_init(&r);
	rig_answer(&r, 1.0);
	/* The first slice runs at once; the rest waits for later iterations. */
	assert_true(r.sink.n > 0);
	assert_true(r.sink.n <= SLICE_EVENTS_MAX);
	assert_int_equal(engine_in_flight(r.eng), 1);
	/* No new poll while its rules go on: its events keep their order. */
	polls = the_device->polls;
	engine_poll_all(r.eng);
	assert_int_equal(the_device->polls, polls);
	ev_timer_start(r.loop, &r.tick);
	iterations = rig_drain(&r);
	assert_true(iterations >= INSTANCES / SLICE_EVENTS_MAX - 1);
	assert_int_equal(r.sink.n, INSTANCES);
	assert_in_order(&r, 0, "flip");
	/* The timer ran between the slices, not only after them. */
	assert_true(r.ticks >= 2);
	/* Then all resolve, each after its firing. */
	rig_answer(&r, 0.0);
	rig_drain(&r);
	assert_int_equal(r.sink.n, 2 * INSTANCES);
	assert_in_order(&r, INSTANCES, "flip.resolved");
	rig_free(&r);
}

/* Stopping in the middle of a burst loses none of its events. */
static void
test_free_flushes(void **unused)
{
	struct rig r;

	(void)unused;
	rig_init(&r);
	rig_answer(&r, 1.0);
	assert_true(r.sink.n < INSTANCES);
	ev_run(r.loop, EVRUN_ONCE);
	assert_true(r.sink.n < INSTANCES);
	engine_free(r.eng);
	r.eng = NULL;
	assert_int_equal(r.sink.n, INSTANCES);
	assert_in_order(&r, 0, "flip");
	ev_loop_destroy(r.loop);
	free(r.sink.name);
	free(r.sink.instance);
}

/* The budget: the first take of an iteration fits, the rest while it lasts. */
static void
test_budget(void **unused)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct slice s;

	(void)unused;
	slice_init(&s, loop, 10, 60.0, NULL);
	assert_true(slice_take(&s, 25));
	assert_false(slice_take(&s, 1));
	slice_reset(&s);
	assert_true(slice_take(&s, 6));
	assert_true(slice_take(&s, 4));
	assert_false(slice_take(&s, 1));
	slice_charge(&s, 3);
	assert_false(slice_take(&s, 1));
	/* A new iteration brings the whole budget back. */
	ev_run(loop, EVRUN_NOWAIT);
	assert_true(slice_take(&s, 10));
	/* And time runs out before the units do: the clock is read every few units. */
	slice_init(&s, loop, 1000000, 0.001, NULL);
	ev_run(loop, EVRUN_NOWAIT);
	assert_true(slice_take(&s, 1));
	usleep(2000);
	for (int i = 0; i < SLICE_CLOCK_EVERY + 1 && slice_take(&s, 1); i++)
		;
	assert_false(slice_take(&s, 1));
	slice_stop(&s);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_burst_is_sliced),
		cmocka_unit_test(test_free_flushes),
	};

	log_init(LOG_LEVEL_WARNING, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
