#ifndef POLLHOOK_CLUSTER_H
#define POLLHOOK_CLUSTER_H

/*
 * The cluster (bridge.cluster): instances with identical configurations
 * on one PostgreSQL store share the sources. Each heartbeats every third
 * of lease_ttl (store_cluster_sync, asynchronous like every store request)
 * and learns the live members (and the sources it owns, once the members'
 * gens say some changed hands); every member
 * computes the same owner for each source by rendezvous hashing over the
 * live members' node names (cluster_rendezvous), takes what is its own and
 * nobody live holds (with the rule states, loaded into the engine before
 * the first poll) and releases what is no longer its own. The engine polls
 * a source only while cluster_owns says so: the source is ours and our
 * last heartbeat is recent enough that nobody can have taken it.
 *
 * Writes carry the epoch of their source's ownership (the store's fence
 * hook); a refused one means another member took the source: it is
 * dropped here at once, and logged. SIGTERM releases everything at once
 * (cluster_leave), so the others need not wait for the lease.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "config.h"
#include "engine.h"
#include "store.h"

struct buf;
struct cluster;

/* A member as last seen; strings owned by the cluster. */
struct cluster_member {
	int64_t id;
	char *name;
	char *version;		/* NULL: not told */
	double started;		/* Unix seconds */
	double last_seen;	/* Unix seconds of its last heartbeat */
	long long owned;	/* sources it owns */
	int64_t max_epoch;	/* the highest epoch of its sources */
	int64_t gen;		/* grows whenever it takes or gives up sources */
	bool self;
};

/* Counters for the metrics endpoint. */
struct cluster_stats {
	uint64_t syncs, sync_failures;
	uint64_t taken;			/* sources taken over */
	uint64_t caught_up;		/* of them, polled at once: their last poll was too long ago */
	uint64_t released;		/* sources given up because another member owns them now */
	uint64_t lost;			/* sources found taken by another member */
	uint64_t fenced;		/* writes the store refused as stale */
	uint64_t membership_changes;	/* members that joined or left */
};

/*
 * Returns the index of the member among the n names (n > 0) that owns
 * source by rendezvous hashing: the highest hash of (member, source), so
 * adding or removing one member moves only the sources it gains or had.
 */
size_t cluster_rendezvous(const char *source, const char *const *members, size_t n);
/*
 * Returns the source a rule state key of the engine is about (cursor:NAME,
 * or RULE \x1f NAME \x1f INSTANCE), written into buf (len bytes), or NULL.
 */
const char *cluster_key_source(const char *key, char *buf, size_t len);

/*
 * Starts the cluster of cfg (borrowed, like st and eng) on loop: sets the
 * store's cluster hooks and the engine's owner predicate, and heartbeats
 * from now on. Ownership starts empty: sources are polled once taken.
 */
struct cluster *cluster_new(struct ev_loop *loop, const struct config *cfg, struct store *st,
    struct engine *eng);
/* Switches to cfg (borrowed) after a reload of the engine; ownership goes by name. */
void cluster_reload(struct cluster *c, const struct config *cfg);
/* Stops polling and heartbeats, and releases every source once the last writes are stored. */
void cluster_leave(struct cluster *c);
/* Frees c (after store_close: its requests have ended). NULL: nothing. */
void cluster_free(struct cluster *c);
/* Returns whether this instance polls source now. */
bool cluster_owns(const struct cluster *c, const char *source);
/*
 * Returns whether this instance is, by rendezvous hashing over the live members, the
 * one that does the work named key (a discovery's sweeps), and its lease is valid.
 */
bool cluster_leads(const struct cluster *c, const char *key);
/* Returns the node name of the owner of source i of the config as this instance sees it. */
const char *cluster_source_owner(const struct cluster *c, size_t i);
/* Returns this instance's node name. */
const char *cluster_node(const struct cluster *c);
/* Returns the members of the last heartbeat, sorted by name; *n their number. */
const struct cluster_member *cluster_members(const struct cluster *c, size_t *n);
/* Returns the number of sources this instance owns, and in *epoch the highest epoch. */
size_t cluster_owned(const struct cluster *c, int64_t *epoch);
/* Returns the counters (borrowed, updated in place). */
const struct cluster_stats *cluster_stats(const struct cluster *c);

#endif
