#ifndef POLLHOOK_RESOLVE_H
#define POLLHOOK_RESOLVE_H

/*
 * Asynchronous host name resolution for pollers that need a socket address
 * (icmp, tcp): getaddrinfo_a in glibc's resolver threads, completion
 * reported on the loop through an ev_async, so no loop callback ever waits
 * for DNS. Numeric addresses never reach the resolver: see resolve_numeric.
 */

#include <stdbool.h>

#include <sys/socket.h>

#include <ev.h>

struct resolve_lookup;

/*
 * Called once on the loop: err is 0 and addr (borrowed for the call, port
 * 0) the first address found, or a getaddrinfo error code (gai_strerror).
 */
typedef void (*resolve_fn)(void *arg, int err, const struct sockaddr *addr,
    socklen_t len);

/* Prepares resolution on loop (from a poller's init; calls nest). */
void resolve_init(struct ev_loop *loop);
/* Undoes one resolve_init; the last one stops reporting completions. */
void resolve_fini(void);
/*
 * Parses host as a numeric IPv4 or IPv6 address of family (AF_INET,
 * AF_INET6 or AF_UNSPEC) into *ss (port 0); returns whether it is one.
 */
bool resolve_numeric(const char *host, int family, struct sockaddr_storage *ss,
    socklen_t *len);
/*
 * Returns whether s is a syntactically valid host name (letters, digits,
 * hyphens and dots, labels of 1 to 63 characters, 253 in all).
 */
bool resolve_host_name(const char *s);
/*
 * Starts resolving host for family. fn(arg, ...) is called once, later,
 * from the loop. Returns the lookup (owned by this module until fn runs or
 * it is cancelled), or NULL after logging why (fn is never called then).
 */
struct resolve_lookup *resolve_start(const char *host, int family, resolve_fn fn,
    void *arg);
/* Cancels a lookup whose fn did not run yet: fn will never be called. */
void resolve_cancel(struct resolve_lookup *l);

#endif
