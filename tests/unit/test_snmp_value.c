/* Unit tests of the snmp poller's value conversion and counter rates. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "snmp_value.h"

static oid name[] = { 1, 3, 6, 1, 4, 1, 99999, 1 };

/* Returns a varbind of type t with the given value bytes (caller frees). */
static netsnmp_variable_list *
vb_new(u_char t, const void *val, size_t len)
{
	netsnmp_variable_list *vb = NULL;

	snmp_varlist_add_variable(&vb, name, sizeof(name) / sizeof(name[0]), t, val, len);
	assert_non_null(vb);
	return vb;
}

static void
convert_ok(netsnmp_variable_list *vb, struct value *v)
{
	char err[128];

	assert_int_equal(snmp_value_convert(vb, v, err, sizeof(err)), 0);
	snmp_free_varbind(vb);
}

static void
test_numbers(void **state)
{
	struct value v;
	long i = -42;
	u_long u = 4294967295UL;
	struct counter64 c64 = { 0x1, 0x2 };

	(void)state;
	convert_ok(vb_new(ASN_INTEGER, &i, sizeof(i)), &v);
	assert_int_equal(v.type, VALUE_NUMBER);
	assert_true(v.num == -42.0);
	convert_ok(vb_new(ASN_COUNTER, &u, sizeof(u)), &v);
	assert_true(v.num == 4294967295.0);
	convert_ok(vb_new(ASN_GAUGE, &u, sizeof(u)), &v);
	assert_true(v.num == 4294967295.0);
	convert_ok(vb_new(ASN_TIMETICKS, &u, sizeof(u)), &v);
	assert_true(v.num == 4294967295.0);
	convert_ok(vb_new(ASN_COUNTER64, &c64, sizeof(c64)), &v);
	assert_true(v.num == 4294967298.0);
}

static void
test_strings(void **state)
{
	struct value v;
	const u_char mac[] = { 0x00, 0x1a, 0x2b, 0xff, 0x00, 0x10 }, zeros[4] = { 0 };
	const u_char ip[] = { 192, 0, 2, 1 };
	oid o[] = { 1, 3, 6, 1, 4, 1, 8072 };

	(void)state;
	convert_ok(vb_new(ASN_OCTET_STR, "eth0", 4), &v);
	assert_int_equal(v.type, VALUE_STRING);
	assert_string_equal(v.str, "eth0");
	value_clear(&v);
	/* C agents send trailing NULs */
	convert_ok(vb_new(ASN_OCTET_STR, "lo\0", 3), &v);
	assert_string_equal(v.str, "lo");
	value_clear(&v);
	convert_ok(vb_new(ASN_OCTET_STR, "Gr\xc3\xbc\xc3\x9f" "e", 7), &v);
	assert_string_equal(v.str, "Gr\xc3\xbc\xc3\x9f" "e");
	value_clear(&v);
	/* laLoad is a DisplayString: numeric text becomes a number */
	convert_ok(vb_new(ASN_OCTET_STR, "0.15", 4), &v);
	assert_int_equal(v.type, VALUE_NUMBER);
	assert_true(v.num == 0.15);
	/* but not hex, inf or words */
	convert_ok(vb_new(ASN_OCTET_STR, "0x1A", 4), &v);
	assert_int_equal(v.type, VALUE_STRING);
	value_clear(&v);
	convert_ok(vb_new(ASN_OCTET_STR, "inf", 3), &v);
	assert_int_equal(v.type, VALUE_STRING);
	value_clear(&v);
	convert_ok(vb_new(ASN_OCTET_STR, mac, sizeof(mac)), &v);
	assert_string_equal(v.str, "00:1a:2b:ff:00:10");
	value_clear(&v);
	convert_ok(vb_new(ASN_OCTET_STR, zeros, sizeof(zeros)), &v);
	assert_string_equal(v.str, "00:00:00:00");
	value_clear(&v);
	convert_ok(vb_new(ASN_OCTET_STR, "", 0), &v);
	assert_string_equal(v.str, "");
	value_clear(&v);
	convert_ok(vb_new(ASN_IPADDRESS, ip, sizeof(ip)), &v);
	assert_string_equal(v.str, "192.0.2.1");
	value_clear(&v);
	convert_ok(vb_new(ASN_OBJECT_ID, o, sizeof(o)), &v);
	assert_string_equal(v.str, "1.3.6.1.4.1.8072");
	value_clear(&v);
}

static void
test_label_text(void **state)
{
	netsnmp_variable_list *vb = vb_new(ASN_OCTET_STR, "10", 2);
	long i = 7;
	char *s;

	(void)state;
	s = snmp_value_text(vb);
	assert_string_equal(s, "10");
	free(s);
	snmp_free_varbind(vb);
	vb = vb_new(ASN_INTEGER, &i, sizeof(i));
	s = snmp_value_text(vb);
	assert_string_equal(s, "7");
	free(s);
	snmp_free_varbind(vb);
	vb = vb_new(SNMP_NOSUCHINSTANCE, NULL, 0);
	assert_null(snmp_value_text(vb));
	snmp_free_varbind(vb);
}

