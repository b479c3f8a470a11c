#ifndef POLLHOOK_STORE_IMPL_H
#define POLLHOOK_STORE_IMPL_H

/*
 * Between the store's front (store.c) and its backends (store_sqlite.c,
 * store_pg*.c), as OpenSMTPD's queue_backend.c is between the queue and
 * queue_fs.c: the backend's ops table, the batch and request records the
 * front hands it, and the calls by which a backend reports back. Nothing
 * else includes this.
 */

#include "store.h"

#include "hmap.h"

/* One store_add: an event and its deliveries. */
struct store_add {
	struct event *ev;		/* one reference */
	char **subs;			/* owned */
	size_t nsubs;
	double now;
	struct store_ticket *tickets;	/* nsubs, owned */
	int64_t epoch;			/* the fence of its source (0: none) */
};

enum store_mark_kind { STORE_MARK_DONE, STORE_MARK_RETRY, STORE_MARK_DEAD };

/* One outcome of an attempt, in the order they were recorded. */
struct store_mark {
	enum store_mark_kind kind;
	int64_t seq;
	unsigned attempts;
	double next_at;		/* retry */
	int status;
	char *error;		/* owned; NULL for done */
	double at;		/* Unix seconds it was recorded */
};

/* A key and a value (NULL: delete, or clear), both owned. */
struct store_pair {
	char *key;
	char *value;
	int64_t epoch;		/* rule states: the fence of its source (0: none) */
};

/* An imported delivery or event (`store copy`): strings owned. */
struct store_import {
	struct store_row row;		/* a delivery, when event is false */
	struct store_event ev;		/* an event, when event is true */
	bool event;
};

/*
 * A batch: one transaction's writes. Within each kind, items are in the
 * order they were made; a backend applies them in the order adds, marks,
 * states, subscribers, imports, dynamic subscribers, silences, discovered devices,
 * sweep (marks never refer to adds of the same
 * batch: an attempt starts only after its add is stored).
 */
struct store_batch {
	struct store_add *adds;
	size_t nadds, capadds;
	size_t nevents;			/* = nadds, what the memory bound counts */
	struct store_mark *marks;
	size_t nmarks, capmarks;
	struct store_pair *states;	/* one per key: a later save replaces */
	size_t nstates, capstates;
	struct hmap state_idx;		/* key -> index + 1 in states */
	struct store_pair *subs;	/* subscriber name -> disabled fingerprint */
	size_t nsubs, capsubs;
	struct store_import *imports;
	size_t nimports, capimports;
	struct store_pair *dsubs;	/* dynamic subscriber name -> record (NULL: delete) */
	size_t ndsubs, capdsubs;
	struct store_pair *silences;	/* silence id -> record (NULL: delete) */
	size_t nsilences, capsilences;
	struct store_pair *discs;	/* discovered device key -> record (NULL: delete) */
	size_t ndiscs, capdiscs;
	int64_t sweep_before_ms;	/* 0: no sweep */
	struct store_cb *cbs;		/* the commits it carries, in order */
	size_t ncbs, capcbs;
	struct store_batch *next;	/* in the front's queue */
};

struct store_cb {
	store_done_fn fn;
	void *arg;
};

enum store_req_kind {
	STORE_REQ_CLAIM, STORE_REQ_STATES, STORE_REQ_SUBS, STORE_REQ_EVENTS,
	STORE_REQ_DELIVERIES, STORE_REQ_COUNT, STORE_REQ_DEPTH, STORE_REQ_RETRY,
	STORE_REQ_PURGE, STORE_REQ_SCHEMA, STORE_REQ_DSUBS, STORE_REQ_DROP, STORE_REQ_RECOVER,
	STORE_REQ_SILENCES,
	STORE_REQ_DISCS, STORE_REQ_PENDING,
	/* The cluster's last: store_pg_ops.c tells them by kind >= STORE_REQ_CLUSTER_SYNC. */
	STORE_REQ_CLUSTER_SYNC, STORE_REQ_CLUSTER_TAKE, STORE_REQ_CLUSTER_RELEASE
};

