#ifndef POLLHOOK_OUTBOX_H
#define POLLHOOK_OUTBOX_H

/*
 * The durable store: the outbox of events and their deliveries, and the rule
 * state, in one SQLite database (WAL) under bridge.state_dir.
 *
 * Writes are batched: the first write after a commit opens a transaction and
 * outbox_commit() (called once per loop iteration) ends it, so a burst of
 * events costs one fsync. The interface is narrow on purpose (append, load
 * pending, mark outcomes, rule state) so another backend can replace SQLite.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbox;
struct event;

enum outbox_state { OUTBOX_PENDING, OUTBOX_DEAD, OUTBOX_RETRY };

/* One delivery as stored; strings owned by the row. */
struct outbox_row {
	int64_t seq;		/* creation order; the delivery's id */
	char *event_id;
	char *event_name;
	char *subscriber;
	char *okey;		/* ordering key: source, rule, instance */
	char *body;
	enum outbox_state state;
	unsigned attempts;
	double created;		/* Unix seconds */
	double next_at;		/* Unix seconds of the next attempt */
	int last_status;
	char *last_error;
	char *source, *rule, *instance;
	int64_t ts_ms;
};

/* Called for each row of a scan; the row is borrowed for the call. */
typedef void (*outbox_row_fn)(void *arg, const struct outbox_row *row);
/* Called for each saved rule state: key and JSON text borrowed for the call. */
typedef void (*outbox_state_fn)(void *arg, const char *key, const char *json);

/*
 * Opens (creating if needed) the store in dir, creating dir if missing.
 * Returns NULL and writes a message to err on failure.
 */
struct outbox *outbox_open(const char *dir, char *err, size_t errlen);
/* Commits what is pending and closes the store. */
void outbox_close(struct outbox *ob);
/*
 * Returns the ordering key of ev, newly allocated: its source, rule and
 * instance, which the deliveries of one subscriber keep in order.
 */
char *outbox_order_key(const struct event *ev);
/*
 * Adds ev and one pending delivery per subscriber name to the open batch;
 * *seqs receives each delivery's seq (nsubs entries). Returns 0 or -1.
 */
int outbox_add(struct outbox *ob, const struct event *ev, const char *const *subs,
    size_t nsubs, double now, int64_t *seqs);
/* Removes a delivered delivery; its event stays until outbox_sweep. */
int outbox_mark_done(struct outbox *ob, int64_t seq);
/* Deletes events older than before_ms (Unix ms) that no delivery needs; returns the count or -1. */
int outbox_sweep(struct outbox *ob, int64_t before_ms);
/* Records a failed attempt and when to try again. */
int outbox_mark_retry(struct outbox *ob, int64_t seq, unsigned attempts, double next_at,
    int status, const char *error);
/* Moves a delivery to the dead letters. */
int outbox_mark_dead(struct outbox *ob, int64_t seq, unsigned attempts, int status,
    const char *error);
/* Commits the open batch, if any; returns 0 or -1 (the batch is then rolled back). */
int outbox_commit(struct outbox *ob);
/* Returns whether a batch is open (writes not yet committed). */
bool outbox_dirty(const struct outbox *ob);
/* Returns how many commits were made (fsyncs), for the benchmarks. */
uint64_t outbox_commits(const struct outbox *ob);
/* Calls fn for every delivery in state, in seq order (NULL subscriber: all). */
int outbox_scan(struct outbox *ob, enum outbox_state state, const char *subscriber,
    outbox_row_fn fn, void *arg);
/*
 * Marks dead deliveries for another try (seq, or all when seq is 0) so the
 * daemon picks them up; returns the number marked, or -1.
 */
int outbox_request_retry(struct outbox *ob, int64_t seq);
/* Turns requested retries into pending ones due now, calling fn for each; returns the count. */
int outbox_take_retries(struct outbox *ob, double now, outbox_row_fn fn, void *arg);
/* Deletes dead deliveries last updated before the given time; returns the count, or -1. */
int outbox_purge(struct outbox *ob, double before);
/* Returns the number of pending deliveries, or -1. */
long long outbox_depth(struct outbox *ob);
/* Saves the JSON state of one rule instance in the open batch. */
int outbox_state_save(struct outbox *ob, const char *key, const char *json);
/* Deletes the saved state of one rule instance. */
int outbox_state_delete(struct outbox *ob, const char *key);
/* Calls fn for every saved rule state. */
int outbox_state_load(struct outbox *ob, outbox_state_fn fn, void *arg);
/* Records that a subscriber is disabled (410) for the config fingerprint fp, or clears it (NULL). */
int outbox_sub_disable(struct outbox *ob, const char *name, const char *fp);
/* Returns whether name is disabled under fingerprint fp. */
bool outbox_sub_disabled(struct outbox *ob, const char *name, const char *fp);
/* Called for each event of outbox_events_after (borrowed); returns false to stop. */
typedef bool (*outbox_event_fn)(void *arg, const char *id, const char *body);
/* Called for each subscriber of outbox_count_by_subscriber (name borrowed). */
typedef void (*outbox_count_fn)(void *arg, const char *subscriber, long long count);

/*
 * Calls fn for at most limit stored events whose id sorts after after (NULL:
 * from the first), in id order; returns how many it passed to fn, or -1.
 */
int outbox_events_after(struct outbox *ob, const char *after, int limit, outbox_event_fn fn,
    void *arg);
/* Like outbox_scan, for at most limit deliveries in state with a seq above after. */
int outbox_scan_page(struct outbox *ob, enum outbox_state state, int64_t after, int limit,
    outbox_row_fn fn, void *arg);
/* Calls fn with the number of deliveries in state of each subscriber (at most limit); 0 or -1. */
int outbox_count_by_subscriber(struct outbox *ob, enum outbox_state state, int limit,
    outbox_count_fn fn, void *arg);
/* Returns the last error message of the store (borrowed). */
const char *outbox_error(const struct outbox *ob);

#endif
