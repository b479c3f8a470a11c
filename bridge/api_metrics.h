#ifndef POLLHOOK_API_METRICS_H
#define POLLHOOK_API_METRICS_H

/*
 * The body of the management API's GET /metrics: the Prometheus text format
 * (version 0.0.4) of the engine's poll counters, the delivery counters and
 * the store's.
 */

struct buf;
struct config;
struct delivery;
struct engine;
struct store_stats;

#define API_MAX_SUBSCRIBERS	1000	/* per-subscriber metric lines */

/*
 * Appends the metrics of cfg's sources (eng), of dlv and of the store (ss,
 * depth: pending deliveries or -1 when unknown, dead_lines: what
 * api_metrics_dead_line rendered, or NULL) to b; all borrowed.
 */
void api_metrics_render(struct buf *b, const struct config *cfg, const struct engine *eng,
    const struct delivery *dlv, const struct store_stats *ss, long long depth,
    const char *dead_lines);
/* Appends the # HELP and # TYPE lines of the family name (type: counter, gauge, ...) to b. */
void api_metrics_family(struct buf *b, const char *name, const char *type, const char *help);
/* Appends the dead-letter line of one subscriber to b. */
void api_metrics_dead_line(struct buf *b, const char *subscriber, long long count);

#endif
