#include "router.h"

#include <fnmatch.h>
#include <string.h>

bool
router_glob_any(char *const *globs, const char *name)
{
	if (globs == NULL)
		return true;
	for (; *globs != NULL; globs++)
		if (fnmatch(*globs, name, 0) == 0)
			return true;
	return false;
}

bool
router_match(const struct subscriber_config *sub, const struct event *ev)
{
	/* Operational events go only to those who ask for them by name. */
	if (sub->events == NULL && strncmp(ev->name, ROUTER_OPERATIONAL,
	    sizeof(ROUTER_OPERATIONAL) - 1) == 0)
		return false;
	if (!router_glob_any(sub->events, ev->name))
		return false;
	if (!router_glob_any(sub->sources, ev->source))
		return false;
	for (size_t i = 0; i < sub->match.n; i++) {
		const char *have = labels_get(&ev->labels, sub->match.names[i]);

		if (have == NULL || fnmatch(sub->match.values[i], have, 0) != 0)
			return false;
	}
	return true;
}
