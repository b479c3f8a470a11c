#ifndef POLLHOOK_SNMP_SOCK_H
#define POLLHOOK_SNMP_SOCK_H

/*
 * The UDP sockets of the snmp poller's shared sessions, seen from the
 * kernel: their receive buffers (sized for the answers that may wait in
 * them at once) and the datagrams the kernel dropped because one was full.
 */

#include <stdbool.h>
#include <stddef.h>

/*
 * Receive-buffer bytes one answer of a small GET takes in the kernel (its
 * whole buffer, not its payload: about 830 bytes on loopback for 45 bytes,
 * 1,300 up to 200 bytes).
 */
#define SNMP_SOCK_ANSWER_COST	1280

/*
 * Returns the most bytes a socket's receive buffer may be asked for: the
 * environment's POLLHOOK_SNMP_RCVBUF (bytes; a test knob) or 0 for no limit
 * of our own.
 */
size_t snmp_sock_limit(void);
/*
 * Asks for a receive buffer of bytes on fd (SO_RCVBUFFORCE when privileged,
 * else SO_RCVBUF, which the kernel caps at net.core.rmem_max); returns the
 * size granted, as the kernel counts it, or 0 when it cannot be read.
 */
size_t snmp_sock_rcvbuf(int fd, size_t bytes);
/* Returns fd's receive buffer, as the kernel counts it, or 0 when it cannot be read. */
size_t snmp_sock_rcvbuf_get(int fd);
/* Returns whether a datagram waits in fd, without waiting. */
bool snmp_sock_readable(int fd);
/*
 * Returns the datagrams the kernel dropped on the n UDP sockets fds since
 * they were opened (the drops column of /proc/net/udp), or -1 when it cannot
 * be read.
 */
long long snmp_sock_drops(const int *fds, size_t n);

#endif
