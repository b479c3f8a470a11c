/*
 * The configuration tree: reading a libconfig file, ${ENV} expansion, the
 * read-only accessors plugins use and the FILE:LINE error reports. The
 * table-driven checker (the schema) is in conf_schema.c.
 *
 * A struct conf_node is a libconfig config_setting_t seen through an opaque
 * type, so the accessors cost nothing. Each setting points back to its
 * config_t, which is embedded in a struct conf_tree: that is how conf_error
 * finds the error counter of the tree a node belongs to.
 *
 * A file with thousands of sources makes a tree of several MiB. It is built on
 * a short-lived thread, so that glibc serves it from an arena of its own, and
 * the loader hands converted parts back (conf_drop_tail) to be freed on another
 * such thread (freed here, some would stay in this thread's cache and be handed
 * out to the configuration): their pages go back to the system at once,
 * instead of sitting as holes among the loaded configuration. The whole tree
 * and the configuration made from it are never held together.
 */

#include "conf.h"

#include <errno.h>
#include <libconfig.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf_impl.h"
#include "conf_include.h"
#include "util.h"
#include "xmalloc.h"

/* Secrets are short; a larger file is a mistake (a key ring, a log). */
#define SECRET_FILE_MAX	65536

struct conf_tree {
	config_t lc;
	char *path;		/* the main file, as given */
	char *dir;		/* its directory, NULL when path has none */
	char **files;		/* path, then the display names of included files */
	size_t nfiles;
	unsigned errors;
	struct conf_msg *msgs;	/* reported, printed in file order at close */
	size_t nmsgs;
};

struct conf_msg {
	size_t rank;		/* the file's index in files; nfiles when unknown */
	int line;
	size_t seq;
	char *text;		/* the whole line */
};

static struct conf_tree *
tree_of(const struct conf_node *n)
{
	if (n == NULL || setting(n)->config == NULL)
		return NULL;
	return container_of(setting(n)->config, struct conf_tree, lc);
}

/* Accessors. */

const struct conf_node *
conf_get(const struct conf_node *n, const char *key)
{
	if (n == NULL || !config_setting_is_group(setting(n)))
		return NULL;
	return node(config_setting_get_member(setting(n), key));
}

size_t
conf_count(const struct conf_node *n)
{
	if (n == NULL || !config_setting_is_aggregate(setting(n)))
		return 0;
	return (size_t)config_setting_length(setting(n));
}

const struct conf_node *
conf_elem(const struct conf_node *n, size_t i)
{
	if (n == NULL || !config_setting_is_aggregate(setting(n)) || i > UINT32_MAX)
		return NULL;
	return node(config_setting_get_elem(setting(n), (unsigned)i));
}

const char *
conf_name(const struct conf_node *n)
{
	return n == NULL ? NULL : config_setting_name(setting(n));
}

const char *
conf_value_string(const struct conf_node *n)
{
	if (n == NULL || config_setting_type(setting(n)) != CONFIG_TYPE_STRING)
		return NULL;
	return config_setting_get_string(setting(n));
}

const char *
conf_string(const struct conf_node *n, const char *key, const char *def)
{
	const char *s = conf_value_string(conf_get(n, key));

	return s == NULL ? def : s;
}

long long
conf_int(const struct conf_node *n, const char *key, long long def)
{
	const struct conf_node *v = conf_get(n, key);

	if (v == NULL || !is_int(setting(v)))
		return def;
	return config_setting_get_int64(setting(v));
}

double
conf_float(const struct conf_node *n, const char *key, double def)
{
	const struct conf_node *v = conf_get(n, key);

	if (v == NULL || !config_setting_is_number(setting(v)))
		return def;
	return number(setting(v));
}

bool
conf_bool(const struct conf_node *n, const char *key, bool def)
{
	const struct conf_node *v = conf_get(n, key);

	if (v == NULL || config_setting_type(setting(v)) != CONFIG_TYPE_BOOL)
		return def;
	return config_setting_get_bool(setting(v));
}

bool
conf_has(const struct conf_node *n, const char *key)
{
	return conf_get(n, key) != NULL;
}

