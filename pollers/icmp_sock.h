#ifndef POLLHOOK_ICMP_SOCK_H
#define POLLHOOK_ICMP_SOCK_H

/*
 * The icmp poller's sockets, one per address family for every source: the
 * kernel's unprivileged ICMP datagram socket where net.ipv4.ping_group_range
 * lets this process's group have one, else a raw socket (CAP_NET_RAW).
 */

#include <stdbool.h>
#include <stdint.h>

struct icmp_sock {
	int fd;			/* -1: none; err says why */
	int family;		/* AF_INET or AF_INET6 */
	bool raw;		/* a raw socket: we choose the identifier, and IPv4
				   datagrams arrive with their IP header */
	uint16_t id;		/* the echo identifier of our requests */
	int err;		/* errno of the failed open */
};

/*
 * Opens a non-blocking socket of family into *s, a datagram one if allowed,
 * else a raw one with identifier raw_id and a filter that lets only echo
 * replies through; returns 0, or -1 with s->err set (and s->fd -1).
 */
int icmp_sock_open(struct icmp_sock *s, int family, uint16_t raw_id);
/* Closes s (fd -1 is fine). */
void icmp_sock_close(struct icmp_sock *s);
/* Returns a short description of the socket's kind for the start-up log. */
const char *icmp_sock_kind(const struct icmp_sock *s);

#endif
