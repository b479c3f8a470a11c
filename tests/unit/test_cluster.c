/* Unit tests of the cluster's pure parts: rendezvous hashing and the sources of state keys. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cluster.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_everywhere),
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_join_moves_only_its_share),
		cmocka_unit_test(test_leave_moves_only_its_share),
		cmocka_unit_test(test_key_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
