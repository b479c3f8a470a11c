/*
 * The operations of the PostgreSQL store: what each sends (store_pg_sql.c
 * has the SQL) and what it makes of the answers. A commit is one pgq: the
 * batch's writes as a few array statements in one implicit transaction;
 * its deliveries' seqs and claims come back from the insert's RETURNING and
 * go into the batch's tickets. A request is one pgq too, and its rows go to
 * the request's callbacks only once its sync has answered (nothing partial).
 */

#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "buf.h"
#include "event.h"
#include "hmap.h"
#include "log.h"
#include "xmalloc.h"

#define ERR_UNDEFINED_TABLE "42P01"

/* Commits */

/* The arrays of one commit, built from its batch. */
struct arrays {
	struct buf p[11];
	int n;
};

static void
arrays_free(struct arrays *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->p[i].p);
	memset(a, 0, sizeof(*a));
}

/* Sends id with the arrays as its first parameters and then extra ones. */
static int
send_arrays(struct pgq *q, enum pg_stmt_id id, struct arrays *a, const char *extra)
{
	const char *p[12];
	int n = 0, rc;

	for (int i = 0; i < a->n; i++)
		p[n++] = a->p[i].p != NULL ? a->p[i].p : "{}";
	if (extra != NULL)
		p[n++] = extra;
	rc = pg_send(q, id, p);
	arrays_free(a);
	return rc;
}

/* Returns whether a write of b carries a fence: the cluster's statements are needed. */
static bool
fenced(const struct store_batch *b)
{
	for (size_t i = 0; i < b->nadds; i++)
		if (b->adds[i].epoch != 0)
			return true;
	for (size_t i = 0; i < b->nstates; i++)
		if (b->states[i].epoch != 0)
			return true;
	return false;
}

static int
send_events(struct pgq *q, const struct store_batch *b, const char *me)
{
	struct arrays a = { .n = 7 };
	const char **v = xcalloc(b->nadds, sizeof(*v));
	long long *ts = xcalloc(b->nadds, sizeof(*ts));
	int rc;

#define COLUMN(k, field) do { \
	for (size_t i = 0; i < b->nadds; i++) \
		v[i] = b->adds[i].ev->field; \
	pg_array_text(&a.p[k], v, b->nadds); \
} while (0)
	COLUMN(0, id);
	COLUMN(1, name);
	COLUMN(2, source);
	COLUMN(3, rule);
	COLUMN(4, instance);
	COLUMN(6, body);
#undef COLUMN
	for (size_t i = 0; i < b->nadds; i++)
		ts[i] = b->adds[i].ev->ts_ms;
	pg_array_int(&a.p[5], ts, b->nadds);
	if (me != NULL) {
		/* Fenced: their epochs, and who we are. */
		for (size_t i = 0; i < b->nadds; i++)
			ts[i] = b->adds[i].epoch;
		pg_array_int(&a.p[7], ts, b->nadds);
		a.n = 8;
	}
	rc = send_arrays(q, me != NULL ? PS_EVENTS_FENCED : PS_EVENTS_INSERT, &a, me);
	free(v);
	free(ts);
	return rc;
}

static int
send_deliveries(struct pgq *q, const struct store_batch *b, const char *me, bool fence)
{
	struct arrays a = { .n = 4 };
	size_t n = 0, k = 0;
	const char **ids, **subs, **keys;
	char **okeys;
	double *t;
	int rc;

	for (size_t i = 0; i < b->nadds; i++)
		n += b->adds[i].nsubs;
	ids = xcalloc(n, sizeof(*ids));
	subs = xcalloc(n, sizeof(*subs));
	keys = xcalloc(n, sizeof(*keys));
	okeys = xcalloc(b->nadds, sizeof(*okeys));
	t = xcalloc(n, sizeof(*t));
	for (size_t i = 0; i < b->nadds; i++) {
		const struct store_add *ad = &b->adds[i];

		okeys[i] = store_order_key(ad->ev);
		for (size_t j = 0; j < ad->nsubs; j++, k++) {
			ids[k] = ad->ev->id;
			subs[k] = ad->subs[j];
			keys[k] = okeys[i];
			t[k] = ad->now;
		}
	}
	pg_array_text(&a.p[0], ids, n);
	pg_array_text(&a.p[1], subs, n);
	pg_array_text(&a.p[2], keys, n);
	pg_array_double(&a.p[3], t, n);
	rc = send_arrays(q, fence ? PS_DELIVERIES_FENCED : PS_DELIVERIES_INSERT, &a, me);
	for (size_t i = 0; i < b->nadds; i++)
		free(okeys[i]);
	free(okeys);
	free(ids);
	free(subs);
	free(keys);
	free(t);
	return rc;
}

