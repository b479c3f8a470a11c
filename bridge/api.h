#ifndef POLLHOOK_API_H
#define POLLHOOK_API_H

/*
 * The management API: an HTTP server (libmicrohttpd) on the daemon's libev
 * loop, no thread of its own, off unless bridge.api.listen is set. It reads
 * the engine's source status, the delivery counters and the store, and
 * writes only dead-letter retry requests.
 */

#include <ev.h>

#include "config.h"
#include "delivery.h"
#include "engine.h"
#include "store.h"

struct api;

/*
 * Starts the API of cfg (borrowed, like eng, dlv and st: all must outlive the
 * API) on loop: listening when cfg->bridge.api.listen is set, idle otherwise.
 * Returns NULL, after logging why, when the address cannot be listened on.
 */
struct api *api_new(struct ev_loop *loop, const struct config *cfg, struct engine *eng,
    struct delivery *dlv, struct store *st);
struct subs;
struct noise;
/* Serves the silences of noise (borrowed, outliving a) at /v1/silences. */
void api_set_noise(struct api *a, struct noise *noise);
/* Serves the dynamic subscribers of subs (borrowed, outliving a) at /v1/subscribers. */
void api_set_subs(struct api *a, struct subs *subs);
struct discover;
/* Adds the discoveries' families of d (borrowed, outliving a; NULL: none) to /metrics. */
void api_set_discover(struct api *a, struct discover *d);
/*
 * Switches to cfg (borrowed), the daemon's configuration after a reload: a
 * new token applies at once; a changed listen address moves the server (the
 * old one stays, with a warning, when the new address cannot be listened on).
 */
void api_reload(struct api *a, const struct config *cfg);
struct cluster;

/* Shows the cluster c (borrowed; it must outlive the API) in /v1/cluster, /v1/sources, /metrics. */
void api_set_cluster(struct api *a, struct cluster *c);
/* The daemon is stopping: /healthz answers 503 and connections are not kept alive. */
void api_stopping(struct api *a);
/*
 * Answers one request as the server would once it has read it, without a
 * connection (the fuzz target tests/fuzz/fuzz_api.c): args and headers are
 * NULL-terminated name, value lists (NULL: none), body (len bytes) may be
 * NULL. Runs a's loop until the answer is ready, at most timeout seconds.
 * Returns the status, or 0 when no answer came in time, and the body in
 * *answer (newly allocated; NULL with 0).
 */
unsigned api_request(struct api *a, const char *method, const char *url,
    const char *const *args, const char *const *headers, const char *body, size_t len,
    double timeout, char **answer);
/* Stops accepting, gives answers still being sent up to a second, and frees a (NULL: nothing). */
void api_free(struct api *a);

#endif
