/* Unit tests of discovery's pure parts: ranges, prefix matching, names, store records. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "discover.h"

static struct discover_net
net(const char *s)
{
	struct discover_net n = { 0, 0 };
	char err[160];

	assert_int_equal(discover_net_parse(s, &n, err, sizeof(err)), 0);
	return n;
}

static void
bad_net(const char *s, const char *msg)
{
	struct discover_net n;
	char err[160];

	assert_int_equal(discover_net_parse(s, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, msg));
}

static void
test_cidr(void **state)
{
	struct discover_net n;
	char buf[16];

	(void)state;
	n = net("192.0.2.0/24");
	assert_int_equal(n.count, 254);	/* without .0 and .255 */
	discover_net_addr(&n, 1, 0, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1");
	discover_net_addr(&n, 1, 253, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.254");
	n = net("10.0.0.0/30");
	assert_int_equal(n.count, 2);
	n = net("10.0.0.4/31");	/* RFC 3021: both are hosts */
	assert_int_equal(n.count, 2);
	discover_net_addr(&n, 1, 1, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.5");
	n = net("127.0.0.7");
	assert_int_equal(n.count, 1);
	discover_net_addr(&n, 1, 0, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.7");
	n = net("10.0.0.0/16");
	assert_int_equal(n.count, 65534);
	n = net("0.0.0.0/0");
	assert_int_equal(n.count, 4294967294u);
	bad_net("192.0.2.1/24", "host bits set (the network is 192.0.2.0/24)");
	bad_net("192.0.2.0/33", "prefix length");
	bad_net("192.0.2.0/", "prefix length");
	bad_net("192.0.2.0/2x", "prefix length");
	bad_net("192.0.2/24", "no IPv4 network");
	bad_net("2001:db8::/64", "no IPv4 network");
	bad_net("", "no IPv4 network");
	bad_net("/24", "no IPv4 network");
}

static void
test_cidr_several(void **state)
{
	struct discover_net v[2];
	char buf[16];

	(void)state;
	v[0] = net("10.0.0.0/30");	/* .1, .2 */
	v[1] = net("10.9.9.9");
	discover_net_addr(v, 2, 1, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.2");
	discover_net_addr(v, 2, 2, buf, sizeof(buf));
	assert_string_equal(buf, "10.9.9.9");
}

static void
test_match(void **state)
{
	struct discover_match m[] = {
		{ (char *)"1.3.6.1.4.1.9.", (char *)"cisco-ios" },
		{ (char *)"1.3.6.1.4.1.9.1.516", (char *)"cisco-3750" },
		{ (char *)"1.3.6.1.4.1.2636", (char *)"juniper" },
		{ (char *)"1.3.6.1.4.1.8072.3.2.10", (char *)"net-snmp-linux" },
	};
	size_t n = sizeof(m) / sizeof(m[0]);

	(void)state;
	assert_string_equal(discover_match(m, n, "1.3.6.1.4.1.9.1.1"), "cisco-ios");
	/* The longest prefix wins, whatever the order. */
	assert_string_equal(discover_match(m, n, "1.3.6.1.4.1.9.1.516"), "cisco-3750");
	assert_string_equal(discover_match(m, n, ".1.3.6.1.4.1.9.1.516"), "cisco-3750");
	/* ... but only on a boundary between sub-identifiers. */
	assert_string_equal(discover_match(m, n, "1.3.6.1.4.1.9.1.5160"), "cisco-ios");
	assert_string_equal(discover_match(m, n, "1.3.6.1.4.1.2636.1.1.1.2.29"), "juniper");
	assert_string_equal(discover_match(m, n, "1.3.6.1.4.1.2636"), "juniper");
	assert_null(discover_match(m, n, "1.3.6.1.4.1.26361.1"));
	assert_null(discover_match(m, n, "1.3.6.1.4.1.99.1"));
	assert_null(discover_match(m, n, "1.3.6.1.4.1.9"));	/* "9." asks for more */
	assert_null(discover_match(m, n, ""));
	assert_null(discover_match(m, n, NULL));
	assert_null(discover_match(m, 0, "1.3.6.1.4.1.9.1.1"));
}

static void
test_names(void **state)
{
	char out[96];

	(void)state;
	assert_true(discover_name_from("edge-1.example.com", out, sizeof(out)));
	assert_string_equal(out, "edge-1.example.com");
	assert_true(discover_name_from("core router 3", out, sizeof(out)));
	assert_string_equal(out, "core-router-3");
	assert_true(discover_name_from("  -.sw\"itch/7 ..", out, sizeof(out)));
	assert_string_equal(out, "sw-itch-7");
	assert_false(discover_name_from("", out, sizeof(out)));
	assert_false(discover_name_from(" \t\n", out, sizeof(out)));
	assert_false(discover_name_from("...", out, sizeof(out)));
	assert_true(discover_name_from("\xc3\xa9t\xc3\xa9", out, sizeof(out)));
	assert_string_equal(out, "t");
	assert_true(discover_name_from("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    out, sizeof(out)));
	assert_int_equal(strlen(out), 63);
	discover_name_of_address("192.0.2.7:161", out, sizeof(out));
	assert_string_equal(out, "192.0.2.7");
	discover_name_of_address("127.0.0.4:17161", out, sizeof(out));
	assert_string_equal(out, "127.0.0.4-17161");
}

static void
test_record(void **state)
{
	struct discover_device d = {
		.discovery = (char *)"lab", .address = (char *)"127.0.0.2:161",
		.name = (char *)"edge-2", .object_id = (char *)"1.3.6.1.4.1.9.1.516",
		.sys_name = (char *)"edge \"2\"", .first_seen = 1764393600.5,
		.last_seen = 1764397200.25, .misses = 1,
	}, back;
	char *json = discover_device_json(&d);
	struct discover_known *k = calloc(1, sizeof(*k)), *c;

	(void)state;
	assert_int_equal(discover_device_parse(json, &back), 0);
	assert_string_equal(back.discovery, "lab");
	assert_string_equal(back.address, "127.0.0.2:161");
	assert_string_equal(back.name, "edge-2");
	assert_string_equal(back.sys_name, "edge \"2\"");
	assert_true(back.first_seen == 1764393600.5);
	assert_int_equal(back.misses, 1);
	discover_known_add(k, &back);
	discover_device_clear(&back);
	c = discover_known_copy(k);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->v[0].object_id, "1.3.6.1.4.1.9.1.516");
	discover_known_free(c);
	discover_known_free(k);
	free(json);
	assert_int_equal(discover_device_parse("{\"discovery\": \"lab\"}", &back), -1);
	assert_int_equal(discover_device_parse("[1]", &back), -1);
	assert_int_equal(discover_device_parse("not json", &back), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_cidr_several),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