static int
by_seq_then_order(const void *x, const void *y)
{
	const struct store_mark *a = *(const struct store_mark *const *)x;
	const struct store_mark *b = *(const struct store_mark *const *)y;

	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return a < b ? -1 : a > b;	/* the order they were made: their place in the array */
}

/*
 * Outcomes: one statement per kind, so for each delivery only its last
 * outcome goes (a retry then done is done; several retries, the last).
 */
static int
send_marks(struct pgq *q, const struct store_batch *b, const char *me)
{
	const struct store_mark **m = xcalloc(b->nmarks, sizeof(*m));
	const struct store_mark **last = xcalloc(b->nmarks, sizeof(*last));
	size_t nlast = 0, nd = 0, nr = 0, nx = 0;
	long long *ds = xcalloc(b->nmarks, sizeof(*ds));
	long long *rs = xcalloc(b->nmarks, sizeof(*rs)), *ra = xcalloc(b->nmarks, sizeof(*ra));
	long long *rst = xcalloc(b->nmarks, sizeof(*rst));
	long long *xs = xcalloc(b->nmarks, sizeof(*xs)), *xa = xcalloc(b->nmarks, sizeof(*xa));
	long long *xst = xcalloc(b->nmarks, sizeof(*xst));
	double *rn = xcalloc(b->nmarks, sizeof(*rn)), *rt = xcalloc(b->nmarks, sizeof(*rt));
	double *xt = xcalloc(b->nmarks, sizeof(*xt));
	const char **re = xcalloc(b->nmarks, sizeof(*re)), **xe = xcalloc(b->nmarks, sizeof(*xe));
	struct arrays a = { 0 };
	int rc = 0;

	for (size_t i = 0; i < b->nmarks; i++)
		m[i] = &b->marks[i];
	qsort(m, b->nmarks, sizeof(*m), by_seq_then_order);
	for (size_t i = 0; i < b->nmarks; i++)
		if (i + 1 == b->nmarks || m[i + 1]->seq != m[i]->seq)
			last[nlast++] = m[i];
	for (size_t i = 0; i < nlast; i++) {
		const struct store_mark *k = last[i];

		switch (k->kind) {
		case STORE_MARK_DONE:
			ds[nd++] = k->seq;
			break;
		case STORE_MARK_RETRY:
			rs[nr] = k->seq;
			ra[nr] = k->attempts;
			rn[nr] = k->next_at;
			rst[nr] = k->status;
			re[nr] = k->error;
			rt[nr++] = k->at;
			break;
		case STORE_MARK_DEAD:
			xs[nx] = k->seq;
			xa[nx] = k->attempts;
			xst[nx] = k->status;
			xe[nx] = k->error;
			xt[nx++] = k->at;
			break;
		}
	}
	if (nd > 0) {
		a.n = 1;
		pg_array_int(&a.p[0], ds, nd);
		rc |= send_arrays(q, PS_DONE, &a, me);
	}
	if (nr > 0) {
		a.n = 6;
		pg_array_int(&a.p[0], rs, nr);
		pg_array_int(&a.p[1], ra, nr);
		pg_array_double(&a.p[2], rn, nr);
		pg_array_int(&a.p[3], rst, nr);
		pg_array_text(&a.p[4], re, nr);
		pg_array_double(&a.p[5], rt, nr);
		rc |= send_arrays(q, PS_RETRY, &a, me);
	}
	if (nx > 0) {
		a.n = 5;
		pg_array_int(&a.p[0], xs, nx);
		pg_array_int(&a.p[1], xa, nx);
		pg_array_int(&a.p[2], xst, nx);
		pg_array_text(&a.p[3], xe, nx);
		pg_array_double(&a.p[4], xt, nx);
		rc |= send_arrays(q, PS_DEAD, &a, me);
	}
	free(m);
	free(last);
	free(ds);
	free(rs);
	free(ra);
	free(rst);
	free(xs);
	free(xa);
	free(xst);
	free(rn);
	free(rt);
	free(xt);
	free(re);
	free(xe);
	return rc != 0 ? -1 : 0;
}

