#ifndef POLLHOOK_SUBS_JSON_H
#define POLLHOOK_SUBS_JSON_H

/*
 * The JSON of dynamic subscribers: the fields of API requests, checked one
 * by one (every message names its field), the API's view of a subscriber,
 * and the record the store keeps (with its secrets).
 */

#include <stdbool.h>
#include <stddef.h>

#include "subs.h"

struct json_object;

/* The fields a request may change, parsed; each is applied only when its has_ flag is set. */
struct dsub_fields {
	bool has_url, has_events, has_sources, has_labels, has_headers, has_description;
	bool has_disabled;
	char *url;
	char **events, **sources;	/* NULL: all */
	struct labels labels;
	char **headers;
	size_t nheaders;
	char *description;
	bool disabled;
	bool has_fmt[DSUB_NFMT];
	char *fmt[DSUB_NFMT];		/* NULL: back to the default */
};

/* The API's names of the format fields, in DSUB_* order. */
extern const char *const subs_format_fields[DSUB_NFMT];

/*
 * Parses body (borrowed), a JSON object whose members must all be in
 * allowed (NULL-terminated), into f; the URL is checked against cfg's
 * rules (https, the SSRF guard on literal addresses). Returns 0, or the
 * HTTP status (400, 403) with the message in err.
 */
unsigned subs_json_fields(const struct subs_config *cfg, struct json_object *body,
    const char *const *allowed, struct dsub_fields *f, char *err, size_t errlen);
/*
 * Checks the format fields of f over those of a subscriber (cur, NULL for a
 * new one): returns 0, or -1 with the field at fault in err.
 */
int subs_json_check_format(const struct dsub_fields *f, char *const *cur, char *err,
    size_t errlen);
/* Frees what f holds. */
void subs_json_fields_clear(struct dsub_fields *f);
/* Returns a new NULL-terminated copy of v (NULL: NULL), and its length in *n if not NULL. */
char **subs_strv_dup(char *const *v, size_t *n);
/* Frees a NULL-terminated vector and its strings. */
void subs_strv_free(char **v);
/* Returns the record of d for the store, newly allocated (it holds the secrets). */
char *subs_json_record(const struct dsub *d);
/* Parses a record of the store into a new subscriber named name; NULL if it is unreadable. */
struct dsub *subs_json_parse_record(const char *name, const char *json);
/* Returns the API's JSON of d (never a secret); with_secret adds the current one. */
struct json_object *subs_json_view(const struct dsub *d, bool with_secret);
/* Parses an RFC 3339 time ("2026-12-02T04:00:00Z", fractions, offsets) into Unix seconds. */
int subs_json_time(const char *s, double *out);
/* Returns l as a new JSON object of name: value strings. */
struct json_object *labels_json(const struct labels *l);

#endif
