#ifndef POLLHOOK_FORMAT_H
#define POLLHOOK_FORMAT_H

/*
 * Payload formats: what a subscriber's request body looks like. The event is
 * stored once, as its envelope; each attempt renders the body of its
 * subscriber's format from it (envelope, cloudevents, slack, teams,
 * pagerduty, alertmanager, or a jq transform of the envelope), and the
 * emitter signs and sends exactly that body. A format is one const struct
 * format_ops in one file under emitters/, named once in bridge/registry.c.
 */

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "event.h"
#include "json_scan.h"
#include "json_write.h"

struct transform;

#define FORMAT_MAX_HEADERS	8

/* One rendered request body and the headers that go with it. */
struct format_body {
	const char *data;	/* the bytes to send: borrowed from the event or buf */
	size_t len;
	char *buf;		/* owned, or NULL when data is the event's body */
	const char *content_type;	/* static */
	char *headers[FORMAT_MAX_HEADERS];	/* owned "Name: value" lines */
	size_t nheaders;
};

/* A subscriber's format settings; plain data, owned by its subscriber_config. */
struct format_conf {
	const struct format_ops *ops;	/* NULL: the envelope */
	bool ce_binary;			/* cloudevents_mode = "binary" */
	char *routing_key;		/* pagerduty */
	char *transform_src;		/* the jq program's text, or NULL */
	struct transform *transform;	/* compiled, or NULL */
};

/* A member of the payload that formats print: its text and what it is. */
struct format_value {
	struct json_span raw;	/* as it stands in the envelope; .p NULL when absent */
	const char *text;	/* a string's contents or other JSON's text; NULL: absent or null */
	bool string;
};

/*
 * What the formats read from an event's envelope, once per event (cached on
 * it): spans of the stored body and the strings decoded from it.
 */
struct format_event {
	struct json_span payload;	/* the payload object as stored ("{}" when none) */
	struct json_span labels;	/* the payload's labels; .p NULL when absent */
	const char *state, *metric, *severity, *since;	/* NULL: absent, or not a string */
	struct format_value value, previous, threshold, clear;
	char *summary;		/* the readable line, whole (format_summary cuts it) */
	size_t summary_len;
	char when[32];		/* the event's time, RFC 3339 with milliseconds */
};

/* What a format renders from; all borrowed. */
struct format_input {
	const struct event *ev;
	const struct format_event *fe;
	const char *subscriber;
	const struct format_conf *fc;
};

struct format_ops {
	const char *name;
	/* Renders in into out (data = out->buf); returns 0, or -1 with why in err. */
	int (*render)(const struct format_input *in, struct format_body *out, char *err,
	    size_t errlen);
};

/* The subscriber keys of formats, for the config check and the key dump. */
extern const struct conf_key format_keys[];

/*
 * Reads the format keys of subscriber group n into fc, reporting errors
 * with FILE:LINE (a jq program is compiled here). Returns 0 or -1.
 */
int format_configure(const struct conf_node *n, struct format_conf *fc);
/*
 * Fills fc for a subscriber added at run time from its fields (each may be
 * NULL). Returns 0, or -1 with the field at fault in err.
 */
int format_configure_dynamic(struct format_conf *fc, const char *format, const char *mode,
    const char *routing_key, const char *transform, char *err, size_t errlen);
/* Frees what fc owns and zeroes it. */
void format_clear(struct format_conf *fc);
/* Returns the name of fc's format ("envelope", "slack", ..., "transform"). */
const char *format_name(const struct format_conf *fc);
/*
 * Renders the body of ev for subscriber (named subscriber) with format fc
 * into out (cleared first; format_body_clear frees it). What every format
 * reads from ev's envelope is kept on ev for its other subscribers. Not for
 * transforms: those run in the transform worker. Returns 0, or -1 with why
 * in err.
 */
int format_render(const struct format_conf *fc, struct event *ev, const char *subscriber,
    struct format_body *out, char *err, size_t errlen);
/* Frees what out owns. */
void format_body_clear(struct format_body *out);
/* Adds the header "name: value" to out; returns 0, or -1 when out is full. */
int format_header(struct format_body *out, const char *name, const char *value);
/* Makes out's body the JSON text in b, which out takes (b is left empty). */
void format_take(struct format_body *out, struct buf *b);

/*
 * The helpers formats share. format_summary writes the readable line,
 * "cpu.high firing on edge-router-1: cpu 95 > 90 (critical)", into buf.
 */
void format_summary(const struct format_input *in, char *buf, size_t len);
/*
 * Returns v's text, NULL when absent or null: a string's contents as they
 * are, other JSON cut to len - 1 bytes in buf.
 */
const char *format_text(const struct format_value *v, char *buf, size_t len);
/* Returns whether ev is a threshold rule's firing or resolved event. */
bool format_is_episode(const struct format_input *in);
/* Returns whether ev is a threshold rule's resolved event. */
bool format_is_resolved(const struct format_input *in);
/* Writes 16 hex digits identifying the rule instance (source, rule, instance) into buf (17). */
void format_fingerprint(const struct event *ev, char *buf, size_t len);

#endif