static int
send_states(struct pgq *q, const struct store_batch *b, const char *me)
{
	const char **k = xcalloc(b->nstates, sizeof(*k)), **v = xcalloc(b->nstates, sizeof(*v));
	long long *ep = xcalloc(b->nstates, sizeof(*ep));
	const char **del = xcalloc(b->nstates, sizeof(*del));
	size_t nk = 0, nd = 0;
	struct arrays a = { 0 };
	int rc = 0;

	/* One entry per key already (batch_state): a save is an upsert, NULL a delete. */
	for (size_t i = 0; i < b->nstates; i++) {
		if (b->states[i].value != NULL) {
			ep[nk] = b->states[i].epoch;
			k[nk] = b->states[i].key;
			v[nk++] = b->states[i].value;
		} else
			del[nd++] = b->states[i].key;
	}
	if (nk > 0) {
		a.n = 2;
		pg_array_text(&a.p[0], k, nk);
		pg_array_text(&a.p[1], v, nk);
		if (me != NULL) {
			pg_array_int(&a.p[2], ep, nk);
			a.n = 3;
		}
		rc |= send_arrays(q, me != NULL ? PS_STATES_FENCED : PS_STATES_UPSERT, &a, me);
	}
	if (nd > 0) {
		a.n = 1;
		pg_array_text(&a.p[0], del, nd);
		rc |= send_arrays(q, PS_STATES_DELETE, &a, NULL);
	}
	free(k);
	free(v);
	free(ep);
	free(del);
	return rc != 0 ? -1 : 0;
}

static int
send_subs(struct pgq *q, const struct store_batch *b)
{
	const char **k = xcalloc(b->nsubs, sizeof(*k)), **v = xcalloc(b->nsubs, sizeof(*v));
	struct arrays a = { .n = 2 };
	size_t n = 0;
	int rc;

	/* The last word on each name: an upsert must not meet a name twice. */
	for (size_t i = 0; i < b->nsubs; i++) {
		bool later = false;

		for (size_t j = i + 1; j < b->nsubs && !later; j++)
			later = strcmp(b->subs[i].key, b->subs[j].key) == 0;
		if (later)
			continue;
		k[n] = b->subs[i].key;
		v[n++] = b->subs[i].value;
	}
	pg_array_text(&a.p[0], k, n);
	pg_array_text(&a.p[1], v, n);
	rc = send_arrays(q, PS_SUBS_UPSERT, &a, NULL);
	free(k);
	free(v);
	return rc;
}

/*
 * The last word on each key of pairs (dynamic subscribers, silences,
 * discovered devices): upserts in one statement, deletes in another.
 */
static int
send_records(struct pgq *q, const struct store_pair *pairs, size_t n, enum pg_stmt_id upsert,
    enum pg_stmt_id delete)
{
	size_t nk = 0, nd = 0;
	const char **k = xcalloc(n, sizeof(*k)), **v = xcalloc(n, sizeof(*v));
	const char **del = xcalloc(n, sizeof(*del));
	struct hmap seen;
	struct arrays a = { 0 };
	int rc = 0;

	hmap_init(&seen);
	for (size_t i = n; i-- > 0;) {
		const struct store_pair *p = &pairs[i];

		if (hmap_get(&seen, p->key) != NULL)
			continue;
		hmap_put(&seen, p->key, (void *)1);
		if (p->value != NULL) {
			k[nk] = p->key;
			v[nk++] = p->value;
		} else
			del[nd++] = p->key;
	}
	hmap_free(&seen);
	if (nk > 0) {
		a.n = 2;
		pg_array_text(&a.p[0], k, nk);
		pg_array_text(&a.p[1], v, nk);
		rc |= send_arrays(q, upsert, &a, NULL);
	}
	if (nd > 0) {
		a.n = 1;
		pg_array_text(&a.p[0], del, nd);
		rc |= send_arrays(q, delete, &a, NULL);
	}
	free(k);
	free(v);
	free(del);
	return rc != 0 ? -1 : 0;
}

