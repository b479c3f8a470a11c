#ifndef POLLHOOK_INVENTORY_WATCH_H
#define POLLHOOK_INVENTORY_WATCH_H

/*
 * Watching the inventory files that have watch = true: when one changes
 * (inotify through libev's ev_stat, a stat every second where there is
 * none), and has been quiet for a moment (an editor writes in several
 * steps), the daemon is sent SIGHUP: the reload that follows is the one an
 * operator's SIGHUP makes, diffed against the running configuration. The set
 * of files follows the running configuration: *cfgp is read on every loop
 * iteration, and the files are watched anew when it points elsewhere.
 */

#include <ev.h>

struct config;
struct inventory_watch;

/* Starts watching the inventories of *cfgp (borrowed; it may change between iterations). */
struct inventory_watch *inventory_watch_start(struct ev_loop *loop, struct config *const *cfgp);
/* Stops every watcher and frees w (NULL is fine). */
void inventory_watch_stop(struct inventory_watch *w);

#endif
