/*
 * The PostgreSQL store backend: one libpq connection driven by the loop,
 * never blocking it. PQconnectStartParams and PQconnectPoll connect under
 * an ev_io on PQsocket; then the connection is nonblocking and in pipeline
 * mode: queries (struct pgq, see store_pg.h) are sent as soon as they are
 * submitted, many in flight, each group closed by a sync, and their results
 * are read as the socket becomes readable. A lost connection is made again
 * with a backoff; queries in flight fail (or wait, for those that must not),
 * and the front keeps its batches until the database is back.
 *
 * The daemon is a member: a row of the members table whose lease it renews
 * every third of lease_ttl (unless a cluster heartbeat, which renews it
 * too, did meanwhile). Its claims on deliveries are valid while the
 * lease is; it counts its lease from when the last renewal was sent, so it
 * knows its lease lapsed before the database does, and then starts no
 * attempt (store_holding) until a renewal succeeds and it has given up what
 * it held (others may have taken it): then the front is told to claim again.
 */

#include "store_pg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define CONNECT_TIMEOUT	10.0	/* seconds a connection attempt may take */
#define QUERY_TIMEOUT	30.0	/* seconds without an answer before the connection is dropped */
#define BACKOFF_FIRST	0.1	/* seconds before connecting again, doubling */
#define BACKOFF_MAX	2.0
#define WATCHDOG	5.0	/* seconds between checks for queries without answer */

enum pg_state { PG_DOWN, PG_CONNECTING, PG_SETUP, PG_READY, PG_CLOSED };

struct pg {
	struct store *st;
	struct ev_loop *loop;
	char *conninfo;
	const char *node;
	double ttl;
	bool process_durable;		/* bridge.durability "process": synchronous_commit off */
	int flags;
	PGconn *conn;
	enum pg_state state;
	bool prepared;			/* the statements with names are prepared */
	ev_io io;
	ev_timer reconnect, connect_timeout, watchdog;
	ev_timer renew;			/* every ttl / 3 */
	ev_timer lease;			/* when the lease lapses without a renewal */
	struct pgq *queue, *queue_tail;	/* not sent yet */
	struct pgq *sent, *sent_tail;	/* sent, waiting for their sync */
	int64_t member;			/* 0: none (not yet, or not a daemon) */
	bool holding;			/* the lease is current */
	bool lapsed;			/* it lapsed: what was held must be given up */
	double renewed_at;		/* when the last successful renewal was sent */
	double backoff;
	bool ever_connected;
	char last_err[256];		/* the connection error last logged */
};

static void pump(struct pg *pg);
static void conn_lost(struct pg *pg, const char *why);
static void conn_start(struct pg *pg);
static void pg_setup(struct pg *pg);

/* What the setup query of a connection carries. */
struct setup {
	char *migrate;		/* the statement applying the migrations, or NULL */
	bool join;		/* join as a new member (else renew pg->member) */
	int member_res;		/* index of the member statement's result, or -1 */
};

struct store *
pg_front(const struct pg *pg)
{
	return pg->st;
}

int64_t
pg_member(const struct pg *pg)
{
	return pg->member;
}

bool
pg_claims(const struct pg *pg)
{
	return (pg->flags & STORE_CLAIMS) != 0;
}

/* Queues */

static void
push(struct pgq **head, struct pgq **tail, struct pgq *q)
{
	q->next = NULL;
	if (*tail != NULL)
		(*tail)->next = q;
	else
		*head = q;
	*tail = q;
}

static struct pgq *
pop(struct pgq **head, struct pgq **tail)
{
	struct pgq *q = *head;

	if (q == NULL)
		return NULL;
	*head = q->next;
	if (*head == NULL)
		*tail = NULL;
	q->next = NULL;
	return q;
}

static void
clear_results(struct pgq *q)
{
	for (int i = 0; i < q->nres; i++)
		PQclear(q->res[i]);
	q->nres = 0;
	q->failed = false;
	q->err[0] = q->sqlstate[0] = '\0';
}

void
pgq_free(struct pgq *q)
{
	clear_results(q);
	free(q);
}

