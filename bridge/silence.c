#include "silence.h"

#include <fnmatch.h>
#include <sys/types.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "event.h"
#include "xmalloc.h"

#define TEXT_MAX	1024	/* comment and creator, bytes */
#define GLOB_MAX	256

void
silence_free(struct silence *s)
{
	if (s == NULL)
		return;
	free(s->source);
	free(s->rule);
	labels_clear(&s->labels);
	free(s->comment);
	free(s->creator);
	free(s);
}

int
silence_parse_time(const char *s, double *unix_s)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	double frac = 0;
	long off = 0;

	if (p == NULL)
		return -1;
	if (*p == '.') {
		char *end;

		frac = strtod(p, &end);
		if (end == p + 1)
			return -1;
		p = end;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm, n = 0;

		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 || hh > 23 || mm > 59)
			return -1;
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
		p += 1 + n;
	} else
		return -1;
	if (*p != '\0')
		return -1;
	*unix_s = (double)timegm(&tm) - (double)off + frac;
	return 0;
}

/* Reads the time at key of j (RFC 3339, or Unix seconds); returns -1 with err set. */
static int
get_time(struct json_object *j, const char *key, double *t, char *err, size_t errlen)
{
	struct json_object *o;

	if (!json_object_object_get_ex(j, key, &o) || o == NULL)
		return 1;
	if ((json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double)) &&
	    isfinite(json_object_get_double(o))) {
		*t = json_object_get_double(o);
		return 0;
	}
	if (json_object_is_type(o, json_type_string) &&
	    silence_parse_time(json_object_get_string(o), t) == 0)
		return 0;
	snprintf(err, errlen, "\"%s\" must be an RFC 3339 time or Unix seconds", key);
	return -1;
}

/* Copies the string at key of j (absent or null: NULL); returns -1 with err set. */
static int
get_text(struct json_object *j, const char *key, size_t max, char **out, char *err,
    size_t errlen)
{
	struct json_object *o;

	*out = NULL;
	if (!json_object_object_get_ex(j, key, &o) || o == NULL)
		return 0;
	if (!json_object_is_type(o, json_type_string) || json_object_get_string_len(o) == 0 ||
	    (size_t)json_object_get_string_len(o) > max) {
		snprintf(err, errlen, "\"%s\" must be a string of 1 to %zu bytes", key, max);
		return -1;
	}
	*out = xstrdup(json_object_get_string(o));
	return 0;
}

static int
get_matchers(struct json_object *j, struct silence *s, char *err, size_t errlen)
{
	struct json_object *m, *l;

	if (!json_object_object_get_ex(j, "matchers", &m) || !json_object_is_type(m, json_type_object)) {
		snprintf(err, errlen, "\"matchers\" must be an object of source, rule and labels");
		return -1;
	}
	json_object_object_foreach(m, key, val) {
		(void)val;
		if (strcmp(key, "source") != 0 && strcmp(key, "rule") != 0 &&
		    strcmp(key, "labels") != 0) {
			snprintf(err, errlen, "unknown matcher \"matchers.%.64s\" (known: source, "
			    "rule, labels)", key);
			return -1;
		}
	}
	if (get_text(m, "source", GLOB_MAX, &s->source, err, errlen) != 0 ||
	    get_text(m, "rule", GLOB_MAX, &s->rule, err, errlen) != 0)
		return -1;
	if (json_object_object_get_ex(m, "labels", &l) && l != NULL) {
		if (!json_object_is_type(l, json_type_object)) {
			snprintf(err, errlen, "\"matchers.labels\" must be an object of "
			    "label = glob strings");
			return -1;
		}
		json_object_object_foreach(l, name, glob) {
			if (!json_object_is_type(glob, json_type_string)) {
				snprintf(err, errlen, "\"matchers.labels.%.64s\" must be a string",
				    name);
				return -1;
			}
			labels_set(&s->labels, name, json_object_get_string(glob));
		}
	}
	if (s->source == NULL && s->rule == NULL && s->labels.n == 0) {
		snprintf(err, errlen, "\"matchers\" must have at least one of source, rule, "
		    "labels");
		return -1;
	}
	return 0;
}

