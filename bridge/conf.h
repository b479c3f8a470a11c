#ifndef POLLHOOK_CONF_H
#define POLLHOOK_CONF_H

/*
 * The configuration tree as plugins see it: a validated, read-only view of one
 * group of the libconfig file, and the schema tables that describe each group. The tree (reading the file,
 * accessors, errors) is implemented in conf_tree.c, the schema check in
 * conf_schema.c.
 *
 * Every group of the file is checked against a table of struct conf_key before
 * anyone reads it: unknown keys, wrong types, missing required keys and values
 * out of range are reported as "FILE:LINE: message". Plugins describe their own
 * keys with the same tables and read values with the accessors below, which
 * therefore never fail on type.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct conf_node;	/* a libconfig setting; opaque to plugins */

enum conf_type {
	CONF_STRING,	/* a string; ${ENV} is expanded when the file is loaded */
	CONF_INT,	/* an integer */
	CONF_FLOAT,	/* a number; integers are accepted */
	CONF_BOOL,	/* true or false */
	CONF_GROUP,	/* { key = value; ... }, checked against sub */
	CONF_STRINGS,	/* [ "a", "b" ] or ( "a", "b" ), or one string */
	CONF_GROUPS,	/* ( { ... }, { ... } ), each checked against sub */
	CONF_SECRET,	/* a string given as KEY or read from the file KEY_file */
	CONF_SECRETS,	/* like CONF_SECRET, but KEY may also be a list (rotation) */
	CONF_MAP,	/* { any_name = "string"; ... }, e.g. labels */
};

#define CONF_REQUIRED	0x01	/* the key must be present */
#define CONF_HAS_MIN	0x02	/* min applies (numbers; string length for strings;
				   number of elements for lists and maps) */
#define CONF_HAS_MAX	0x04	/* max applies */
#define CONF_MIN_OPEN	0x08	/* the value must be strictly greater than min */
#define CONF_NAME	0x10	/* a string restricted to [A-Za-z0-9._-], not empty */

struct conf_key {
	const char *name;
	enum conf_type type;
	unsigned flags;
	double min, max;
	const char *const *choices;	/* NULL-terminated allowed strings, or NULL */
	const struct conf_key *sub;	/* for CONF_GROUP and CONF_GROUPS */
	const char *doc;		/* one line for --help-config and the man page test */
};

/* Terminates a conf_key table. */
#define CONF_KEY_END { NULL, CONF_STRING, 0, 0, 0, NULL, NULL, NULL }

/* Returns the child setting named key, or NULL when absent. */
const struct conf_node *conf_get(const struct conf_node *n, const char *key);
/* Returns the number of elements of a list, array or group. */
size_t conf_count(const struct conf_node *n);
/* Returns element i of a list, array or group. */
const struct conf_node *conf_elem(const struct conf_node *n, size_t i);
/* Returns the name of a group member, or NULL for list elements. */
const char *conf_name(const struct conf_node *n);
/* Returns the string value of n itself (borrowed), or NULL when n is no string. */
const char *conf_value_string(const struct conf_node *n);
/* Returns the string at key (borrowed), or def when absent. */
const char *conf_string(const struct conf_node *n, const char *key, const char *def);
/* Returns the integer at key, or def when absent. */
long long conf_int(const struct conf_node *n, const char *key, long long def);
/* Returns the number at key (integer or float), or def when absent. */
double conf_float(const struct conf_node *n, const char *key, double def);
/* Returns the boolean at key, or def when absent. */
bool conf_bool(const struct conf_node *n, const char *key, bool def);
/* Returns whether key is present in the group n. */
bool conf_has(const struct conf_node *n, const char *key);
/*
 * Returns the strings at key (a list, an array or one string) as a NULL-terminated
 * array of borrowed pointers in a newly allocated vector, or NULL when absent;
 * *count receives the number of strings. The caller frees the vector only.
 */
