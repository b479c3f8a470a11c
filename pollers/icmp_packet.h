#ifndef POLLHOOK_ICMP_PACKET_H
#define POLLHOOK_ICMP_PACKET_H

/*
 * ICMP and ICMPv6 echo messages on the wire, without sockets: the request
 * the icmp poller sends, and what it takes from a received datagram.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a reply carries that matching needs. */
struct icmp_reply {
	uint16_t id;
	uint16_t seq;
	uint64_t cookie;	/* the first 8 payload bytes */
};

/*
 * Writes an echo request of family (AF_INET or AF_INET6) with a payload of
 * size bytes (8 or more: the cookie, then a fixed pattern) into buf (len
 * bytes, at least 8 + size); returns its length. The IPv4 checksum is
 * computed here; the kernel fills in the ICMPv6 one (and, on datagram
 * sockets, the identifier).
 */
size_t icmp_packet_request(int family, uint8_t *buf, size_t len, uint16_t id, uint16_t seq,
    uint64_t cookie, size_t size);
/*
 * Parses a datagram received on a socket of family; with_ip: it starts with
 * the IPv4 header (raw IPv4 sockets). Returns whether it is a well-formed
 * echo reply (checksum checked for IPv4) with a cookie, filling *r.
 */
bool icmp_packet_reply(int family, bool with_ip, const uint8_t *buf, size_t len,
    struct icmp_reply *r);
/* Returns the Internet checksum of len bytes at p. */
uint16_t icmp_packet_checksum(const uint8_t *p, size_t len);

#endif
