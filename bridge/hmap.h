#ifndef POLLHOOK_HMAP_H
#define POLLHOOK_HMAP_H

/*
 * A string-keyed hash map with open addressing. Keys are copied (unless
 * borrowed is set: then the caller keeps each key alive while it is in the
 * map); values are borrowed pointers the caller owns. Iteration order is
 * unspecified.
 */

#include <stdbool.h>
#include <stddef.h>

struct hmap {
	size_t cap;		/* power of two, or 0 */
	size_t n;		/* live entries */
	size_t used;		/* live entries + tombstones */
	char **keys;
	void **vals;
	bool borrowed;		/* keys are the caller's, not copies (set while empty) */
};

/* Initialises an empty map. */
void hmap_init(struct hmap *m);
/* Returns the value stored at key, or NULL. */
void *hmap_get(const struct hmap *m, const char *key);
/*
 * Stores val at key (copying key, or taking it when borrowed: a replaced
 * entry takes the new key too), replacing and returning the old value or NULL.
 */
void *hmap_put(struct hmap *m, const char *key, void *val);
/* Removes key and returns its value, or NULL when absent. */
void *hmap_del(struct hmap *m, const char *key);
/*
 * Iterates: start with *pos = 0; returns false at the end, else sets *key and
 * *val (both borrowed) and advances *pos. The map must not change meanwhile.
 */
bool hmap_next(const struct hmap *m, size_t *pos, const char **key, void **val);
/* Frees the keys and the table; values are the caller's. */
void hmap_free(struct hmap *m);
/* Returns the FNV-1a 64-bit hash of the NUL-terminated s. */
unsigned long long hmap_hash(const char *s);

#endif
