#ifndef POLLHOOK_ENGINE_H
#define POLLHOOK_ENGINE_H

/*
 * The engine runs the polling half of the daemon on one libev loop: it
 * schedules every source, starts its poller, turns each completed sample
 * (plus the built-in up and poll_seconds metrics, reduced and scaled) into
 * rule evaluations, and hands the resulting events to a sink.
 *
 * The rules of one loop iteration are bounded (see slice.h): a sample whose
 * rules emit thousands of events goes on over the next iterations, other
 * samples waiting behind it in order, so timers and sockets are served in
 * between. A source's next poll starts only once its rules are done, so its
 * events keep their order.
 */

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "config.h"
#include "event.h"
#include "histogram.h"
#include "hmap.h"
#include "store.h"
#include "sample.h"

struct buf;
struct engine;

/* Where the engine's output goes: the dispatcher in the daemon, a collector for --once. */
struct engine_sink {
	/* A source finished a poll; the sample is borrowed for the call. Optional. */
	void (*sample)(void *arg, const struct source_config *src, const struct sample *s);
	/* An event happened (finished: with id and body); the callee takes ownership. */
	void (*event)(void *arg, struct event *ev);
	void *arg;
};

/* Per-source runtime status, for logs, --once and the management API. */
struct source_status {
	bool polled;		/* at least one poll completed */
	bool up;
	double last_poll;	/* Unix seconds of the last completed poll */
	double last_duration;
	char *last_error;	/* NULL when the last poll succeeded */
	uint64_t polls, errors, overruns;
};

/*
 * Creates an engine for cfg (borrowed; must outlive the engine) on loop.
 * Starts the pollers' shared state and every source's runtime; returns NULL
 * (after logging why) when a poller cannot start.
 */
struct engine *engine_new(struct ev_loop *loop, const struct config *cfg,
    const struct engine_sink *sink);
/*
 * Makes st (borrowed) the rule-state store: loads the states saved there for
 * the rules of the current config (dropping those of rules gone or changed
 * in kind), then calls ready(arg, 0), or ready(arg, -1) when they could not
 * be read; from then on saves each state whose rule emitted an event or
 * that was created. Start the engine once ready was called.
 */
void engine_set_store(struct engine *e, struct store *st, void (*ready)(void *arg, int status),
    void *arg);
/* Schedules every source on its splayed timer. */
void engine_start(struct engine *e);
/* Stops scheduling new polls; polls in flight go on to completion. */
void engine_stop_timers(struct engine *e);
/* Starts one poll of every source now, ignoring the schedule (for --once). */
void engine_poll_all(struct engine *e);
/* Returns the number of polls in flight, their rules included until they are done. */
size_t engine_in_flight(const struct engine *e);
/*
 * Replaces the config with cfg (borrowed): restarts sources and keeps the
 * rule state of every rule whose definition did not change. Returns 0, or -1
 * when a poller of the new config cannot start (the old config then stays).
 */
int engine_reload(struct engine *e, const struct config *cfg);
/* Adds up every source's polls, failed polls and overruns since the engine started. */
void engine_totals(const struct engine *e, uint64_t *polls, uint64_t *errors, uint64_t *overruns);
/* Upper bounds (seconds) of the buckets of engine_poll_hist, increasing. */
#define ENGINE_POLL_BUCKETS 11
extern const double engine_poll_bounds[ENGINE_POLL_BUCKETS];

/* Durations of every completed poll since the engine started (reloads included). */
struct engine_poll_hist {
	uint64_t b[ENGINE_POLL_BUCKETS];	/* b[i]: polls in (bound[i-1], bound[i]] */
	uint64_t count;				/* all polls, slower ones included */
	double sum;				/* seconds */
};

/* Returns the histogram of poll durations (borrowed, updated in place). */
const struct engine_poll_hist *engine_poll_hist(const struct engine *e);
/*
 * Returns the loop's lag: for every timer that started a poll, the time from
 * the slot it was due at to its callback (borrowed, kept across reloads).
 */
const struct histogram *engine_loop_lag(const struct engine *e);
/* Appends the /metrics families of the running pollers' kinds (e.g. snmp socket drops) to b. */
void engine_poller_metrics(const struct engine *e, struct buf *b);
/* Returns the status of source i of the current config. */
const struct source_status *engine_source_status(const struct engine *e, size_t i);
/*
 * What holds events back besides parents (silences, maintenance windows):
 * returns why the events of rule r on source src are held back at now,
 * written into buf, or NULL.
 */
typedef const char *(*engine_silencer_fn)(void *arg, const struct source_config *src,
    const struct rule_config *r, double now, char *buf, size_t len);
/* Makes why(arg, ...) decide which events are held back besides parents (NULL: none). */
void engine_set_silencer(struct engine *e, engine_silencer_fn why, void *arg);
/* Makes the engine read Unix time from clock(arg) instead of ev_time() (tests: a fake clock). */
void engine_set_clock(struct engine *e, double (*clock)(void *arg), void *arg);
/* Runs source i's scheduler tick as its timer would at the engine clock's time (tests). */
void engine_tick(struct engine *e, size_t i);
/*
 * Makes owned(arg, source) decide which sources this instance polls (a
 * cluster): consulted when polling starts, at every tick and when a poll
 * ends (a source no longer owned runs no rules). Set before engine_start.
 */
void engine_set_owner(struct engine *e, bool (*owned)(void *arg, const char *source), void *arg);
/* Starts (own) or stops the schedule of source i of the current config. */
void engine_own(struct engine *e, size_t i, bool own);
/*
 * Starts the schedule of source i with one poll at Unix time at (before its
 * next slot; NAN: none, as engine_own), serving the slot nearest to at.
 */
void engine_own_at(struct engine *e, size_t i, double at);
/* Returns source i's first slot at or after Unix time t and its interval; NAN: not polled here. */
double engine_next_slot(struct engine *e, size_t i, double t, double *interval);
/* Forgets the rule states and cursors in memory of the sources named in sources (a set). */
void engine_forget_sources(struct engine *e, const struct hmap *sources);
/* Restores one rule state or cursor as stored (key and JSON), as engine_set_store does. */
void engine_load_state(struct engine *e, const char *key, const char *json);
/* Runs the rules of the samples still waiting, stops every timer and poll, frees the engine. */
void engine_free(struct engine *e);
/* Applies the metric's reduce and scale to the points of one sample (exposed for tests). */
void engine_reduce(const struct source_config *src, struct sample *s);

#endif
