#include "icmp_sock.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <linux/filter.h>
#include <linux/icmp.h>

/* Bursts of thousands of replies must not overflow the queue between reads. */
#define RCVBUF	(4 << 20)
#define SNDBUF	(1 << 20)

static void
set_buffers(int fd)
{
	int rcv = RCVBUF, snd = SNDBUF, on = 1;

	/* The FORCE variants pass net.core.rmem_max with CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	/* Kernel receive times: a busy loop does not lengthen round trips. */
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

/* Learns the identifier the kernel gives a datagram socket's requests. */
static int
dgram_id(struct icmp_sock *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)s->family;
	if (bind(s->fd, (struct sockaddr *)&ss, s->family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) == -1 ||
	    getsockname(s->fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	s->id = ntohs(s->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/*
 * Lets only echo replies of identifier id reach a raw socket: every ICMP
 * message of the host arrives at every raw ICMP socket, other pingers'
 * replies included, and the kernel drops them cheaper than a read would.
 */
static int
raw_filter(struct icmp_sock *s)
{
	/* Offsets of the identifier: IPv4 datagrams come with their header. */
	struct sock_filter v4[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),		/* X = IP header length */
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),		/* A = identifier */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, s->id, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter v6[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, s->id, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog;

	if (s->family == AF_INET) {
		struct icmp_filter f = { .data = ~(1U << ICMP_ECHOREPLY) };

		if (setsockopt(s->fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f)) == -1)
			return -1;
		prog.len = sizeof(v4) / sizeof(v4[0]);
		prog.filter = v4;
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		if (setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) == -1)
			return -1;
		prog.len = sizeof(v6) / sizeof(v6[0]);
		prog.filter = v6;
	}
	return setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

int
icmp_sock_open(struct icmp_sock *s, int family, uint16_t raw_id)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;

	s->family = family;
	s->err = 0;
	s->raw = false;
	if ((s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto)) != -1) {
		if (dgram_id(s) == -1)
			goto fail;
	} else if ((s->fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    proto)) != -1) {
		s->raw = true;
		s->id = raw_id;
		if (raw_filter(s) == -1)
			goto fail;
	} else {
		s->err = errno;
		return -1;
	}
	set_buffers(s->fd);
	return 0;
fail:
	s->err = errno;
	icmp_sock_close(s);
	return -1;
}

void
icmp_sock_close(struct icmp_sock *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

const char *
icmp_sock_kind(const struct icmp_sock *s)
{
	if (s->fd == -1)
		return "no socket";
	return s->raw ? "a raw socket (CAP_NET_RAW)" :
	    "an unprivileged datagram socket (net.ipv4.ping_group_range)";
}