/* Ends q: its finish sees its results, and frees it (pgq_free). */
static void
finish(struct pgq *q, int status)
{
	if (status != 0 && q->err[0] == '\0')
		snprintf(q->err, sizeof(q->err), "%s", q->pg->last_err[0] != '\0' ?
		    q->pg->last_err : "the database is unreachable");
	if (status != 0)
		store_set_error(q->pg->st, "%s", q->err);
	q->finish(q, status);
}

/* Fails q at once with why. */
static void
fail_now(struct pgq *q, const char *why)
{
	snprintf(q->err, sizeof(q->err), "%s", why);
	finish(q, -1);
}

void
pg_submit(struct pg *pg, struct pgq *q)
{
	q->pg = pg;
	q->nres = 0;
	q->failed = false;
	q->err[0] = q->sqlstate[0] = '\0';
	if (pg->state == PG_CLOSED || (pg->state == PG_DOWN && !q->wait)) {
		fail_now(q, pg->state == PG_CLOSED ? "the store is closed" :
		    pg->last_err[0] != '\0' ? pg->last_err : "the database is unreachable");
		return;
	}
	if (q->setup) {
		/* Before everything else queued. */
		q->next = pg->queue;
		pg->queue = q;
		if (pg->queue_tail == NULL)
			pg->queue_tail = q;
	} else
		push(&pg->queue, &pg->queue_tail, q);
	pump(pg);
}

int
pg_send(struct pgq *q, enum pg_stmt_id id, const char *const *params)
{
	struct pg *pg = q->pg;
	const struct pg_stmt *s = pg_stmt(id);
	int ok;

	if (s->name != NULL && pg->prepared)
		ok = PQsendQueryPrepared(pg->conn, s->name, s->nparams, params, NULL, NULL, 0);
	else
		ok = PQsendQueryParams(pg->conn, s->sql, s->nparams, NULL, params, NULL, NULL, 0);
	return ok == 1 ? 0 : -1;
}

/* The socket */

static void
watch(struct pg *pg, int events)
{
	int fd = PQsocket(pg->conn);

	if (ev_is_active(&pg->io) && (pg->io.fd == fd && (pg->io.events & (EV_READ | EV_WRITE)) ==
	    events))
		return;
	ev_io_stop(pg->loop, &pg->io);
	if (fd < 0)
		return;
	ev_io_set(&pg->io, fd, events);
	ev_io_start(pg->loop, &pg->io);
}

/* Sends what libpq buffered; watches for writability while some is left. */
static int
flush(struct pg *pg)
{
	int rc = PQflush(pg->conn);

	if (rc < 0) {
		conn_lost(pg, PQerrorMessage(pg->conn));
		return -1;
	}
	watch(pg, rc == 1 ? EV_READ | EV_WRITE : EV_READ);
	return 0;
}

/* Sends the queued queries that may go now. */
static void
pump(struct pg *pg)
{
	bool any = false;

	if (pg->state != PG_READY && pg->state != PG_SETUP)
		return;
	while (pg->queue != NULL && (pg->state == PG_READY || pg->queue->setup)) {
		struct pgq *q = pop(&pg->queue, &pg->queue_tail);

		q->sent_at = ev_now(pg->loop);
		if (q->send(q) != 0 || PQpipelineSync(pg->conn) != 1) {
			/* A send fails only with the connection: q goes back first. */
			q->next = pg->queue;
			pg->queue = q;
			if (pg->queue_tail == NULL)
				pg->queue_tail = q;
			conn_lost(pg, PQerrorMessage(pg->conn));
			return;
		}
		push(&pg->sent, &pg->sent_tail, q);
		any = true;
	}
	if (any)
		flush(pg);
}

static void
note_error(struct pgq *q, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	q->failed = true;
	if (q->err[0] != '\0')
		return;
	snprintf(q->sqlstate, sizeof(q->sqlstate), "%s", state != NULL ? state : "");
	snprintf(q->err, sizeof(q->err), "%s", msg != NULL ? msg : PQresultErrorMessage(res));
}