const char **
conf_strings(const struct conf_node *n, const char *key, size_t *count)
{
	const struct conf_node *v = conf_get(n, key);
	const char **vec;
	size_t len, k = 0;

	*count = 0;
	if (v == NULL)
		return NULL;
	if (conf_value_string(v) != NULL) {
		vec = xcalloc(2, sizeof(*vec));
		vec[0] = conf_value_string(v);
		*count = 1;
		return vec;
	}
	len = conf_count(v);
	vec = xcalloc(len + 1, sizeof(*vec));
	for (size_t i = 0; i < len; i++)
		if (conf_value_string(conf_elem(v, i)) != NULL)
			vec[k++] = conf_value_string(conf_elem(v, i));
	*count = k;
	return vec;
}

const char *
conf_file(const struct conf_node *n)
{
	const struct conf_tree *t = tree_of(n);

	if (n != NULL && setting(n)->file != NULL)
		return setting(n)->file;
	/* The root group has no file of its own. */
	return t != NULL ? t->path : NULL;
}

int
conf_line(const struct conf_node *n)
{
	return n == NULL ? 0 : (int)config_setting_source_line(setting(n));
}

/*
 * A setting copied from a profile (conf_profile.c) points to its original
 * (hook), the setting of a group in a top-level list: appends where that is.
 */
static void
conf_origin_suffix(const config_setting_t *copy, char *buf, size_t len)
{
	const config_setting_t *o = copy->hook, *g = o;
	const char *name = "", *file = o->file != NULL ? o->file : "";
	size_t used = strlen(buf);

	while (g->parent != NULL && g->parent->parent != NULL && g->parent->parent->parent != NULL)
		g = g->parent;
	config_setting_lookup_string(g, "name", &name);
	if (used < len)
		snprintf(buf + used, len - used, " (from profile \"%s\" at %s:%u)", name, file,
		    o->line);
}

static void report(struct conf_tree *t, const char *file, int line, const char *fmt,
    va_list ap);

/* As report, with the arguments themselves. */
static void __attribute__((format(printf, 4, 5)))
report_fmt(struct conf_tree *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(t, file, line, fmt, ap);
	va_end(ap);
}

/* Prints an error now, or holds it for t's close when it belongs to a tree. */
static void
report(struct conf_tree *t, const char *file, int line, const char *fmt, va_list ap)
{
	char msg[1024], *text;
	struct conf_msg *m;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (file == NULL)
		text = xasprintf("pollhook: %s", msg);
	else if (line <= 0)
		text = xasprintf("%s: %s", file, msg);
	else
		text = xasprintf("%s:%d: %s", file, line, msg);
	if (t == NULL) {
		fprintf(stderr, "%s\n", text);
		free(text);
		return;
	}
	t->errors++;
	t->msgs = xreallocarray(t->msgs, t->nmsgs + 1, sizeof(*t->msgs));
	m = &t->msgs[t->nmsgs];
	m->rank = t->nfiles;
	for (size_t i = 0; file != NULL && i < t->nfiles; i++)
		if (strcmp(t->files[i], file) == 0) {
			m->rank = i;
			break;
		}
	m->line = line;
	m->seq = t->nmsgs++;
	m->text = text;
}

void
conf_error(const struct conf_node *n, const char *fmt, ...)
{
	char full[1024];
	va_list ap;

	/* A node of no tree (a plugin's own test) has no counter: its caller counts. */
	va_start(ap, fmt);
	if (n != NULL && setting(n)->hook != NULL) {
		vsnprintf(full, sizeof(full), fmt, ap);
		conf_origin_suffix(setting(n), full, sizeof(full));
		report_fmt(tree_of(n), conf_file(n), conf_line(n), "%s", full);
	} else
		report(tree_of(n), conf_file(n), conf_line(n), fmt, ap);
	va_end(ap);
}

void
conf_error_at(struct conf_tree *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(t, file, line, fmt, ap);
	va_end(ap);
}

