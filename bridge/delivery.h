#ifndef POLLHOOK_DELIVERY_H
#define POLLHOOK_DELIVERY_H

/*
 * The delivery manager: the push half of the daemon. It routes each event to
 * the subscribers that want it, records the event and its deliveries in the
 * store (committed once per loop iteration; no attempt starts before its
 * commit is acknowledged), and runs the attempts of the deliveries this
 * instance holds through each subscriber's emitter:
 *
 * - for one subscriber, deliveries with the same ordering key (source, rule,
 *   instance) go strictly one after the other, in creation order, retries
 *   included; different keys go in parallel, at most max_in_flight at once
 *   (and at most a few dozen started per loop iteration, see slice.h);
 * - a transient failure is retried with exponential backoff and full jitter
 *   (or after Retry-After), until max_attempts or max_age make it a dead
 *   letter; a permanent failure is a dead letter at once; 410 disables the
 *   subscriber until its configuration changes;
 * - at most bridge.delivery.memory_window deliveries of a subscriber are in
 *   memory; past it the newer ones wait in the store only and are read back
 *   in seq order (so in order per key) as the window drains;
 * - on start, pending deliveries are claimed back from the store; later
 *   claims bring dead letters asked for again and, with a shared store, the
 *   deliveries of instances that went away.
 */

#include <stdint.h>

#include <ev.h>

#include "config.h"
#include "emitter.h"
#include "event.h"
#include "histogram.h"
#include "store.h"

struct delivery;

/* Counters for logs, benchmarks and the metrics endpoint. */
/* Why events were held back, for the metrics: the word before ':' in the reason. */
enum delivery_reason { DLV_REASON_PARENT, DLV_REASON_SILENCE, DLV_REASON_MAINTENANCE,
	DLV_REASON_OTHER };

/* The name of each enum delivery_reason, as /metrics labels them. */
extern const char *const delivery_reason_names[4];

struct delivery_stats {
	uint64_t events;	/* events routed */
	uint64_t suppressed[4];	/* held back, by enum delivery_reason */
	uint64_t ok, retried, dead, gone;
	uint64_t orphaned;	/* pending rows of subscribers no longer configured */
	size_t queued;		/* deliveries in memory (waiting or in flight) */
	size_t in_flight;
	struct histogram latency;	/* event creation to the receiver's 2xx */
};

/* Told the outcome of every attempt of a dynamic subscriber, before it is acted on. */
typedef void (*delivery_observer_fn)(void *arg, const char *subscriber,
    const struct delivery_outcome *out);

/*
 * Starts every subscriber of cfg (borrowed) on loop with st (borrowed; it
 * takes st's hooks) as the store, and claims their pending deliveries as
 * soon as the store answers. NULL after logging why.
 */
struct delivery *delivery_new(struct ev_loop *loop, const struct config *cfg,
    struct store *st);
/*
 * Reads which subscribers are disabled, then claims the pending deliveries:
 * call once, after adding the dynamic subscribers the store holds.
 */
void delivery_start(struct delivery *d);
/* Routes ev to its subscribers and queues it durably; takes ownership of ev. */
void delivery_submit(struct delivery *d, struct event *ev);
/* Queues ev durably for subscriber name alone; takes ownership of ev. */
void delivery_submit_to(struct delivery *d, struct event *ev, const char *name);
/*
 * Adds a dynamic subscriber (sc borrowed until delivery_remove or a
 * delivery_update replaces it), held back (disabled) or not. Returns 0, or
 * -1 when the name is taken or its emitter cannot start.
 */
int delivery_add(struct delivery *d, const struct subscriber_config *sc, bool held);
/* Replaces the conf of dynamic subscriber sc->name by sc (borrowed); its queue carries over. */
int delivery_update(struct delivery *d, const struct subscriber_config *sc);
/* Removes dynamic subscriber name; what it had queued is dropped from memory. */
void delivery_remove(struct delivery *d, const char *name);
/* Holds back (disabled) or resumes dynamic subscriber name's deliveries (retries due at once). */
void delivery_hold(struct delivery *d, const char *name, bool held);
/*
 * Calls fn(arg, 0 or -1) once what is written now is stored: with this
 * loop iteration's commit (one transaction for every caller of the
 * iteration). Others writing to the store commit through this, since the
 * batch holds the tickets of deliveries staged here.
 */
void delivery_commit(struct delivery *d, store_done_fn fn, void *arg);
/* Drops the callbacks with arg, here and in the store: arg may be freed after this. */
void delivery_forget(struct delivery *d, void *arg);
/* Sets who is told the outcomes of dynamic subscribers' attempts (NULL: nobody). */
void delivery_set_observer(struct delivery *d, delivery_observer_fn fn, void *arg);
/*
 * Replaces the subscribers of the configuration with those of cfg
 * (borrowed), the dynamic ones staying; queues of subscribers kept by name
 * carry over. Returns 0, or -1 (old set kept; also when a name of cfg is a
 * dynamic subscriber's).
 */
int delivery_reload(struct delivery *d, const struct config *cfg);
/* Stops starting attempts: the daemon is shutting down. */
void delivery_drain(struct delivery *d);
/* Returns the counters. */
const struct delivery_stats *delivery_stats(const struct delivery *d);
/* Computes the delay before retry number attempt (1-based), with full jitter in [0, cap]. */
double delivery_backoff(unsigned attempt, double first, double cap, double jitter01);
/* Cancels attempts in flight (they stay pending in the store), commits and frees d. */
void delivery_free(struct delivery *d);

#endif
