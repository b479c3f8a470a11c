/* Unit tests of the worker thread: jobs off the loop, results back on it, in order. */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>
#include <ev.h>

#include "worker.h"

enum { N = 200 };

struct ctx {
	pthread_t loop_thread;
	int ran[N], nran;		/* the order run saw, on the worker */
	bool off_loop;			/* every run was on another thread */
	int back[N], nback;		/* the order done saw, on the loop */
	bool on_loop;
	int status_ok;
};

static int
run(void *arg, void *job)
{
	struct ctx *c = arg;
	int id = (int)(intptr_t)job;

	if (pthread_equal(pthread_self(), c->loop_thread))
		c->off_loop = false;
	c->ran[c->nran++] = id;
	if (id % 7 == 0) {	/* now and then a slow one */
		struct timespec ts = { 0, 2 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	return id * 3;
}

static void
done(void *arg, void *job, int status)
{
	struct ctx *c = arg;
	int id = (int)(intptr_t)job;

	if (!pthread_equal(pthread_self(), c->loop_thread))
		c->on_loop = false;
	if (status == id * 3)
		c->status_ok++;
	c->back[c->nback++] = id;
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
test_order_threads_status(void **unused)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ctx c = { .loop_thread = pthread_self(), .off_loop = true, .on_loop = true };
	char err[128] = "";
	struct worker *w;
	ev_timer t;

	(void)unused;
	w = worker_start(loop, "the test", run, done, &c, err, sizeof(err));
	assert_non_null(w);
	for (int i = 0; i < N; i++)
		worker_queue(w, (void *)(intptr_t)i);
	assert_true(worker_pending(w) > 0);
	/* The loop hears of them as they finish: at most 10 s. */
	ev_timer_init(&t, timeout_cb, 0.01, 0.01);
	ev_timer_start(loop, &t);
	for (int i = 0; i < 1000 && c.nback < N; i++)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &t);
	assert_int_equal(c.nback, N);
	assert_int_equal(worker_pending(w), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(c.ran[i], i);
		assert_int_equal(c.back[i], i);
	}
	assert_true(c.off_loop);
	assert_true(c.on_loop);
	assert_int_equal(c.status_ok, N);
	worker_stop(w);
	ev_loop_destroy(loop);
}

/* Stopping runs what is still queued and hands every result back. */
static void
test_stop_finishes_queue(void **unused)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ctx c = { .loop_thread = pthread_self(), .off_loop = true, .on_loop = true };
	char err[128] = "";
	struct worker *w;

	(void)unused;
	w = worker_start(loop, "the test", run, done, &c, err, sizeof(err));
	assert_non_null(w);
	for (int i = 0; i < 50; i++)
		worker_queue(w, (void *)(intptr_t)i);
	worker_stop(w);
	assert_int_equal(c.nran, 50);
	assert_int_equal(c.nback, 50);
	for (int i = 0; i < 50; i++)
		assert_int_equal(c.back[i], i);
	assert_true(c.on_loop);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_threads_status),
		cmocka_unit_test(test_stop_finishes_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
