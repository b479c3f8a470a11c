/*
 * The Prometheus text format of GET /metrics: one family per counter, the
 * per-source ones labelled by source, the dead letters by subscriber.
 */

#include "api_metrics.h"

#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "delivery.h"
#include "engine.h"
#include "histogram.h"
#include "store.h"
#include "util.h"

/* Appends a label value, escaped as the text format wants: \\, \" and \n. */
static void
label_value(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			buf_str(b, "\\\\");
		else if (*v == '"')
			buf_str(b, "\\\"");
		else if (*v == '\n')
			buf_str(b, "\\n");
		else
			buf_add(b, v, 1);
	}
}

void
api_metrics_family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum source_field { F_POLLS, F_ERRORS, F_OVERRUNS, F_UP };

static void
per_source(const struct config *cfg, const struct engine *eng, struct buf *b,
    const char *name, enum source_field f)
{
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source_status *st = engine_source_status(eng, i);
		unsigned long long v;

		if (st == NULL)
			break;
		switch (f) {
		case F_POLLS:
			v = st->polls;
			break;
		case F_ERRORS:
			v = st->errors;
			break;
		case F_OVERRUNS:
			v = st->overruns;
			break;
		default:
			/* Not polled yet (just started, or another shard's): no sample. */
			if (!st->polled)
				continue;
			v = st->up;
			break;
		}
		buf_printf(b, "%s{source=\"", name);
		label_value(b, cfg->sources[i].name);
		buf_printf(b, "\"} %llu\n", v);
	}
}