const char **conf_strings(const struct conf_node *n, const char *key, size_t *count);
/*
 * Returns the secret(s) of a CONF_SECRET(S) key, from KEY or read from KEY_file
 * (trailing newlines removed), as a newly allocated NULL-terminated vector of newly
 * allocated strings; NULL when absent or unreadable (then reported with FILE:LINE).
 */
char **conf_secrets(const struct conf_node *n, const char *key, size_t *count);
/* Returns the file name the setting n came from. */
const char *conf_file(const struct conf_node *n);
/* Returns the line number of the setting n. */
int conf_line(const struct conf_node *n);
/*
 * Reports "FILE:LINE: message" for n and counts one error in n's tree; the
 * messages of a tree go to stderr in file and line order when it is closed.
 */
void conf_error(const struct conf_node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees a vector returned by conf_secrets. */
void conf_free_secrets(char **v);

/*
 * For the loader (config.c) only; plugins never see a whole tree.
 *
 * A tree is one file with its @includes. libconfig 1.5 resolves every
 * @include relative to one include directory, which is set to the main file's
 * directory, so includes (also nested ones) are relative to the main file and
 * cannot be absolute. Settings from an included file report that file's path
 * as main-file-directory/included-name.
 *
 * "${NAME}" in any string is replaced with the environment variable NAME when
 * the file is read (an undefined variable is an error, an empty one is fine);
 * "$$" stands for a literal "$"; a "$" followed by anything else stays as is.
 */
struct conf_tree;

/*
 * Reads path and expands ${ENV}; returns a new tree (caller closes), or NULL
 * after reporting why the file cannot be read or parsed. Errors found while
 * expanding are reported and counted, and the tree is still returned.
 */
struct conf_tree *conf_load(const char *path);
/* Frees t and every node of it. */
void conf_close(struct conf_tree *t);
/* Returns the root group of t (borrowed). */
const struct conf_node *conf_root(const struct conf_tree *t);
/* Returns the number of errors reported for nodes of t so far. */
unsigned conf_errors(const struct conf_tree *t);
/* As conf_error, for a position in t whose node is gone (see conf_drop_tail). */
void conf_error_at(struct conf_tree *t, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/*
 * Frees the last n elements of list (a list of t): a loader done with them
 * gives their memory back while it goes on with the others.
 */
void conf_drop_tail(const struct conf_node *list, size_t n);
/* Returns every file name of t, the main file first (borrowed); *count receives the number. */
const char *const *conf_files(const struct conf_tree *t, size_t *count);
/*
 * Checks the group n against the NULL-terminated list of key tables: unknown
 * keys (unless lenient, for a plugin that is not there to say), types,
 * required keys, ranges, choices, names, secrets; recurses into CONF_GROUP and
 * CONF_GROUPS keys that have a sub table. what names the group in messages
 * ("source"; NULL for the top level). Returns 0, or -1 when it reported an
 * error (or when n is no group: whoever holds n reported that already).
 */
int conf_check(const struct conf_node *n, const char *what,
    const struct conf_key *const *tables, bool lenient);
/* Returns the Levenshtein distance of a and b, capped at 100. */
unsigned conf_distance(const char *a, const char *b);
/* Returns whether s is a valid name: one or more of [A-Za-z0-9._-]. */
bool conf_valid_name(const char *s);
/*
 * Writes into out (len bytes: 17 for all of it) 16 hex digits of a hash of everything
 * in n: names, types and values after ${ENV}, but not the contents of *_file
 * files. Equal groups give equal fingerprints, across runs and machines.
 */
void conf_fingerprint(const struct conf_node *n, char *out, size_t len);
/*
 * Replaces the contents of b with the canonical bytes of n that
 * conf_fingerprint hashes (NULs included: compare b->len bytes): two groups
 * with equal bytes are equal, wherever they are in the files.
 */
void conf_canon(const struct conf_node *n, struct buf *b);

#endif
