/*
 * The cluster's requests on the PostgreSQL store: the heartbeat with the
 * live members (and, when full, the sources this member owns and what each
 * member owns), the takeover of sources
 * with their rule states, the release; and the sources that fenced writes
 * were refused for (store_pg_sql.c has the SQL and says how fencing works).
 */

#include "store_pg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define FENCED_COLUMN "fenced_source"

/* Sends the statements of cluster request rq; 0 or -1. */
int
pg_cluster_send(struct pgq *q, struct store_req *rq)
{
	char me[32], ttl[32];
	struct buf names = { 0 };
	const char *p[3] = { me, NULL, NULL };
	int rc = -1;

	snprintf(me, sizeof(me), "%lld", (long long)pg_member(q->pg));
	if (rq->nnames > 0) {
		pg_array_text(&names, (const char *const *)rq->names, rq->nnames);
		p[1] = names.p;
	}
	switch (rq->kind) {
	case STORE_REQ_CLUSTER_SYNC:
		snprintf(ttl, sizeof(ttl), "%.3f", rq->when);
		p[1] = ttl;
		p[2] = rq->version;
		rc = pg_send(q, PS_CLUSTER_BEAT, p) != 0 || (rq->full &&
		    (pg_send(q, PS_CLUSTER_COUNTS, NULL) != 0 ||
		    pg_send(q, PS_CLUSTER_MINE, p) != 0)) ? -1 : 0;
		break;
	case STORE_REQ_CLUSTER_TAKE:
		rc = pg_send(q, PS_CLUSTER_TAKE, p) != 0 || pg_send(q, PS_CLUSTER_STATES, p) != 0 ?
		    -1 : 0;
		break;
	case STORE_REQ_CLUSTER_RELEASE:
		rc = pg_send(q, PS_CLUSTER_RELEASE, p);
		break;
	default:
		break;
	}
	free(names.p);
	return rc;
}

/* Rows of source, epoch and, for a take, since (NULL: none). */
static void
owned_rows(struct store_req *rq, const PGresult *res)
{
	bool since = PQnfields(res) > 2;

	for (int r = 0; r < PQntuples(res); r++)
		rq->own(rq->arg, PQgetvalue(res, r, 0), strtoll(PQgetvalue(res, r, 1), NULL, 10),
		    since && !PQgetisnull(res, r, 2) ? strtod(PQgetvalue(res, r, 2), NULL) : NAN);
}

/* The members of the heartbeat's answer res, with the counts of counts (NULL: none). */
static long long
members(struct store_req *rq, const PGresult *res, const PGresult *counts)
{
	bool self = false;

	for (int r = 0; r < PQntuples(res); r++)
		self = self || PQgetvalue(res, r, 7)[0] == 't';
	/* Our row is gone (swept, or the store joins again): not a member now. */
	if (!self) {
		store_set_error(rq->st, "this instance is not a member (joining again)");
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_member m = {
			.id = strtoll(PQgetvalue(res, r, 0), NULL, 10),
			.name = PQgetvalue(res, r, 1),
			.started = strtod(PQgetvalue(res, r, 2), NULL),
			.version = PQgetisnull(res, r, 3) ? NULL : PQgetvalue(res, r, 3),
			.last_seen = strtod(PQgetvalue(res, r, 4), NULL),
			.lease_left = strtod(PQgetvalue(res, r, 5), NULL),
			.owned = counts != NULL ? 0 : -1,
			.gen = strtoll(PQgetvalue(res, r, 6), NULL, 10),
			.self = PQgetvalue(res, r, 7)[0] == 't',
		};

		/* A handful of members: a scan of the counts each. */
		for (int k = 0; counts != NULL && k < PQntuples(counts); k++)
			if (strtoll(PQgetvalue(counts, k, 0), NULL, 10) == m.id) {
				m.owned = strtoll(PQgetvalue(counts, k, 1), NULL, 10);
				m.max_epoch = strtoll(PQgetvalue(counts, k, 2), NULL, 10);
			}
		rq->member(rq->arg, &m);
	}
	return PQntuples(res);
}

long long
pg_cluster_answer(struct pgq *q, struct store_req *rq)
{
	switch (rq->kind) {
	case STORE_REQ_CLUSTER_SYNC:
		if (q->nres != (rq->full ? 3 : 1) ||
		    members(rq, q->res[0], rq->full ? q->res[1] : NULL) < 0)
			return -1;
		/* It renewed the lease the deliveries are claimed under too. */
		pg_lease_renewed(q->pg, q->sent_at);
		if (rq->full)
			owned_rows(rq, q->res[2]);
		return 0;
	case STORE_REQ_CLUSTER_TAKE:
		if (q->nres != 2)
			return -1;
		owned_rows(rq, q->res[0]);
		for (int r = 0; r < PQntuples(q->res[1]); r++)
			rq->pair(rq->arg, PQgetvalue(q->res[1], r, 0), PQgetvalue(q->res[1], r, 1));
		return PQntuples(q->res[0]);
	case STORE_REQ_CLUSTER_RELEASE:
		return q->nres == 1 && PQntuples(q->res[0]) == 1 ?
		    strtoll(PQgetvalue(q->res[0], 0, 0), NULL, 10) : -1;
	default:
		return -1;
	}
}

void
pg_cluster_refused(struct pg *pg, const PGresult *res)
{
	if (PQnfields(res) != 2 || strcmp(PQfname(res, 0), FENCED_COLUMN) != 0)
		return;
	for (int r = 0; r < PQntuples(res); r++)
		store_backend_fenced(pg_front(pg), PQgetvalue(res, r, 0),
		    strtoll(PQgetvalue(res, r, 1), NULL, 10));
}
