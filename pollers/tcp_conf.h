#ifndef POLLHOOK_TCP_CONF_H
#define POLLHOOK_TCP_CONF_H

/* The tcp poller's "tcp = { ... }" group as a plain config. */

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

#include "conf.h"

struct source_config;

struct tcp_conf {
	char *host;			/* as configured, without brackets */
	unsigned short port;
	bool numeric;			/* host is an IP address: addr holds it, port set */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool tls;
	char *server_name;		/* SNI and the name verified; NULL: host, if a name */
	char *ca_file;			/* NULL: the system's CAs */
	char *send;			/* NULL: send nothing */
	size_t send_len;
	char *expect;			/* NULL: read nothing */
};

/* The group's keys, for the poller's ops and --list-keys. */
extern const struct conf_key tcp_conf_keys[];

/*
 * Parses the validated group of source src; returns a new config (caller
 * frees with tcp_conf_free), or NULL after reporting with conf_error.
 */
struct tcp_conf *tcp_conf_parse(const struct conf_node *group, const struct source_config *src);
/* Frees c (NULL is fine). */
void tcp_conf_free(struct tcp_conf *c);
/*
 * Splits "host:port" or "[v6]:port" into a newly allocated *host and *port;
 * returns 0, or -1 when a is neither (or the port is not 1 to 65535).
 */
int tcp_conf_split(const char *a, char **host, unsigned short *port);

#endif
