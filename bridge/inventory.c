/*
 * Inventory files (see inventory.h) turned into source groups of the
 * configuration tree, one row at a time: a row's group is built under its
 * inventory element, handed to the loader and freed before the next row, so
 * 100,000 rows never make 100,000 groups at once.
 */

#include "inventory.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_impl.h"
#include "xmalloc.h"

static const char *const formats[] = { "csv", "jsonl", NULL };

const struct conf_key inventory_keys[] = {
	{ "file", CONF_STRING, CONF_REQUIRED | CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "inventory: the file of devices, relative to this file's directory" },
	{ "profile", CONF_STRING, CONF_NAME, 0, 0, NULL, NULL,
	    "inventory: the profile of rows that name none" },
	{ "format", CONF_STRING, 0, 0, 0, formats, NULL,
	    "inventory: csv (a header row) or jsonl; default from the file name" },
	{ "watch", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "inventory: reload when the file changes, not only on SIGHUP" },
	CONF_KEY_END
};

#define ROW_KEY		"row_"	/* the member of inv a row is built as */
#define FIELDS_MAX	256

struct reader {
	struct conf_tree *t;
	config_setting_t *inv;
	const char *path;
	int line;
	const char *profile;		/* the inventory's default, or NULL */
	inventory_poller_fn poller_of;
	void *arg;
	char *header[FIELDS_MAX];	/* CSV: the column names */
	size_t ncols;
	int name_col, address_col, profile_col, parent_col;
	config_setting_t *row, *labels;
};

char *
inventory_path(const struct conf_node *inv)
{
	const char *file = conf_file(inv), *slash, *path = conf_string(inv, "file", "");

	if (path[0] == '/' || file == NULL || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - file), file, path);
}

/* Letters, digits, "_" and "-", starting with a letter: what libconfig takes as a name. */
static bool
label_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
	    strlen(s);
}

static config_setting_t *
add(config_setting_t *parent, const char *key, int type, const struct reader *r)
{
	config_setting_t *s = config_setting_add(parent, key, type);

	if (s != NULL) {
		s->file = r->path;
		s->line = (unsigned)r->line;
	}
	return s;
}

static void
add_string(config_setting_t *parent, const char *key, const char *val, const struct reader *r)
{
	config_setting_t *s;

	if (config_setting_get_member(parent, key) == NULL &&
	    (s = add(parent, key, CONFIG_TYPE_STRING, r)) != NULL)
		config_setting_set_string(s, val);
}

static void
row_begin(struct reader *r)
{
	r->row = add(r->inv, ROW_KEY, CONFIG_TYPE_GROUP, r);
	r->labels = NULL;
}

static void
row_label(struct reader *r, const char *key, const char *val)
{
	if (r->labels == NULL)
		r->labels = add(r->row, "labels", CONFIG_TYPE_GROUP, r);
	add_string(r->labels, key, val, r);
}

/* Adds one parent's name to the row's "parent" list. */
static void
row_parent(struct reader *r, const char *name)
{
	config_setting_t *list = config_setting_get_member(r->row, "parent");

	if (list == NULL && (list = add(r->row, "parent", CONFIG_TYPE_ARRAY, r)) == NULL)
		return;
	config_setting_set_string_elem(list, -1, name);
}

/* Adds the parents named in text, separated by blanks, to the row. */
static void
row_parents(struct reader *r, char *text)
{
	for (char *w = text + strspn(text, " \t"); *w != '\0'; w += strspn(w, " \t")) {
		size_t len = strcspn(w, " \t");
		bool last = w[len] == '\0';

		w[len] = '\0';
		row_parent(r, w);
		w += len + !last;
	}
}

/* Adds name, profile and address (into the profile's poller group) to the row. */
static void
row_core(struct reader *r, const char *name, const char *address, const char *profile)
{
	const char *poller = NULL;
	config_setting_t *g;

	if (profile == NULL || *profile == '\0')
		profile = r->profile;
	if (name != NULL && *name != '\0')
		add_string(r->row, "name", name, r);
	if (profile != NULL) {
		add_string(r->row, "profile", profile, r);
		poller = r->poller_of(r->arg, profile);
	}
	if (address == NULL || *address == '\0')
		return;
	if ((g = add(r->row, poller != NULL ? poller : "snmp", CONFIG_TYPE_GROUP, r)) != NULL)
		add_string(g, "address", address, r);
}

