#ifndef POLLHOOK_STORE_BATCH_H
#define POLLHOOK_STORE_BATCH_H

/* The write batch of the store's front (store.c): building, merging, freeing. */

#include "store_impl.h"

/* Returns a new empty batch. */
struct store_batch *batch_new(void);
/* Frees b and everything it holds (NULL: nothing); its callbacks are not called. */
void batch_free(struct store_batch *b);
/* Returns whether b writes nothing (it may still carry callbacks). */
bool batch_empty(const struct store_batch *b);
/* Moves everything of src, which is freed, to the end of dst (states: src's win). */
void batch_merge(struct store_batch *dst, struct store_batch *src);
/* Adds ev (one more reference) and its deliveries to subs (copied); see store_add. */
void batch_add(struct store_batch *b, struct event *ev, const char *const *subs, size_t nsubs,
    double now, const struct store_ticket **tickets);
/* Appends one outcome (error copied), stamped with the time now. */
void batch_mark(struct store_batch *b, enum store_mark_kind kind, int64_t seq,
    unsigned attempts, double next_at, int status, const char *error);
/* Sets the state of key (NULL value: delete), taking both; a later one replaces. */
void batch_state(struct store_batch *b, char *key, char *value, int64_t epoch);
/* Records subscriber name's disabled fingerprint (NULL: enabled); both copied. */
void batch_sub(struct store_batch *b, const char *name, const char *fp);
/* Saves dynamic subscriber name's record json (NULL: delete it); both copied. */
void batch_dsub(struct store_batch *b, const char *name, const char *json);
/* Adds the record (copied) of silence id, or its deletion (json NULL). */
void batch_silence(struct store_batch *b, const char *id, const char *json);
/* Saves a discovered device's (or a discovery's) record json (NULL: delete it); both copied. */
void batch_disc(struct store_batch *b, const char *key, const char *json);
/* Adds a copy of an imported delivery (store copy). */
void batch_import_delivery(struct store_batch *b, const struct store_row *r);
/* Adds a copy of an imported event (store copy). */
void batch_import_event(struct store_batch *b, const struct store_event *ev);
/* Appends a callback to call once b is stored. */
void batch_callback(struct store_batch *b, store_done_fn fn, void *arg);

#endif
