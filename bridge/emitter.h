#ifndef POLLHOOK_EMITTER_H
#define POLLHOOK_EMITTER_H

/*
 * The emitter interface. An emitter delivers an event to one subscriber
 * (webhook, log, ...). It is one const struct emitter_ops in one file under
 * emitters/, named once in bridge/registry.c. The core decides what to
 * deliver, when, and how often to retry; the emitter makes one attempt and
 * says how it went. Emitters include this header, conf.h and the small
 * utility headers, never the config internals: what they need of a
 * subscriber comes as arguments.
 *
 * Calling done, the same rule for emitters and pollers: an emitter calls it
 * exactly once per attempt, from the loop or before deliver() returns when
 * the attempt ends at once (a write that completed, a request that could not
 * start); it must not touch the event afterwards. The core copes with either
 * (it may start the next attempt from inside done) and never calls stop()
 * from inside done, so no emitter needs a timer to defer it.
 */

#include <ev.h>

#include "conf.h"
#include "event.h"
#include "format.h"
#include "ssrf.h"

struct subscriber_config;

/* What a subscriber added at run time (the API) asks of its emitter; all borrowed. */
struct emitter_dynamic {
	const char *url;
	int signature;			/* enum sign_scheme */
	char *const *secrets;		/* the current one first, then those in their grace */
	size_t nsecrets;
	char *const *headers;		/* "Name: value" */
	size_t nheaders;
	const struct ssrf_guard *guard;	/* must outlive the conf: every connection is checked */
};

enum delivery_result {
	DELIVERY_OK,		/* accepted (2xx) */
	DELIVERY_RETRY,		/* transient: retry later (connect error, timeout, 408, 429, 5xx) */
	DELIVERY_FAIL,		/* permanent: dead letter at once (other 4xx, 3xx) */
	DELIVERY_GONE,		/* the receiver is gone (410): disable the subscriber */
	DELIVERY_CANCELLED,	/* aborted by stop() before it ended: no outcome at all */
};

struct delivery_outcome {
	enum delivery_result result;
	int status;		/* HTTP status, 0 when there was none */
	double retry_after;	/* seconds asked by the receiver, 0 when none */
	char error[256];	/* a short reason when not OK */
};

/* Called exactly once by the emitter when an attempt completes. */
typedef void (*deliver_done_fn)(void *arg, const struct delivery_outcome *out);

struct emitter_ops {
	const char *name;
	const struct conf_key *keys;	/* subscriber keys beyond the core's */
	/* Parses the subscriber group; like poller_ops.configure. */
	int (*configure)(const struct conf_node *group, const struct subscriber_config *sub,
	    void **conf);
	void (*free_conf)(void *conf);
	/*
	 * Optional: builds the conf of a subscriber added at run time, freed
	 * with free_conf. Returns 0, or -1 with the field at fault in err.
	 */
	int (*configure_dynamic)(const struct emitter_dynamic *dyn, void **conf, char *err,
	    size_t errlen);
	/* Optional: creates state shared by every subscriber of this kind. */
	void *(*init)(struct ev_loop *loop);
	/* Optional: frees what init created, after every subscriber stopped. */
	void (*fini)(void *shared);
	/*
	 * Creates the runtime state of one subscriber, named name (for
	 * messages), with conf as configure stored it; both are borrowed until
	 * stop. Returns 0 or -1.
	 */
	int (*start)(struct ev_loop *loop, void *shared, const char *name, const void *conf,
	    void **state);
	/*
	 * Makes one delivery attempt of ev with body, the subscriber's format
	 * rendered (both borrowed until done is called: the body is what is
	 * signed and sent), and calls done(arg, outcome) when complete, maybe
	 * before returning (see the rule above). attempt counts from 1.
	 */
	void (*deliver)(void *state, const struct event *ev, const struct format_body *body,
	    unsigned attempt, deliver_done_fn done, void *arg);
	/*
	 * Aborts the attempts in flight, calling their done with
	 * DELIVERY_CANCELLED before returning, then frees the state.
	 */
	void (*stop)(void *state);
};

#endif
