/*
 * The store's cluster requests (store.h, "The cluster"): made like every
 * other request, run by the backend's request op. Only the PostgreSQL
 * backend answers them; SQLite fails them, and the configuration never
 * lets a cluster run on it.
 */

#include "store.h"

#include <stdlib.h>

#include "store_impl.h"
#include "xmalloc.h"

/* Copies n names into rq (n 0: none, which release reads as all). */
static void
copy_names(struct store_req *rq, const char *const *names, size_t n)
{
	if (n == 0)
		return;
	rq->names = xcalloc(n, sizeof(*rq->names));
	for (size_t i = 0; i < n; i++)
		rq->names[i] = xstrdup(names[i]);
	rq->nnames = n;
}

void
store_cluster_sync(struct store *st, double ttl, const char *version, bool full,
    store_member_fn member, store_own_fn own, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_CLUSTER_SYNC, done, arg);

	rq->when = ttl;
	rq->full = full;
	rq->version = xstrdup(version);
	rq->member = member;
	rq->own = own;
	store_req_run(rq);
}

void
store_cluster_take(struct store *st, const char *const *sources, size_t n,
    store_own_fn own, store_pair_fn state, store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_CLUSTER_TAKE, done, arg);

	copy_names(rq, sources, n);
	rq->own = own;
	rq->pair = state;
	store_req_run(rq);
}

void
store_cluster_release(struct store *st, const char *const *sources, size_t n,
    store_done_fn done, void *arg)
{
	struct store_req *rq = store_req_new(st, STORE_REQ_CLUSTER_RELEASE, done, arg);

	copy_names(rq, sources, n);
	store_req_run(rq);
}
