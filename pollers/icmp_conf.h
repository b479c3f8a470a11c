#ifndef POLLHOOK_ICMP_CONF_H
#define POLLHOOK_ICMP_CONF_H

/* The icmp poller's "icmp = { ... }" group as a plain config. */

#include <stdbool.h>

#include <sys/socket.h>

#include "conf.h"

struct source_config;

struct icmp_conf {
	char *host;			/* as configured */
	bool numeric;			/* host is an IP address: addr holds it */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int family;			/* AF_INET, AF_INET6 or AF_UNSPEC (host names) */
	int count;			/* echo requests per poll */
	double spacing;			/* seconds between them */
	int size;			/* payload bytes, the cookie included */
};

/* The group's keys, for the poller's ops and --list-keys. */
extern const struct conf_key icmp_conf_keys[];

/*
 * Parses the validated group of source src; returns a new config (caller
 * frees with icmp_conf_free), or NULL after reporting with conf_error.
 */
struct icmp_conf *icmp_conf_parse(const struct conf_node *group,
    const struct source_config *src);
/* Frees c (NULL is fine). */
void icmp_conf_free(struct icmp_conf *c);

#endif
