/* Unit tests of the latency histogram. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "histogram.h"

static void
test_empty(void **unused)
{
	struct histogram h = { 0 };

	(void)unused;
	assert_true(hist_quantile(&h, 0.5) == 0);
}

/* 1..1000 ms uniformly: quantiles within the promised 6.25 % above the truth. */
static void
test_quantiles_within_bound(void **unused)
{
	static struct histogram h;
	const double qs[] = { 0.01, 0.5, 0.9, 0.99, 1.0 };

	(void)unused;
	for (int i = 1; i <= 1000; i++)
		hist_add(&h, i / 1000.0);
	assert_int_equal(h.count, 1000);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		double truth = qs[k], got = hist_quantile(&h, qs[k]);

		assert_true(got >= truth * 0.999);
		assert_true(got <= truth * 1.0625 + 1e-9);
	}
}

static void
test_extremes(void **unused)
{
	static struct histogram h;

	(void)unused;
	hist_add(&h, -1);	/* clock skew: counted as 0 */
	hist_add(&h, 0);
	hist_add(&h, 1e9);	/* beyond the last bucket: clamped there */
	assert_int_equal(h.count, 3);
	assert_true(hist_quantile(&h, 0.5) <= 2e-6);
	assert_true(hist_quantile(&h, 1.0) > 1e5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_quantiles_within_bound),
		cmocka_unit_test(test_extremes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