/* Reads every complete result; each sync finishes the query at the head. */
static void
read_results(struct pg *pg)
{
	PGconn *conn = pg->conn;
	int nulls = 0;

	while (pg->conn == conn && pg->sent != NULL && !PQisBusy(conn)) {
		PGresult *res = PQgetResult(conn);
		struct pgq *q = pg->sent;

		if (res == NULL) {
			/* The end of one statement's results; two in a row: nothing more yet. */
			if (++nulls > 1)
				break;
			continue;
		}
		nulls = 0;
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(res);
			pop(&pg->sent, &pg->sent_tail);
			finish(q, q->failed ? -1 : 0);
			continue;
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			if (q->nres < PGQ_MAX_RESULTS) {
				q->res[q->nres++] = res;
				continue;
			}
			snprintf(q->err, sizeof(q->err), "too many results");
			q->failed = true;
			break;
		case PGRES_PIPELINE_ABORTED:
			q->failed = true;
			break;
		default:
			note_error(q, res);
			break;
		}
		PQclear(res);
	}
}

static void
read_notifies(struct pg *pg)
{
	PGnotify *n;
	bool any = false, cluster = false;

	while (pg->conn != NULL && (n = PQnotifies(pg->conn)) != NULL) {
		if (strcmp(n->relname, "pollhook_cluster") == 0)
			cluster = true;
		else
			any = true;
		PQfreemem(n);
	}
	if (cluster)
		store_backend_cluster_wake(pg->st);
	if (any)
		store_backend_wake(pg->st);
}

static void
connect_step(struct pg *pg)
{
	switch (PQconnectPoll(pg->conn)) {
	case PGRES_POLLING_READING:
		watch(pg, EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		watch(pg, EV_WRITE);
		return;
	case PGRES_POLLING_OK:
		break;
	default:
		conn_lost(pg, PQerrorMessage(pg->conn));
		return;
	}
	ev_timer_stop(pg->loop, &pg->connect_timeout);
	if (PQsetnonblocking(pg->conn, 1) != 0 || PQenterPipelineMode(pg->conn) != 1) {
		conn_lost(pg, PQerrorMessage(pg->conn));
		return;
	}
	pg->state = PG_SETUP;
	watch(pg, EV_READ);
	pg_setup(pg);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pg *pg = container_of(w, struct pg, io);

	(void)loop;
	if (pg->state == PG_CONNECTING) {
		connect_step(pg);
		return;
	}
	if ((revents & EV_WRITE) && flush(pg) != 0)
		return;
	if (revents & EV_READ) {
		if (PQconsumeInput(pg->conn) != 1) {
			conn_lost(pg, PQerrorMessage(pg->conn));
			return;
		}
		read_results(pg);
		read_notifies(pg);
	}
	if (pg->conn != NULL && PQstatus(pg->conn) == CONNECTION_BAD)
		conn_lost(pg, PQerrorMessage(pg->conn));
}

/* The connection's life */

/* Logs a connection problem when it is new (not on every attempt of an outage). */
static void
note_conn_error(struct pg *pg, const char *why)
{
	char msg[sizeof(pg->last_err)];
	size_t n;

	snprintf(msg, sizeof(msg), "%s", why != NULL && *why != '\0' ? why : "connection lost");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* libpq's messages may run over lines: keep the log to one. */
	for (char *c = msg; *c != '\0'; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	if (strcmp(msg, pg->last_err) != 0)
		log_warnx("store: postgres: %s", msg);
	snprintf(pg->last_err, sizeof(pg->last_err), "%s", msg);
}

/* Fails (or, for those that wait, queues again) every query of the list. */
static void
drain_list(struct pg *pg, struct pgq *list, const char *why)
{
	struct pgq *keep = NULL, *keep_tail = NULL;

	while (list != NULL) {
		struct pgq *q = list;

		list = q->next;
		q->next = NULL;
		if (q->setup) {
			/* Made anew by the next connection's setup. */
			struct setup *su = q->ctx;

			free(su->migrate);
			free(su);
			pgq_free(q);
		} else if (q->wait && pg->state != PG_CLOSED) {
			clear_results(q);
			push(&keep, &keep_tail, q);
		} else
			fail_now(q, why);
	}
	/* What waits goes first, in its order, before what was queued meanwhile. */
	if (keep != NULL) {
		keep_tail->next = pg->queue;
		if (pg->queue == NULL)
			pg->queue_tail = keep_tail;
		pg->queue = keep;
	}
}

static void
conn_lost(struct pg *pg, const char *why)
{
	struct pgq *sent = pg->sent, *queued;
	char msg[sizeof(pg->last_err)];

	if (pg->conn == NULL)
		return;
	note_conn_error(pg, why);
	snprintf(msg, sizeof(msg), "%s", pg->last_err);
	ev_io_stop(pg->loop, &pg->io);
	ev_timer_stop(pg->loop, &pg->connect_timeout);
	PQfinish(pg->conn);
	pg->conn = NULL;
	pg->prepared = false;
	if (pg->state != PG_CLOSED)
		pg->state = PG_DOWN;
	pg->sent = pg->sent_tail = NULL;
	/* Queued queries that cannot wait fail too: the database is away. */
	queued = pg->queue;
	pg->queue = pg->queue_tail = NULL;
	drain_list(pg, sent, msg);
	drain_list(pg, queued, msg);
	if (pg->state == PG_CLOSED)
		return;
	store_backend_up(pg->st, false, msg);
	pg->backoff = pg->backoff > 0 ? fmin(pg->backoff * 2, BACKOFF_MAX) : BACKOFF_FIRST;
	ev_timer_set(&pg->reconnect, pg->backoff, 0.);
	ev_timer_start(pg->loop, &pg->reconnect);
}

static void
reconnect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pg *pg = container_of(w, struct pg, reconnect);

	(void)loop;
	(void)revents;
	conn_start(pg);
}

static void
connect_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pg *pg = container_of(w, struct pg, connect_timeout);

	(void)loop;
	(void)revents;
	conn_lost(pg, "timeout while connecting");
}

