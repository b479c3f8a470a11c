#ifndef POLLHOOK_API_CONN_H
#define POLLHOOK_API_CONN_H

/*
 * The management API's connection deadlines, which libmicrohttpd lacks: its
 * own timeout (idle_timeout) is reset by every byte, so a client trickling
 * a byte a second would hold a connection for ever. Each connection gets an
 * ev_timer (MHD_OPTION_NOTIFY_CONNECTION): the request line and headers must
 * be in within header_timeout of the connection's start or of the previous
 * answer, and a request body within body_timeout of its headers. A
 * connection past its deadline is shut down (shutdown(2)); MHD sees the
 * end of its socket at its next run and closes it. When max_connections
 * are open, a new connection evicts the one that has waited longest for
 * its request, so idle holders from many addresses cannot lock others out.
 */

#include <stdbool.h>

#include <ev.h>
#include <microhttpd.h>

struct api_conns;
struct buf;

/* What the API's connections came to, across its servers (owned by the caller). */
struct api_conn_stats {
	unsigned long long cut_headers;	/* closed: headers late (header_timeout) */
	unsigned long long cut_body;	/* closed: body late (body_timeout) */
	unsigned long long too_large;	/* bodies over max_body or max_form_body */
	unsigned long long evicted;	/* closed to make room (max_connections) */
	unsigned open;			/* connections open now */
};

/*
 * Returns the deadlines of one server on loop, with its two timeouts in
 * seconds, counting in *stats (borrowed; it outlives the server). Above max
 * live connections, a new one evicts the connection that has waited longest
 * for a request's headers (MHD's own limit must leave room above max).
 */
struct api_conns *api_conns_new(struct ev_loop *loop, double header_timeout,
    double body_timeout, unsigned max, struct api_conn_stats *stats);
/* Frees cs; every connection must have been closed (MHD_stop_daemon) before. */
void api_conns_free(struct api_conns *cs);
/* The MHD_OPTION_NOTIFY_CONNECTION callback; cls is the struct api_conns. */
void api_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code);
/* The headers of c's request are in; with body, its body's deadline starts. */
void api_conn_headers(struct MHD_Connection *c, bool body);
/* c's request body is in (or is not read): no deadline until the request completes. */
void api_conn_body_done(struct MHD_Connection *c);
/* c's request completed: the next request's headers have header_timeout from now. */
void api_conn_completed(struct MHD_Connection *c);
/* Appends the Prometheus families of stats to b. */
void api_conn_metrics(struct buf *b, const struct api_conn_stats *stats);

#endif
