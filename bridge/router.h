#ifndef POLLHOOK_ROUTER_H
#define POLLHOOK_ROUTER_H

/* The router decides which subscribers want an event. */

#include <stdbool.h>

#include "config.h"
#include "event.h"

/* The prefix of pollhook's operational events, which a subscriber without event globs does not get. */
#define ROUTER_OPERATIONAL "pollhook."

/* Returns whether sub wants ev: event-name globs, source globs, label globs. */
bool router_match(const struct subscriber_config *sub, const struct event *ev);
/* Returns whether name matches one of the NULL-terminated globs (NULL matches all). */
bool router_glob_any(char *const *globs, const char *name);

#endif