struct silence *
silence_from_json(struct json_object *j, const char *id, double now, char *err, size_t errlen)
{
	struct silence *s = xcalloc(1, sizeof(*s));
	int rc;

	if (!json_object_is_type(j, json_type_object)) {
		snprintf(err, errlen, "the body must be a JSON object");
		goto fail;
	}
	if (id != NULL)
		snprintf(s->id, sizeof(s->id), "%s", id);
	else {
		event_make_id(s->id, llround(now * 1000.0));
		memcpy(s->id, "sil", 3);
	}
	s->created = now;
	if (get_matchers(j, s, err, errlen) != 0)
		goto fail;
	s->starts = now;
	if (get_time(j, "starts", &s->starts, err, errlen) < 0 ||
	    (rc = get_time(j, "ends", &s->ends, err, errlen)) < 0)
		goto fail;
	if (rc > 0) {
		snprintf(err, errlen, "\"ends\" is required");
		goto fail;
	}
	if (s->ends <= s->starts) {
		snprintf(err, errlen, "\"ends\" must be after \"starts\"");
		goto fail;
	}
	if (get_text(j, "comment", TEXT_MAX, &s->comment, err, errlen) != 0 ||
	    get_text(j, "creator", TEXT_MAX, &s->creator, err, errlen) != 0)
		goto fail;
	if (json_object_object_get_ex(j, "created", NULL))
		get_time(j, "created", &s->created, err, errlen);
	return s;
fail:
	silence_free(s);
	return NULL;
}

static struct json_object *
time_json(double t)
{
	char buf[32];

	event_format_time(buf, sizeof(buf), t);
	return json_object_new_string(buf);
}

static struct json_object *
text_json(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

struct json_object *
silence_to_json(const struct silence *s, double now)
{
	struct json_object *j = json_object_new_object(), *m = json_object_new_object();
	const char *state = now < s->starts ? "pending" : now < s->ends ? "active" : "expired";

	json_object_object_add(j, "id", json_object_new_string(s->id));
	if (s->source != NULL)
		json_object_object_add(m, "source", json_object_new_string(s->source));
	if (s->rule != NULL)
		json_object_object_add(m, "rule", json_object_new_string(s->rule));
	if (s->labels.n > 0) {
		struct json_object *l = json_object_new_object();

		for (size_t i = 0; i < s->labels.n; i++)
			json_object_object_add(l, s->labels.names[i],
			    json_object_new_string(s->labels.values[i]));
		json_object_object_add(m, "labels", l);
	}
	json_object_object_add(j, "matchers", m);
	json_object_object_add(j, "starts", time_json(s->starts));
	json_object_object_add(j, "ends", time_json(s->ends));
	json_object_object_add(j, "created", time_json(s->created));
	json_object_object_add(j, "comment", text_json(s->comment));
	json_object_object_add(j, "creator", text_json(s->creator));
	json_object_object_add(j, "state", json_object_new_string(state));
	return j;
}

static ssize_t
find(const struct silences *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i]->id, id) == 0)
			return (ssize_t)i;
	return -1;
}

void
silences_add(struct silences *set, struct silence *s)
{
	ssize_t i = find(set, s->id);

	if (i >= 0) {
		silence_free(set->v[i]);
		set->v[i] = s;
		return;
	}
	set->v = xreallocarray(set->v, set->n + 1, sizeof(*set->v));
	set->v[set->n++] = s;
}

bool
silences_remove(struct silences *set, const char *id)
{
	ssize_t i = find(set, id);

	if (i < 0)
		return false;
	silence_free(set->v[i]);
	memmove(&set->v[i], &set->v[i + 1], (set->n - (size_t)i - 1) * sizeof(*set->v));
	set->n--;
	return true;
}

const struct silence *
silences_find(const struct silences *set, const char *id)
{
	ssize_t i = find(set, id);

	return i >= 0 ? set->v[i] : NULL;
}

static bool
matches(const struct silence *s, const char *source, const struct labels *labels,
    const char *rule)
{
	if (s->source != NULL && fnmatch(s->source, source, 0) != 0)
		return false;
	if (s->rule != NULL && fnmatch(s->rule, rule, 0) != 0)
		return false;
	for (size_t i = 0; i < s->labels.n; i++) {
		const char *have = labels != NULL ? labels_get(labels, s->labels.names[i]) : NULL;

		if (have == NULL || fnmatch(s->labels.values[i], have, 0) != 0)
			return false;
	}
	return true;
}

const struct silence *
silences_match(const struct silences *set, const char *source, const struct labels *labels,
    const char *rule, double now)
{
	for (size_t i = 0; set != NULL && i < set->n; i++) {
		const struct silence *s = set->v[i];

		if (now >= s->starts && now < s->ends && matches(s, source, labels, rule))
			return s;
	}
	return NULL;
}

void
silences_clear(struct silences *set)
{
	for (size_t i = 0; i < set->n; i++)
		silence_free(set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}
