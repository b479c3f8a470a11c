/*
 * Profiles (see conf_profile.h): read from the file's "profiles" list and
 * from the built-in text, checked once where they are defined, and merged
 * into the configuration tree of each source that names one.
 */

#include "conf_profile.h"

#include <stdlib.h>
#include <string.h>

#include "conf_impl.h"
#include "poller.h"
#include "profiles_builtin.h"
#include "registry.h"
#include "xmalloc.h"

const struct conf_key conf_profile_keys[] = {
	{ "description", CONF_STRING, 0, 0, 0, NULL, NULL,
	    "profiles: one line shown by pollhook --list-profiles" },
	CONF_KEY_END
};

/* Returns a copy of the key table t (and its sub tables) in which no key but name is required. */
static struct conf_key *
relax(const struct conf_key *t, bool top)
{
	size_t n = 0;
	struct conf_key *out;

	while (t[n].name != NULL)
		n++;
	out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out[i] = t[i];
		if (!top || strcmp(t[i].name, "name") != 0)
			out[i].flags &= ~(unsigned)CONF_REQUIRED;
		if (t[i].sub != NULL)
			out[i].sub = relax(t[i].sub, false);
	}
	return out;
}

static void
relax_free(struct conf_key *t)
{
	for (size_t i = 0; t != NULL && t[i].name != NULL; i++)
		relax_free((struct conf_key *)t[i].sub);
	free(t);
}

/*
 * Copies the setting from (and everything in it) into the aggregate parent.
 * With at, the copies take at's position and point back to their original
 * (hook), for the messages; without, they keep from's line and take file.
 */
static void
copy_into(config_setting_t *parent, const config_setting_t *from,
    const config_setting_t *at, const char *file)
{
	const char *name = config_setting_is_group(parent) ? from->name : NULL;
	config_setting_t *c = config_setting_add(parent, name, from->type);

	if (c == NULL)
		return;
	c->line = at != NULL ? at->line : from->line;
	c->file = at != NULL ? at->file : file;
	c->hook = at != NULL ? (void *)from : NULL;
	switch (from->type) {
	case CONFIG_TYPE_INT:
		config_setting_set_int(c, config_setting_get_int(from));
		break;
	case CONFIG_TYPE_INT64:
		config_setting_set_int64(c, config_setting_get_int64(from));
		break;
	case CONFIG_TYPE_FLOAT:
		config_setting_set_float(c, config_setting_get_float(from));
		break;
	case CONFIG_TYPE_BOOL:
		config_setting_set_bool(c, config_setting_get_bool(from));
		break;
	case CONFIG_TYPE_STRING:
		config_setting_set_string(c, config_setting_get_string(from));
		break;
	default:
		for (int i = 0; i < config_setting_length(from); i++)
			copy_into(c, config_setting_get_elem(from, (unsigned)i), at, file);
		break;
	}
}

/* Returns whether the group g has name's secret twin (KEY for KEY_file, KEY_file for KEY). */
static bool
has_twin(const config_setting_t *g, const char *name)
{
	size_t len = strlen(name);
	char twin[128];

	if (len > 5 && strcmp(name + len - 5, "_file") == 0)
		snprintf(twin, sizeof(twin), "%.*s", (int)(len - 5), name);
	else if (snprintf(twin, sizeof(twin), "%s_file", name) >= (int)sizeof(twin))
		return false;
	return config_setting_get_member(g, twin) != NULL;
}

static void
merge(config_setting_t *dst, const config_setting_t *prof, const config_setting_t *at, bool top)
{
	for (int i = 0; i < config_setting_length(prof); i++) {
		const config_setting_t *pc = config_setting_get_elem(prof, (unsigned)i);
		config_setting_t *d;

		if (top && (strcmp(pc->name, "name") == 0 || strcmp(pc->name, "metrics") == 0 ||
		    strcmp(pc->name, "description") == 0))
			continue;
		if ((d = config_setting_get_member(dst, pc->name)) == NULL) {
			/* The source's community beats the profile's community_file. */
			if (!has_twin(dst, pc->name))
				copy_into(dst, pc, at, NULL);
		} else if (d->type == CONFIG_TYPE_GROUP && pc->type == CONFIG_TYPE_GROUP)
			merge(d, pc, at, false);
	}
}

void
conf_profile_merge(const struct conf_profile *p, const struct conf_node *n)
{
	config_setting_t *g = (config_setting_t *)setting(n);

	merge(g, setting(p->node), g, true);
}

/* Checks the profile group n, as a source with nothing required but its name. */
static void
check_profile(struct conf_profile *p, const struct conf_node *n, struct conf_key *relaxed)
{
	const struct conf_node *pn = conf_get(n, "poller");
	const char *pname = conf_value_string(pn);
	const struct conf_key *tables[4] = { relaxed, conf_profile_keys, NULL, NULL };
	struct conf_key *group = NULL, wrap[2] = { CONF_KEY_END, CONF_KEY_END };
	const struct poller_ops *ops = NULL;
	bool known = false, lenient = false;

	if (pname != NULL) {
		ops = registry_poller(pname, &known);
		/* A built-in profile of a poller left out says so where it is used. */
		if (ops == NULL && !p->builtin)
			conf_error(pn, known ? "%s poller not compiled in" :
			    "unknown poller \"%s\" in profile", pname);
		if (ops == NULL)
			lenient = true;
	}
	if (ops != NULL && ops->keys != NULL) {
		group = relax(ops->keys, false);
		wrap[0].name = ops->name;
		wrap[0].type = CONF_GROUP;
		wrap[0].sub = group;
		tables[2] = wrap;
	}
	if (conf_check(n, "profile", tables, lenient) == -1 || lenient)
		p->broken = true;
	relax_free(group);
}