static int
send_imports(struct pgq *q, const struct store_batch *b)
{
	size_t ne = 0, nd = 0, n = b->nimports;
	const char **t[11];
	long long *iv[5];
	double *dv[3];
	struct arrays a = { 0 };
	int rc = 0;

	for (int i = 0; i < 11; i++)
		t[i] = xcalloc(n, sizeof(*t[i]));
	for (int i = 0; i < 5; i++)
		iv[i] = xcalloc(n, sizeof(*iv[i]));
	for (int i = 0; i < 3; i++)
		dv[i] = xcalloc(n, sizeof(*dv[i]));
	for (size_t i = 0; i < n; i++) {
		const struct store_import *im = &b->imports[i];

		if (im->event) {
			t[0][ne] = im->ev.id;
			t[1][ne] = im->ev.name;
			t[2][ne] = im->ev.source;
			t[3][ne] = im->ev.rule;
			t[4][ne] = im->ev.instance;
			t[5][ne] = im->ev.body;
			iv[0][ne++] = im->ev.ts_ms;
			continue;
		}
		iv[1][nd] = im->row.seq;
		t[6][nd] = im->row.event_id;
		t[7][nd] = im->row.subscriber;
		t[8][nd] = im->row.okey;
		iv[2][nd] = im->row.state;
		iv[3][nd] = im->row.attempts;
		dv[0][nd] = im->row.created;
		dv[1][nd] = im->row.next_at;
		dv[2][nd] = im->row.updated;
		iv[4][nd] = im->row.last_status;
		t[9][nd++] = im->row.last_error;
	}
	if (ne > 0) {
		a.n = 7;
		for (int i = 0; i < 5; i++)
			pg_array_text(&a.p[i], t[i], ne);
		pg_array_int(&a.p[5], iv[0], ne);
		pg_array_text(&a.p[6], t[5], ne);
		rc |= send_arrays(q, PS_EVENTS_INSERT, &a, NULL);
	}
	if (nd > 0) {
		a.n = 11;
		pg_array_int(&a.p[0], iv[1], nd);
		pg_array_text(&a.p[1], t[6], nd);
		pg_array_text(&a.p[2], t[7], nd);
		pg_array_text(&a.p[3], t[8], nd);
		pg_array_int(&a.p[4], iv[2], nd);
		pg_array_int(&a.p[5], iv[3], nd);
		pg_array_double(&a.p[6], dv[0], nd);
		pg_array_double(&a.p[7], dv[1], nd);
		pg_array_double(&a.p[8], dv[2], nd);
		pg_array_int(&a.p[9], iv[4], nd);
		pg_array_text(&a.p[10], t[9], nd);
		rc |= send_arrays(q, PS_IMPORT_DELIVERIES, &a, NULL);
		/* New deliveries must not reuse an imported seq. */
		rc |= pg_send(q, PS_IMPORT_SEQ, NULL);
	}
	for (int i = 0; i < 11; i++)
		free(t[i]);
	for (int i = 0; i < 5; i++)
		free(iv[i]);
	for (int i = 0; i < 3; i++)
		free(dv[i]);
	return rc != 0 ? -1 : 0;
}

/* The index of the delivery insert's result is kept in q->mark (-1: none). */
static int
send_commit(struct pgq *q)
{
	struct store_batch *b = q->ctx;
	char me[32], before[32];
	const char *p[1] = { before };

	bool fence = fenced(b);

	snprintf(me, sizeof(me), "%lld", (long long)pg_member(q->pg));
	q->mark = -1;
	if (b->nadds > 0) {
		if (send_events(q, b, fence ? me : NULL) != 0 ||
		    send_deliveries(q, b, me, fence) != 0)
			return -1;
		q->mark = 1;
	}
	if (b->nmarks > 0 && send_marks(q, b, me) != 0)
		return -1;
	if (b->nstates > 0 && send_states(q, b, fence ? me : NULL) != 0)
		return -1;
	if (b->nsubs > 0 && send_subs(q, b) != 0)
		return -1;
	if (b->nimports > 0 && send_imports(q, b) != 0)
		return -1;
	if (b->ndsubs > 0 &&
	    send_records(q, b->dsubs, b->ndsubs, PS_DSUBS_UPSERT, PS_DSUBS_DELETE) != 0)
		return -1;
	if (b->nsilences > 0 && send_records(q, b->silences, b->nsilences, PS_SILENCES_UPSERT,
	    PS_SILENCES_DELETE) != 0)
		return -1;
	if (b->ndiscs > 0 &&
	    send_records(q, b->discs, b->ndiscs, PS_DISCS_UPSERT, PS_DISCS_DELETE) != 0)
		return -1;
	if (b->sweep_before_ms > 0) {
		snprintf(before, sizeof(before), "%lld", (long long)b->sweep_before_ms);
		if (pg_send(q, PS_SWEEP, p) != 0)
			return -1;
	}
	return 0;
}