static void
row_end(struct reader *r, inventory_row_fn fn, size_t *rows)
{
	if (r->row == NULL)
		return;
	fn(r->arg, node(r->row));
	(*rows)++;
	config_setting_remove(r->inv, ROW_KEY);
	r->row = NULL;
}

/*
 * Splits a CSV line into fields (RFC 4180 quoting, no line breaks within
 * quotes) in place; returns the number of fields, or -1 after reporting.
 */
static int
split_csv(struct reader *r, char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line, *out;

	for (;;) {
		if (n == max) {
			conf_error_at(r->t, r->path, r->line, "inventory row has more than %zu "
			    "fields", max);
			return -1;
		}
		f[n++] = out = p;
		if (*p == '"') {
			for (p++;; p++) {
				if (*p == '\0') {
					conf_error_at(r->t, r->path, r->line, "unterminated quote "
					    "in inventory row");
					return -1;
				}
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"')
					break;
				*out++ = *p;
			}
			p++;
			if (*p != ',' && *p != '\0') {
				conf_error_at(r->t, r->path, r->line, "text after a closing "
				    "quote in inventory row");
				return -1;
			}
		} else {
			while (*p != ',' && *p != '\0')
				*out++ = *p++;
		}
		if (*p == '\0') {
			*out = '\0';
			return (int)n;
		}
		*out = '\0';
		p++;
	}
}

static int
csv_header(struct reader *r, char **f, int n)
{
	int errs = 0;

	r->name_col = r->address_col = r->profile_col = r->parent_col = -1;
	for (int i = 0; i < n; i++) {
		r->header[i] = xstrdup(f[i]);
		if (strcmp(f[i], "name") == 0)
			r->name_col = i;
		else if (strcmp(f[i], "address") == 0)
			r->address_col = i;
		else if (strcmp(f[i], "profile") == 0)
			r->profile_col = i;
		else if (strcmp(f[i], "parent") == 0)
			r->parent_col = i;
		else if (!label_name(f[i])) {
			conf_error_at(r->t, r->path, r->line, "inventory column \"%s\" is no "
			    "label name (letters, digits, \"_\", \"-\"; a letter first)", f[i]);
			errs++;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(f[i], f[j]) == 0) {
				conf_error_at(r->t, r->path, r->line, "inventory column \"%s\" "
				    "given twice", f[i]);
				errs++;
				break;
			}
	}
	r->ncols = (size_t)n;
	if (r->name_col == -1 || r->address_col == -1) {
		conf_error_at(r->t, r->path, r->line, "inventory header must name the columns "
		    "\"name\" and \"address\"");
		errs++;
	}
	return errs > 0 ? -1 : 0;
}

static void
csv_row(struct reader *r, char **f, int n, inventory_row_fn fn, size_t *rows)
{
	if ((size_t)n != r->ncols) {
		conf_error_at(r->t, r->path, r->line, "inventory row has %d fields, the header "
		    "%zu", n, r->ncols);
		return;
	}
	row_begin(r);
	if (r->row == NULL)
		return;
	row_core(r, f[r->name_col], f[r->address_col],
	    r->profile_col >= 0 ? f[r->profile_col] : NULL);
	if (r->parent_col >= 0)
		row_parents(r, f[r->parent_col]);
	for (int i = 0; i < n; i++)
		if (i != r->name_col && i != r->address_col && i != r->profile_col &&
		    i != r->parent_col && *f[i] != '\0')
			row_label(r, r->header[i], f[i]);
	row_end(r, fn, rows);
}

/* Returns the text of a JSON scalar (borrowed from j), or NULL for objects and arrays. */
static const char *
json_text(struct json_object *j)
{
	if (j == NULL || json_object_is_type(j, json_type_object) ||
	    json_object_is_type(j, json_type_array))
		return NULL;
	return json_object_get_string(j);
}

