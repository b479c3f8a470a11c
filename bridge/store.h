#ifndef POLLHOOK_STORE_H
#define POLLHOOK_STORE_H

/*
 * The store: events, their deliveries (the outbox), rule state and
 * subscriber state, behind one asynchronous interface with two backends:
 * store_sqlite.c (embedded, the default) and store_pg.c (PostgreSQL, which
 * several instances can share). This front, store.c, picks the backend by
 * name and does what every backend shares:
 *
 * - Writes are collected in an open batch in memory; store_commit closes it
 *   and sends it as one transaction (the daemon commits once per loop
 *   iteration: group commit). While one commit is in flight, the batches
 *   closed after it wait and go together when it completes.
 * - While the database is unreachable, closed batches wait in memory, at
 *   most queue_max events; past that, store_add refuses events, and the
 *   front counts and logs them. Nothing is reported stored before it is.
 * - Every request completes through its callback, exactly once: with the
 *   result (a count where the operation has one, else 0) or -1 on failure
 *   (store_error says why), at the latest when the store is closed. With
 *   SQLite, callbacks usually run before the call returns.
 *
 * Deliveries are claimed: an instance attempts only the deliveries it
 * holds. With SQLite the one instance holds them all. With PostgreSQL a
 * delivery is claimed when it is stored, if nobody else holds an older one
 * of its ordering key, or later by store_claim, which hands over the heads
 * of ordering keys that no live instance holds (with the rest of their
 * keys), under a lease the backend renews.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

struct event;
struct store;

/* The state of a delivery as stored; the values are the databases' too. */
enum store_dstate { STORE_PENDING = 0, STORE_DEAD = 1, STORE_RETRY = 2 };

/* bridge.durability: what a stored event survives before its first attempt. */
enum store_durability {
	STORE_DURABLE_FSYNC,	/* on disk (fsync) before the commit completes: a power cut */
	STORE_DURABLE_PROCESS,	/* handed to the OS or the server: a crash of the daemon */
};

/* bridge.store: which backend, and its settings (owned by the config). */
struct store_config {
	char *backend;		/* "sqlite" or "postgres" */
	char *path;		/* sqlite: the database file */
	char *conninfo;		/* postgres: libpq connection string (a secret) */
	char *node;		/* postgres: this instance's name among the sharers */
	unsigned queue_max;	/* events kept in memory while the database is away */
	unsigned max_size_mb;	/* sqlite: the largest the database may grow (0: no limit) */
	double lease_ttl;	/* postgres: seconds claims outlive their last renewal */
	enum store_durability durability;	/* bridge.durability */
};

/* One delivery as stored, with its event; strings are borrowed for a callback. */
struct store_row {
	int64_t seq;		/* creation order; the delivery's id */
	const char *event_id;
	const char *event_name;
	const char *subscriber;
	const char *okey;	/* ordering key: source, rule, instance */
	const char *body;
	enum store_dstate state;	/* for claims: STORE_RETRY when it was a requested retry */
	unsigned attempts;
	double created;		/* Unix seconds */
	double next_at;		/* Unix seconds of the next attempt */
	double updated;		/* Unix seconds of the last change */
	int last_status;
	const char *last_error;
	const char *source, *rule, *instance;
	int64_t ts_ms;
};

/* One stored event; strings borrowed for a callback. */
struct store_event {
	const char *id, *name, *source, *rule, *instance, *body;
	int64_t ts_ms;
};

/* What became of one delivery of store_add, filled in before its commit's callback. */
struct store_ticket {
	int64_t seq;		/* its id; 0 when the batch was not stored */
	bool claimed;		/* this instance holds it and may attempt it */
};

/* What a failed commit ran into, as pollhook_store_errors_total{kind} names it. */
enum store_error_kind {
	STORE_ERR_OTHER,	/* "other" */
	STORE_ERR_FULL,		/* "full": no space left for the database (disk, quota, size) */
	STORE_ERR_IO,		/* "io": the disk or file system failed */
	STORE_ERR_BUSY,		/* "busy": locked by another process past the busy timeout */
	STORE_ERR_UNREACHABLE,	/* "unreachable": the database server is away */
	STORE_ERR_KINDS
};

/* Counters of the front, for logs and the metrics endpoint. */
struct store_stats {
	bool up;			/* the last commit (or none yet) succeeded */
	size_t queued_events;		/* events in batches not yet stored */
	uint64_t dropped_events;	/* refused by store_add: the memory queue was full */
	uint64_t commits;		/* transactions that stored a batch */
	uint64_t errors[STORE_ERR_KINDS];	/* commits that failed, by what they ran into */
};