/* One request other than a commit: its parameters and where its answers go. */
struct store_req {
	struct store *st;
	enum store_req_kind kind;
	int limit;
	int64_t seq;			/* deliveries and pending pages: after; retry:
					   which (0: all) */
	enum store_dstate state;
	char *after;			/* events: the id to start after; drop, recover,
					   pending: the subscriber; owned, or NULL */
	double when;			/* purge: before; claim: now; recover: since */
	store_row_fn row;
	store_event_fn event;
	store_pair_fn pair;
	store_count_fn count;		/* a quiet claim's, when row is NULL */
	store_done_fn done;
	void *arg;
	char **names;			/* cluster: sources, owned (NULL: all) */
	size_t nnames;
	char *version;			/* cluster sync: owned */
	bool full;			/* cluster sync: with the sources owned and the counts */
	store_member_fn member;
	store_own_fn own;
	struct store_req *prev, *next;	/* the front's list of open requests */
};

/*
 * A backend. Every op but open, close and busy completes asynchronously
 * (or before it returns) through store_batch_done or store_req_done.
 */
struct store_ops {
	const char *name;
	/* Seconds between the claims a daemon makes unasked; 0: the backend wakes it. */
	double claim_interval;
	/* Opens the backend for the front st; NULL with a message in err. */
	void *(*open)(struct store *st, struct ev_loop *loop, const struct store_config *conf,
	    int flags, char *err, size_t errlen);
	/* Stores b in one transaction, filling its tickets: store_batch_done(st, b, 0 or -1). */
	void (*commit)(void *be, struct store_batch *b);
	/* Runs a request: answers through rq's callbacks, then store_req_done(rq, result). */
	void (*request)(void *be, struct store_req *rq);
	/* Returns whether queries are in flight to a database that answers. */
	bool (*busy)(void *be);
	/* Starts giving up this instance's claims (close is near); may complete later. */
	void (*release)(void *be);
	/* Fails what is still open (store_req_done(rq, -1), store_batch_done(-1)) and frees. */
	void (*close)(void *be);
	/* Returns the schema version this backend writes. */
	int (*schema_latest)(void);
	/* Returns the version of the library behind it, for --version (NULL: none). */
	const char *(*library_version)(void);
};

extern const struct store_ops store_sqlite_ops;
#ifdef HAVE_STORE_POSTGRES
extern const struct store_ops store_pg_ops;
#endif

/* Makes a request of kind for done(arg) and lists it as open (store_cluster.c too). */
struct store_req *store_req_new(struct store *st, enum store_req_kind kind, store_done_fn done,
    void *arg);
/* Hands rq to the backend (or fails it when the store failed for good). */
void store_req_run(struct store_req *rq);

/* What a backend calls. */

/*
 * Says what the failure about to be reported (store_batch_done with -1) ran
 * into; a failure reported without it counts as STORE_ERR_OTHER.
 */
void store_set_error_kind(struct store *st, enum store_error_kind kind);
/* A commit ended: status 0 (stored, tickets filled) or -1 (nothing of b stored). */
void store_batch_done(struct store *st, struct store_batch *b, int status);
/* A request ended with result (>= 0), or -1; rq is freed. */
void store_req_done(struct store_req *rq, long long result);
/* The database became reachable (up) or not; why says what failed. */
void store_backend_up(struct store *st, bool up, const char *why);
/* The lease became current (holding) or lapsed. */
void store_backend_holding(struct store *st, bool holding);
/* The claims held were given up after a lapse: the daemon must claim again. */
void store_backend_reset(struct store *st);
/* Deliveries may have become claimable. */
void store_backend_wake(struct store *st);
/* The cluster's membership or ownership changed (a NOTIFY). */
void store_backend_cluster_wake(struct store *st);
/* A fenced write about source with epoch was refused. */
void store_backend_fenced(struct store *st, const char *source, int64_t epoch);
/* The store cannot be used any more (why logged by the caller). */
void store_backend_failed(struct store *st);
/* Sets the message store_error returns. */
void store_set_error(struct store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
