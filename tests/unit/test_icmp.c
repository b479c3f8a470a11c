/*
 * Unit tests of the icmp poller's pure parts: echo messages on the wire and
 * the matching of replies to the requests in flight (late, duplicated,
 * another pinger's, a wrong cookie).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "icmp_conf.h"
#include "icmp_match.h"
#include "icmp_packet.h"
#include "resolve.h"

/* Turns a request into the reply a host would send: type, checksum. */
static void
as_reply(int family, uint8_t *p, size_t len)
{
	p[0] = family == AF_INET ? 0 : 129;
	p[2] = p[3] = 0;
	if (family == AF_INET) {
		uint16_t c = icmp_packet_checksum(p, len);

		p[2] = (uint8_t)(c >> 8);
		p[3] = (uint8_t)c;
	}
}

static void
test_request_reply(void **state)
{
	uint8_t buf[20 + 8 + 56];
	struct icmp_reply r;
	size_t n;

	(void)state;
	n = icmp_packet_request(AF_INET, buf + 20, sizeof(buf) - 20, 0x1234, 7,
	    0x0102030405060708ULL, 56);
	assert_int_equal(n, 64);
	assert_int_equal(buf[20], 8);
	assert_int_equal(icmp_packet_checksum(buf + 20, n), 0);
	/* A request is no reply. */
	assert_false(icmp_packet_reply(AF_INET, false, buf + 20, n, &r));
	as_reply(AF_INET, buf + 20, n);
	assert_true(icmp_packet_reply(AF_INET, false, buf + 20, n, &r));
	assert_int_equal(r.id, 0x1234);
	assert_int_equal(r.seq, 7);
	assert_true(r.cookie == 0x0102030405060708ULL);
	/* With an IPv4 header in front, as raw sockets read it. */
	memset(buf, 0, 20);
	buf[0] = 0x45;
	assert_true(icmp_packet_reply(AF_INET, true, buf, sizeof(buf), &r));
	assert_int_equal(r.seq, 7);
	/* A corrupted byte fails the checksum. */
	buf[40] ^= 1;
	assert_false(icmp_packet_reply(AF_INET, true, buf, sizeof(buf), &r));
	/* Too short for the cookie, a header length past the end. */
	assert_false(icmp_packet_reply(AF_INET, false, buf + 20, 15, &r));
	buf[0] = 0x4f;
	assert_false(icmp_packet_reply(AF_INET, true, buf, 40, &r));
	/* ICMPv6: the kernel does checksums. */
	n = icmp_packet_request(AF_INET6, buf, sizeof(buf), 1, 65535, 42, 8);
	assert_int_equal(n, 16);
	assert_int_equal(buf[0], 128);
	as_reply(AF_INET6, buf, n);
	assert_true(icmp_packet_reply(AF_INET6, false, buf, n, &r));
	assert_int_equal(r.seq, 65535);
	assert_true(r.cookie == 42);
	/* A payload smaller than the cookie, a buffer too small. */
	assert_int_equal(icmp_packet_request(AF_INET, buf, sizeof(buf), 1, 1, 1, 7), 0);
	assert_int_equal(icmp_packet_request(AF_INET, buf, 20, 1, 1, 1, 56), 0);
}

static void
test_match(void **state)
{
	struct icmp_match m;
	int a, b;
	uint16_t s1, s2, s3;
	const struct icmp_slot *slot;

	(void)state;
	icmp_match_init(&m);
	assert_int_equal(icmp_match_take(&m, &a, 111, 1.0, &s1), 0);
	assert_int_equal(icmp_match_take(&m, &b, 222, 2.0, &s2), 0);
	assert_int_not_equal(s1, s2);
	/* The right sequence with another request's cookie (spoofed, or another run). */
	assert_null(icmp_match_find(&m, s1, 222));
	assert_null(icmp_match_find(&m, (uint16_t)(s2 + 1), 222));
	slot = icmp_match_find(&m, s1, 111);
	assert_non_null(slot);
	assert_ptr_equal(slot->owner, &a);
	assert_true(slot->sent == 1.0);
	/* Only the owner releases; then a duplicate finds nothing. */
	icmp_match_release(&m, s1, &b);
	assert_non_null(icmp_match_find(&m, s1, 111));
	icmp_match_release(&m, s1, &a);
	assert_null(icmp_match_find(&m, s1, 111));
	assert_int_equal(m.used, 1);
	/* A freed sequence is not the next one taken: a late reply finds it free. */
	assert_int_equal(icmp_match_take(&m, &a, 333, 3.0, &s3), 0);
	assert_int_not_equal(s3, s1);
	assert_null(icmp_match_find(&m, s1, 111));
	icmp_match_fini(&m);
}

static void
test_match_full(void **state)
{
	struct icmp_match m;
	int owner;
	uint16_t seq, first;

	(void)state;
	icmp_match_init(&m);
	for (unsigned i = 0; i < ICMP_MATCH_SLOTS; i++)
		assert_int_equal(icmp_match_take(&m, &owner, i, 0, &seq), 0);
	assert_int_equal(icmp_match_take(&m, &owner, 1, 0, &seq), -1);
	icmp_match_release(&m, 12345, &owner);
	assert_int_equal(icmp_match_take(&m, &owner, 9, 0, &first), 0);
	assert_int_equal(first, 12345);
	icmp_match_fini(&m);
}

static void
test_host_name(void **state)
{
	(void)state;
	assert_true(resolve_host_name("core-1.example.net"));
	assert_true(resolve_host_name("localhost"));
	assert_false(resolve_host_name(""));
	assert_false(resolve_host_name("a..b"));
	assert_false(resolve_host_name(".a"));
	assert_false(resolve_host_name("a b"));
	assert_false(resolve_host_name("10.0.0.1:80"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_reply),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_full),
		cmocka_unit_test(test_host_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
