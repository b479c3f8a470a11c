#ifndef POLLHOOK_SNMP_RESOLVE_H
#define POLLHOOK_SNMP_RESOLVE_H

/*
 * Asynchronous host name resolution for the snmp poller, which wants the
 * address as numeric text: an adapter over bridge/resolve.c (getaddrinfo_a,
 * completion on the loop, so no loop callback ever waits for DNS).
 */

#include <ev.h>

struct snmp_lookup;

/* Called on the loop: err is 0 and addr the numeric address, or a getaddrinfo error. */
typedef void (*snmp_resolved_fn)(void *arg, int err, const char *addr);

/* Prepares resolution on loop (from the poller's init; calls nest). */
void snmp_resolve_init(struct ev_loop *loop);
/* Undoes one snmp_resolve_init; the last stops reporting completions. */
void snmp_resolve_fini(void);
/*
 * Starts resolving host for family (AF_INET, AF_INET6 or AF_UNSPEC). fn(arg, ...)
 * is called once, later, from the loop. Returns the lookup (owned by this
 * module until fn runs or it is cancelled), or NULL (fn is never called).
 */
struct snmp_lookup *snmp_resolve_start(const char *host, int family, snmp_resolved_fn fn,
    void *arg);
/* Cancels a lookup whose fn did not run yet: fn will never be called. */
void snmp_resolve_cancel(struct snmp_lookup *l);

#endif
