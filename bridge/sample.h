#ifndef POLLHOOK_SAMPLE_H
#define POLLHOOK_SAMPLE_H

/*
 * A sample is what one poll of one source produced: a list of points (one per
 * metric and instance) or the error that stopped the poll. Pollers build it,
 * the core adds the built-in metrics (up, poll_seconds), reduces walked
 * metrics, and hands it to the rule engine.
 */

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* A set of name = value string pairs (source labels, point labels). */
struct labels {
	size_t n;
	char **names;
	char **values;
};

/* Adds or replaces name = value; copies both strings. */
void labels_set(struct labels *l, const char *name, const char *value);
/* Returns the value of name (borrowed), or NULL. */
const char *labels_get(const struct labels *l, const char *name);
/* Copies every pair of src into dst (replacing equal names). */
void labels_merge(struct labels *dst, const struct labels *src);
/* Frees the pairs; l itself is left empty and reusable. */
void labels_clear(struct labels *l);

enum value_type {
	VALUE_NONE,	/* no value: the metric failed; see point.error */
	VALUE_NULL,
	VALUE_BOOL,
	VALUE_NUMBER,
	VALUE_STRING,
	VALUE_ITEMS,	/* a list of keyed objects, for on_new rules */
};

/* One element of a VALUE_ITEMS value: a key and the object (one reference owned). */
struct item {
	char *key;
	struct json_object *obj;
};

struct value {
	enum value_type type;
	bool b;
	double num;
	char *str;		/* VALUE_STRING, owned */
	struct item *items;	/* VALUE_ITEMS, owned */
	size_t nitems;
};

/* Frees what v owns and sets it to VALUE_NONE. */
void value_clear(struct value *v);
/* Makes dst a deep copy of src (dst is overwritten, not freed first). */
void value_copy(struct value *dst, const struct value *src);
/* Returns whether a and b hold the same value (items compare by their keys, in order). */
bool value_equal(const struct value *a, const struct value *b);
/* Returns a newly allocated JSON rendering of v (items as an array of objects). */
struct json_object *value_to_json(const struct value *v);
/* Returns a newly allocated short text form of v, for logs and the --once table. */
char *value_to_text(const struct value *v);

struct point {
	const char *metric;	/* borrowed from the config or a built-in name */
	char *instance;		/* table row index, wildcard key, or NULL for a scalar */
	char *label;		/* a human name for the instance (label_oid, label), or NULL */
	struct value value;
	char *error;		/* set when this metric failed in an otherwise good poll */
};

/* Frees what p owns (instance, label, error, value) and zeroes them; p->metric is kept. */
void point_clear(struct point *p);

struct sample {
	double start;		/* Unix time the poll was scheduled to start: rules and
				   rates measure time by it, not by its answer */
	double end;		/* Unix time it completed */
	bool ok;		/* false: the poll failed as a whole, see error */
	char *error;
	struct point *points;
	size_t npoints, cap;
	/*
	 * Set by the poller, read by the core when the poll is done (both
	 * optional, zero by sample_init):
	 * not_before: the Unix time before which the source must not be polled
	 * again (a rate limit's Retry-After): the core skips its slots until
	 * then, without counting them as failures or overruns.
	 * cursor: an owned text the poller wants back after a restart or a
	 * reload (the http poller's "since"): the core stores it per source and
	 * hands it to poller_ops.restore.
	 */
	double not_before;
	char *cursor;
};

/* Initialises an empty sample scheduled to start at the given time. */
void sample_init(struct sample *s, double start);
/* Appends a point and returns it, zeroed but for metric; instance is copied when set. */
struct point *sample_add(struct sample *s, const char *metric, const char *instance);
/* Appends a numeric point. */
void sample_add_number(struct sample *s, const char *metric, const char *instance, double v);
/* Appends a point that records the failure of one metric (message copied). */
void sample_add_error(struct sample *s, const char *metric, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Marks the whole poll as failed with a message (printf-style). */
void sample_fail(struct sample *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees everything the sample owns and leaves it empty. */
void sample_clear(struct sample *s);

#endif
