#ifndef POLLHOOK_CONF_PROFILE_H
#define POLLHOOK_CONF_PROFILE_H

/*
 * Profiles: named sets of source keys ("profiles = ( { name = ...; ... } )"
 * and the built-in ones) that a source takes with profile = "NAME". They are
 * merged into the source's group in the configuration tree before the source
 * is checked, so every check and every plugin sees one ordinary source: keys
 * the source has win, groups merge key by key, lists replace. Copied settings
 * carry the source's position and remember their original, so errors about
 * them read "FILE:LINE: ... (from profile "NAME" at FILE:LINE)".
 *
 * A profile's metrics list is never copied: its sources share one list (the
 * loader parses it once, see struct conf_profile), which is what keeps a
 * thousand sources of one profile from costing a thousand metric tables.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf.h"

struct metric_config;

struct conf_profile {
	char *name;
	char *description;	/* NULL when none */
	const char *file;	/* where it is defined (borrowed for the load), or "built-in" */
	int line;
	bool builtin;
	bool broken;		/* reported an error: its sources are not loaded */
	const struct conf_node *node;		/* its group; valid while the tree is */
	const struct conf_node *metrics;	/* its metrics list, or NULL; as node */
	struct metric_config *metrics_conf;	/* parsed once, shared by its sources;
						   owned by the loader's config */
	size_t nmetrics;
	void *poller_share;	/* the poller's slot, see source_config.share */
	size_t used;		/* sources that took it */
};

struct conf_profiles {
	struct conf_profile *v;
	size_t n;
};

/* The keys a profile has besides those of a source. */
extern const struct conf_key conf_profile_keys[];

/* The "file" of the built-in profiles' settings, in messages. */
#define CONF_PROFILE_BUILTIN	"built-in"

/*
 * Reads root's "profiles" list, checks each against the source tables
 * (source_keys: the loader's; no key but name is required in a profile) and
 * appends the built-in profiles the file does not redefine to the tree.
 * Reports every error; a profile with one is marked broken.
 */
void conf_profiles_load(struct conf_profiles *ps, const struct conf_node *root,
    const struct conf_key *source_keys);
/* Returns the profile named name, or NULL. */
struct conf_profile *conf_profiles_find(const struct conf_profiles *ps, const char *name);
/*
 * Copies into the source group n every key of p that n does not have (but
 * name, description and metrics); groups present in both merge key by key.
 */
void conf_profile_merge(const struct conf_profile *p, const struct conf_node *n);
/* Frees what ps holds (not the metrics_conf tables: the loader frees those). */
void conf_profiles_free(struct conf_profiles *ps);
/* Prints the built-in profiles, one "name  poller  metrics  description" a line; returns 0 or -1. */
int conf_profiles_list(FILE *f);

#endif
