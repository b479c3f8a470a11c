#include "snmp_sock.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "xmalloc.h"

size_t
snmp_sock_limit(void)
{
	const char *v = getenv("POLLHOOK_SNMP_RCVBUF");
	char *end;
	unsigned long long n;

	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0)
		return 0;
	return (size_t)n;
}

size_t
snmp_sock_rcvbuf_get(int fd)
{
	int got = 0;
	socklen_t len = sizeof(got);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == -1 || got < 0)
		return 0;
	return (size_t)got;
}

size_t
snmp_sock_rcvbuf(int fd, size_t bytes)
{
	/* The kernel doubles what it is asked for (its bookkeeping overhead). */
	int ask = bytes / 2 > (size_t)(INT32_MAX / 2) ? INT32_MAX / 2 : (int)(bytes / 2);

#ifdef SO_RCVBUFFORCE
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &ask, sizeof(ask)) == -1)
#endif
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ask, sizeof(ask));
	return snmp_sock_rcvbuf_get(fd);
}

bool
snmp_sock_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

/* Returns whether ino is one of the n inodes. */
static bool
has_inode(const unsigned long *inos, size_t n, unsigned long ino)
{
	for (size_t i = 0; i < n; i++)
		if (inos[i] == ino)
			return true;
	return false;
}

long long
snmp_sock_drops(const int *fds, size_t n)
{
	unsigned long *inos = xcalloc(n + 1, sizeof(*inos));
	long long total = -1;
	char line[512];
	FILE *f = NULL;

	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (fstat(fds[i], &st) == 0)
			inos[i] = (unsigned long)st.st_ino;
	}
	if ((f = fopen("/proc/net/udp", "r")) == NULL)
		goto out;
	total = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long ino;
		unsigned long long drops;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops */
		if (sscanf(line, " %*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %*s %*s %llu",
		    &ino, &drops) == 2 && has_inode(inos, n, ino))
			total += (long long)drops;
	}
out:
	if (f != NULL)
		fclose(f);
	free(inos);
	return total;
}