static void
poll_histogram(const struct engine *eng, struct buf *b)
{
	const struct engine_poll_hist *h = engine_poll_hist(eng);
	uint64_t cum = 0;

	api_metrics_family(b, "pollhook_poll_seconds", "histogram",
	    "Duration of completed polls, every source.");
	for (size_t i = 0; i < ENGINE_POLL_BUCKETS; i++) {
		cum += h->b[i];
		buf_printf(b, "pollhook_poll_seconds_bucket{le=\"%g\"} %llu\n",
		    engine_poll_bounds[i], (unsigned long long)cum);
	}
	buf_printf(b, "pollhook_poll_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)h->count);
	buf_printf(b, "pollhook_poll_seconds_sum %.9g\n", h->sum);
	buf_printf(b, "pollhook_poll_seconds_count %llu\n", (unsigned long long)h->count);
}

/* Bounds of pollhook_loop_lag_seconds: 1 ms to 1 s, then 2.5 s past a stall. */
static const double lag_bounds[] = {
	0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2.5
};

static void
loop_lag(const struct engine *eng, struct buf *b)
{
	const struct histogram *h = engine_loop_lag(eng);

	api_metrics_family(b, "pollhook_loop_lag_seconds", "histogram",
	    "Time from a poll timer's due time to its callback (within about 6 %).");
	for (size_t i = 0; i < NELEM(lag_bounds); i++)
		buf_printf(b, "pollhook_loop_lag_seconds_bucket{le=\"%g\"} %llu\n", lag_bounds[i],
		    (unsigned long long)hist_count_le(h, lag_bounds[i]));
	buf_printf(b, "pollhook_loop_lag_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)h->count);
	buf_printf(b, "pollhook_loop_lag_seconds_sum %.9g\n", h->sum);
	buf_printf(b, "pollhook_loop_lag_seconds_count %llu\n", (unsigned long long)h->count);
	api_metrics_family(b, "pollhook_loop_lag_max_seconds", "gauge",
	    "The largest loop lag since the daemon started.");
	buf_printf(b, "pollhook_loop_lag_max_seconds %.9g\n", h->max);
}

static void
latency_summary(const struct delivery_stats *ds, struct buf *b)
{
	static const double q[] = { 0.5, 0.9, 0.99 };
	const struct histogram *h = &ds->latency;

	api_metrics_family(b, "pollhook_delivery_latency_seconds", "summary",
	    "Time from an event to its receiver's 2xx (quantiles within about 6 %).");
	for (size_t i = 0; i < NELEM(q); i++) {
		if (h->count == 0)
			buf_printf(b, "pollhook_delivery_latency_seconds{quantile=\"%g\"} NaN\n",
			    q[i]);
		else
			buf_printf(b, "pollhook_delivery_latency_seconds{quantile=\"%g\"} %.6g\n",
			    q[i], hist_quantile(h, q[i]));
	}
	buf_printf(b, "pollhook_delivery_latency_seconds_sum %.9g\n", h->sum);
	buf_printf(b, "pollhook_delivery_latency_seconds_count %llu\n",
	    (unsigned long long)h->count);
}

/* Events held back (stored, not delivered), by the kind of their reason. */
static void
suppressed_family(const struct delivery_stats *ds, struct buf *b)
{
	api_metrics_family(b, "pollhook_events_suppressed_total", "counter",
	    "Events held back (stored, not delivered), by reason: parent, silence, maintenance.");
	for (size_t i = 0; i < NELEM(ds->suppressed); i++)
		buf_printf(b, "pollhook_events_suppressed_total{reason=\"%s\"} %llu\n",
		    delivery_reason_names[i], (unsigned long long)ds->suppressed[i]);
}

void
api_metrics_dead_line(struct buf *b, const char *subscriber, long long count)
{
	buf_str(b, "pollhook_dead_letters{subscriber=\"");
	label_value(b, subscriber);
	buf_printf(b, "\"} %lld\n", count);
}

/* The families with one line per source. */
static const struct source_family {
	const char *name, *type, *help;
	enum source_field field;
} per_source_families[] = {
	{ "pollhook_polls_total", "counter",
	    "Polls completed, by source, since the last start or reload.", F_POLLS },
	{ "pollhook_poll_errors_total", "counter",
	    "Polls that failed, by source, since the last start or reload.", F_ERRORS },
	{ "pollhook_overruns_total", "counter",
	    "Polls skipped because the previous one was still running, by source.", F_OVERRUNS },
	{ "pollhook_source_up", "gauge",
	    "Whether the last poll of the source succeeded (sources polled at least once).", F_UP },
};

static void
store_families(struct buf *b, const struct store_stats *ss)
{
	api_metrics_family(b, "pollhook_store_up", "gauge",
	    "Whether the last commit to the store succeeded (0 while the database is away).");
	buf_printf(b, "pollhook_store_up %d\n", ss->up ? 1 : 0);
	api_metrics_family(b, "pollhook_store_queued_events", "gauge",
	    "Events in memory waiting to be stored (bounded by bridge.store.queue_max).");
	buf_printf(b, "pollhook_store_queued_events %zu\n", ss->queued_events);
	api_metrics_family(b, "pollhook_store_dropped_events_total", "counter",
	    "Events dropped because the memory queue was full while the database was away.");
	buf_printf(b, "pollhook_store_dropped_events_total %llu\n",
	    (unsigned long long)ss->dropped_events);
	api_metrics_family(b, "pollhook_store_commits_total", "counter",
	    "Transactions that stored a batch of writes.");
	buf_printf(b, "pollhook_store_commits_total %llu\n", (unsigned long long)ss->commits);
	api_metrics_family(b, "pollhook_store_errors_total", "counter",
	    "Commits to the store that failed (and wait in memory to be tried again), by what "
	    "they ran into: full (no space for the database), io, busy, unreachable, other.");
	for (int k = 0; k < STORE_ERR_KINDS; k++)
		buf_printf(b, "pollhook_store_errors_total{kind=\"%s\"} %llu\n",
		    store_error_kind_name((enum store_error_kind)k),
		    (unsigned long long)ss->errors[k]);
}

void
api_metrics_render(struct buf *b, const struct config *cfg, const struct engine *eng,
    const struct delivery *dlv, const struct store_stats *ss, long long depth,
    const char *dead_lines)
{
	const struct delivery_stats *ds = delivery_stats(dlv);

	for (size_t i = 0; i < NELEM(per_source_families); i++) {
		const struct source_family *f = &per_source_families[i];

		api_metrics_family(b, f->name, f->type, f->help);
		per_source(cfg, eng, b, f->name, f->field);
	}
	poll_histogram(eng, b);
	loop_lag(eng, b);
	engine_poller_metrics(eng, b);
	api_metrics_family(b, "pollhook_events_total", "counter", "Events routed to the subscribers.");
	buf_printf(b, "pollhook_events_total %llu\n", (unsigned long long)ds->events);
	api_metrics_family(b, "pollhook_deliveries_total", "counter",
	    "Delivery attempts by outcome: ok, retried, dead (dead letter), gone (410).");
	buf_printf(b, "pollhook_deliveries_total{outcome=\"ok\"} %llu\n"
	    "pollhook_deliveries_total{outcome=\"retried\"} %llu\n"
	    "pollhook_deliveries_total{outcome=\"dead\"} %llu\n"
	    "pollhook_deliveries_total{outcome=\"gone\"} %llu\n",
	    (unsigned long long)ds->ok, (unsigned long long)ds->retried,
	    (unsigned long long)ds->dead, (unsigned long long)ds->gone);
	api_metrics_family(b, "pollhook_deliveries_in_flight", "gauge", "Delivery attempts in flight.");
	buf_printf(b, "pollhook_deliveries_in_flight %zu\n", ds->in_flight);
	api_metrics_family(b, "pollhook_deliveries_in_memory", "gauge",
	    "Pending deliveries held in memory; the rest wait in the store "
	    "(bridge.delivery.memory_window).");
	buf_printf(b, "pollhook_deliveries_in_memory %zu\n", ds->queued);
	if (depth >= 0) {
		api_metrics_family(b, "pollhook_outbox_depth", "gauge",
		    "Deliveries pending in the outbox (waiting or being attempted).");
		buf_printf(b, "pollhook_outbox_depth %lld\n", depth);
	}
	latency_summary(ds, b);
	suppressed_family(ds, b);
	api_metrics_family(b, "pollhook_dead_letters", "gauge",
	    "Dead letters in the outbox, by subscriber: its failed deliveries.");
	if (dead_lines != NULL)
		buf_str(b, dead_lines);
	store_families(b, ss);
}
