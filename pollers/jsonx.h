#ifndef POLLHOOK_JSONX_H
#define POLLHOOK_JSONX_H

/*
 * JSON extraction for the http poller: RFC 6901 JSON Pointers extended with
 * a "*" wildcard segment, conversion of matched nodes to sample values and
 * item lists, and an incremental parser with a depth limit. Pure functions
 * of their arguments: no I/O, no logging, no loop.
 *
 * A segment that is exactly "*" matches every element of an array (the
 * instance is the index) or every member of an object (the instance is the
 * key). With several wildcards the instance is the keys joined by "/". A
 * member literally named "*" can therefore not be addressed.
 */

#include <stdbool.h>
#include <stddef.h>

struct json_object;
struct value;

/* The depth limit of jsonx_parser_new when given 0. */
#define JSONX_DEFAULT_DEPTH 64

struct jsonx_ptr;
struct jsonx_parser;

/*
 * Compiles a pointer ("" or "/seg/seg..."); returns a new pointer, or NULL
 * with a message in err when text is no valid pointer.
 */
struct jsonx_ptr *jsonx_compile(const char *text, char *err, size_t errlen);
/* Frees a compiled pointer; NULL is ignored. */
void jsonx_free(struct jsonx_ptr *p);
/* Returns the text p was compiled from (borrowed). */
const char *jsonx_text(const struct jsonx_ptr *p);
/* Returns the number of wildcard segments of p. */
size_t jsonx_wildcards(const struct jsonx_ptr *p);

/*
 * Called once per instance jsonx_eval found. instance is NULL when p has no
 * wildcard; elem is the node the last wildcard matched (the root without
 * wildcards), for relative label pointers; o is the node p points to (NULL
 * also stands for JSON null). When err is not NULL this instance failed
 * and o is meaningless. All pointers are borrowed for the call only.
 */
typedef void (*jsonx_match_fn)(void *arg, const char *instance,
    struct json_object *elem, struct json_object *o, const char *err);

/*
 * Evaluates p on root and calls fn for every instance. Returns 0, or -1
 * with a message in err when the pointer fails before its first wildcard
 * (then fn was not called). A wildcard over an empty container matches
 * nothing and is no error.
 */
int jsonx_eval(const struct jsonx_ptr *p, struct json_object *root,
    jsonx_match_fn fn, void *arg, char *err, size_t errlen);
/*
 * Resolves p, which must have no wildcard, on root; stores the node (borrowed,
 * NULL for JSON null) in *out and returns 0, or returns -1 with err.
 */
int jsonx_get(const struct jsonx_ptr *p, struct json_object *root,
    struct json_object **out, char *err, size_t errlen);

/*
 * Converts a number, string, boolean or null to v (overwritten, not freed);
 * returns -1 with err for objects, arrays and numbers beyond the range of a
 * double (1e400), which are never infinite values.
 */
int jsonx_value(struct json_object *o, struct value *v, char *err, size_t errlen);
/*
 * Returns a newly allocated text form of a scalar (strings as they are,
 * integers without a fraction), or NULL for objects, arrays and null.
 */
char *jsonx_scalar_text(struct json_object *o);
/*
 * Builds a VALUE_ITEMS value in v (overwritten) from arr, an array of
 * objects, keyed by the string or number at key inside each object. Items
 * whose key was already seen in arr are dropped, so every key appears once,
 * in the order of arr. Returns -1 with err, and v left as VALUE_NONE, when
 * arr is no array or an element has no usable key.
 */
int jsonx_items(struct json_object *arr, const struct jsonx_ptr *key,
    struct value *v, char *err, size_t errlen);
/* Returns the JSON type name of o ("object", "array", "null", ...). */
const char *jsonx_type_name(struct json_object *o);

/*
 * Returns a new incremental parser for one JSON document (RFC 8259, strictly:
 * no NaN or Infinity, no single quotes, no raw control characters in strings,
 * no "1." or "01") nested at most max_depth deep (JSONX_DEFAULT_DEPTH when 0).
 */
struct jsonx_parser *jsonx_parser_new(int max_depth);
/*
 * Feeds the next len bytes of the document. Returns 0, or -1 once the input
 * is invalid (later calls keep returning -1; jsonx_parser_finish says why).
 */
int jsonx_parser_feed(struct jsonx_parser *jp, const char *buf, size_t len);
/*
 * Ends the document. Returns 0 and stores the root in *root (one reference
 * owned by the caller; NULL for a document that is just null), or -1 with
 * a message in err for empty, truncated or invalid input.
 */
int jsonx_parser_finish(struct jsonx_parser *jp, struct json_object **root,
    char *err, size_t errlen);
/* Returns the number of bytes fed so far. */
size_t jsonx_parser_bytes(const struct jsonx_parser *jp);
/* Frees the parser and any partial document; NULL is ignored. */
void jsonx_parser_free(struct jsonx_parser *jp);

#endif
