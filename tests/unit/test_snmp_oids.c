/* Unit tests of the snmp poller's OID names: numeric parsing, the built-in table. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "snmp_oids.h"

static void
test_numeric(void **state)
{
	oid v[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;
	char buf[256];

	(void)state;
	assert_int_equal(snmp_oid_parse("1.3.6.1.2.1.1.3.0", v, &len), 0);
	assert_int_equal(len, 9);
	assert_string_equal(snmp_oid_format(v, len, buf, sizeof(buf)), "1.3.6.1.2.1.1.3.0");
	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_parse(".1.3.6.1.4.1.4294967295", v, &len), 0);
	assert_int_equal(v[6], 4294967295UL);
	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_parse("1.3.6.1.4.1.4294967296", v, &len), -1);
	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_parse("1..3", v, &len), -1);
	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_parse("1.3.", v, &len), -1);
	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_parse("1", v, &len), -1);
	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_parse("1.3.x", v, &len), -1);
	len = 3;
	assert_int_equal(snmp_oid_parse("1.3.6.1", v, &len), -1);
	/* too small a buffer formats as "" rather than truncating */
	len = MAX_OID_LEN;
	snmp_oid_parse("1.3.6.1.2.1", v, &len);
	assert_string_equal(snmp_oid_format(v, len, buf, 5), "");
}

static void
test_builtin(void **state)
{
	const struct snmp_oid_builtin *b;

	(void)state;
	b = snmp_oid_builtin_find("HOST-RESOURCES-MIB::hrProcessorLoad");
	assert_non_null(b);
	assert_string_equal(b->oid, "1.3.6.1.2.1.25.3.3.1.2");
	assert_non_null(snmp_oid_builtin_find("ifName"));
	assert_string_equal(snmp_oid_builtin_find("IF-MIB::ifHCInOctets")->oid,
	    "1.3.6.1.2.1.31.1.1.1.6");
	assert_string_equal(snmp_oid_builtin_find("CISCO-PROCESS-MIB::cpmCPUTotal5minRev")->oid,
	    "1.3.6.1.4.1.9.9.109.1.1.1.1.8");
	assert_string_equal(snmp_oid_builtin_find("JUNIPER-MIB::jnxOperatingCPU")->oid,
	    "1.3.6.1.4.1.2636.3.1.13.1.8");
	assert_string_equal(snmp_oid_builtin_find("UCD-SNMP-MIB::laLoad")->oid,
	    "1.3.6.1.4.1.2021.10.1.3");
	assert_string_equal(snmp_oid_builtin_find("SNMPv2-MIB::sysUpTime")->oid,
	    "1.3.6.1.2.1.1.3");
	/* the module, when given, must be the right one */
	assert_null(snmp_oid_builtin_find("IF-MIB::hrProcessorLoad"));
	assert_null(snmp_oid_builtin_find("IF-MIB::ifNme"));
}

static void
test_builtin_table_is_valid(void **state)
{
	const struct snmp_oid_builtin *b;
	oid v[MAX_OID_LEN];

	(void)state;
	for (size_t i = 0; (b = snmp_oid_builtin_at(i)) != NULL; i++) {
		size_t len = MAX_OID_LEN;

		assert_int_equal(snmp_oid_parse(b->oid, v, &len), 0);
		/* every name appears once */
		assert_ptr_equal(snmp_oid_builtin_find(b->name), b);
	}
}

static void
test_resolve(void **state)
{
	oid v[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;
	bool scalar;
	char err[256], buf[256];

	(void)state;
	assert_int_equal(snmp_oid_resolve("SNMPv2-MIB::sysUpTime", v, &len, &scalar,
	    err, sizeof(err)), 0);
	assert_true(scalar);
	assert_string_equal(snmp_oid_format(v, len, buf, sizeof(buf)), "1.3.6.1.2.1.1.3");

	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_resolve("IF-MIB::ifOperStatus.3", v, &len, &scalar,
	    err, sizeof(err)), 0);
	assert_false(scalar);
	assert_string_equal(snmp_oid_format(v, len, buf, sizeof(buf)), "1.3.6.1.2.1.2.2.1.8.3");

	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_resolve("sysName.0", v, &len, &scalar, err, sizeof(err)), 0);
	assert_false(scalar);
	assert_string_equal(snmp_oid_format(v, len, buf, sizeof(buf)), "1.3.6.1.2.1.1.5.0");

	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_resolve(".1.3.6.1.2.1.1.1.0", v, &len, &scalar,
	    err, sizeof(err)), 0);
	assert_int_equal(len, 9);

	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_resolve("1.3.6.1..2", v, &len, &scalar, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid numeric OID"));

	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_resolve("IF-MIB::ifOperStatus.x", v, &len, &scalar,
	    err, sizeof(err)), -1);

	len = MAX_OID_LEN;
	assert_int_equal(snmp_oid_resolve("NO-SUCH-MIB::frobnicator", v, &len, &scalar,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown OID name \"NO-SUCH-MIB::frobnicator\""));
}

static void
test_order(void **state)
{
	oid a[] = { 1, 3, 6, 1, 2 }, b[] = { 1, 3, 6, 1, 2, 5 }, c[] = { 1, 3, 6, 2 };

	(void)state;
	assert_true(snmp_oid_cmp(a, 5, b, 6) < 0);
	assert_true(snmp_oid_cmp(b, 6, c, 4) < 0);
	assert_true(snmp_oid_cmp(c, 4, a, 5) > 0);
	assert_int_equal(snmp_oid_cmp(a, 5, a, 5), 0);
	assert_true(snmp_oid_under(a, 5, b, 6));
	assert_false(snmp_oid_under(a, 5, a, 5));
	assert_false(snmp_oid_under(a, 5, c, 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_builtin_table_is_valid),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