/* Fills the tickets from the insert's rows: seq, event id, subscriber, claimed. */
static int
fill_tickets(struct store_batch *b, const PGresult *res)
{
	struct hmap where;
	char key[512];
	int rc = 0;

	hmap_init(&where);
	for (size_t i = 0; i < b->nadds; i++)
		for (size_t j = 0; j < b->adds[i].nsubs; j++) {
			snprintf(key, sizeof(key), "%s\x1f%s", b->adds[i].ev->id,
			    b->adds[i].subs[j]);
			hmap_put(&where, key, &b->adds[i].tickets[j]);
		}
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_ticket *tk;

		snprintf(key, sizeof(key), "%s\x1f%s", PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
		if ((tk = hmap_get(&where, key)) == NULL) {
			rc = -1;
			continue;
		}
		tk->seq = strtoll(PQgetvalue(res, r, 0), NULL, 10);
		tk->claimed = PQgetvalue(res, r, 3)[0] == 't';
	}
	hmap_free(&where);
	return rc;
}

/*
 * What a failed query ran into, by its SQLSTATE: 53100 disk_full; none (the
 * connection went first), class 08 (connection) or 57P (the server shutting
 * down) the database away.
 */
static enum store_error_kind
error_kind(const struct pgq *q)
{
	if (strcmp(q->sqlstate, "53100") == 0)
		return STORE_ERR_FULL;
	if (q->sqlstate[0] == '\0' || strncmp(q->sqlstate, "08", 2) == 0 ||
	    strncmp(q->sqlstate, "57P", 3) == 0)
		return STORE_ERR_UNREACHABLE;
	if (strncmp(q->sqlstate, "58", 2) == 0)
		return STORE_ERR_IO;
	return STORE_ERR_OTHER;
}

static void
commit_done(struct pgq *q, int status)
{
	struct store_batch *b = q->ctx;
	struct store *st = pg_front(q->pg);

	if (status == 0 && q->mark >= 0 && (q->mark >= q->nres ||
	    fill_tickets(b, q->res[q->mark]) != 0)) {
		store_set_error(st, "the delivery insert did not answer for every delivery");
		status = -1;
	} else if (status != 0)
		store_set_error_kind(st, error_kind(q));
	for (int i = 0; status == 0 && i < q->nres; i++)
		pg_cluster_refused(q->pg, q->res[i]);
	pgq_free(q);
	store_batch_done(st, b, status);
}

void
pg_op_commit(struct pg *pg, struct store_batch *b)
{
	struct pgq *q = xcalloc(1, sizeof(*q));

	q->ctx = b;
	q->send = send_commit;
	q->finish = commit_done;
	pg_submit(pg, q);
}

/* Requests */

/* Reads row r of res (the columns of ROW_COLUMNS) into *row, borrowing res's strings. */
static void
read_row(const PGresult *res, int r, struct store_row *row)
{
#define TEXT(c) (PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c))
	row->seq = strtoll(PQgetvalue(res, r, 0), NULL, 10);
	row->event_id = TEXT(1);
	row->subscriber = TEXT(2);
	row->okey = TEXT(3);
	row->state = (enum store_dstate)strtol(PQgetvalue(res, r, 4), NULL, 10);
	row->attempts = (unsigned)strtoul(PQgetvalue(res, r, 5), NULL, 10);
	row->created = strtod(PQgetvalue(res, r, 6), NULL);
	row->next_at = strtod(PQgetvalue(res, r, 7), NULL);
	row->last_status = (int)strtol(PQgetvalue(res, r, 8), NULL, 10);
	row->last_error = TEXT(9);
	row->event_name = TEXT(10);
	row->body = TEXT(11);
	row->source = TEXT(12);
	row->rule = TEXT(13);
	row->instance = TEXT(14);
	row->ts_ms = strtoll(PQgetvalue(res, r, 15), NULL, 10);
	row->updated = strtod(PQgetvalue(res, r, 16), NULL);
#undef TEXT
}

static long long
result_int(const PGresult *res)
{
	return PQntuples(res) > 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
}

