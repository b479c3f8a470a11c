#ifndef POLLHOOK_API_METRICS_H
#define POLLHOOK_API_METRICS_H

/*
 * The body of the management API's GET /metrics: the Prometheus text format
 * (version 0.0.4) of the engine's poll counters, the delivery counters and
 * the outbox.
 */

struct buf;
struct config;
struct delivery;
struct engine;
struct outbox;

/* Appends the metrics of cfg's sources (eng), of dlv and of ob (all borrowed) to b. */
void api_metrics_render(struct buf *b, const struct config *cfg, const struct engine *eng,
    const struct delivery *dlv, struct outbox *ob);

#endif
