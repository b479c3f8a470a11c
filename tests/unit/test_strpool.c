/* Unit tests of the string pool (bridge/strpool.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strpool.h"

/* Copies stay intact while many more go in, across blocks, and free in one call. */
static void
test_many_short_strings(void **state)
{
	struct strpool p = { 0 };
	char *first, name[32];

	(void)state;
	first = strpool_dup(&p, "s0");
	for (int i = 1; i < 20000; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_string_equal(strpool_dup(&p, name), name);
	}
	assert_string_equal(first, "s0");
	assert_string_equal(strpool_dup(&p, ""), "");
	strpool_free(&p);
	assert_null(p.head);
	strpool_free(&p);	/* empty: nothing to do */
}

/* A string longer than a block gets one of its own; the current block goes on filling. */
static void
test_long_string(void **state)
{
	struct strpool p = { 0 };
	size_t len = 40000;
	char *big = malloc(len + 1), *a, *b, *c;

	(void)state;
	memset(big, 'x', len);
	big[len] = '\0';
	a = strpool_dup(&p, "before");
	b = strpool_dup(&p, big);
	c = strpool_dup(&p, "after");
	assert_string_equal(a, "before");
	assert_int_equal(strlen(b), len);
	assert_string_equal(c, "after");
	/* "after" went into the block of "before", right behind it. */
	assert_ptr_equal(c, a + strlen("before") + 1);
	free(big);
	strpool_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_short_strings),
		cmocka_unit_test(test_long_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
