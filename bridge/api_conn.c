/*
 * Per-connection deadlines of the management API (see api_conn.h). One
 * ev_timer per open connection: libev keeps them in a heap, so a thousand
 * connections cost a thousand heap entries, not a scan. The connections
 * waiting for a request's headers are also in a list, oldest first: above
 * max, a new connection evicts its head.
 */

#include "api_conn.h"

#include <stdlib.h>
#include <sys/socket.h>

#include "api_metrics.h"
#include "buf.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

struct conn;

struct api_conns {
	struct ev_loop *loop;
	double header_timeout, body_timeout;
	unsigned max;		/* live connections at most, then the oldest waiting goes */
	struct api_conn_stats *stats;
	unsigned open;		/* this server's */
	unsigned dying;		/* of them, shut down, not yet closed by MHD */
	struct conn *head, *tail;	/* in CONN_HEADERS, oldest first */
};

enum conn_phase {
	CONN_HEADERS,	/* waiting for a request's line and headers */
	CONN_BODY,	/* reading its body */
	CONN_SERVING	/* the request is in; no deadline of ours */
};

struct conn {
	struct api_conns *cs;
	int fd;
	enum conn_phase phase;
	bool cut;		/* shut down by us */
	bool listed;		/* in cs's list (phase CONN_HEADERS) */
	ev_timer timer;
	struct conn *prev, *next;	/* in cs's list while in CONN_HEADERS */
};

static void
unlist(struct conn *k)
{
	struct api_conns *cs = k->cs;

	if (!k->listed)
		return;
	k->listed = false;
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		cs->head = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	else
		cs->tail = k->prev;
	k->prev = k->next = NULL;
}

/* Sets k's phase, with its deadline after seconds (none for CONN_SERVING). */
static void
conn_arm(struct conn *k, enum conn_phase phase, double after)
{
	struct api_conns *cs = k->cs;

	ev_timer_stop(cs->loop, &k->timer);
	unlist(k);
	k->phase = phase;
	if (phase == CONN_HEADERS) {
		k->listed = true;
		k->prev = cs->tail;
		if (cs->tail != NULL)
			cs->tail->next = k;
		else
			cs->head = k;
		cs->tail = k;
	}
	if (phase != CONN_SERVING) {
		ev_timer_set(&k->timer, after, 0.);
		ev_timer_start(cs->loop, &k->timer);
	}
}

/* Shuts k down: MHD reads the end of the stream at its next run and closes it. */
static void
conn_cut(struct conn *k)
{
	conn_arm(k, CONN_SERVING, 0.);
	k->cut = true;
	k->cs->dying++;
	(void)shutdown(k->fd, SHUT_RDWR);
}

static void
conn_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *k = container_of(w, struct conn, timer);

	(void)loop;
	(void)revents;
	if (k->phase == CONN_HEADERS)
		k->cs->stats->cut_headers++;
	else
		k->cs->stats->cut_body++;
	log_debug("api: connection cut: its request %s did not arrive in %.1f s",
	    k->phase == CONN_HEADERS ? "line and headers" : "body",
	    k->phase == CONN_HEADERS ? k->cs->header_timeout : k->cs->body_timeout);
	conn_cut(k);
}

struct api_conns *
api_conns_new(struct ev_loop *loop, double header_timeout, double body_timeout,
    unsigned max, struct api_conn_stats *stats)
{
	struct api_conns *cs = xcalloc(1, sizeof(*cs));

	cs->max = max;
	cs->stats = stats;
	cs->loop = loop;
	cs->header_timeout = header_timeout;
	cs->body_timeout = body_timeout;
	return cs;
}

void
api_conns_free(struct api_conns *cs)
{
	if (cs != NULL && cs->open != 0)
		log_warnx("api: %u connection deadlines left at stop", cs->open);
	free(cs);
}

void
api_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct api_conns *cs = cls;
	struct conn *k = *socket_context;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (info == NULL)
			return;
		k = xcalloc(1, sizeof(*k));
		k->cs = cs;
		k->fd = info->connect_fd;
		ev_timer_init(&k->timer, conn_expired, 0., 0.);
		conn_arm(k, CONN_HEADERS, cs->header_timeout);
		cs->open++;
		cs->stats->open++;
		*socket_context = k;
		/* Full: the connection that has waited longest for a request makes room. */
		while (cs->open - cs->dying > cs->max && cs->head != NULL && cs->head != k) {
			cs->stats->evicted++;
			conn_cut(cs->head);
		}
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && k != NULL) {
		ev_timer_stop(cs->loop, &k->timer);
		unlist(k);
		if (k->cut)
			cs->dying--;
		cs->open--;
		cs->stats->open--;
		free(k);
		*socket_context = NULL;
	}
}

/* Returns c's deadlines, or NULL (a connection MHD could not tell us about). */
static struct conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info != NULL ? info->socket_context : NULL;
}

void
api_conn_headers(struct MHD_Connection *c, bool body)
{
	struct conn *k = conn_of(c);

	if (k != NULL && k->phase == CONN_HEADERS)
		conn_arm(k, body ? CONN_BODY : CONN_SERVING, k->cs->body_timeout);
}

void
api_conn_body_done(struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (k != NULL && k->phase == CONN_BODY)
		conn_arm(k, CONN_SERVING, 0.);
}

void
api_conn_completed(struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (k != NULL)
		conn_arm(k, CONN_HEADERS, k->cs->header_timeout);
}

void
api_conn_metrics(struct buf *b, const struct api_conn_stats *stats)
{
	api_metrics_family(b, "pollhook_api_connections", "gauge",
	    "Connections to the management API open now.");
	buf_printf(b, "pollhook_api_connections %u\n", stats->open);
	api_metrics_family(b, "pollhook_api_connections_cut_total", "counter",
	    "API connections closed by pollhook: headers late (header_timeout), body late "
	    "(body_timeout), body too large (max_body, max_form_body: 413 or cut), evicted "
	    "(waiting longest for a request when max_connections was reached).");
	buf_printf(b, "pollhook_api_connections_cut_total{reason=\"headers\"} %llu\n"
	    "pollhook_api_connections_cut_total{reason=\"body\"} %llu\n"
	    "pollhook_api_connections_cut_total{reason=\"too_large\"} %llu\n"
	    "pollhook_api_connections_cut_total{reason=\"evicted\"} %llu\n",
	    stats->cut_headers, stats->cut_body, stats->too_large, stats->evicted);
}