/* A JSON row's "parent": a name or an array of names. */
static void
json_parents(struct reader *r, struct json_object *val)
{
	size_t n = json_object_is_type(val, json_type_array) ? json_object_array_length(val) : 0;

	if (json_object_is_type(val, json_type_string)) {
		row_parent(r, json_object_get_string(val));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(val, i), json_type_string)) {
			n = 0;
			break;
		}
	if (n == 0) {
		conf_error_at(r->t, r->path, r->line, "inventory key \"parent\" must be a source "
		    "name or a non-empty array of them");
		return;
	}
	for (size_t i = 0; i < n; i++)
		row_parent(r, json_object_get_string(json_object_array_get_idx(val, i)));
}

static void
json_row(struct reader *r, const char *line, inventory_row_fn fn, size_t *rows)
{
	enum json_tokener_error jerr = json_tokener_success;
	struct json_object *o = json_tokener_parse_verbose(line, &jerr), *v;
	const char *name, *address, *profile;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		conf_error_at(r->t, r->path, r->line, "inventory line is no JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? json_tokener_error_desc(jerr) : "");
		goto out;
	}
	name = json_object_object_get_ex(o, "name", &v) ? json_text(v) : NULL;
	address = json_object_object_get_ex(o, "address", &v) ? json_text(v) : NULL;
	profile = json_object_object_get_ex(o, "profile", &v) ? json_text(v) : NULL;
	row_begin(r);
	if (r->row == NULL)
		goto out;
	row_core(r, name, address, profile);
	json_object_object_foreach(o, key, val) {
		bool core = strcmp(key, "name") == 0 || strcmp(key, "address") == 0 ||
		    strcmp(key, "profile") == 0;

		if (strcmp(key, "parent") == 0) {
			json_parents(r, val);
			continue;
		}
		if (strcmp(key, "labels") == 0 && json_object_is_type(val, json_type_object)) {
			json_object_object_foreach(val, lk, lv) {
				if (json_text(lv) != NULL && label_name(lk))
					row_label(r, lk, json_text(lv));
				else
					conf_error_at(r->t, r->path, r->line, "inventory label "
					    "\"%s\" must be a name with a string, number or "
					    "boolean value", lk);
			}
		} else if (json_text(val) == NULL || (!core && !label_name(key)))
			conf_error_at(r->t, r->path, r->line, "inventory key \"%s\" must be a "
			    "name with a string, number or boolean value", key);
		else if (!core)
			row_label(r, key, json_text(val));
	}
	row_end(r, fn, rows);
out:
	if (o != NULL)
		json_object_put(o);
}

static bool
is_jsonl(const struct conf_node *inv, const char *path)
{
	const char *format = conf_string(inv, "format", NULL);
	size_t len = strlen(path);

	if (format != NULL)
		return strcmp(format, "jsonl") == 0;
	return (len > 6 && strcmp(path + len - 6, ".jsonl") == 0) ||
	    (len > 7 && strcmp(path + len - 7, ".ndjson") == 0);
}

size_t
inventory_load(struct conf_tree *t, const struct conf_node *inv, const char *path,
    inventory_poller_fn poller_of, inventory_row_fn fn, void *arg)
{
	struct reader r = {
		.t = t, .inv = (config_setting_t *)setting(inv), .path = path,
		.profile = conf_string(inv, "profile", NULL), .poller_of = poller_of, .arg = arg,
	};
	bool jsonl = is_jsonl(inv, path), header = !jsonl, bad_header = false;
	char *line = NULL, *f[FIELDS_MAX];
	size_t cap = 0, rows = 0;
	ssize_t len;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		conf_error(conf_get(inv, "file"), "cannot read inventory %s: %s", path,
		    strerror(errno));
		return 0;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		int n;

		r.line++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#' || bad_header)
			continue;
		if (jsonl) {
			json_row(&r, line, fn, &rows);
			continue;
		}
		if ((n = split_csv(&r, line, f, FIELDS_MAX)) == -1) {
			bad_header = header;
			continue;
		}
		if (header) {
			header = false;
			bad_header = csv_header(&r, f, n) == -1;
		} else
			csv_row(&r, f, n, fn, &rows);
	}
	if (ferror(fp))
		conf_error(conf_get(inv, "file"), "cannot read inventory %s: %s", path,
		    strerror(errno));
	else if (header && !jsonl && !bad_header)
		conf_error_at(t, path, r.line, "inventory has no header row");
	fclose(fp);
	free(line);
	for (size_t i = 0; i < r.ncols; i++)
		free(r.header[i]);
	return rows;
}
