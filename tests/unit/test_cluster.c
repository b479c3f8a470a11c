/*
 * Unit tests of the cluster's pure parts: rendezvous hashing, the sources of
 * state keys, and when sources taken over are first polled.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cluster.h"
#include "takeover.h"

#define NSOURCES 3000

static char names[NSOURCES][16];

static void
make_names(void)
{
	for (int i = 0; i < NSOURCES; i++)
		snprintf(names[i], sizeof(names[i]), "router-%04d", i);
}

/* Owner of every source over members, by name (the index is the caller's order). */
static const char *
owner(const char *source, const char *const *members, size_t n)
{
	return members[cluster_rendezvous(source, members, n)];
}

static void
test_same_everywhere(void **unused)
{
	const char *abc[] = { "a", "b", "c" }, *cab[] = { "c", "a", "b" };

	(void)unused;
	make_names();
	/* Every member computes the same owner whatever order it lists the members in. */
	for (int i = 0; i < NSOURCES; i++)
		assert_string_equal(owner(names[i], abc, 3), owner(names[i], cab, 3));
	assert_int_equal(cluster_rendezvous("x", abc, 1), 0);
}

/* Three members get about a third each. */
static void
test_spread(void **unused)
{
	const char *m[] = { "poller-a", "poller-b", "poller-c" };
	size_t count[3] = { 0 };

	(void)unused;
	make_names();
	for (int i = 0; i < NSOURCES; i++)
		count[cluster_rendezvous(names[i], m, 3)]++;
	for (int k = 0; k < 3; k++) {
		assert_true(count[k] > NSOURCES * 28 / 100);
		assert_true(count[k] < NSOURCES * 39 / 100);
	}
}

/* A fourth member takes about a quarter, each from one of the three; nothing else moves. */
static void
test_join_moves_only_its_share(void **unused)
{
	const char *three[] = { "poller-a", "poller-b", "poller-c" };
	const char *four[] = { "poller-a", "poller-b", "poller-c", "poller-d" };
	size_t moved = 0;

	(void)unused;
	make_names();
	for (int i = 0; i < NSOURCES; i++) {
		const char *before = owner(names[i], three, 3), *after = owner(names[i], four, 4);

		if (strcmp(before, after) == 0)
			continue;
		assert_string_equal(after, "poller-d");
		moved++;
	}
	assert_true(moved > NSOURCES * 20 / 100);
	assert_true(moved < NSOURCES * 30 / 100);
}

/* A member that leaves gives up exactly its sources, spread over the others. */
static void
test_leave_moves_only_its_share(void **unused)
{
	const char *four[] = { "poller-a", "poller-b", "poller-c", "poller-d" };
	const char *three[] = { "poller-a", "poller-c", "poller-d" };
	size_t to[4] = { 0 };

	(void)unused;
	make_names();
	for (int i = 0; i < NSOURCES; i++) {
		const char *before = owner(names[i], four, 4), *after = owner(names[i], three, 3);

		if (strcmp(before, "poller-b") != 0) {
			assert_string_equal(before, after);
			continue;
		}
		to[cluster_rendezvous(names[i], three, 3)]++;
	}
	for (int k = 0; k < 3; k++)
		assert_true(to[k] > 0);
}

static void
test_key_source(void **unused)
{
	char buf[32];

	(void)unused;
	assert_string_equal(cluster_key_source("cpu.high\x1f" "edge-1\x1f" "c0", buf, sizeof(buf)),
	    "edge-1");
	assert_string_equal(cluster_key_source("cpu.high\x1f" "edge-1\x1f", buf, sizeof(buf)),
	    "edge-1");
	assert_string_equal(cluster_key_source("cursor:recordings", buf, sizeof(buf)),
	    "recordings");
	assert_null(cluster_key_source("no separator", buf, sizeof(buf)));
	assert_null(cluster_key_source("r\x1fonly-one", buf, sizeof(buf)));
	/* Too long for the buffer: not guessed. */
	assert_null(cluster_key_source("cursor:a-name-longer-than-the-buffer-is", buf, 8));
}

#define NOW	1764393600.0	/* 2025-11-29T05:20:00Z */

