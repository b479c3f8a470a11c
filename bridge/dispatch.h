#ifndef POLLHOOK_DISPATCH_H
#define POLLHOOK_DISPATCH_H

/*
 * The dispatcher: routes each event to the subscribers that want it and
 * hands it to their emitters.
 */

#include <ev.h>

#include "config.h"
#include "event.h"

struct dispatch;

/* Starts every subscriber's emitter of cfg (borrowed); NULL after logging why. */
struct dispatch *dispatch_new(struct ev_loop *loop, const struct config *cfg);
/* Delivers ev to every subscriber that wants it; takes ownership of ev. */
void dispatch_event(struct dispatch *d, struct event *ev);
/* Restarts the subscribers from cfg (borrowed); returns -1 and keeps the old ones on error. */
int dispatch_reload(struct dispatch *d, const struct config *cfg);
/* Returns the number of delivery attempts in flight. */
size_t dispatch_in_flight(const struct dispatch *d);
/* Stops every emitter (attempts in flight are abandoned) and frees d. */
void dispatch_free(struct dispatch *d);

#endif
