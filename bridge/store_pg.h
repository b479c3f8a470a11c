#ifndef POLLHOOK_STORE_PG_H
#define POLLHOOK_STORE_PG_H

/*
 * Between the files of the PostgreSQL store: store_pg.c (the connection on
 * the loop, the pipeline, the member's lease, the ops table),
 * store_pg_ops.c (each operation's statements and results) and
 * store_pg_sql.c (the SQL and the migrations).
 *
 * The unit of work is a pgq: a few statements sent in pipeline mode and
 * closed by a sync, so they run as one implicit transaction, with their
 * results kept until the sync's answer, when finish sees them all. Queries
 * go in the order they were submitted, many in flight at once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store_impl.h"

struct buf;
struct pg;

#define PG_ERR_NEWER	"PHNEW"		/* SQLSTATE of a schema newer than this program */
#define PG_MIGRATE_LOCK	0x706f6c6cLL	/* the advisory lock migrations take ("poll") */
#define PGQ_MAX_RESULTS	64	/* the setup: a result per prepared statement */

/* The statements, prepared on every connection (those with a name). */
enum pg_stmt_id {
	PS_EVENTS_INSERT, PS_DELIVERIES_INSERT, PS_DONE, PS_RETRY, PS_DEAD,
	PS_STATES_UPSERT, PS_STATES_DELETE, PS_SUBS_UPSERT, PS_SWEEP,
	PS_IMPORT_DELIVERIES, PS_IMPORT_SEQ, PS_RETRIES_TAKE, PS_CLAIM,
	PS_MEMBER_JOIN, PS_MEMBER_RENEW, PS_RELEASE, PS_LEAVE, PS_NOTIFY, PS_LISTEN,
	PS_STATES, PS_SUBS, PS_EVENTS_AFTER, PS_DELIVERIES_PAGE, PS_COUNT_BY_SUB, PS_DEPTH,
	PS_REQUEST_RETRY, PS_PURGE, PS_SCHEMA_VERSION,
	/* The cluster (store_pg_cluster.c) and the fenced writes of its members. */
	PS_EVENTS_FENCED, PS_DELIVERIES_FENCED, PS_STATES_FENCED, PS_CLUSTER_BEAT,
	PS_CLUSTER_COUNTS, PS_CLUSTER_MINE, PS_CLUSTER_TAKE, PS_CLUSTER_STATES,
	PS_CLUSTER_RELEASE, PS_CLUSTER_LISTEN,
	/* Subscribers added through the API. */
	PS_DSUBS_UPSERT, PS_DSUBS_DELETE, PS_DSUBS, PS_DROP_DELIVERIES, PS_RECOVER,
	/* Silences added through the API. */
	PS_SILENCES_UPSERT, PS_SILENCES_DELETE, PS_SILENCES,
	/* Devices found by bridge.discover. */
	PS_DISCS_UPSERT, PS_DISCS_DELETE, PS_DISCS,
	/* What the daemon left in the store beyond its memory window. */
	PS_PENDING_PAGE, PS_CLAIM_QUIET,
	PS_NSTMTS
};

struct pg_stmt {
	const char *name;	/* NULL: sent as text each time, never prepared */
	int nparams;
	const char *sql;
};

struct pg_migration {
	int version;
	const char *description;
	const char *sql;
};

/* One pipelined unit: statements, then a sync. */
struct pgq {
	struct pgq *next;
	struct pg *pg;
	/* Sends the statements with pg_send; returns 0, or -1 (pg_error says why). */
	int (*send)(struct pgq *q);
	/* Called once after the sync: status 0 with every result in res, or -1; frees q. */
	void (*finish)(struct pgq *q, int status);
	PGresult *res[PGQ_MAX_RESULTS];
	int nres;
	bool failed;
	bool wait;		/* waits for the database while it is away, instead of failing */
	bool setup;		/* part of the connection's setup: goes before anything else */
	char sqlstate[6];	/* of the first error */
	char err[256];
	void *ctx;		/* the operation's: a request, a batch */
	int mark;		/* what the operation needs to find its results */
	double sent_at;
};

/* store_pg.c: the connection and the pipeline */

/* Queues q (allocated; its finish frees it with pgq_free) to be sent in order. */
void pg_submit(struct pg *pg, struct pgq *q);
/* Frees q and its results. */
void pgq_free(struct pgq *q);
/* Sends statement id with nparams text parameters (NULL: SQL NULL); 0 or -1. */
int pg_send(struct pgq *q, enum pg_stmt_id id, const char *const *params);
/* Returns the front this backend serves. */
struct store *pg_front(const struct pg *pg);
/* Returns this instance's member id, or 0 (not yet joined, or the CLI). */
int64_t pg_member(const struct pg *pg);
/* Returns whether this instance joins as a member and claims (STORE_CLAIMS). */
bool pg_claims(const struct pg *pg);
/* The member's lease was renewed by a statement sent at sent_at (a cluster heartbeat). */
void pg_lease_renewed(struct pg *pg, double sent_at);

/* store_pg_ops.c: the operations */

/* Sends b as one transaction: store_batch_done when it is answered. */
void pg_op_commit(struct pg *pg, struct store_batch *b);
/* Runs rq: its callbacks, then store_req_done. */
void pg_op_request(struct pg *pg, struct store_req *rq);

/* store_pg_cluster.c: the cluster's requests */

/* Sends the statements of cluster request rq (a STORE_REQ_CLUSTER_* kind); 0 or -1. */
int pg_cluster_send(struct pgq *q, struct store_req *rq);
/* Passes the answers of cluster request rq to its callbacks; returns its result or -1. */
long long pg_cluster_answer(struct pgq *q, struct store_req *rq);
/* Reports, through the front, each source a fenced write refused in res (if it is such). */
void pg_cluster_refused(struct pg *pg, const PGresult *res);

/* store_pg_sql.c: the SQL */

/* Returns statement id. */
const struct pg_stmt *pg_stmt(enum pg_stmt_id id);
/* Returns the migrations, oldest first; *n receives their number. */
const struct pg_migration *pg_migrations(size_t *n);
/* Returns the schema version of the last migration. */
int pg_schema_latest(void);
/* Returns the statement that applies the missing migrations (newly allocated). */
char *pg_migrate_sql(void);
/* Appends the text form of a PostgreSQL text[] of v (NULL elements allowed). */
void pg_array_text(struct buf *b, const char *const *v, size_t n);
/* Appends the text form of a bigint[] of v. */
void pg_array_int(struct buf *b, const long long *v, size_t n);
/* Appends the text form of a float8[] of v. */
void pg_array_double(struct buf *b, const double *v, size_t n);

#endif
