/*
 * The schema: the table-driven checker of the configuration tree (conf_check) and the
 * name helpers it and the loader use: conf_valid_name and conf_distance, the
 * distance behind "did you mean". The tree itself is in conf_tree.c.
 */

#include "conf.h"

#include <libconfig.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_impl.h"

/* Names. */

bool
conf_valid_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == strlen(s);
}

unsigned
conf_distance(const char *a, const char *b)
{
	unsigned d[65][65];
	size_t la = strlen(a), lb = strlen(b);

	if (la > 64 || lb > 64)
		return 100;
	/* Optimal string alignment: a swap of two letters, the commonest typo, costs one. */
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The checker. */

static const char *
type_name(const config_setting_t *s)
{
	switch (s->type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

static const char *
want_name(enum conf_type type)
{
	switch (type) {
	case CONF_STRING:
	case CONF_SECRET:
		return "a string";
	case CONF_INT:
		return "an integer";
	case CONF_FLOAT:
		return "a number";
	case CONF_BOOL:
		return "a boolean (true or false)";
	case CONF_GROUP:
		return "a group";
	case CONF_STRINGS:
	case CONF_SECRETS:
		return "a string or a list of strings";
	case CONF_GROUPS:
		return "a list of groups";
	case CONF_MAP:
		return "a group of strings";
	}
	return "?";
}

/* What a check needs to say where it is. */
struct place {
	const char *what;	/* "source", "bridge.api"; NULL for the top level */
	char in[96];		/* " in source", or "" */
};

static bool
in_range(const struct conf_key *k, double v)
{
	if ((k->flags & CONF_HAS_MIN) &&
	    ((k->flags & CONF_MIN_OPEN) ? !(v > k->min) : !(v >= k->min)))
		return false;
	if ((k->flags & CONF_HAS_MAX) && !(v <= k->max))
		return false;
	return true;
}

static void
range_text(const struct conf_key *k, char *buf, size_t len)
{
	bool open = (k->flags & CONF_MIN_OPEN) != 0;

	if ((k->flags & CONF_HAS_MIN) && (k->flags & CONF_HAS_MAX))
		snprintf(buf, len, "in %c%g, %g]", open ? '(' : '[', k->min, k->max);
	else if (k->flags & CONF_HAS_MIN)
		snprintf(buf, len, "%s %g", open ? ">" : ">=", k->min);
	else
		snprintf(buf, len, "<= %g", k->max);
}

/* Checks a count (elements, characters) against min and max. */
static int
check_count(const struct conf_key *k, const config_setting_t *s, const char *name,
    const struct place *pl, size_t count, const char *unit)
{
	if ((k->flags & CONF_HAS_MIN) && (double)count < k->min) {
		conf_error(node(s), "\"%s\"%s must have at least %g %s%s", name, pl->in,
		    k->min, unit, k->min == 1 ? "" : "s");
		return -1;
	}
	if ((k->flags & CONF_HAS_MAX) && (double)count > k->max) {
		conf_error(node(s), "\"%s\"%s must have at most %g %s%s", name, pl->in,
		    k->max, unit, k->max == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/* Checks one string value (a scalar or a list element) against k. */
static int
check_text(const struct conf_key *k, const config_setting_t *s, const char *name,
    const struct place *pl, bool length)
{
	const char *v = config_setting_get_string(s);
	char list[512];
	size_t len = 0;

	if (length && check_count(k, s, name, pl, strlen(v), "character") == -1)
		return -1;
	if ((k->flags & CONF_NAME) && !conf_valid_name(v)) {
		conf_error(node(s), "\"%s\"%s must be a name of A-Z a-z 0-9 . _ - only, "
		    "not \"%s\"", name, pl->in, v);
		return -1;
	}
	if (k->choices == NULL)
		return 0;
	list[0] = '\0';
	for (size_t i = 0; k->choices[i] != NULL; i++) {
		if (strcmp(k->choices[i], v) == 0)
			return 0;
		len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
		    "%s%s", i > 0 ? ", " : "", k->choices[i]);
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
	}
	conf_error(node(s), "\"%s\"%s must be one of %s, not \"%s\"", name, pl->in, list, v);
	return -1;
}

/* Checks a string or a list of strings; each string as with check_text. */
static int
check_texts(const struct conf_key *k, const config_setting_t *s, const char *name,
    const struct place *pl)
{
	int rc = 0, len;

	if (s->type == CONFIG_TYPE_STRING)
		return check_text(k, s, name, pl, false);
	if (s->type != CONFIG_TYPE_ARRAY && s->type != CONFIG_TYPE_LIST) {
		conf_error(node(s), "\"%s\"%s must be %s, not %s", name, pl->in,
		    want_name(CONF_STRINGS), type_name(s));
		return -1;
	}
	len = config_setting_length(s);
	if (check_count(k, s, name, pl, (size_t)len, "element") == -1)
		rc = -1;
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (e->type != CONFIG_TYPE_STRING) {
			conf_error(node(e), "element %d of \"%s\"%s must be a string, not %s",
			    i + 1, name, pl->in, type_name(e));
			rc = -1;
		} else if (check_text(k, e, name, pl, false) == -1)
			rc = -1;
	}
	return rc;
}

/* Returns the singular of a list key for messages: "sources" -> "source". */
static void
singular(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n > 1 && name[n - 1] == 's')
		n--;
	snprintf(buf, len, "%.*s", (int)n, name);
}

static int
check_groups(const struct conf_key *k, const config_setting_t *s, const struct place *pl)
{
	const struct conf_key *sub[2] = { k->sub, NULL };
	char what[64];
	int rc = 0, len;

	/* An empty [] parses as an array: it is an empty list all the same. */
	if (s->type != CONFIG_TYPE_LIST &&
	    !(s->type == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0)) {
		conf_error(node(s), "\"%s\"%s must be %s, not %s", k->name, pl->in,
		    want_name(k->type), type_name(s));
		return -1;
	}
	len = config_setting_length(s);
	if (check_count(k, s, k->name, pl, (size_t)len, "element") == -1)
		rc = -1;
	singular(k->name, what, sizeof(what));
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (e->type != CONFIG_TYPE_GROUP) {
			conf_error(node(e), "element %d of \"%s\"%s must be a group, not %s",
			    i + 1, k->name, pl->in, type_name(e));
			rc = -1;
		} else if (k->sub != NULL && conf_check(node(e), what, sub, false) == -1)
			rc = -1;
	}
	return rc;
}

static int
check_map(const struct conf_key *k, const config_setting_t *s, const struct place *pl)
{
	int rc = 0, len = config_setting_length(s);

	if (check_count(k, s, k->name, pl, (size_t)len, "element") == -1)
		rc = -1;
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (e->type != CONFIG_TYPE_STRING) {
			conf_error(node(e), "\"%s\" in %s%s%s must be a string, not %s",
			    e->name, pl->what != NULL ? pl->what : "",
			    pl->what != NULL ? "." : "", k->name, type_name(e));
			rc = -1;
		}
	}
	return rc;
}

/* Checks the value s of key k (named name in the file: "token_file" for secrets). */
static int
check_value(const struct conf_key *k, const config_setting_t *s, const char *name,
    const struct place *pl, bool file)
{
	const struct conf_key *sub[2] = { k->sub, NULL };
	char what[128], range[96];
	bool ok;

	switch (k->type) {
	case CONF_STRING:
		ok = s->type == CONFIG_TYPE_STRING;
		break;
	case CONF_INT:
		ok = is_int(s);
		break;
	case CONF_FLOAT:
		ok = config_setting_is_number(s);
		break;
	case CONF_BOOL:
		ok = s->type == CONFIG_TYPE_BOOL;
		break;
	case CONF_GROUP:
	case CONF_MAP:
		ok = s->type == CONFIG_TYPE_GROUP;
		break;
	case CONF_SECRET:
		ok = s->type == CONFIG_TYPE_STRING;
		break;
	case CONF_STRINGS:
	case CONF_SECRETS:
		return check_texts(k, s, name, pl);
	case CONF_GROUPS:
		return check_groups(k, s, pl);
	default:
		ok = false;
	}
	if (!ok) {
		conf_error(node(s), "\"%s\"%s must be %s, not %s", name, pl->in,
		    want_name(k->type), type_name(s));
		return -1;
	}
	switch (k->type) {
	case CONF_STRING:
		return check_text(k, s, name, pl, true);
	case CONF_SECRET:
		return file ? 0 : check_text(k, s, name, pl, true);
	case CONF_INT:
	case CONF_FLOAT:
		if (in_range(k, number(s)))
			return 0;
		range_text(k, range, sizeof(range));
		if (is_int(s))
			conf_error(node(s), "\"%s\"%s must be %s, not %lld", name, pl->in,
			    range, config_setting_get_int64(s));
		else
			conf_error(node(s), "\"%s\"%s must be %s, not %g", name, pl->in,
			    range, config_setting_get_float(s));
		return -1;
	case CONF_MAP:
		return check_map(k, s, pl);
	case CONF_GROUP:
		if (k->sub == NULL)
			return 0;
		if (pl->what != NULL)
			snprintf(what, sizeof(what), "%s.%s", pl->what, k->name);
		else
			snprintf(what, sizeof(what), "%s", k->name);
		return conf_check(node(s), what, sub, false);
	default:
		return 0;
	}
}

static bool
is_secret(const struct conf_key *k)
{
	return k->type == CONF_SECRET || k->type == CONF_SECRETS;
}

/* Returns the key of tables that member name stands for; *file when it is KEY_file. */
static const struct conf_key *
find_key(const struct conf_key *const *tables, const char *name, bool *file)
{
	size_t len = strlen(name);

	*file = false;
	for (size_t t = 0; tables[t] != NULL; t++) {
		for (const struct conf_key *k = tables[t]; k->name != NULL; k++) {
			size_t kl = strlen(k->name);

			if (strcmp(k->name, name) == 0)
				return k;
			if (is_secret(k) && len == kl + 5 &&
			    strncmp(name, k->name, kl) == 0 && strcmp(name + kl, "_file") == 0) {
				*file = true;
				return k;
			}
		}
	}
	return NULL;
}

static void
unknown_key(const config_setting_t *m, const struct conf_key *const *tables,
    const struct place *pl)
{
	const char *best = NULL, *suffix = "";
	unsigned bestd = 100;

	for (size_t t = 0; tables[t] != NULL; t++) {
		for (const struct conf_key *k = tables[t]; k->name != NULL; k++) {
			unsigned d = conf_distance(m->name, k->name);
			char fkey[128];

			if (d < bestd) {
				bestd = d;
				best = k->name;
				suffix = "";
			}
			if (!is_secret(k))
				continue;
			snprintf(fkey, sizeof(fkey), "%s_file", k->name);
			if ((d = conf_distance(m->name, fkey)) < bestd) {
				bestd = d;
				best = k->name;
				suffix = "_file";
			}
		}
	}
	/* Two edits make a different word of a short key: only suggest for long ones. */
	if (best != NULL && (bestd == 1 || (bestd == 2 && strlen(best) >= 5)))
		conf_error(node(m), "unknown key \"%s\"%s (did you mean \"%s%s\"?)", m->name,
		    pl->what != NULL ? pl->in : " at top level", best, suffix);
	else
		conf_error(node(m), "unknown key \"%s\"%s", m->name,
		    pl->what != NULL ? pl->in : " at top level");
}

/* Checks the secret k: KEY or KEY_file, not both, and that the files can be read. */
static int
check_secret(const struct conf_key *k, const config_setting_t *g, const struct place *pl)
{
	const struct conf_node *v = conf_get(node(g), k->name), *fv;
	char *fkey = file_key(k->name), **secrets;
	size_t count;
	int rc = -1;

	fv = conf_get(node(g), fkey);
	if (v == NULL && fv == NULL) {
		rc = 0;
		if (k->flags & CONF_REQUIRED) {
			conf_error(node(g), "missing required key \"%s\" (or \"%s\")%s",
			    k->name, fkey, pl->in);
			rc = -1;
		}
		goto out;
	}
	if (v != NULL && fv != NULL) {
		conf_error(fv, "give \"%s\" or \"%s\"%s, not both", k->name, fkey, pl->in);
		goto out;
	}
	if (v != NULL && check_value(k, setting(v), k->name, pl, false) == -1)
		goto out;
	if (fv != NULL && check_value(k, setting(fv), fkey, pl, true) == -1)
		goto out;
	if (fv != NULL) {
		if ((secrets = conf_secrets(node(g), k->name, &count)) == NULL)
			goto out;
		conf_free_secrets(secrets);
	}
	rc = 0;
out:
	free(fkey);
	return rc;
}

int
conf_check(const struct conf_node *n, const char *what,
    const struct conf_key *const *tables, bool lenient)
{
	const config_setting_t *g = setting(n);
	struct place pl = { .what = what };
	int rc = 0, len;

	if (n == NULL)
		return 0;
	if (g->type != CONFIG_TYPE_GROUP)
		return -1;
	if (what != NULL)
		snprintf(pl.in, sizeof(pl.in), " in %s", what);
	len = config_setting_length(g);
	for (int i = 0; i < len; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		bool file;

		if (find_key(tables, m->name, &file) == NULL && !lenient) {
			unknown_key(m, tables, &pl);
			rc = -1;
		}
	}
	for (size_t t = 0; tables[t] != NULL; t++) {
		for (const struct conf_key *k = tables[t]; k->name != NULL; k++) {
			const struct conf_node *v;

			if (is_secret(k)) {
				if (check_secret(k, g, &pl) == -1)
					rc = -1;
				continue;
			}
			if ((v = conf_get(n, k->name)) != NULL) {
				if (check_value(k, setting(v), k->name, &pl, false) == -1)
					rc = -1;
			} else if (k->flags & CONF_REQUIRED) {
				conf_error(n, "missing required key \"%s\"%s", k->name,
				    what != NULL ? pl.in : "");
				rc = -1;
			}
		}
	}
	return rc;
}
