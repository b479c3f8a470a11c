#ifndef POLLHOOK_RELOAD_H
#define POLLHOOK_RELOAD_H

/*
 * A reload's parse and validation off the loop: config_load runs on a
 * thread of its own (a file of 100,000 sources takes seconds), and its result
 * comes back to the loop through an ev_async, where the caller swaps it in.
 * Polling goes on meanwhile. A reload asked for while one runs is done once
 * more when it ends (the file may have changed again in between).
 */

#include <ev.h>

#include "config.h"

struct reload;

/*
 * Creates a reloader of path (borrowed) on loop. done(arg, next) is called on
 * the loop with the new config (the callee takes it), or NULL when it did not
 * load (the errors were printed).
 */
struct reload *reload_new(struct ev_loop *loop, const char *path,
    void (*done)(void *arg, struct config *next), void *arg);
/*
 * Makes every load take the devices snapshot(arg) returns (on the loop, when
 * the load starts; the reloader frees them): see config_load_known.
 */
void reload_set_known(struct reload *r, struct discover_known *(*snapshot)(void *arg));
/* Starts loading the file; returns 0, or 1 when a load runs (it is redone after), -1 on error. */
int reload_start(struct reload *r);
/* Waits for a load in flight, frees its result and r (NULL is fine). */
void reload_free(struct reload *r);

#endif