/* Completes a request: result >= 0 (a count, or 0), or -1 on failure. */
typedef void (*store_done_fn)(void *arg, long long result);
/* Receives one delivery of a scan or a claim. */
typedef void (*store_row_fn)(void *arg, const struct store_row *row);
/* Receives one event; returns false to stop the scan. */
typedef bool (*store_event_fn)(void *arg, const struct store_event *ev);
/* Receives a key and its value: a rule state's JSON, a subscriber's fingerprint. */
typedef void (*store_pair_fn)(void *arg, const char *key, const char *value);
/* Receives a subscriber's name and a count. */
typedef void (*store_count_fn)(void *arg, const char *subscriber, long long n);

/* What the store tells the daemon between requests (all optional). */
struct store_hooks {
	/* Deliveries may have become claimable (a NOTIFY, the lease back): claim. */
	void (*wake)(void *arg);
	/* The claims held were lost and given up: drop what is queued, claim again. */
	void (*claims_reset)(void *arg);
	void *arg;
};

/* Opening flags. */
#define STORE_CLAIMS	0x01	/* the daemon: claims deliveries, joins as a member */
#define STORE_NO_MIGRATE 0x02	/* leave the schema as it is (`pollhook store check`) */

/*
 * Returns the name of store backend i (NULL past the last), whether it is
 * compiled in, and in *library its library's version text or NULL (borrowed).
 */
const char *store_backend_at(size_t i, bool *compiled, const char **library);
/* Returns whether a and b configure the same store. */
bool store_config_equal(const struct store_config *a, const struct store_config *b);
/*
 * Returns NULL when a store backend named name is built in, else the reason
 * (borrowed): "postgres store not compiled in", "unknown store backend ...".
 */
const char *store_backend_check(const char *name, char *buf, size_t len);
/*
 * Opens the store conf (copied) on loop, applying
 * the schema migrations the database lacks (PostgreSQL: once connected)
 * unless STORE_NO_MIGRATE is given. Returns NULL with a message
 * in err when it cannot be used at all; a database that is only unreachable
 * is not an error: requests wait or fail while it is away.
 */
struct store *store_open(struct ev_loop *loop, const struct store_config *conf, int flags,
    char *err, size_t errlen);
/*
 * Sends what is committed, lets work in flight finish for a bounded time,
 * gives up this instance's claims, fails the requests still open and frees st.
 */
void store_close(struct store *st);
/* Sets the hooks (copied). */
void store_set_hooks(struct store *st, const struct store_hooks *hooks);
/* Returns the backend's name, "sqlite" or "postgres". */
const char *store_backend_name(const struct store *st);
/* Returns the last error message (borrowed). */
const char *store_error(const struct store *st);
/* Returns the name of kind ("full", "io", ...), as the metrics label it. */
const char *store_error_kind_name(enum store_error_kind kind);
/* Returns the front's counters (borrowed, updated in place). */
const struct store_stats *store_stats(const struct store *st);
/*
 * Returns the seconds between the claims a daemon should make unasked (the
 * deliveries of instances whose lease lapsed), or 0 when the store's wake
 * hook says when there is something to claim.
 */
double store_claim_interval(const struct store *st);
/* Returns whether the store failed for good (e.g. a schema newer than this program). */
bool store_failed(const struct store *st);
/*
 * Returns the ordering key of ev, newly allocated: its source, rule and
 * instance, which the deliveries of one subscriber keep in order.
 */
char *store_order_key(const struct event *ev);

/* The write batch: each call adds to the open batch; store_commit sends it. */

/*
 * Adds ev (borrowed: the batch takes a reference) and one pending delivery
 * per subscriber name (copied); tickets[i] receives a pointer to delivery
 * i's ticket, valid until the callback of the commit that sends it. Returns
 * 0, or -1 when the memory queue is full (the event is dropped and counted).
 */
int store_add(struct store *st, struct event *ev, const char *const *subs, size_t nsubs,
    double now, const struct store_ticket **tickets);
/* Records that delivery seq succeeded: it is removed; its event stays for store_sweep. */
void store_mark_done(struct store *st, int64_t seq);
/* Records a failed attempt of seq and when to try again. */
void store_mark_retry(struct store *st, int64_t seq, unsigned attempts, double next_at,
    int status, const char *error);
/* Moves delivery seq to the dead letters. */
void store_mark_dead(struct store *st, int64_t seq, unsigned attempts, int status,
    const char *error);
