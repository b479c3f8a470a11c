/* Unit tests of the SSRF guard: CIDR parsing, refused ranges, allow_networks. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ssrf.h"

static void
allow(struct ssrf_guard *g, const char *cidr)
{
	char err[128];

	assert_int_equal(ssrf_parse_cidr(cidr, &g->allow[g->nallow++], err, sizeof(err)), 0);
}

static const char *
why(const struct ssrf_guard *g, const char *addr)
{
	const char *w;

	(void)ssrf_check_text(g, addr, &w);
	return w;
}

static void
test_parse(void **state)
{
	struct ssrf_net n;
	char err[128];

	(void)state;
	assert_int_equal(ssrf_parse_cidr("127.0.0.0/8", &n, err, sizeof(err)), 0);
	assert_int_equal(n.prefix, 8);
	assert_int_equal(ssrf_parse_cidr("::1", &n, err, sizeof(err)), 0);
	assert_int_equal(n.prefix, 128);
	assert_int_equal(ssrf_parse_cidr("10.0.0.0/33", &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0 to 32"));
	assert_int_equal(ssrf_parse_cidr("10.0.0.0/", &n, err, sizeof(err)), -1);
	assert_int_equal(ssrf_parse_cidr("10.0.0.0/8x", &n, err, sizeof(err)), -1);
	assert_int_equal(ssrf_parse_cidr("localhost/8", &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an IPv4 or IPv6 address"));
	assert_int_equal(ssrf_parse_cidr("", &n, err, sizeof(err)), -1);
}

static void
test_refused_by_default(void **state)
{
	static const char *const refused[] = {
		"127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "169.254.169.254", "169.254.1.1", "100.64.0.1", "100.100.100.200",
		"0.0.0.0", "224.0.0.1", "255.255.255.255", "::", "::1", "fe80::1", "fc00::1",
		"fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"::ffff:169.254.169.254", "64:ff9b::7f00:1", "2002:7f00:1::1", "::127.0.0.1",
		"fd00:ec2::254", NULL
	};
	static const char *const public[] = {
		"93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
		"::ffff:8.8.8.8", "2002:808:808::1", NULL
	};

	(void)state;
	for (size_t i = 0; refused[i] != NULL; i++)
		if (why(NULL, refused[i]) == NULL)
			fail_msg("%s was let through", refused[i]);
	for (size_t i = 0; public[i] != NULL; i++)
		if (why(NULL, public[i]) != NULL)
			fail_msg("%s was refused: %s", public[i], why(NULL, public[i]));
	assert_string_equal(why(NULL, "127.0.0.1"), "loopback");
	assert_string_equal(why(NULL, "169.254.169.254"), "a cloud metadata address");
	assert_string_equal(why(NULL, "::ffff:192.168.0.1"), "private (RFC 1918)");
	assert_string_equal(why(NULL, "fe80::1"), "link-local");
	assert_string_equal(why(NULL, "100.64.1.1"), "shared address space (CGNAT)");
}

static void
test_allow_networks(void **state)
{
	struct ssrf_guard g = { .nallow = 0 };

	(void)state;
	allow(&g, "127.0.0.0/8");
	allow(&g, "fd00::/8");
	assert_null(why(&g, "127.0.0.1"));
	assert_null(why(&g, "::ffff:127.0.0.1"));	/* the mapped address is the IPv4 one */
	assert_null(why(&g, "fd00::5"));
	assert_non_null(why(&g, "::1"));
	assert_non_null(why(&g, "10.0.0.1"));
	assert_non_null(why(&g, "fc00::1"));
	assert_non_null(why(&g, "169.254.169.254"));
	g.nallow = 0;
	allow(&g, "10.1.2.0/23");
	assert_null(why(&g, "10.1.3.255"));
	assert_non_null(why(&g, "10.1.4.0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused_by_default),
		cmocka_unit_test(test_allow_networks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
