#include "resolve.h"

#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "xmalloc.h"

struct resolve_lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char *host;
	resolve_fn fn;		/* NULL once cancelled */
	void *arg;
	struct resolve_lookup *next;
};

/* One loop per process: the daemon's. */
static struct ev_loop *resolve_loop;
static ev_async resolve_async;
static struct resolve_lookup *lookups;
static unsigned users;		/* init minus fini calls: a reload overlaps two */

/* Runs in a glibc helper thread: only wakes the loop up. */
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
	struct resolve_lookup **lp = &lookups, *l;

	(void)loop;
	(void)w;
	(void)revents;
	while ((l = *lp) != NULL) {
		int err = gai_error(&l->cb);
		const struct addrinfo *ai;

		if (err == EAI_INPROGRESS) {
			lp = &l->next;
			continue;
		}
		*lp = l->next;
		ai = err == 0 ? l->cb.ar_result : NULL;
		if (err == 0 && ai == NULL)
			err = EAI_NONAME;
		if (l->fn != NULL)
			l->fn(l->arg, err, ai != NULL ? ai->ai_addr : NULL,
			    ai != NULL ? ai->ai_addrlen : 0);
		if (l->cb.ar_result != NULL)
			freeaddrinfo(l->cb.ar_result);
		free(l->host);
		free(l);
	}
}

void
resolve_init(struct ev_loop *loop)
{
	if (users++ > 0)
		return;
	resolve_loop = loop;
	ev_async_init(&resolve_async, resolve_done);
	ev_async_start(loop, &resolve_async);
	ev_unref(loop);		/* pending lookups alone do not keep the loop alive */
}

void
resolve_fini(void)
{
	if (users == 0 || --users > 0)
		return;
	ev_ref(resolve_loop);
	ev_async_stop(resolve_loop, &resolve_async);
	resolve_loop = NULL;
	for (struct resolve_lookup *l = lookups; l != NULL; l = l->next)
		l->fn = NULL;
}

bool
resolve_numeric(const char *host, int family, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family != AF_INET6 && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
		return true;
	}
	if (family != AF_INET && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		*len = sizeof(*sin6);
		return true;
	}
	return false;
}

bool
resolve_host_name(const char *s)
{
	size_t label = 0, total = strlen(s);

	if (total == 0 || total > 253)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-') || ++label > 63)
			return false;
	}
	return true;
}

struct resolve_lookup *
resolve_start(const char *host, int family, resolve_fn fn, void *arg)
{
	struct resolve_lookup *l = xcalloc(1, sizeof(*l));
	struct gaicb *list[1] = { &l->cb };
	struct sigevent sev;
	int r;

	l->host = xstrdup(host);
	l->fn = fn;
	l->arg = arg;
	l->hints.ai_family = family;
	/* One entry per address, not one per socket type. */
	l->hints.ai_socktype = SOCK_DGRAM;
	l->cb.ar_name = l->host;
	l->cb.ar_request = &l->hints;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = lookup_notify;
	if ((r = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev)) != 0) {
		log_warnx("resolve: cannot resolve %s: %s", host, gai_strerror(r));
		free(l->host);
		free(l);
		return NULL;
	}
	l->next = lookups;
	lookups = l;
	return l;
}

void
resolve_cancel(struct resolve_lookup *l)
{
	l->fn = NULL;
	/* A lookup glibc already runs cannot be stopped: resolve_done frees it. */
	gai_cancel(&l->cb);
}