/* Drops a connection whose oldest query got no answer for too long. */
static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pg *pg = container_of(w, struct pg, watchdog);

	(void)revents;
	if (pg->sent != NULL && ev_now(loop) - pg->sent->sent_at > QUERY_TIMEOUT)
		conn_lost(pg, "no answer from the database for 30 s");
}

static void
notice(void *arg, const char *msg)
{
	char line[512];
	size_t n;

	(void)arg;
	snprintf(line, sizeof(line), "%s", msg);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	/* The migrations say what they did; the rest is the server's chatter. */
	if (strstr(line, "pollhook: ") != NULL)
		log_info("store: postgres: %s", strstr(line, "pollhook: ") + 10);
	else
		log_debug("store: postgres: %s", line);
}

static void
conn_start(struct pg *pg)
{
	/*
	 * Before dbname, which holds the user's string: what it says wins. A
	 * NULL value is left out: with durability "fsync" the server decides
	 * (synchronous_commit on, its default: flushed to its disk).
	 */
	static const char *const keys[] = {
		"fallback_application_name", "keepalives", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "options", "dbname", NULL
	};
	const char *vals[] = { "pollhook", "1", "10", "3", "3",
		pg->process_durable ? "-c synchronous_commit=off" : NULL, pg->conninfo, NULL };

	pg->conn = PQconnectStartParams(keys, vals, 1);
	if (pg->conn == NULL)
		fatalx("store: postgres: out of memory");
	pg->state = PG_CONNECTING;
	if (PQstatus(pg->conn) == CONNECTION_BAD) {
		conn_lost(pg, PQerrorMessage(pg->conn));
		return;
	}
	PQsetNoticeProcessor(pg->conn, notice, pg);
	ev_timer_set(&pg->connect_timeout, CONNECT_TIMEOUT, 0.);
	ev_timer_start(pg->loop, &pg->connect_timeout);
	/* Right after the start, libpq wants to be polled once the socket is writable. */
	watch(pg, EV_WRITE);
}

/* The member's lease */

static void lease_lapsed(struct ev_loop *loop, ev_timer *w, int revents);

/* A renewal sent at sent_at succeeded: the lease runs from then. */
static void
lease_renewed(struct pg *pg, double sent_at)
{
	double left = sent_at + pg->ttl * 0.9 - ev_now(pg->loop);

	pg->renewed_at = sent_at;
	ev_timer_stop(pg->loop, &pg->lease);
	ev_timer_set(&pg->lease, left > 0 ? left : 0., 0.);
	ev_timer_start(pg->loop, &pg->lease);
	if (!pg->holding && !pg->lapsed) {
		pg->holding = true;
		store_backend_holding(pg->st, true);
	}
}

