#include "kinds.h"

#include <stdlib.h>

#include "emitter.h"
#include "log.h"
#include "poller.h"
#include "xmalloc.h"

struct kind_shared {
	const void *ops;		/* the kind: its ops table */
	void (*fini)(void *shared);	/* NULL: nothing to free */
	void (*metrics)(void *shared, struct buf *b);	/* NULL: none */
	void *shared;
};

/*
 * Finds ops in k, or adds it with what init returns; returns 0, or -1 after
 * logging that the init of the kind named name (a what) failed.
 */
static int
kind_get(struct kinds *k, const void *ops, const char *name, const char *what,
    void *(*init)(struct ev_loop *), void (*fini)(void *), struct ev_loop *loop,
    void **shared)
{
	for (size_t i = 0; i < k->n; i++) {
		if (k->v[i].ops == ops) {
			*shared = k->v[i].shared;
			return 0;
		}
	}
	*shared = NULL;
	if (init != NULL && (*shared = init(loop)) == NULL) {
		log_warnx("%s: cannot initialise the %s", name, what);
		return -1;
	}
	k->v = xreallocarray(k->v, k->n + 1, sizeof(*k->v));
	k->v[k->n].ops = ops;
	k->v[k->n].fini = fini;
	k->v[k->n].metrics = NULL;
	k->v[k->n].shared = *shared;
	k->n++;
	return 0;
}

int
kinds_poller(struct kinds *k, const struct poller_ops *ops, struct ev_loop *loop,
    void **shared)
{
	size_t n = k->n;

	if (kind_get(k, ops, ops->name, "poller", ops->init, ops->fini, loop, shared) != 0)
		return -1;
	if (k->n > n)
		k->v[n].metrics = ops->metrics;
	return 0;
}

int
kinds_emitter(struct kinds *k, const struct emitter_ops *ops, struct ev_loop *loop,
    void **shared)
{
	return kind_get(k, ops, ops->name, "emitter", ops->init, ops->fini, loop, shared);
}

void
kinds_metrics(const struct kinds *k, struct buf *b)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].metrics != NULL)
			k->v[i].metrics(k->v[i].shared, b);
}

void
kinds_fini(struct kinds *k)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].fini != NULL)
			k->v[i].fini(k->v[i].shared);
	free(k->v);
	k->v = NULL;
	k->n = 0;
}
