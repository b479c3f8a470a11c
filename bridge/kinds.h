#ifndef POLLHOOK_KINDS_H
#define POLLHOOK_KINDS_H

/*
 * The state a plugin kind shares among its instances (what a poller's or an
 * emitter's init() returns): created when the first source or subscriber of
 * the kind starts, freed with the kind's fini() after the last one stopped.
 * The engine and the delivery manager each keep one set per configuration
 * they run, so that a reload builds the new set beside the old one.
 */

#include <stddef.h>

#include <ev.h>

struct buf;
struct poller_ops;
struct emitter_ops;
struct kind_shared;

/* The kinds initialised so far; zero it to start empty. */
struct kinds {
	struct kind_shared *v;
	size_t n;
};

/*
 * Sets *shared to the shared state of poller kind ops in k (NULL for a kind
 * without init), initialising it on loop at first use. Returns 0, or -1
 * after logging that init failed.
 */
int kinds_poller(struct kinds *k, const struct poller_ops *ops, struct ev_loop *loop,
    void **shared);
/* Same as kinds_poller for emitter kind ops. */
int kinds_emitter(struct kinds *k, const struct emitter_ops *ops, struct ev_loop *loop,
    void **shared);
/* Appends the /metrics families of every poller kind in k that has some to b. */
void kinds_metrics(const struct kinds *k, struct buf *b);
/* Calls the fini of every kind in k on its shared state and empties k. */
void kinds_fini(struct kinds *k);

#endif
