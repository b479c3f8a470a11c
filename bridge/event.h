#ifndef POLLHOOK_EVENT_H
#define POLLHOOK_EVENT_H

/*
 * An event is what a rule emits on a transition. Its body is the JSON
 * envelope {event, event_ts, id, payload}; the id is stable across every
 * delivery attempt. The routing fields (name, source, labels) and the
 * ordering key (source, rule, instance) are kept beside the body.
 */

#include <stddef.h>
#include <stdint.h>

#include "sample.h"

struct json_object;

#define EVENT_ID_LEN 30		/* "evt_" + 26 characters of a ULID */

struct event {
	char id[EVENT_ID_LEN + 1];
	char *name;		/* "cpu.high" or "cpu.high.resolved" */
	char *rule;
	char *source;
	char *instance;		/* NULL for a scalar metric */
	struct labels labels;	/* the source's labels */
	int64_t ts_ms;		/* Unix milliseconds */
	struct json_object *payload;	/* owned until event_finish renders it */
	char *body;		/* the rendered envelope, set by event_finish */
	void *fmt;		/* what the payload formats read from body, once (format.c's);
				   fmt_free frees it with the event or a new body */
	void (*fmt_free)(void *);
	char *suppressed;	/* why it is held back (stored, not delivered); NULL: delivered */
	unsigned refs;		/* event_new gives one; event_free drops one */
};

/* A growable list of events; owns them. */
struct event_list {
	struct event **v;
	size_t n, cap;
};

/*
 * Creates an event named name for (rule, source, instance) at ts_ms with an
 * empty payload object; copies the strings and labels. The id is empty
 * until event_finish.
 */
struct event *event_new(const char *name, const char *rule, const char *source,
    const char *instance, const struct labels *labels, int64_t ts_ms);
/*
 * Assigns a fresh unique id and renders the body; the payload is consumed. A
 * held-back event's envelope also has "suppressed": its reason.
 */
void event_finish(struct event *ev);
/* Writes a new ULID-based id "evt_..." for ts_ms into buf (EVENT_ID_LEN + 1 bytes). */
void event_make_id(char *buf, int64_t ts_ms);
/* Frees what was read from ev's body for the formats (call it when the body changes). */
void event_drop_cache(struct event *ev);
/* Takes one more reference on ev and returns it. */
struct event *event_ref(struct event *ev);
/* Drops one reference; the last one frees the event. NULL is ignored. */
void event_free(struct event *ev);
/* Marks ev as held back for reason (copied; the first reason given stays). */
void event_suppress(struct event *ev, const char *reason);
/* Appends ev to l; l takes ownership. */
void event_list_push(struct event_list *l, struct event *ev);
/* Frees every event of l and empties it. */
void event_list_clear(struct event_list *l);
/* Formats Unix seconds as RFC 3339 UTC with milliseconds into buf (at least 32 bytes). */
void event_format_time(char *buf, size_t len, double unix_s);

#endif