/* Sources taken at NOW, at 10 s, their slots evenly over the next interval. */
static void
takeovers(struct takeover *v, size_t n, double since)
{
	for (size_t i = 0; i < n; i++) {
		v[i].since = since;
		v[i].interval = 10.0;
		v[i].next = NOW + 10.0 * (double)(i + 1) / (double)(n + 1);
	}
}

/* Never owned, or polled within its slot before: each keeps its phase. */
static void
test_takeover_keeps_phase(void **unused)
{
	struct takeover v[100];

	(void)unused;
	takeovers(v, 100, NAN);
	takeover_plan(v, 100, NOW, 5.0);
	for (size_t i = 0; i < 100; i++)
		assert_true(isnan(v[i].at));
	/* Its previous owner was alive just now: no slot went unpolled. */
	takeovers(v, 100, NOW - 0.01);
	takeover_plan(v, 100, NOW, 5.0);
	for (size_t i = 0; i < 100; i++)
		assert_true(isnan(v[i].at));
}

/*
 * Its owner last seen a lease (5 s) ago: the sources whose slot fell since
 * are polled at once, the most overdue first, spread over a short window;
 * the others keep their phase.
 */
static void
test_takeover_catches_up(void **unused)
{
	struct takeover v[1000];
	size_t late = 0, first_step = 0;
	double prev_last = -INFINITY;

	(void)unused;
	takeovers(v, 1000, NOW - 5.0);
	takeover_plan(v, 1000, NOW, 5.0);
	for (size_t i = 0; i < 1000; i++) {
		/* Slot due since NOW - 5: next - 10 in (NOW - 5, NOW]. */
		bool missed = v[i].next - 10.0 > NOW - 5.0;

		assert_int_equal(!isnan(v[i].at), missed);
		if (isnan(v[i].at))
			continue;
		late++;
		assert_true(v[i].at >= NOW && v[i].at < NOW + 5.0 / 3);
		assert_true(v[i].at < v[i].next);
		first_step += v[i].at == NOW;
		/* Ordered by their last poll (here the order of their slots). */
		assert_true(v[i].at >= prev_last);
		prev_last = v[i].at;
	}
	assert_in_range(late, 450, 550);
	/* Not one burst: a tenth of them per step. */
	assert_in_range(first_step, late / TAKEOVER_STEPS - 1, late / TAKEOVER_STEPS + 1);
}

/*
 * A lease as long as the interval: every source missed its slot, and each is
 * polled at once, even one whose next slot is near (waiting for it would
 * leave it unpolled two intervals after its last poll known; the catch-up
 * serves that slot), unless the next slot comes before its turn in the
 * window. The most overdue come first: the window's end, for the least
 * overdue, leaves none longer unpolled than the first.
 */
static void
test_takeover_catches_up_near_slots(void **unused)
{
	struct takeover v[100];
	double worst = 0, first = 0;

	(void)unused;
	takeovers(v, 100, NOW - 10.5);
	takeover_plan(v, 100, NOW, 10.0);
	for (size_t i = 0; i < 100; i++) {
		double last = v[i].next - (v[i].next - 20.0 > NOW - 10.5 ? 30.0 : 20.0);
		double polled = isnan(v[i].at) ? v[i].next : v[i].at;

		/* Waits only for a slot sooner than its turn. */
		if (isnan(v[i].at))
			assert_true(v[i].next < NOW + 10.0 / 3);
		else
			assert_true(v[i].at >= NOW && v[i].at < NOW + 10.0 / 3 && v[i].at < v[i].next);
		if (polled - last > worst)
			worst = polled - last;
		if (v[i].at == NOW && NOW - last > first)
			first = NOW - last;
	}
	/* A near slot does not wait: the gap of the first caught up is the longest. */
	assert_true(v[30].next - NOW < 5.0);
	assert_false(isnan(v[30].at));
	assert_true(worst <= first + 1e-9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_everywhere),
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_join_moves_only_its_share),
		cmocka_unit_test(test_leave_moves_only_its_share),
		cmocka_unit_test(test_key_source),
		cmocka_unit_test(test_takeover_keeps_phase),
		cmocka_unit_test(test_takeover_catches_up),
		cmocka_unit_test(test_takeover_catches_up_near_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
