#include "icmp_conf.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "config.h"
#include "resolve.h"
#include "xmalloc.h"

/* Echo payloads start with the 8-byte cookie. */
#define SIZE_MIN	8
/* The largest echo payload of an IPv4 datagram. */
#define SIZE_MAX_	65507

static const char *const families[] = { "any", "ipv4", "ipv6", NULL };

const struct conf_key icmp_conf_keys[] = {
	{ "address", CONF_STRING, CONF_REQUIRED | CONF_HAS_MIN, 1, 0, NULL, NULL,
	  "IPv4 or IPv6 address or host name to ping (names resolved asynchronously, every poll)" },
	{ "family", CONF_STRING, 0, 0, 0, families, NULL,
	  "address family of a host name: any, ipv4 or ipv6; default any" },
	{ "count", CONF_INT, CONF_HAS_MIN | CONF_HAS_MAX, 1, 100, NULL, NULL,
	  "echo requests per poll; default 3" },
	{ "spacing", CONF_FLOAT, CONF_HAS_MIN | CONF_HAS_MAX, 0.001, 10, NULL, NULL,
	  "seconds between the echo requests of a poll; default 0.2" },
	{ "size", CONF_INT, CONF_HAS_MIN | CONF_HAS_MAX, SIZE_MIN, SIZE_MAX_, NULL, NULL,
	  "echo payload bytes (8 or more: the reply-matching cookie); default 56" },
	CONF_KEY_END
};

struct icmp_conf *
icmp_conf_parse(const struct conf_node *g, const struct source_config *src)
{
	struct icmp_conf *c = xcalloc(1, sizeof(*c));
	const char *fam = conf_string(g, "family", "any");
	const struct conf_node *an = conf_get(g, "address");
	int errs = 0;

	c->host = xstrdup(conf_string(g, "address", ""));
	c->family = strcmp(fam, "ipv4") == 0 ? AF_INET :
	    strcmp(fam, "ipv6") == 0 ? AF_INET6 : AF_UNSPEC;
	c->count = (int)conf_int(g, "count", 3);
	c->spacing = conf_float(g, "spacing", 0.2);
	c->size = (int)conf_int(g, "size", 56);
	c->numeric = resolve_numeric(c->host, AF_UNSPEC, &c->addr, &c->addrlen);
	if (c->numeric && c->family != AF_UNSPEC && c->addr.ss_family != c->family) {
		conf_error(conf_get(g, "family"), "icmp address \"%s\" is not an %s address",
		    c->host, fam);
		errs++;
	} else if (!c->numeric && !resolve_host_name(c->host)) {
		conf_error(an, "icmp address \"%s\": expected an IPv4 or IPv6 address or a "
		    "host name", c->host);
		errs++;
	}
	if (c->numeric)
		c->family = c->addr.ss_family;
	if ((c->count - 1) * c->spacing >= src->timeout) {
		const struct conf_node *at = conf_has(g, "spacing") ? conf_get(g, "spacing") :
		    conf_has(g, "count") ? conf_get(g, "count") : g;

		conf_error(at,
		    "icmp: %d echo requests %g s apart take longer than the source's "
		    "timeout (%g s)", c->count, c->spacing, src->timeout);
		errs++;
	}
	if (errs == 0)
		return c;
	icmp_conf_free(c);
	return NULL;
}

void
icmp_conf_free(struct icmp_conf *c)
{
	if (c == NULL)
		return;
	free(c->host);
	free(c);
}