static void
lease_lapsed(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pg *pg = container_of(w, struct pg, lease);

	(void)loop;
	(void)revents;
	if (!pg->holding)
		return;
	log_warnx("store: postgres: the lease of node %s lapsed (no renewal for %.1f s): "
	    "attempts wait until it is renewed", pg->node, ev_now(pg->loop) - pg->renewed_at);
	pg->holding = false;
	pg->lapsed = true;
	store_backend_holding(pg->st, false);
}

/* What was held is given up: others may have taken it meanwhile. */
static void
released(struct pgq *q, int status)
{
	struct pg *pg = q->pg;

	if (status == 0 && pg->lapsed) {
		pg->lapsed = false;
		store_backend_reset(pg->st);
		if (!pg->holding && ev_is_active(&pg->lease)) {
			pg->holding = true;
			store_backend_holding(pg->st, true);
		}
	}
	pgq_free(q);
}

static int
send_release(struct pgq *q)
{
	char id[32];
	const char *p[] = { id };

	snprintf(id, sizeof(id), "%lld", (long long)q->pg->member);
	return pg_send(q, PS_RELEASE, p) != 0 || pg_send(q, PS_NOTIFY, NULL) != 0 ? -1 : 0;
}

static void
release_claims(struct pg *pg)
{
	struct pgq *q = xcalloc(1, sizeof(*q));

	q->send = send_release;
	q->finish = released;
	pg_submit(pg, q);
}

void
pg_lease_renewed(struct pg *pg, double sent_at)
{
	lease_renewed(pg, sent_at);
	if (pg->lapsed)
		release_claims(pg);
}

static void
renewed(struct pgq *q, int status)
{
	struct pg *pg = q->pg;

	if (status == 0 && q->nres == 1 && PQntuples(q->res[0]) == 1)
		pg_lease_renewed(pg, q->sent_at);
	else if (status == 0) {
		/* The row went (long lapsed, swept): join again under a new id. */
		log_warnx("store: postgres: member %lld of node %s is gone: joining again",
		    (long long)pg->member, pg->node);
		pg->member = 0;
		pg->lapsed = true;
		/* Nothing else goes out until we are a member again. */
		pg->state = PG_SETUP;
		pg_setup(pg);
	}
	pgq_free(q);
}

static int
send_renew(struct pgq *q)
{
	char id[32], ttl[32];
	const char *p[] = { id, ttl };

	snprintf(id, sizeof(id), "%lld", (long long)q->pg->member);
	snprintf(ttl, sizeof(ttl), "%.3f", q->pg->ttl);
	return pg_send(q, PS_MEMBER_RENEW, p);
}

static void
renew_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pg *pg = container_of(w, struct pg, renew);
	struct pgq *q;

	(void)loop;
	(void)revents;
	if (pg->state != PG_READY || pg->member == 0)
		return;
	/* A cluster heartbeat renewed it meanwhile (it does every ttl / 3): one statement less. */
	if (ev_now(loop) - pg->renewed_at < pg->ttl / 3)
		return;
	q = xcalloc(1, sizeof(*q));
	q->send = send_renew;
	q->finish = renewed;
	pg_submit(pg, q);
}

/* Setup: migrations, statements, LISTEN, the member; then the database is up. */

static int
send_setup(struct pgq *q)
{
	struct pg *pg = q->pg;
	struct setup *su = q->ctx;
	char id[32], ttl[32];
	const char *renew[] = { id, ttl }, *join[] = { pg->node, ttl };
	int n = 0;

	if (su->migrate != NULL) {
		if (PQsendQueryParams(pg->conn, su->migrate, 0, NULL, NULL, NULL, NULL, 0) != 1)
			return -1;
		n++;
	}
	/* Once per connection (a setup may run again on it, to join again). */
	if (!(pg->flags & STORE_NO_MIGRATE) && !pg->prepared) {
		for (int i = 0; i < PS_NSTMTS; i++) {
			const struct pg_stmt *s = pg_stmt((enum pg_stmt_id)i);

			if (s->name == NULL)
				continue;
			if (PQsendPrepare(pg->conn, s->name, s->sql, s->nparams, NULL) != 1)
				return -1;
			n++;
		}
		pg->prepared = true;
	}
	su->member_res = -1;
	if (pg->flags & STORE_CLAIMS) {
		snprintf(id, sizeof(id), "%lld", (long long)pg->member);
		snprintf(ttl, sizeof(ttl), "%.3f", pg->ttl);
		if (pg_send(q, PS_LISTEN, NULL) != 0 ||
		    pg_send(q, su->join ? PS_MEMBER_JOIN : PS_MEMBER_RENEW,
		    su->join ? join : renew) != 0)
			return -1;
		su->member_res = n + 1;
		/* Claims freed by the join (an earlier run's) are for whoever listens. */
		if (su->join && pg_send(q, PS_NOTIFY, NULL) != 0)
			return -1;
		/* Membership changes of a cluster (store_pg_cluster.c) wake it at once. */
		if (pg_send(q, PS_CLUSTER_LISTEN, NULL) != 0)
			return -1;
	}
	return 0;
}