static void
test_exceptions(void **state)
{
	struct value v;
	char err[128];
	netsnmp_variable_list *vb;

	(void)state;
	vb = vb_new(SNMP_NOSUCHOBJECT, NULL, 0);
	assert_int_equal(snmp_value_convert(vb, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "no such object");
	snmp_free_varbind(vb);
	vb = vb_new(SNMP_NOSUCHINSTANCE, NULL, 0);
	assert_int_equal(snmp_value_convert(vb, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "no such instance");
	snmp_free_varbind(vb);
	vb = vb_new(SNMP_ENDOFMIBVIEW, NULL, 0);
	assert_int_equal(snmp_value_convert(vb, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "end of MIB view");
	snmp_free_varbind(vb);
}

static struct snmp_raw
c32(uint32_t x)
{
	struct snmp_raw r = { SNMP_RAW_COUNTER32, x, 0 };

	return r;
}

static struct snmp_raw
c64(uint64_t x)
{
	struct snmp_raw r = { SNMP_RAW_COUNTER64, x, 0 };

	return r;
}

static void
test_rate_counter32_wrap(void **state)
{
	struct snmp_counter c = { 0 };
	struct snmp_raw r;
	double rate = -1;

	(void)state;
	r = c32(4294967000U);
	assert_int_equal(snmp_rate_update(&c, &r, 10.0, &rate), SNMP_RATE_FIRST);
	r = c32(4294967200U);
	assert_int_equal(snmp_rate_update(&c, &r, 12.0, &rate), SNMP_RATE_OK);
	assert_true(rate == 100.0);
	/* through 2^32: 95 to the top, 105 after */
	r = c32(105);
	assert_int_equal(snmp_rate_update(&c, &r, 13.0, &rate), SNMP_RATE_OK);
	assert_true(rate == 201.0);
	/* the same time again: no rate, the older reading stays */
	r = c32(300);
	assert_int_equal(snmp_rate_update(&c, &r, 13.0, &rate), SNMP_RATE_INVALID);
	r = c32(305);
	assert_int_equal(snmp_rate_update(&c, &r, 14.0, &rate), SNMP_RATE_OK);
	assert_true(rate == 200.0);
}

static void
test_rate_counter64(void **state)
{
	struct snmp_counter c = { 0 };
	struct snmp_raw r;
	double rate = -1;

	(void)state;
	r = c64(UINT64_MAX - 9);
	assert_int_equal(snmp_rate_update(&c, &r, 1.0, &rate), SNMP_RATE_FIRST);
	r = c64(10);
	assert_int_equal(snmp_rate_update(&c, &r, 2.0, &rate), SNMP_RATE_OK);
	assert_true(rate == 20.0);
	/* going back by a little is a reset, not a wrap of 2^64 */
	r = c64(5);
	assert_int_equal(snmp_rate_update(&c, &r, 3.0, &rate), SNMP_RATE_RESET);
	r = c64(25);
	assert_int_equal(snmp_rate_update(&c, &r, 4.0, &rate), SNMP_RATE_OK);
	assert_true(rate == 20.0);
}

static void
test_rate_gauge_and_kinds(void **state)
{
	struct snmp_counter c = { 0 };
	struct snmp_raw g1 = { SNMP_RAW_GAUGE, 0, 50.0 }, g2 = { SNMP_RAW_GAUGE, 0, 40.0 };
	struct snmp_raw none = { SNMP_RAW_NONE, 0, 0 }, k = c32(7);
	double rate;

	(void)state;
	assert_int_equal(snmp_rate_update(&c, &g1, 1.0, &rate), SNMP_RATE_FIRST);
	assert_int_equal(snmp_rate_update(&c, &g2, 3.0, &rate), SNMP_RATE_OK);
	assert_true(rate == -5.0);
	/* another kind starts again */
	assert_int_equal(snmp_rate_update(&c, &k, 4.0, &rate), SNMP_RATE_FIRST);
	assert_int_equal(snmp_rate_update(&c, &none, 5.0, &rate), SNMP_RATE_INVALID);
	assert_false(c.valid);
}

static void
test_raw(void **state)
{
	struct snmp_raw r;
	u_long u = 123;
	struct counter64 big = { 0xffffffff, 0xffffffff };
	netsnmp_variable_list *vb;

	(void)state;
	vb = vb_new(ASN_COUNTER, &u, sizeof(u));
	snmp_value_raw(vb, &r);
	assert_int_equal(r.kind, SNMP_RAW_COUNTER32);
	assert_int_equal(r.u, 123);
	snmp_free_varbind(vb);
	vb = vb_new(ASN_COUNTER64, &big, sizeof(big));
	snmp_value_raw(vb, &r);
	assert_int_equal(r.kind, SNMP_RAW_COUNTER64);
	assert_true(r.u == UINT64_MAX);
	snmp_free_varbind(vb);
	vb = vb_new(ASN_OCTET_STR, "1.5", 3);
	snmp_value_raw(vb, &r);
	assert_int_equal(r.kind, SNMP_RAW_GAUGE);
	assert_true(r.d == 1.5);
	snmp_free_varbind(vb);
	vb = vb_new(ASN_OCTET_STR, "eth0", 4);
	snmp_value_raw(vb, &r);
	assert_int_equal(r.kind, SNMP_RAW_NONE);
	snmp_free_varbind(vb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_label_text),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_rate_counter32_wrap),
		cmocka_unit_test(test_rate_counter64),
		cmocka_unit_test(test_rate_gauge_and_kinds),
		cmocka_unit_test(test_raw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