/* Saves the JSON state of one rule instance (json copied); a later save of key wins. */
void store_state_save(struct store *st, const char *key, const char *json);
/* Deletes the saved state of one rule instance. */
void store_state_delete(struct store *st, const char *key);
/* Records that subscriber name is disabled (410) under fingerprint fp, or not (NULL). */
void store_sub_disable(struct store *st, const char *name, const char *fp);
/*
 * Saves the record (JSON, copied; it holds the subscriber's secrets) of
 * dynamic subscriber name, or deletes it (json NULL); a later save wins.
 */
void store_dsub_save(struct store *st, const char *name, const char *json);
/* Saves the record (JSON, copied) of silence id, or deletes it (json NULL); a later save wins. */
void store_silence_save(struct store *st, const char *id, const char *json);
/*
 * Saves the record (JSON, copied) of a discovered device or of a discovery
 * (key: "DISCOVERY/ADDRESS", or "DISCOVERY/" for the discovery's own), or
 * deletes it (json NULL); a later save wins.
 */
void store_disc_save(struct store *st, const char *key, const char *json);
/* Deletes events older than before_ms (Unix ms) that no delivery needs. */
void store_sweep(struct store *st, int64_t before_ms);
/* Returns whether the open batch holds writes. */
bool store_dirty(const struct store *st);
/*
 * Closes the open batch and sends it (after the commit in flight, if any);
 * fn (optional) is called with 0 once it is stored, or -1 when the store
 * closes first. Callbacks run in the order of the calls.
 */
void store_commit(struct store *st, store_done_fn fn, void *arg);
/*
 * Drops every callback with arg, of commits (their batches are still sent)
 * and of requests still open: arg may be freed after this.
 */
void store_forget(struct store *st, void *arg);
/* Returns whether no committed batch is waiting or in flight. */
bool store_idle(const struct store *st);

/* Claims, for the daemon (STORE_CLAIMS). */

/*
 * Hands over, through fn, deliveries this instance should now attempt and
 * holds from now on: at the first call every pending one it can claim (all
 * of them with SQLite); later, dead letters asked for again (turned
 * pending) and, with PostgreSQL, the heads of keys no live instance holds.
 * At most limit rows per call (0: no limit); done gets their number.
 */
void store_claim(struct store *st, int limit, store_row_fn fn, store_done_fn done, void *arg);
/*
 * Claims as store_claim does, but hands no delivery over: fn gets how many
 * of each subscriber this call claimed (the daemon reads them back with
 * store_pending_page, so a large backlog is never one answer in memory).
 * done gets their total.
 */
void store_claim_quiet(struct store *st, int limit, store_count_fn fn, store_done_fn done,
    void *arg);
/*
 * Calls fn for at most limit pending deliveries of subscriber (copied) that
 * this instance holds, with a seq above after, in seq order (so in order
 * within each ordering key): the daemon reads back what it left in the
 * store beyond its memory window. done gets how many fn received.
 */
void store_pending_page(struct store *st, const char *subscriber, int64_t after, int limit,
    store_row_fn fn, store_done_fn done, void *arg);
/* Returns whether this instance's claims are valid now (its lease is current). */
bool store_holding(const struct store *st);

/* Loads, at start. */

/* Calls fn for every saved rule state (key, JSON), then done. */
void store_states_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg);
/* Calls fn for every subscriber recorded as disabled (name, fingerprint), then done. */
void store_subs_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg);

/* Calls fn for every dynamic subscriber (name, JSON record), then done. */
void store_dsubs_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg);
/* Calls fn for every record of store_disc_save (key, JSON), then done. */
void store_discs_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg);

/* Calls fn for every silence (id, JSON record), then done. */
void store_silences_load(struct store *st, store_pair_fn fn, store_done_fn done, void *arg);

/* Bounded reads and changes for the API and the CLI. */

/* Deletes every delivery of subscriber (copied); done gets how many were pending. */
void store_drop_deliveries(struct store *st, const char *subscriber, store_done_fn done,
    void *arg);
/*
 * Marks the dead deliveries of subscriber (copied) last changed at or after
 * since (Unix seconds) for another try, as store_request_retry does; done
 * gets the number marked.
 */
void store_recover(struct store *st, const char *subscriber, double since, store_done_fn done,
    void *arg);

/*
 * Calls fn for at most limit stored events whose id sorts after after (NULL:
 * from the first), in id order; done gets how many fn received.
 */
void store_events_after(struct store *st, const char *after, int limit, store_event_fn fn,
    store_done_fn done, void *arg);
/* Calls fn for at most limit deliveries in state with a seq above after, in seq order. */
void store_deliveries_page(struct store *st, enum store_dstate state, int64_t after,
    int limit, store_row_fn fn, store_done_fn done, void *arg);