static int
msg_order(const void *a, const void *b)
{
	const struct conf_msg *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Prints the errors held for t, in the order of the files and lines. */
static void
flush_errors(struct conf_tree *t)
{
	if (t->nmsgs > 1)
		qsort(t->msgs, t->nmsgs, sizeof(*t->msgs), msg_order);
	for (size_t i = 0; i < t->nmsgs; i++) {
		/* Sources sharing a profile's metrics may meet the same error in it. */
		if (i == 0 || strcmp(t->msgs[i].text, t->msgs[i - 1].text) != 0)
			fprintf(stderr, "%s\n", t->msgs[i].text);
	}
	for (size_t i = 0; i < t->nmsgs; i++)
		free(t->msgs[i].text);
	free(t->msgs);
	t->msgs = NULL;
	t->nmsgs = 0;
}

/* Secrets. */

/* Relative secret files are relative to the directory of the file naming them. */
static char *
resolve_path(const struct conf_node *n, const char *path)
{
	const char *file = conf_file(n), *slash;

	/* A setting copied from a profile names files relative to the profile's file. */
	if (n != NULL && setting(n)->hook != NULL)
		file = ((const config_setting_t *)setting(n)->hook)->file;

	if (path[0] == '/' || file == NULL || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - file), file, path);
}

/* Reads one secret file; returns a new string or NULL after reporting at n. */
static char *
read_secret(const struct conf_node *n, const char *fkey, const char *path)
{
	char *full = resolve_path(n, path), *buf = NULL;
	FILE *f;
	size_t len;

	if ((f = fopen(full, "r")) == NULL) {
		conf_error(n, "cannot read \"%s\" %s: %s", fkey, full, strerror(errno));
		goto out;
	}
	buf = xmalloc(SECRET_FILE_MAX + 1);
	len = fread(buf, 1, SECRET_FILE_MAX + 1, f);
	if (ferror(f)) {
		conf_error(n, "cannot read \"%s\" %s: %s", fkey, full, strerror(errno));
		goto fail;
	}
	if (len > SECRET_FILE_MAX) {
		conf_error(n, "\"%s\" %s is larger than %d bytes", fkey, full, SECRET_FILE_MAX);
		goto fail;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		conf_error(n, "\"%s\" %s %s", fkey, full,
		    len == 0 ? "is empty" : "holds a NUL byte");
		goto fail;
	}
	goto out;
fail:
	free(buf);
	buf = NULL;
out:
	if (f != NULL)
		fclose(f);
	free(full);
	return buf;
}

char **
conf_secrets(const struct conf_node *n, const char *key, size_t *count)
{
	char *fkey = file_key(key), **vec = NULL;
	const struct conf_node *v = conf_get(n, key), *fv = conf_get(n, fkey);
	const char **names;
	size_t len, k = 0;
	bool from_file = v == NULL;

	*count = 0;
	if (v == NULL && fv == NULL)
		goto out;
	names = conf_strings(n, from_file ? fkey : key, &len);
	vec = xcalloc(len + 1, sizeof(*vec));
	for (size_t i = 0; i < len; i++) {
		if (!from_file) {
			vec[k++] = xstrdup(names[i]);
			continue;
		}
		if ((vec[k] = read_secret(fv, fkey, names[i])) == NULL) {
			free(names);
			conf_free_secrets(vec);
			vec = NULL;
			goto out;
		}
		k++;
	}
	free(names);
	*count = k;
out:
	free(fkey);
	return vec;
}

void
conf_free_secrets(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Fingerprints. */

#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++) {
		h ^= c[i];
		h *= FNV_PRIME;
	}
	return h;
}

/*
 * Appends the canonical bytes of a setting to b: names, types and lengths go
 * in too, so no two trees give the same bytes by layout.
 */
static void
canon_setting(struct buf *b, const config_setting_t *s)
{
	char num[64];
	int len;

	if (s->name != NULL)
		buf_add(b, s->name, strlen(s->name) + 1);
	else
		buf_add(b, "", 1);
	len = snprintf(num, sizeof(num), "%d:", s->type);
	buf_add(b, num, (size_t)len);
	switch (s->type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		len = snprintf(num, sizeof(num), "%lld", config_setting_get_int64(s));
		buf_add(b, num, (size_t)len + 1);
		return;
	case CONFIG_TYPE_FLOAT:
		len = snprintf(num, sizeof(num), "%.17g", config_setting_get_float(s));
		buf_add(b, num, (size_t)len + 1);
		return;
	case CONFIG_TYPE_BOOL:
		buf_add(b, config_setting_get_bool(s) ? "t" : "f", 1);
		return;
	case CONFIG_TYPE_STRING:
		len = snprintf(num, sizeof(num), "%zu:", strlen(config_setting_get_string(s)));
		buf_add(b, num, (size_t)len);
		buf_str(b, config_setting_get_string(s));
		return;
	default:
		len = snprintf(num, sizeof(num), "%d{", config_setting_length(s));
		buf_add(b, num, (size_t)len);
		for (int i = 0; i < config_setting_length(s); i++)
			canon_setting(b, config_setting_get_elem(s, (unsigned)i));
		buf_add(b, "}", 1);
	}
}

