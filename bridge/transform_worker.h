#ifndef POLLHOOK_TRANSFORM_WORKER_H
#define POLLHOOK_TRANSFORM_WORKER_H

/*
 * The transform worker: a child process that runs jq programs for the
 * daemon, one request at a time, so that the loop never waits for jq. A
 * request that takes longer than TRANSFORM_TIMEOUT gets the child killed
 * (and a new one started for the requests behind it): jq has no step limit,
 * and a looping program must be an error, not a stalled daemon.
 */

#include <stddef.h>

#include <ev.h>

struct transform;
struct tworker;

/*
 * Told how one request ended: rc 0 with the output in out (len bytes,
 * NUL-terminated, the callee takes it), or -1 with why in err (out NULL).
 */
typedef void (*tworker_done_fn)(void *arg, int rc, char *out, size_t len, const char *err);

/* Creates a worker on loop; its child starts with the first request. */
struct tworker *tworker_new(struct ev_loop *loop);
/*
 * Runs t (borrowed for this call only) on the JSON text input (len bytes,
 * copied) and calls done(arg, ...) from the loop when it ends.
 */
void tworker_submit(struct tworker *w, const struct transform *t, const char *input,
    size_t len, tworker_done_fn done, void *arg);
/* Calls done(arg, -1, NULL, 0, "cancelled") for every request waiting, kills the child, frees w. */
void tworker_free(struct tworker *w);
/*
 * Runs t on input as tworker_submit does, in a child, waiting for it (not on
 * a loop: the CLI). Returns 0 with *out (caller frees), or -1 with why in err.
 */
int tworker_run_once(const struct transform *t, const char *input, size_t len, char **out,
    size_t *outlen, char *err, size_t errlen);

#endif