/* Calls fn with the number of deliveries in state of each subscriber (at most limit). */
void store_count_by_subscriber(struct store *st, enum store_dstate state, int limit,
    store_count_fn fn, store_done_fn done, void *arg);
/* Completes done with the number of pending deliveries. */
void store_depth(struct store *st, store_done_fn done, void *arg);
/*
 * Marks dead deliveries for another try (seq, or all when seq is 0) so a
 * daemon claims them; done gets the number marked.
 */
void store_request_retry(struct store *st, int64_t seq, store_done_fn done, void *arg);
/* Deletes dead deliveries last updated before the given Unix time; done gets the count. */
void store_purge(struct store *st, double before, store_done_fn done, void *arg);

/* Schema and copies, for `pollhook store`. */

/* Completes done with the schema version of the database (0: none yet). */
void store_schema_version(struct store *st, store_done_fn done, void *arg);
/* Returns the schema version this program writes. */
int store_schema_latest(const struct store *st);
/*
 * Adds to the open batch one delivery as another store holds it (row
 * borrowed: seq, state and attempts kept, unclaimed), for `store copy`.
 */
void store_import_delivery(struct store *st, const struct store_row *row);
/* Adds to the open batch one event as another store holds it, for `store copy`. */
void store_import_event(struct store *st, const struct store_event *ev);

/*
 * The cluster (PostgreSQL only; with SQLite these fail). Members heartbeat,
 * own sources under an epoch per ownership, and fence their writes with it:
 * with the cluster hooks set, every event and rule state stored carries the
 * epoch the hook gives for its source when it is added, and the database
 * refuses it (the hook fenced is told) when that is no longer this member's.
 */

/* One live member of the cluster; strings borrowed for the callback. */
struct store_member {
	int64_t id;
	const char *name;
	const char *version;	/* NULL before its first heartbeat as a member */
	double started;		/* Unix seconds */
	double last_seen;	/* Unix seconds of its last heartbeat */
	double lease_left;	/* seconds until it is dead without another */
	long long owned;	/* sources it owns; -1: not counted (a heartbeat without them) */
	int64_t max_epoch;	/* the highest epoch among them (when counted) */
	int64_t gen;		/* grows whenever it takes or gives up sources */
	bool self;		/* this instance */
};

/* Receives one member. */
typedef void (*store_member_fn)(void *arg, const struct store_member *m);
/*
 * Receives one source and the epoch of its ownership; for a take also since,
 * the Unix time its previous owner was last known to poll it (its release,
 * or its last heartbeat), NAN when it had none (and for a heartbeat).
 */
typedef void (*store_own_fn)(void *arg, const char *source, int64_t epoch, double since);

/* What the store tells the cluster (all optional). */
struct store_cluster_hooks {
	/* Returns the epoch a write about source (or of the rule state key) carries. */
	int64_t (*fence)(void *arg, const char *source, const char *key);
	/* A write about source carrying epoch was refused: it is not ours any more. */
	void (*fenced)(void *arg, const char *source, int64_t epoch);
	/* Another member changed the membership or released sources. */
	void (*wake)(void *arg);
	void *arg;
};

/* Sets the cluster hooks (copied). */
void store_set_cluster_hooks(struct store *st, const struct store_cluster_hooks *hooks);
/*
 * Heartbeats as a cluster member for ttl seconds (version copied), then
 * calls member for every live member and, when full, own for every source
 * this member owns (and member with the counts of sources owned), then
 * done(arg, 0), or done(arg, -1) (not yet a member, unreachable). Without
 * full it is one small statement: the members' gens tell when a full one
 * is due (a source changed hands).
 */
void store_cluster_sync(struct store *st, double ttl, const char *version, bool full,
    store_member_fn member, store_own_fn own, store_done_fn done, void *arg);
/*
 * Takes those of the n sources (copied) no live member owns: calls own for
 * each taken, with its new epoch, then state for every saved rule state of
 * the sources taken, then done with the number taken.
 */
void store_cluster_take(struct store *st, const char *const *sources, size_t n,
    store_own_fn own, store_pair_fn state, store_done_fn done, void *arg);
/* Gives up this member's ownership of the n sources (n 0: all) and wakes the others. */
void store_cluster_release(struct store *st, const char *const *sources, size_t n,
    store_done_fn done, void *arg);

/* For programs not on a loop of their own: the CLI. */

/*
 * Runs the store's loop until *done is true or timeout seconds pass; returns
 * 0, or -1 on timeout (with a message in store_error).
 */
int store_wait(struct store *st, const bool *done, double timeout);

#endif
