#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* getaddrinfo_a */
#endif

#include "snmp_resolve.h"

#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "xmalloc.h"

struct snmp_lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char *host;
	snmp_resolved_fn fn;	/* NULL once cancelled */
	void *arg;
	struct snmp_lookup *next;
};

/* One loop per process: the daemon's. */
static struct ev_loop *resolve_loop;
static ev_async resolve_async;
static struct snmp_lookup *lookups;
static unsigned users;		/* init minus fini calls: a reload overlaps two */

/* Runs in a glibc helper thread: only wake the loop up. */
static void
lookup_notify(union sigval sv)
{
	(void)sv;
	if (resolve_loop != NULL)
		ev_async_send(resolve_loop, &resolve_async);
}

static void
resolve_done(struct ev_loop *loop, ev_async *w, int revents)
{
	struct snmp_lookup **lp = &lookups, *l;

	(void)loop;
	(void)w;
	(void)revents;
	while ((l = *lp) != NULL) {
		char addr[INET6_ADDRSTRLEN];
		int err = gai_error(&l->cb);

		if (err == EAI_INPROGRESS) {
			lp = &l->next;
			continue;
		}
		*lp = l->next;
		if (l->fn != NULL) {
			const struct addrinfo *ai = l->cb.ar_result;

			if (err == 0 && ai != NULL && getnameinfo(ai->ai_addr, ai->ai_addrlen,
			    addr, sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
				err = EAI_FAIL;
			else if (err == 0 && ai == NULL)
				err = EAI_NONAME;
			l->fn(l->arg, err, err == 0 ? addr : NULL);
		}
		if (l->cb.ar_result != NULL)
			freeaddrinfo(l->cb.ar_result);
		free(l->host);
		free(l);
	}
}

void
snmp_resolve_init(struct ev_loop *loop)
{
	if (users++ > 0)
		return;
	resolve_loop = loop;
	ev_async_init(&resolve_async, resolve_done);
	ev_async_start(loop, &resolve_async);
	ev_unref(loop);		/* pending lookups alone do not keep the loop alive */
}

void
snmp_resolve_fini(void)
{
	if (users == 0 || --users > 0)
		return;
	ev_ref(resolve_loop);
	ev_async_stop(resolve_loop, &resolve_async);
	resolve_loop = NULL;
	for (struct snmp_lookup *l = lookups; l != NULL; l = l->next)
		l->fn = NULL;
}

struct snmp_lookup *
snmp_resolve_start(const char *host, int family, snmp_resolved_fn fn, void *arg)
{
	struct snmp_lookup *l = xcalloc(1, sizeof(*l));
	struct gaicb *list[1] = { &l->cb };
	struct sigevent sev;
	int r;

	l->host = xstrdup(host);
	l->fn = fn;
	l->arg = arg;
	l->hints.ai_family = family;
	l->hints.ai_socktype = SOCK_DGRAM;
	l->cb.ar_name = l->host;
	l->cb.ar_request = &l->hints;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = lookup_notify;
	if ((r = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev)) != 0) {
		log_warnx("snmp: cannot resolve %s: %s", host, gai_strerror(r));
		free(l->host);
		free(l);
		return NULL;
	}
	l->next = lookups;
	lookups = l;
	return l;
}

void
snmp_resolve_cancel(struct snmp_lookup *l)
{
	l->fn = NULL;
	/* A lookup glibc already runs cannot be stopped: resolve_done frees it. */
	gai_cancel(&l->cb);
}