static int
send_request(struct pgq *q)
{
	struct store_req *rq = q->ctx;
	char a[40], b[40], c[40], me[32];
	const char *p[4] = { a, b, c, NULL };

	snprintf(me, sizeof(me), "%lld", (long long)pg_member(q->pg));
	switch (rq->kind) {
	case STORE_REQ_CLAIM:
		snprintf(a, sizeof(a), "%.6f", rq->when);
		if (pg_send(q, PS_RETRIES_TAKE, p) != 0)
			return -1;
		p[0] = me;
		snprintf(b, sizeof(b), "%d", rq->limit > 0 ? rq->limit : 1000000);
		return pg_send(q, rq->row != NULL ? PS_CLAIM : PS_CLAIM_QUIET, p);
	case STORE_REQ_STATES:
		return pg_send(q, PS_STATES, NULL);
	case STORE_REQ_SUBS:
		return pg_send(q, PS_SUBS, NULL);
	case STORE_REQ_EVENTS:
		p[0] = rq->after != NULL ? rq->after : "";
		snprintf(b, sizeof(b), "%d", rq->limit);
		p[1] = b;
		return pg_send(q, PS_EVENTS_AFTER, p);
	case STORE_REQ_DELIVERIES:
		snprintf(a, sizeof(a), "%d", (int)rq->state);
		snprintf(b, sizeof(b), "%lld", (long long)rq->seq);
		snprintf(c, sizeof(c), "%d", rq->limit);
		return pg_send(q, PS_DELIVERIES_PAGE, p);
	case STORE_REQ_PENDING:
		p[0] = me;
		p[1] = rq->after;
		snprintf(c, sizeof(c), "%lld", (long long)rq->seq);
		p[2] = c;
		snprintf(a, sizeof(a), "%d", rq->limit);
		p[3] = a;
		return pg_send(q, PS_PENDING_PAGE, p);
	case STORE_REQ_COUNT:
		snprintf(a, sizeof(a), "%d", (int)rq->state);
		snprintf(b, sizeof(b), "%d", rq->limit);
		return pg_send(q, PS_COUNT_BY_SUB, p);
	case STORE_REQ_DEPTH:
		return pg_send(q, PS_DEPTH, NULL);
	case STORE_REQ_RETRY:
		snprintf(a, sizeof(a), "%lld", (long long)rq->seq);
		return pg_send(q, PS_REQUEST_RETRY, p);
	case STORE_REQ_PURGE:
		snprintf(a, sizeof(a), "%.6f", rq->when);
		return pg_send(q, PS_PURGE, p);
	case STORE_REQ_SCHEMA:
		return pg_send(q, PS_SCHEMA_VERSION, NULL);
	case STORE_REQ_CLUSTER_SYNC:
	case STORE_REQ_CLUSTER_TAKE:
	case STORE_REQ_CLUSTER_RELEASE:
		return pg_cluster_send(q, rq);
	case STORE_REQ_DSUBS:
		return pg_send(q, PS_DSUBS, NULL);
	case STORE_REQ_SILENCES:
		return pg_send(q, PS_SILENCES, NULL);
	case STORE_REQ_DISCS:
		return pg_send(q, PS_DISCS, NULL);
	case STORE_REQ_DROP:
		p[0] = rq->after;
		return pg_send(q, PS_DROP_DELIVERIES, p);
	case STORE_REQ_RECOVER:
		p[0] = rq->after;
		snprintf(b, sizeof(b), "%.6f", rq->when);
		p[1] = b;
		return pg_send(q, PS_RECOVER, p);
	}
	return -1;
}

/* The claim's rows: those whose seq the retry statement returned were asked for again. */
static long long
claimed(struct store_req *rq, const PGresult *retried, const PGresult *rows)
{
	struct hmap was_retry;
	char key[32];
	int n = PQntuples(rows);

	if (rq->row == NULL) {
		long long total = 0;

		/* Quiet: how many of each subscriber; retried ones among them. */
		for (int r = 0; r < n; r++) {
			long long k = strtoll(PQgetvalue(rows, r, 1), NULL, 10);

			rq->count(rq->arg, PQgetvalue(rows, r, 0), k);
			total += k;
		}
		return total;
	}
	hmap_init(&was_retry);
	for (int r = 0; r < PQntuples(retried); r++)
		hmap_put(&was_retry, PQgetvalue(retried, r, 0), (void *)1);
	for (int r = 0; r < n; r++) {
		struct store_row row;

		read_row(rows, r, &row);
		snprintf(key, sizeof(key), "%lld", (long long)row.seq);
		if (hmap_get(&was_retry, key) != NULL)
			row.state = STORE_RETRY;
		rq->row(rq->arg, &row);
	}
	hmap_free(&was_retry);
	return n;
}

