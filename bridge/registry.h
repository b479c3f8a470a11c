#ifndef POLLHOOK_REGISTRY_H
#define POLLHOOK_REGISTRY_H

/* The one place that knows every poller and emitter by name. */

#include <stdbool.h>
#include <stddef.h>

struct poller_ops;
struct emitter_ops;

/*
 * Returns the poller named name, or NULL. *known is set to whether the name
 * is a poller of pollhook at all, so a kind compiled out can say so.
 */
const struct poller_ops *registry_poller(const char *name, bool *known);
/* Same as registry_poller for emitters. */
const struct emitter_ops *registry_emitter(const char *name, bool *known);
/* Returns the i-th compiled-in poller, or NULL past the end. */
const struct poller_ops *registry_poller_at(size_t i);
/* Returns the i-th compiled-in emitter, or NULL past the end. */
const struct emitter_ops *registry_emitter_at(size_t i);
/* Returns the name of the i-th poller pollhook knows, or NULL past the end; *compiled: built in. */
const char *registry_poller_name(size_t i, bool *compiled);
/* Same as registry_poller_name for emitters. */
const char *registry_emitter_name(size_t i, bool *compiled);

struct format_ops;
/* Returns the payload format named name, or NULL (the envelope is none of them). */
const struct format_ops *registry_format(const char *name);
/* Returns payload format i (0-based), or NULL past the last. */
const struct format_ops *registry_format_at(size_t i);

#endif
