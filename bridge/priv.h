#ifndef POLLHOOK_PRIV_H
#define POLLHOOK_PRIV_H

/*
 * bridge.user and bridge.group: a daemon started as root gives root up once
 * what needs it is open (the API's port is bound, the store is open), for
 * the user and group named, keeping only CAP_NET_RAW (raw ICMP sockets,
 * opened when the first ICMP source starts) and CAP_NET_BIND_SERVICE (a
 * reload that moves the API to a port below 1024).
 */

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/*
 * Looks up user and group (group NULL: the user's primary group) into *uid
 * and *gid; returns 0, or -1 with a message in err.
 */
int priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, char *err,
    size_t errlen);
/*
 * Drops root for bc->user (no-op without it; a log line when not root):
 * hands the state directory and the SQLite files to the user if need be,
 * sets the groups, gid and uid, keeps the two capabilities and checks that
 * root cannot be regained. Returns 0, or -1 after logging why.
 */
int priv_drop(const struct bridge_config *bc);

#endif
