/* Unit tests of the router: event globs, source globs, label matchers. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "router.h"

static struct event *
mkevent(const char *name, const char *source, const char *site)
{
	struct labels l = { 0 };
	struct event *ev;

	if (site != NULL)
		labels_set(&l, "site", site);
	ev = event_new(name, "r", source, NULL, &l, 0);
	labels_clear(&l);
	return ev;
}

static void
test_event_globs(void **unused)
{
	char *events[] = { "cpu.*", "device.unreachable", NULL };
	struct subscriber_config sub = { .name = "ops", .events = events };
	struct event *a = mkevent("cpu.high", "edge-1", NULL);
	struct event *b = mkevent("cpu.high.resolved", "edge-1", NULL);
	struct event *c = mkevent("interface.changed", "edge-1", NULL);
	struct event *d = mkevent("device.unreachable.resolved", "edge-1", NULL);

	(void)unused;
	assert_true(router_match(&sub, a));
	assert_true(router_match(&sub, b));	/* '*' crosses dots */
	assert_false(router_match(&sub, c));
	assert_false(router_match(&sub, d));	/* no implicit suffix */
	event_free(a);
	event_free(b);
	event_free(c);
	event_free(d);
}

static void
test_default_matches_everything(void **unused)
{
	struct subscriber_config sub = { .name = "all" };
	struct event *a = mkevent("anything.at.all", "x", NULL);

	(void)unused;
	assert_true(router_match(&sub, a));
	event_free(a);
}

static void
test_source_globs_and_labels(void **unused)
{
	char *sources[] = { "edge-*", NULL };
	struct subscriber_config sub = { .name = "fra", .sources = sources };
	struct event *a = mkevent("cpu.high", "edge-1", "fra1");
	struct event *b = mkevent("cpu.high", "core-1", "fra1");
	struct event *c = mkevent("cpu.high", "edge-2", "ams1");
	struct event *d = mkevent("cpu.high", "edge-3", NULL);

	(void)unused;
	labels_set(&sub.match, "site", "fra*");
	assert_true(router_match(&sub, a));
	assert_false(router_match(&sub, b));	/* source glob */
	assert_false(router_match(&sub, c));	/* label glob */
	assert_false(router_match(&sub, d));	/* label missing */
	labels_clear(&sub.match);
	event_free(a);
	event_free(b);
	event_free(c);
	event_free(d);
}

static void
test_glob_any(void **unused)
{
	char *globs[] = { "a?c", "x[0-9]", NULL };

	(void)unused;
	assert_true(router_glob_any(NULL, "whatever"));
	assert_true(router_glob_any(globs, "abc"));
	assert_true(router_glob_any(globs, "x7"));
	assert_false(router_glob_any(globs, "x10"));
	assert_false(router_glob_any(globs, ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_globs),
		cmocka_unit_test(test_default_matches_everything),
		cmocka_unit_test(test_source_globs_and_labels),
		cmocka_unit_test(test_glob_any),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
