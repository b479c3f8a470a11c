#ifndef POLLHOOK_SILENCE_H
#define POLLHOOK_SILENCE_H

/*
 * Silences: matchers (a source glob, a rule glob, label = glob pairs) and a
 * time range in which the events of matching rule instances are held back
 * (stored with the reason "silence:ID", not delivered). Pure data and
 * matching; the API adds and removes them, the store keeps them as JSON
 * records, the engine asks silences_match before each evaluation.
 */

#include <stdbool.h>
#include <stddef.h>

#include "sample.h"

struct json_object;

#define SILENCE_ID_LEN	30	/* "sil_" + 26 characters of a ULID */

struct silence {
	char id[SILENCE_ID_LEN + 1];
	char *source;		/* glob, or NULL: any */
	char *rule;		/* glob, or NULL: any */
	struct labels labels;	/* name = glob pairs the source's labels must match */
	double starts, ends;	/* Unix seconds: held back in [starts, ends) */
	double created;
	char *comment, *creator;	/* free text, or NULL */
};

/* A set of silences; owns them. */
struct silences {
	struct silence **v;
	size_t n;
};

/*
 * Builds a silence from the API's JSON (matchers, starts, ends, comment,
 * creator) at time now; a new id when id is NULL. Returns NULL with a message
 * naming the field at fault in err.
 */
struct silence *silence_from_json(struct json_object *j, const char *id, double now,
    char *err, size_t errlen);
/* Returns the JSON record of s (a new object): what GET lists and the store keeps. */
struct json_object *silence_to_json(const struct silence *s, double now);
/* Frees s. NULL is ignored. */
void silence_free(struct silence *s);
/* Adds s to set, which takes ownership; one of the same id is replaced. */
void silences_add(struct silences *set, struct silence *s);
/* Removes and frees the silence id; returns whether there was one. */
bool silences_remove(struct silences *set, const char *id);
/* Returns the silence id (borrowed), or NULL. */
const struct silence *silences_find(const struct silences *set, const char *id);
/*
 * Returns the first silence of set active at now that matches the rule rule
 * of source (with its labels), or NULL.
 */
const struct silence *silences_match(const struct silences *set, const char *source,
    const struct labels *labels, const char *rule, double now);
/* Frees every silence of set and empties it. */
void silences_clear(struct silences *set);
/* Parses an RFC 3339 time ("2026-12-02T10:00:00Z", offsets, fractions); -1 when it is none. */
int silence_parse_time(const char *s, double *unix_s);

#endif
