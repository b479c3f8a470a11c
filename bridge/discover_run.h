#ifndef POLLHOOK_DISCOVER_RUN_H
#define POLLHOOK_DISCOVER_RUN_H

/*
 * The sweeps of bridge.discover on the daemon's loop. Each discovery sweeps
 * its addresses every `every` seconds (the first sweep `every` after the
 * last one the store remembers, at once when there is none), sending at
 * most `rate` datagrams a second (retransmissions included) and at most
 * max_in_flight probes awaiting answers, through the prober of the snmp
 * poller (probe.h). When a sweep ends, each answering address that is no
 * device yet becomes one (named from sysName, else from its address;
 * pollhook.device.found), each device that missed lost_after sweeps in a
 * row is dropped (pollhook.device.lost), the store is updated, and when the
 * set changed the daemon is asked to reload (the events follow it, see
 * discover_flush): the new config has a source
 * per device (config_load_known), diffed like any reload.
 */

#include <stdbool.h>

#include <ev.h>

#include "config.h"
#include "discover.h"

struct buf;
struct delivery;
struct discover;
struct store;

/*
 * Reads the devices kept in the store conf (borrowed), without changing it,
 * waiting at most timeout seconds on the default loop. Returns the set, or
 * NULL with a message in err when it cannot be read (no database yet, an
 * older schema: then there are none to read).
 */
struct discover_known *discover_known_read(const struct store_config *conf, double timeout,
    char *err, size_t errlen);
/*
 * Starts the discoveries of cfg (borrowed until discover_reload) on loop with
 * the devices known (taken; NULL for none): events go to dlv, records to st;
 * changed(arg) asks for a reload once the set of devices changed.
 */
struct discover *discover_new(struct ev_loop *loop, const struct config *cfg,
    struct discover_known *known, struct store *st, struct delivery *dlv,
    void (*changed)(void *arg), void *arg);
/*
 * Sends the found and lost events of the sweeps that ended: the daemon calls
 * it once the reload they asked for is done (or failed), so that the
 * reload, which restarts deliveries in flight, does not send them twice.
 */
void discover_flush(struct discover *d);
/*
 * With bridge.cluster: leads(arg, "discover:NAME") says whether this member
 * sweeps discovery NAME now (one member does); the others read the devices it
 * stores and follow them, emitting nothing.
 */
void discover_set_leader(struct discover *d, bool (*leads)(void *arg, const char *key),
    void *arg);
/* Makes cfg (borrowed) the running config: discoveries added, gone or changed. */
void discover_reload(struct discover *d, const struct config *cfg);
/* Returns a copy of the devices known now (the caller frees it), for a reload. */
struct discover_known *discover_snapshot(const struct discover *d);
/* Appends the discoveries' /metrics families to b (NULL d: none). */
void discover_metrics(const struct discover *d, struct buf *b);
/* Stops every sweep and frees d (NULL is fine). */
void discover_free(struct discover *d);

#endif