/* Reads the member statement's answer: 0, or -1 when our row is gone. */
static int
setup_member(struct pg *pg, const PGresult *m)
{
	if (PQntuples(m) == 0)
		return -1;
	if (pg->member != 0)
		return 0;
	pg->member = strtoll(PQgetvalue(m, 0, 0), NULL, 10);
	if (strtoll(PQgetvalue(m, 0, 1), NULL, 10) > 0)
		log_info("store: postgres: node %s took over the claims of its earlier run "
		    "(if another instance runs as %s, give each its own bridge.store.node)",
		    pg->node, pg->node);
	return 0;
}

static void
setup_done(struct pgq *q, int status)
{
	struct pg *pg = q->pg;
	struct setup *su = q->ctx;
	double sent_at = q->sent_at;
	int member = 0;
	char err[sizeof(q->err)];

	if (status == 0 && su->member_res >= 0)
		member = su->member_res < q->nres ? setup_member(pg, q->res[su->member_res]) : -1;
	snprintf(err, sizeof(err), "%s", q->err);
	if (status != 0 && strcmp(q->sqlstate, PG_ERR_NEWER) == 0) {
		/* Nothing will work: requests fail, the daemon stops. */
		log_warnx("store: postgres: %s", err);
		store_backend_failed(pg->st);
		pg->state = PG_CLOSED;
	}
	free(su->migrate);
	free(su);
	pgq_free(q);
	if (status != 0) {
		conn_lost(pg, err);
		if (pg->state == PG_CLOSED)
			store_set_error(pg->st, "%s", err);
		return;
	}
	if (member != 0) {
		/* Our row is gone: join again, and what we held must be given up. */
		pg->member = 0;
		pg->lapsed = true;
		pg->state = PG_SETUP;
		pg_setup(pg);
		return;
	}
	pg->state = PG_READY;
	pg->backoff = 0;
	if (pg->last_err[0] != '\0' || !pg->ever_connected)
		log_info("store: postgres: connected to %s:%s, database %s, as %s%s",
		    PQhost(pg->conn), PQport(pg->conn), PQdb(pg->conn), PQuser(pg->conn),
		    pg->member != 0 ? " (member of the shared outbox)" : "");
	pg->ever_connected = true;
	pg->last_err[0] = '\0';
	/* The batches kept meanwhile go first: their outcomes apply to what is still ours. */
	store_backend_up(pg->st, true, NULL);
	if (pg->member != 0) {
		lease_renewed(pg, sent_at);
		if (pg->lapsed)
			release_claims(pg);
		else
			store_backend_wake(pg->st);
	}
	pump(pg);
}

static void
pg_setup(struct pg *pg)
{
	struct pgq *q = xcalloc(1, sizeof(*q));
	struct setup *su = xcalloc(1, sizeof(*su));

	su->migrate = (pg->flags & STORE_NO_MIGRATE) ? NULL : pg_migrate_sql();
	su->join = pg->member == 0;
	q->ctx = su;
	q->setup = true;
	q->send = send_setup;
	q->finish = setup_done;
	pg_submit(pg, q);
}

/* The ops */

