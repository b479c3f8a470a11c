#include "snmp_resolve.h"

#include <netdb.h>
#include <stdlib.h>

#include "resolve.h"
#include "xmalloc.h"

/*
 * The snmp poller wants the numeric address as text (net-snmp's peername):
 * this adapter turns bridge/resolve.c's socket address into one.
 */
struct snmp_lookup {
	struct resolve_lookup *lookup;
	snmp_resolved_fn fn;
	void *arg;
};

static void
resolved(void *arg, int err, const struct sockaddr *addr, socklen_t len)
{
	struct snmp_lookup *l = arg;
	char host[NI_MAXHOST];

	if (err == 0 && getnameinfo(addr, len, host, sizeof(host), NULL, 0,
	    NI_NUMERICHOST) != 0)
		err = EAI_FAIL;
	l->fn(l->arg, err, err == 0 ? host : NULL);
	free(l);
}

void
snmp_resolve_init(struct ev_loop *loop)
{
	resolve_init(loop);
}

void
snmp_resolve_fini(void)
{
	resolve_fini();
}

struct snmp_lookup *
snmp_resolve_start(const char *host, int family, snmp_resolved_fn fn, void *arg)
{
	struct snmp_lookup *l = xcalloc(1, sizeof(*l));

	l->fn = fn;
	l->arg = arg;
	if ((l->lookup = resolve_start(host, family, resolved, l)) == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

void
snmp_resolve_cancel(struct snmp_lookup *l)
{
	resolve_cancel(l->lookup);	/* resolved() will never run: free here */
	free(l);
}
