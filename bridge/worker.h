#ifndef POLLHOOK_WORKER_H
#define POLLHOOK_WORKER_H

/*
 * A thread that runs jobs off the event loop, one at a time in the order
 * they were queued, and hands each result back on the loop: what would
 * otherwise block the loop (the SQLite store's commits, which wait for the
 * disk) runs there.
 */

#include <stddef.h>

#include <ev.h>

struct worker;

/* Runs on the worker's thread: does job; returns its status. */
typedef int (*worker_run_fn)(void *arg, void *job);
/* Runs on the loop for each job, in order, with what run returned. */
typedef void (*worker_done_fn)(void *arg, void *job, int status);

/* Starts the thread (signals stay with the loop's); NULL with a message in err. */
struct worker *worker_start(struct ev_loop *loop, const char *name, worker_run_fn run,
    worker_done_fn done, void *arg, char *err, size_t errlen);
/* Queues job: run(arg, job) on the thread, then done(arg, job, status) on the loop. */
void worker_queue(struct worker *w, void *job);
/* Returns how many jobs are queued or running, or done and not yet handed back. */
size_t worker_pending(const struct worker *w);
/* Runs what is queued, hands every result back, stops the thread and frees w. */
void worker_stop(struct worker *w);

#endif
