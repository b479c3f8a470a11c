#ifndef POLLHOOK_DISCOVER_CONF_H
#define POLLHOOK_DISCOVER_CONF_H

/*
 * The bridge.discover = ( { ... } ) blocks: their keys, their parsing into
 * struct discover_config, and the source group of each device they found,
 * which the loader checks and loads like any source (see discover.h).
 */

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "discover.h"

extern const struct conf_key discover_keys[];

/* Returns whether a profile named name exists, its poller's name in *poller (borrowed). */
typedef bool (*conf_profile_fn)(void *arg, const char *name, const char **poller);
/* Called with a device's source group: valid during the call only. */
typedef void (*discover_row_fn)(void *arg, const struct conf_node *row);

/*
 * Parses discover element e (checked against discover_keys; index: its place
 * in the list, for the default name) into *dc, reporting with FILE:LINE
 * what the table cannot check. Returns 0.
 */
int discover_conf_load(const struct conf_node *e, size_t index, struct discover_config *dc,
    conf_profile_fn exists, void *arg);
/*
 * Builds the source group of device d of discovery dc (element e) named name
 * with profile, hands it to fn and frees it: name, profile, the discovery's
 * labels and snmp = { address; version; community; }.
 */
void discover_conf_row(const struct conf_node *e, const struct discover_config *dc,
    const struct discover_device *d, const char *name, const char *profile,
    discover_row_fn fn, void *arg);

#endif
