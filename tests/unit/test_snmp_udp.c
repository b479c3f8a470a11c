/*
 * Unit tests of the shared sockets' messages (snmp_udp.c): a response of
 * every value type encoded and decoded back; every truncation of it, a
 * request, another version's framing and junk rejected without a crash.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "snmp_udp.h"

static const oid base[] = { 1, 3, 6, 1, 4, 1, 99999, 1 };
#define NBASE	(sizeof(base) / sizeof(base[0]))

/* Adds binding k (the OID base.k) of type with len bytes of value. */
static void
add(netsnmp_pdu *pdu, oid k, u_char type, const void *value, size_t len)
{
	oid name[NBASE + 1];

	memcpy(name, base, sizeof(base));
	name[NBASE] = k;
	snmp_pdu_add_variable(pdu, name, NBASE + 1, type, value, len);
}

/* Encodes a response of every type into *buf; returns its length, *msg in *buf. */
static size_t
response(u_char **buf, size_t *size, long reqid, const u_char **msg)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_RESPONSE);
	long i = -42;
	u_long u = 4000000000UL;
	struct counter64 c64 = { .high = 256, .low = 5 };
	const oid val[] = { 1, 3, 6, 1, 2, 1, 2 };
	const u_char ip[] = { 10, 1, 2, 3 }, bits[] = { 0, 0xa5 };
	size_t n;

	pdu->reqid = reqid;
	pdu->errstat = 0;
	pdu->errindex = 0;
	add(pdu, 1, ASN_INTEGER, &i, sizeof(i));
	add(pdu, 2, ASN_COUNTER, &u, sizeof(u));
	add(pdu, 3, ASN_COUNTER64, &c64, sizeof(c64));
	add(pdu, 4, ASN_OCTET_STR, "eth0", 4);
	add(pdu, 5, ASN_IPADDRESS, ip, sizeof(ip));
	add(pdu, 6, ASN_OBJECT_ID, val, sizeof(val));
	add(pdu, 7, SNMP_NOSUCHOBJECT, NULL, 0);
	add(pdu, 8, SNMP_ENDOFMIBVIEW, NULL, 0);
	add(pdu, 9, ASN_BIT_STR, bits, sizeof(bits));
	add(pdu, 10, ASN_TIMETICKS, &u, sizeof(u));
	n = snmp_udp_build(buf, size, SNMP_VERSION_2c, "public", pdu, msg);
	snmp_free_pdu(pdu);
	return n;
}

static void
test_round_trip(void **state)
{
	struct snmp_udp_vars pool = { 0 };
	size_t size = 16, n;	/* small: the encoder grows it */
	u_char *buf = malloc(size), copy[1500];
	const u_char *msg;
	netsnmp_pdu pdu;
	const netsnmp_variable_list *v;
	long version;

	(void)state;
	n = response(&buf, &size, 0x40012345L, &msg);
	assert_true(n > 0 && n <= sizeof(copy));
	for (int round = 0; round < 2; round++) {	/* the second reuses the pool */
		memcpy(copy, msg, n);
		memset(&pdu, 0, sizeof(pdu));
		assert_int_equal(snmp_udp_parse(copy, n, &version, &pdu, &pool), 0);
		assert_int_equal(version, SNMP_VERSION_2c);
		assert_int_equal(pdu.command, SNMP_MSG_RESPONSE);
		assert_int_equal(pdu.reqid, 0x40012345L);
		assert_int_equal(pdu.errstat, 0);
		v = pdu.variables;
		assert_int_equal(v->type, ASN_INTEGER);
		assert_int_equal(*v->val.integer, -42);
		assert_int_equal(v->name_length, NBASE + 1);
		assert_int_equal(v->name[NBASE], 1);
		v = v->next_variable;
		assert_int_equal(v->type, ASN_COUNTER);
		assert_int_equal((u_long)*v->val.integer, 4000000000UL);
		v = v->next_variable;
		assert_int_equal(v->type, ASN_COUNTER64);
		assert_int_equal(v->val.counter64->high, 256);
		assert_int_equal(v->val.counter64->low, 5);
		v = v->next_variable;
		assert_int_equal(v->type, ASN_OCTET_STR);
		assert_int_equal(v->val_len, 4);
		assert_memory_equal(v->val.string, "eth0", 4);
		v = v->next_variable;
		assert_int_equal(v->type, ASN_IPADDRESS);
		assert_int_equal(v->val_len, 4);
		assert_int_equal(v->val.string[0], 10);
		v = v->next_variable;
		assert_int_equal(v->type, ASN_OBJECT_ID);
		assert_int_equal(v->val_len, 7 * sizeof(oid));
		assert_int_equal(v->val.objid[6], 2);
		v = v->next_variable;
		assert_int_equal(v->type, SNMP_NOSUCHOBJECT);
		v = v->next_variable;
		assert_int_equal(v->type, SNMP_ENDOFMIBVIEW);
		v = v->next_variable;
		assert_int_equal(v->type, ASN_BIT_STR);
		assert_int_equal(v->val_len, 2);
		assert_int_equal(v->val.bitstring[1], 0xa5);
		v = v->next_variable;
		assert_int_equal(v->type, ASN_TIMETICKS);
		assert_null(v->next_variable);
		snmp_udp_release(&pdu, &pool);
		assert_null(pdu.variables);
	}
	snmp_udp_vars_free(&pool);
	free(buf);
}

static void
test_rejected(void **state)
{
	struct snmp_udp_vars pool = { 0 };
	size_t size = 1500, n;
	u_char *buf = malloc(size), *copy;
	const u_char *msg;
	netsnmp_pdu pdu, *get;
	long version;
	const u_char junk[] = { 0x30, 0x82, 0xff, 0xff, 0x02, 0x01 };

	(void)state;
	n = response(&buf, &size, 7, &msg);
	/* Every truncation, in a buffer of its exact size (ASan sees a read past it). */
	for (size_t len = 0; len < n; len++) {
		copy = malloc(len + 1);
		memcpy(copy, msg, len);
		memset(&pdu, 0, sizeof(pdu));
		assert_int_equal(snmp_udp_parse(copy, len, &version, &pdu, &pool), -1);
		snmp_udp_release(&pdu, &pool);
		free(copy);
	}
	copy = malloc(sizeof(junk));
	memcpy(copy, junk, sizeof(junk));
	memset(&pdu, 0, sizeof(pdu));
	assert_int_equal(snmp_udp_parse(copy, sizeof(junk), &version, &pdu, &pool), -1);
	snmp_udp_release(&pdu, &pool);
	free(copy);
	/* A request is not an answer. */
	get = snmp_pdu_create(SNMP_MSG_GET);
	get->errstat = get->errindex = 0;
	snmp_add_null_var(get, base, NBASE);
	n = snmp_udp_build(&buf, &size, SNMP_VERSION_2c, "public", get, &msg);
	snmp_free_pdu(get);
	copy = malloc(n);
	memcpy(copy, msg, n);
	memset(&pdu, 0, sizeof(pdu));
	assert_int_equal(snmp_udp_parse(copy, n, &version, &pdu, &pool), -1);
	snmp_udp_release(&pdu, &pool);
	free(copy);
	snmp_udp_vars_free(&pool);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