static void *
pg_open(struct store *st, struct ev_loop *loop, const struct store_config *conf, int flags,
    char *err, size_t errlen)
{
	struct pg *pg;
	PQconninfoOption *opts;
	char *perr = NULL;

	/* libpq's message could quote the string, which may hold a password: not shown. */
	if (conf->conninfo == NULL || (opts = PQconninfoParse(conf->conninfo, &perr)) == NULL) {
		PQfreemem(perr);
		snprintf(err, errlen, "bridge.store.conninfo is not a libpq connection string or "
		    "URI");
		return NULL;
	}
	PQconninfoFree(opts);
	pg = xcalloc(1, sizeof(*pg));
	pg->st = st;
	pg->loop = loop;
	pg->conninfo = xstrdup(conf->conninfo);
	pg->node = conf->node != NULL ? conf->node : "pollhook";
	pg->ttl = conf->lease_ttl > 0 ? conf->lease_ttl : 10.0;
	pg->process_durable = conf->durability == STORE_DURABLE_PROCESS;
	pg->flags = flags;
	ev_io_init(&pg->io, io_cb, -1, EV_READ);
	ev_timer_init(&pg->reconnect, reconnect_cb, 0., 0.);
	ev_timer_init(&pg->connect_timeout, connect_timeout_cb, CONNECT_TIMEOUT, 0.);
	ev_timer_init(&pg->watchdog, watchdog_cb, WATCHDOG, WATCHDOG);
	ev_timer_init(&pg->renew, renew_cb, pg->ttl / 3, pg->ttl / 3);
	ev_timer_init(&pg->lease, lease_lapsed, 0., 0.);
	ev_timer_start(loop, &pg->watchdog);
	if (flags & STORE_CLAIMS)
		ev_timer_start(loop, &pg->renew);
	conn_start(pg);
	return pg;
}

static void
pg_commit(void *be, struct store_batch *b)
{
	pg_op_commit(be, b);
}

static void
pg_request(void *be, struct store_req *rq)
{
	pg_op_request(be, rq);
}

static bool
pg_busy(void *be)
{
	struct pg *pg = be;

	return pg->sent != NULL || (pg->queue != NULL && pg->state == PG_READY);
}

static void
left(struct pgq *q, int status)
{
	if (status == 0) {
		q->pg->member = 0;
		q->pg->holding = false;
	}
	pgq_free(q);
}

static int
send_leave(struct pgq *q)
{
	char id[32];
	const char *p[] = { id };

	snprintf(id, sizeof(id), "%lld", (long long)q->pg->member);
	return pg_send(q, PS_RELEASE, p) != 0 || pg_send(q, PS_LEAVE, p) != 0 ||
	    pg_send(q, PS_NOTIFY, NULL) != 0 ? -1 : 0;
}

static void
pg_release(void *be)
{
	struct pg *pg = be;
	struct pgq *q;

	ev_timer_stop(pg->loop, &pg->renew);
	if (pg->member == 0 || pg->state != PG_READY)
		return;
	/* Given up now rather than when the lease lapses: others take over at once. */
	q = xcalloc(1, sizeof(*q));
	q->send = send_leave;
	q->finish = left;
	pg_submit(pg, q);
}

static void
pg_close(void *be)
{
	struct pg *pg = be;

	pg->state = PG_CLOSED;
	/* Said once, and not as a problem: the last error is this. */
	snprintf(pg->last_err, sizeof(pg->last_err), "the store is closed");
	if (pg->conn != NULL)
		conn_lost(pg, "the store is closed");
	else {
		struct pgq *queued = pg->queue;

		pg->queue = pg->queue_tail = NULL;
		drain_list(pg, queued, "the store is closed");
	}
	ev_timer_stop(pg->loop, &pg->reconnect);
	ev_timer_stop(pg->loop, &pg->watchdog);
	ev_timer_stop(pg->loop, &pg->renew);
	ev_timer_stop(pg->loop, &pg->lease);
	explicit_bzero(pg->conninfo, strlen(pg->conninfo));
	free(pg->conninfo);
	free(pg);
}

static int
pg_schema_latest_op(void)
{
	return pg_schema_latest();
}

static const char *
pg_library_version(void)
{
	static char v[32];
	int n = PQlibVersion();

	snprintf(v, sizeof(v), "libpq %d.%d", n / 10000, n % 10000);
	return v;
}

const struct store_ops store_pg_ops = {
	.name = "postgres",
	/* Takeovers: the leases of other instances lapse without a NOTIFY. */
	.claim_interval = 1.0,
	.open = pg_open,
	.commit = pg_commit,
	.request = pg_request,
	.busy = pg_busy,
	.release = pg_release,
	.close = pg_close,
	.schema_latest = pg_schema_latest_op,
	.library_version = pg_library_version,
};
