#include "icmp_packet.h"

#include <string.h>
#include <sys/socket.h>

/* RFC 792 and RFC 4443 types. */
#define ICMP4_ECHO_REPLY	0
#define ICMP4_ECHO_REQUEST	8
#define ICMP6_ECHO_REQUEST_	128
#define ICMP6_ECHO_REPLY_	129

#define ICMP_HDR	8	/* type, code, checksum, identifier, sequence */
#define COOKIE_LEN	8

uint16_t
icmp_packet_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len == 1)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

size_t
icmp_packet_request(int family, uint8_t *buf, size_t len, uint16_t id, uint16_t seq,
    uint64_t cookie, size_t size)
{
	size_t n = ICMP_HDR + size;

	if (size < COOKIE_LEN || n > len)
		return 0;
	buf[0] = family == AF_INET6 ? ICMP6_ECHO_REQUEST_ : ICMP4_ECHO_REQUEST;
	buf[1] = 0;
	put16(buf + 2, 0);
	put16(buf + 4, id);
	put16(buf + 6, seq);
	for (int i = 0; i < COOKIE_LEN; i++)
		buf[ICMP_HDR + i] = (uint8_t)(cookie >> (56 - 8 * i));
	for (size_t i = COOKIE_LEN; i < size; i++)
		buf[ICMP_HDR + i] = (uint8_t)i;
	if (family == AF_INET)
		put16(buf + 2, icmp_packet_checksum(buf, n));
	return n;
}

bool
icmp_packet_reply(int family, bool with_ip, const uint8_t *buf, size_t len,
    struct icmp_reply *r)
{
	if (with_ip) {
		size_t ihl;

		if (len < 20 || (buf[0] >> 4) != 4 || (ihl = (size_t)(buf[0] & 0x0f) * 4) < 20 ||
		    ihl > len)
			return false;
		buf += ihl;
		len -= ihl;
	}
	if (len < ICMP_HDR + COOKIE_LEN || buf[1] != 0)
		return false;
	if (buf[0] != (family == AF_INET6 ? ICMP6_ECHO_REPLY_ : ICMP4_ECHO_REPLY))
		return false;
	/* The kernel checked ICMPv6 checksums (raw and datagram), and datagram ICMP ones. */
	if (family == AF_INET && with_ip && icmp_packet_checksum(buf, len) != 0)
		return false;
	r->id = get16(buf + 4);
	r->seq = get16(buf + 6);
	r->cookie = 0;
	for (int i = 0; i < COOKIE_LEN; i++)
		r->cookie = r->cookie << 8 | buf[ICMP_HDR + i];
	return true;
}