/* Appends the built-in profiles the file does not define to its "profiles" list. */
static void
add_builtins(struct conf_profiles *ps, config_setting_t *list)
{
	config_t lc;
	const config_setting_t *bl;

	config_init(&lc);
	if (config_read_string(&lc, profiles_builtin_text) != CONFIG_TRUE ||
	    (bl = config_lookup(&lc, "profiles")) == NULL)
		goto out;
	for (int i = 0; i < config_setting_length(bl); i++) {
		const config_setting_t *b = config_setting_get_elem(bl, (unsigned)i);
		const char *name = NULL;

		config_setting_lookup_string(b, "name", &name);
		if (name == NULL || conf_profiles_find(ps, name) != NULL)
			continue;
		copy_into(list, b, NULL, CONF_PROFILE_BUILTIN);
	}
out:
	config_destroy(&lc);
}

static void
add_profile(struct conf_profiles *ps, const struct conf_node *n, struct conf_key *relaxed)
{
	const char *name = conf_string(n, "name", NULL);
	struct conf_profile *p, *o;

	if (name != NULL && conf_valid_name(name) &&
	    (o = conf_profiles_find(ps, name)) != NULL) {
		conf_error(conf_get(n, "name"), "duplicate profile name \"%s\" (first at %s:%d)",
		    name, o->file, o->line);
		return;
	}
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	p = &ps->v[ps->n++];
	memset(p, 0, sizeof(*p));
	p->node = n;
	p->file = conf_file(n);
	p->line = conf_line(n);
	p->builtin = strcmp(p->file, CONF_PROFILE_BUILTIN) == 0;
	check_profile(p, n, relaxed);
	/* An invalid name was reported by the check; the profile is unreachable. */
	p->name = xstrdup(name != NULL && conf_valid_name(name) ? name : "");
	p->description = xstrdup(conf_string(n, "description", NULL));
	p->metrics = conf_get(n, "metrics");
}

void
conf_profiles_load(struct conf_profiles *ps, const struct conf_node *root,
    const struct conf_key *source_keys)
{
	config_setting_t *r = (config_setting_t *)setting(root), *list;
	struct conf_key *relaxed = NULL;
	size_t own;

	memset(ps, 0, sizeof(*ps));
	if (r == NULL || !config_setting_is_group(r))
		return;
	/* A "profile" key in a profile would be inheritance: not supported, so unknown. */
	relaxed = relax(source_keys, true);
	for (size_t i = 0; relaxed[i].name != NULL; i++) {
		size_t end = i;

		if (strcmp(relaxed[i].name, "profile") != 0)
			continue;
		while (relaxed[end].name != NULL)
			end++;
		memmove(&relaxed[i], &relaxed[i + 1], (end - i) * sizeof(*relaxed));
		break;
	}
	if ((list = config_setting_get_member(r, "profiles")) == NULL)
		list = config_setting_add(r, "profiles", CONFIG_TYPE_LIST);
	/* A wrong type was reported by the top-level check. */
	if (list == NULL || !config_setting_is_list(list))
		goto out;
	own = (size_t)config_setting_length(list);
	for (size_t i = 0; i < own; i++)
		add_profile(ps, node(config_setting_get_elem(list, (unsigned)i)), relaxed);
	add_builtins(ps, list);
	for (size_t i = own; i < (size_t)config_setting_length(list); i++)
		add_profile(ps, node(config_setting_get_elem(list, (unsigned)i)), relaxed);
out:
	relax_free(relaxed);
}

struct conf_profile *
conf_profiles_find(const struct conf_profiles *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].name, name) == 0)
			return &ps->v[i];
	return NULL;
}

void
conf_profiles_free(struct conf_profiles *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		free(ps->v[i].description);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

int
conf_profiles_list(FILE *f)
{
	config_t lc;
	const config_setting_t *bl;
	int rc = -1;

	config_init(&lc);
	if (config_read_string(&lc, profiles_builtin_text) != CONFIG_TRUE ||
	    (bl = config_lookup(&lc, "profiles")) == NULL)
		goto out;
	for (int i = 0; i < config_setting_length(bl); i++) {
		const config_setting_t *b = config_setting_get_elem(bl, (unsigned)i);
		const config_setting_t *m = config_setting_get_member(b, "metrics");
		const char *name = "", *poller = "", *desc = "";

		config_setting_lookup_string(b, "name", &name);
		config_setting_lookup_string(b, "poller", &poller);
		config_setting_lookup_string(b, "description", &desc);
		fprintf(f, "%-16s %-6s %2d metrics  %s\n", name, poller,
		    m != NULL ? config_setting_length(m) : 0, desc);
	}
	rc = 0;
out:
	config_destroy(&lc);
	return rc;
}
