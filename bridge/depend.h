#ifndef POLLHOOK_DEPEND_H
#define POLLHOOK_DEPEND_H

/*
 * Source dependencies: `parent = "core-router"` (a name, a glob or a list of
 * them) on a source. The loader resolves the globs into the indexes of the
 * parents once every source is known, and refuses a glob that names no other
 * source and every cycle, at the parent key's FILE:LINE.
 */

#include <stdbool.h>

#include "conf.h"
#include "config.h"

/*
 * Fills every source's parent_idx from its parents globs (sources whose
 * source_ok is false are left alone: they may hold anything); reports, in t,
 * a glob matching no other source and each cycle of parents.
 */
void depend_resolve(struct config *cfg, struct conf_tree *t, const bool *source_ok);

#endif