void
conf_canon(const struct conf_node *n, struct buf *b)
{
	b->len = 0;
	if (n != NULL)
		canon_setting(b, setting(n));
}

void
conf_fingerprint(const struct conf_node *n, char *out, size_t len)
{
	struct buf b = { 0 };

	conf_canon(n, &b);
	snprintf(out, len, "%016llx", (unsigned long long)fnv(FNV_OFFSET, b.p, b.len));
	free(b.p);
}

/* Loading and ${ENV}. */

static const char *
display_name(struct conf_tree *t, const char *file)
{
	char *name;

	if (strcmp(file, t->path) == 0)
		return t->files[0];
	/* libconfig names an included file as written; show where it really is. */
	if (t->dir != NULL && file[0] != '/')
		name = xasprintf("%s/%s", t->dir, file);
	else
		name = xstrdup(file);
	for (size_t i = 0; i < t->nfiles; i++) {
		if (strcmp(t->files[i], name) == 0) {
			free(name);
			return t->files[i];
		}
	}
	t->files = xreallocarray(t->files, t->nfiles + 1, sizeof(*t->files));
	t->files[t->nfiles++] = name;
	return name;
}

/*
 * Expands ${NAME} and $$ in s; returns a new string, or NULL after reporting
 * at n (whose name, or its parent's for list elements, says which setting).
 */
static char *
expand(const config_setting_t *s, const char *in)
{
	const config_setting_t *named = s;
	char *out = NULL, *name = NULL;
	size_t len = 0, cap = strlen(in) + 1;
	const char *p = in, *val, *end;

	while (named->name == NULL && named->parent != NULL)
		named = named->parent;
	out = xmalloc(cap);
	while (*p != '\0') {
		size_t add;

		val = p;
		add = 1;
		if (p[0] == '$' && p[1] == '$') {
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			if ((end = strchr(p + 2, '}')) == NULL) {
				conf_error(node(s), "unterminated \"${\" in \"%s\"",
				    named->name != NULL ? named->name : "");
				goto fail;
			}
			free(name);
			name = xstrndup(p + 2, (size_t)(end - p - 2));
			if (name[0] == '\0' || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name) ||
			    (name[0] >= '0' && name[0] <= '9')) {
				conf_error(node(s), "invalid environment variable name "
				    "\"${%s}\" in \"%s\"", name,
				    named->name != NULL ? named->name : "");
				goto fail;
			}
			if ((val = getenv(name)) == NULL) {
				conf_error(node(s), "undefined environment variable "
				    "\"%s\" in \"%s\"", name,
				    named->name != NULL ? named->name : "");
				goto fail;
			}
			add = strlen(val);
			p = end + 1;
		} else {
			p++;
		}
		if (len + add + 1 > cap) {
			cap = (len + add + 1) * 2;
			out = xreallocarray(out, cap, 1);
		}
		memcpy(out + len, val, add);
		len += add;
	}
	out[len] = '\0';
	goto out;
fail:
	free(out);
	out = NULL;
out:
	free(name);
	return out;
}

static void
prepare(struct conf_tree *t, config_setting_t *s)
{
	if (s->file != NULL)
		s->file = display_name(t, s->file);
	if (s->type == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);
		char *x;

		if (strchr(v, '$') != NULL && (x = expand(s, v)) != NULL) {
			config_setting_set_string(s, x);
			free(x);
		}
	}
	if (config_setting_is_aggregate(s))
		for (int i = 0; i < config_setting_length(s); i++)
			prepare(t, config_setting_get_elem(s, (unsigned)i));
}

/*
 * libconfig 1.5 says "cannot open include file" without the name: find it on
 * the line the error points at, as the include directory turns it into a path.
 */
