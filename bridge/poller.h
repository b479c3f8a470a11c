#ifndef POLLHOOK_POLLER_H
#define POLLHOOK_POLLER_H

/*
 * The poller interface. A poller knows how to poll one kind of source (snmp,
 * http, ...). It is one const struct poller_ops in one file under pollers/,
 * named once in bridge/registry.c. Pollers include this header, conf.h,
 * sample.h and the small utility headers, never the config internals.
 *
 * Life cycle: configure() runs when the file is loaded (also for
 * --check-config) and parses the source's "<poller> = { ... }" group and its
 * metrics into a plain config; init() runs once per poller kind when the
 * daemon starts; start() once per source; poll() every interval; stop() and
 * fini() at shutdown or reload.
 *
 * Calling done, the same rule for pollers and emitters: a plugin calls it
 * exactly once per poll, from the loop or before poll() returns when the poll
 * ends at once (it could not start); it must not touch the sample afterwards.
 * The core copes with either and never calls stop() from inside done, so no
 * plugin needs a zero-second timer to defer it.
 *
 * Two things a poller may tell the core through the sample it fills (see
 * struct sample): not_before, "do not poll me before this Unix time" (a
 * polled API's rate limit: the core skips the source's slots before it, and
 * the first slot at or after it polls), and cursor, a text the core keeps
 * per source across restarts (in the store) and reloads, and hands back
 * through restore() before the source's first poll.
 */

#include <stdbool.h>

#include <ev.h>

#include "conf.h"
#include "sample.h"

struct buf;
struct probe_ops;
struct source_config;

/* Called exactly once by the poller when a poll completes (well or not). */
typedef void (*poll_done_fn)(void *arg);

struct poller_ops {
	const char *name;
	const struct conf_key *keys;		/* the "<name> = { ... }" group */
	const struct conf_key *metric_keys;	/* per-metric keys beyond name, reduce, scale */
	const char *const *builtin_metrics;	/* NULL-terminated metrics every source of
						   this kind produces besides up and
						   poll_seconds (e.g. http_status), or NULL */
	bool builtin_only;			/* its sources list no metrics: all of
						   theirs are builtin_metrics (icmp, tcp) */
	/*
	 * Parses group (may be NULL when the source has no such group) and the
	 * metrics list; reports errors with conf_error and returns -1, or stores
	 * an owned plain config in *conf and returns 0.
	 */
	int (*configure)(const struct conf_node *group, const struct conf_node *metrics,
	    const struct source_config *src, void **conf);
	void (*free_conf)(void *conf);
	/* Optional: creates state shared by every source of this kind. */
	void *(*init)(struct ev_loop *loop);
	/* Optional: frees what init created, after every source stopped. */
	void (*fini)(void *shared);
	/* Creates the runtime state of one source; returns 0 or -1. */
	int (*start)(struct ev_loop *loop, void *shared, const struct source_config *src,
	    void **state);
	/*
	 * Starts one asynchronous poll that fills sample (already initialised)
	 * and calls done(arg) when complete, within the source's timeout; done
	 * may run before poll returns (see the rule above).
	 */
	void (*poll)(void *state, struct sample *sample, poll_done_fn done, void *arg);
	/* Cancels any poll in flight (without calling done) and frees the state. */
	void (*stop)(void *state);
	/*
	 * Optional: gives a started source the cursor (borrowed for the call)
	 * that its last poll left in sample.cursor, in this run or an earlier
	 * one; called before its first poll, or not at all when there is none.
	 */
	void (*restore)(void *state, const char *cursor);
	/*
	 * Optional: appends the kind's own /metrics families (Prometheus text,
	 * HELP and TYPE lines included) for its shared state to b.
	 */
	void (*metrics)(void *shared, struct buf *b);
	/* Optional: the library it is built on and its version ("net-snmp 5.9.3"). */
	const char *(*library_version)(void);
	/* Optional: what discovery asks addresses with (see probe.h). */
	const struct probe_ops *probe;
};

#endif