/* Passes the answers of q to rq's callbacks; returns the request's result. */
static long long
answer(struct pgq *q, struct store_req *rq)
{
	const PGresult *res = q->res[0];
	long long n = 0;

	switch (rq->kind) {
	case STORE_REQ_CLAIM:
		return q->nres == 2 ? claimed(rq, q->res[0], q->res[1]) : -1;
	case STORE_REQ_STATES:
	case STORE_REQ_SUBS:
	case STORE_REQ_DSUBS:
	case STORE_REQ_SILENCES:
	case STORE_REQ_DISCS:
		for (int r = 0; r < PQntuples(res); r++, n++)
			rq->pair(rq->arg, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
		return n;
	case STORE_REQ_EVENTS:
		for (int r = 0; r < PQntuples(res); r++) {
			struct store_event ev = {
				.id = PQgetvalue(res, r, 0), .name = PQgetvalue(res, r, 1),
				.source = PQgetvalue(res, r, 2), .rule = PQgetvalue(res, r, 3),
				.instance = PQgetisnull(res, r, 4) ? NULL : PQgetvalue(res, r, 4),
				.ts_ms = strtoll(PQgetvalue(res, r, 5), NULL, 10),
				.body = PQgetvalue(res, r, 6),
			};

			n++;
			if (!rq->event(rq->arg, &ev))
				break;
		}
		return n;
	case STORE_REQ_DELIVERIES:
	case STORE_REQ_PENDING:
		for (int r = 0; r < PQntuples(res); r++, n++) {
			struct store_row row;

			read_row(res, r, &row);
			rq->row(rq->arg, &row);
		}
		return n;
	case STORE_REQ_COUNT:
		for (int r = 0; r < PQntuples(res); r++, n++)
			rq->count(rq->arg, PQgetvalue(res, r, 0),
			    strtoll(PQgetvalue(res, r, 1), NULL, 10));
		return n;
	case STORE_REQ_DEPTH:
	case STORE_REQ_RETRY:
	case STORE_REQ_SCHEMA:
	case STORE_REQ_DROP:
	case STORE_REQ_RECOVER:
		return result_int(res);
	case STORE_REQ_PURGE:
		return strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
	case STORE_REQ_CLUSTER_SYNC:
	case STORE_REQ_CLUSTER_TAKE:
	case STORE_REQ_CLUSTER_RELEASE:
		return pg_cluster_answer(q, rq);
	}
	return -1;
}

static void
request_done(struct pgq *q, int status)
{
	struct store_req *rq = q->ctx;
	long long n = -1;

	if (status == 0 && q->nres >= 1)
		n = answer(q, rq);
	else if (rq->kind == STORE_REQ_SCHEMA && strcmp(q->sqlstate, ERR_UNDEFINED_TABLE) == 0)
		n = 0;	/* no schema table: nothing migrated yet */
	pgq_free(q);
	store_req_done(rq, n);
}

void
pg_op_request(struct pg *pg, struct store_req *rq)
{
	struct pgq *q;

	/* Claims and the cluster are a member's: the daemon's (sent once it has joined). */
	if ((rq->kind == STORE_REQ_CLAIM || rq->kind == STORE_REQ_CLUSTER_SYNC ||
	    rq->kind == STORE_REQ_CLUSTER_TAKE || rq->kind == STORE_REQ_CLUSTER_RELEASE) &&
	    !pg_claims(pg)) {
		store_set_error(pg_front(pg), "only the daemon claims deliveries or joins a cluster");
		store_req_done(rq, -1);
		return;
	}
	if ((rq->kind >= STORE_REQ_CLUSTER_SYNC || rq->kind == STORE_REQ_PENDING) &&
	    pg_member(pg) == 0) {
		store_set_error(pg_front(pg), "not yet a member of the shared store");
		store_req_done(rq, -1);
		return;
	}
	q = xcalloc(1, sizeof(*q));
	q->ctx = rq;
	q->send = send_request;
	q->finish = request_done;
	/* The loads at start wait for the database; everything else fails while it is away. */
	q->wait = rq->kind == STORE_REQ_STATES || rq->kind == STORE_REQ_SUBS ||
	    rq->kind == STORE_REQ_DSUBS || rq->kind == STORE_REQ_SILENCES ||
	    rq->kind == STORE_REQ_DISCS;
	pg_submit(pg, q);
}