static char *
include_failed(const struct conf_tree *t, const char *file, int line)
{
	char buf[1024], *name = NULL, *start, *end;
	FILE *f;

	if ((f = fopen(file, "r")) == NULL)
		return NULL;
	while (line-- > 0 && fgets(buf, sizeof(buf), f) != NULL) {
		if (line > 0)
			continue;
		if ((start = strstr(buf, "@include")) == NULL ||
		    (start = strchr(start, '"')) == NULL ||
		    (end = strchr(start + 1, '"')) == NULL)
			break;
		*end = '\0';
		if (t->dir != NULL)
			name = xasprintf("%s/%s", t->dir, start + 1);
		else
			name = xstrdup(start + 1);
	}
	fclose(f);
	return name;
}

/* Runs fn(arg) on a short-lived thread (see the top of this file), signals blocked. */
static void
on_own_arena(void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	pthread_t th;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&th, NULL, fn, arg) == 0)
		pthread_join(th, NULL);
	else
		fn(arg);	/* no thread: the same, only in the caller's arena */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct read_job {
	struct conf_tree *t;
	const char *path;
	bool ok;
};

static void *
read_run(void *arg)
{
	struct read_job *j = arg;

	j->ok = config_read_file(&j->t->lc, j->path) == CONFIG_TRUE;
	if (j->ok)
		prepare(j->t, config_root_setting(&j->t->lc));
	return NULL;
}

struct drop_job {
	config_setting_t *list;
	size_t n;
};

static void *
drop_run(void *arg)
{
	struct drop_job *j = arg;

	/* The last element goes in constant time: libconfig moves none. */
	for (size_t i = 0; i < j->n; i++)
		config_setting_remove_elem(j->list, (unsigned)config_setting_length(j->list) - 1);
	malloc_trim(0);
	return NULL;
}

void
conf_drop_tail(const struct conf_node *list, size_t n)
{
	struct drop_job j = { (config_setting_t *)setting(list), n };

	if (list == NULL || !config_setting_is_aggregate(j.list))
		return;
	if (j.n > (size_t)config_setting_length(j.list))
		j.n = (size_t)config_setting_length(j.list);
	if (j.n > 0)
		on_own_arena(drop_run, &j);
}

struct conf_tree *
conf_load(const char *path)
{
	struct conf_tree *t = xcalloc(1, sizeof(*t));
	const char *slash = strrchr(path, '/');
	struct read_job job = { t, path, false };
	FILE *f;

	config_init(&t->lc);
	t->path = xstrdup(path);
	t->files = xcalloc(1, sizeof(*t->files));
	t->files[t->nfiles++] = xstrdup(path);
	/* libconfig only says "file I/O error"; ask the system for the reason. */
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	if (slash != NULL) {
		t->dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
		config_set_include_dir(&t->lc, t->dir);
	}
	/* libconfig would exit the process on a directory (conf_include.h). */
	if (conf_include_check(path, t->dir) == -1)
		goto fail;
	on_own_arena(read_run, &job);
	if (!job.ok) {
		const char *file = config_error_file(&t->lc);

		if (config_error_type(&t->lc) == CONFIG_ERR_FILE_IO || file == NULL)
			fprintf(stderr, "%s: %s\n", path, config_error_text(&t->lc));
		else {
			char *inc = NULL;

			file = display_name(t, file);
			if (strcmp(config_error_text(&t->lc), "cannot open include file") == 0)
				inc = include_failed(t, file, config_error_line(&t->lc));
			fprintf(stderr, "%s:%d: %s%s%s%s\n", file, config_error_line(&t->lc),
			    config_error_text(&t->lc), inc != NULL ? " \"" : "",
			    inc != NULL ? inc : "", inc != NULL ? "\"" : "");
			free(inc);
		}
		goto fail;
	}
	return t;
fail:
	conf_close(t);
	return NULL;
}

void
conf_close(struct conf_tree *t)
{
	if (t == NULL)
		return;
	flush_errors(t);
	config_destroy(&t->lc);
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t->dir);
	free(t->path);
	free(t);
}

const struct conf_node *
conf_root(const struct conf_tree *t)
{
	return node(config_root_setting(&t->lc));
}

unsigned
conf_errors(const struct conf_tree *t)
{
	return t->errors;
}

const char *const *
conf_files(const struct conf_tree *t, size_t *count)
{
	*count = t->nfiles;
	return (const char *const *)t->files;
}
