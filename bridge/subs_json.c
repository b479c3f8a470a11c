#include "subs_json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "conf.h"
#include "curltls.h"
#include "transform.h"
#include "event.h"
#include "xmalloc.h"

#define URL_MAX		2048
#define GLOBS_MAX	64
#define GLOB_MAX	256
#define LABELS_MAX	32
#define HEADERS_MAX	32
#define HEADER_MAX	1024
#define DESCRIPTION_MAX	1024

/* Headers pollhook sets itself, or that would change the request's framing. */
static const char *const reserved_headers[] = {
	"content-type", "content-length", "transfer-encoding", "host", "connection", "expect",
	"user-agent", "webhook-id", "webhook-timestamp", "webhook-signature",
	"x-zm-request-timestamp", "x-zm-signature", "x-hub-signature", "x-hub-signature-256",
	"link", NULL
};

char **
subs_strv_dup(char *const *v, size_t *n)
{
	size_t k = 0;
	char **out;

	if (n != NULL)
		*n = 0;
	if (v == NULL)
		return NULL;
	while (v[k] != NULL)
		k++;
	out = xcalloc(k + 1, sizeof(*out));
	for (size_t i = 0; i < k; i++)
		out[i] = xstrdup(v[i]);
	if (n != NULL)
		*n = k;
	return out;
}

void
subs_strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
subs_json_fields_clear(struct dsub_fields *f)
{
	free(f->url);
	subs_strv_free(f->events);
	subs_strv_free(f->sources);
	labels_clear(&f->labels);
	subs_strv_free(f->headers);
	free(f->description);
	for (size_t i = 0; i < DSUB_NFMT; i++)
		free(f->fmt[i]);
	memset(f, 0, sizeof(*f));
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			return true;
	return false;
}

/* An array of non-empty strings (null: all), or a 400. */
static unsigned
parse_globs(struct json_object *j, const char *field, char ***out, char *err, size_t errlen)
{
	size_t n;

	*out = NULL;
	if (j == NULL)
		return 0;
	if (!json_object_is_type(j, json_type_array)) {
		snprintf(err, errlen, "\"%s\" must be an array of globs (or null for all)", field);
		return 400;
	}
	n = json_object_array_length(j);
	if (n == 0 || n > GLOBS_MAX) {
		snprintf(err, errlen, "\"%s\" must hold 1 to %d globs (null for all)", field,
		    GLOBS_MAX);
		return 400;
	}
	*out = xcalloc(n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(j, i);
		const char *s = json_object_get_string(e);

		if (!json_object_is_type(e, json_type_string) || *s == '\0' ||
		    strlen(s) > GLOB_MAX || has_control(s)) {
			snprintf(err, errlen, "\"%s\"[%zu] must be a non-empty glob of at most %d "
			    "characters", field, i, GLOB_MAX);
			return 400;
		}
		(*out)[i] = xstrdup(s);
	}
	return 0;
}

static unsigned
parse_labels(struct json_object *j, struct labels *l, char *err, size_t errlen)
{
	size_t n = 0;

	if (j == NULL)
		return 0;
	if (!json_object_is_type(j, json_type_object)) {
		snprintf(err, errlen, "\"labels\" must be an object of label = glob strings");
		return 400;
	}
	json_object_object_foreach(j, k, v) {
		if (++n > LABELS_MAX || !conf_valid_name(k) || !json_object_is_type(v,
		    json_type_string) || has_control(json_object_get_string(v))) {
			snprintf(err, errlen, "\"labels\".\"%.64s\" must be a label name "
			    "([A-Za-z0-9._-]) with a glob string (at most %d labels)", k, LABELS_MAX);
			return 400;
		}
		labels_set(l, k, json_object_get_string(v));
	}
	return 0;
}

static unsigned
parse_headers(struct json_object *j, struct dsub_fields *f, char *err, size_t errlen)
{
	size_t n;

	if (!json_object_is_type(j, json_type_array) ||
	    (n = json_object_array_length(j)) > HEADERS_MAX) {
		snprintf(err, errlen, "\"headers\" must be an array of at most %d \"Name: value\" "
		    "strings", HEADERS_MAX);
		return 400;
	}
	f->headers = xcalloc(n + 1, sizeof(*f->headers));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(j, i);
		const char *h = json_object_get_string(e);
		size_t nlen;

		if (!json_object_is_type(e, json_type_string) || strlen(h) > HEADER_MAX ||
		    !curltls_header_ok(h)) {
			snprintf(err, errlen, "\"headers\"[%zu] must be one \"Name: value\" line",
			    i);
			return 400;
		}
		nlen = strcspn(h, ":");
		/* The cloudevents format's binary mode sets the ce-* attributes. */
		if (nlen > 3 && strncasecmp(h, "ce-", 3) == 0) {
			snprintf(err, errlen, "\"headers\"[%zu]: %.*s is set by pollhook (the "
			    "cloudevents format)", i, (int)nlen, h);
			return 400;
		}
		for (size_t r = 0; reserved_headers[r] != NULL; r++)
			if (strlen(reserved_headers[r]) == nlen &&
			    strncasecmp(h, reserved_headers[r], nlen) == 0) {
				snprintf(err, errlen, "\"headers\"[%zu]: %.*s is set by pollhook",
				    i, (int)nlen, h);
				return 400;
			}
		f->headers[f->nheaders++] = xstrdup(h);
	}
	return 0;
}

/* Extracts the host of an http(s) URL into host (brackets of IPv6 removed). */
static int
url_host(const char *url, char *host, size_t len)
{
	CURLU *u = curl_url();
	char *h = NULL;
	int rc = -1;
	size_t n;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
		n = strlen(h);
		if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
			h[n - 1] = '\0';
			snprintf(host, len, "%s", h + 1);
		} else
			snprintf(host, len, "%s", h);
		rc = 0;
	}
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

static unsigned
parse_url(const struct subs_config *cfg, struct json_object *j, char **out, char *err,
    size_t errlen)
{
	const char *url = json_object_get_string(j), *why;
	char msg[256], host[256];
	bool https;
	size_t hl;

	if (!json_object_is_type(j, json_type_string) || strlen(url) > URL_MAX) {
		snprintf(err, errlen, "\"url\" must be a string of at most %d characters", URL_MAX);
		return 400;
	}
	if (curltls_url_check(url, &https, NULL, msg, sizeof(msg)) != 0 ||
	    url_host(url, host, sizeof(host)) != 0) {
		snprintf(err, errlen, "\"url\": %s", msg);
		return 400;
	}
	if (cfg->require_https && !https) {
		snprintf(err, errlen, "\"url\" must be https:// "
		    "(bridge.api.subscriptions.require_https)");
		return 400;
	}
	/* Literal addresses and the names that are loopback by definition (RFC 6761). */
	hl = strlen(host);
	if (strcasecmp(host, "localhost") == 0 ||
	    (hl > 10 && strcasecmp(host + hl - 10, ".localhost") == 0)) {
		if (!ssrf_check_text(&cfg->guard, "127.0.0.1", &why)) {
			snprintf(err, errlen, "\"url\": %s is loopback (refused by the SSRF guard; "
			    "allow_networks can exempt it)", host);
			return 403;
		}
	} else if (!ssrf_check_text(&cfg->guard, host, &why) &&
	    strcmp(why, "not an IP address") != 0) {
		snprintf(err, errlen, "\"url\": %s is %s (refused by the SSRF guard; "
		    "allow_networks can exempt it)", host, why);
		return 403;
	}
	*out = xstrdup(url);
	return 0;
}

static bool
in(const char *const *allowed, const char *k)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(*allowed, k) == 0)
			return true;
	return false;
}

const char *const subs_format_fields[DSUB_NFMT] = {
	"format", "cloudevents_mode", "routing_key", "transform"
};

/* Parses format field i: a string (bounded) or null. Returns 0 or an HTTP status. */
static unsigned
parse_format_field(const struct subs_config *cfg, size_t i, struct json_object *v,
    struct dsub_fields *f, char *err, size_t errlen)
{
	size_t max = i == DSUB_TRANSFORM ? TRANSFORM_MAX_PROGRAM : 128;

	f->has_fmt[i] = true;
	if (i == DSUB_TRANSFORM && v != NULL && !cfg->allow_transforms) {
		snprintf(err, errlen, "\"transform\": custom transforms are not allowed here "
		    "(bridge.api.subscriptions.allow_transforms)");
		return 403;
	}
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
	    (size_t)json_object_get_string_len(v) > max) {
		snprintf(err, errlen, "\"%s\" must be a string of 1 to %zu characters, or null",
		    subs_format_fields[i], max);
		return 400;
	}
	f->fmt[i] = xstrdup(json_object_get_string(v));
	return 0;
}

int
subs_json_check_format(const struct dsub_fields *f, char *const *cur, char *err,
    size_t errlen)
{
	const char *v[DSUB_NFMT];
	struct format_conf fc;

	for (size_t i = 0; i < DSUB_NFMT; i++)
		v[i] = f->has_fmt[i] ? f->fmt[i] : cur != NULL ? cur[i] : NULL;
	if (format_configure_dynamic(&fc, v[DSUB_FORMAT], v[DSUB_CE_MODE], v[DSUB_ROUTING_KEY],
	    v[DSUB_TRANSFORM], err, errlen) != 0)
		return -1;
	format_clear(&fc);
	return 0;
}

unsigned
subs_json_fields(const struct subs_config *cfg, struct json_object *body,
    const char *const *allowed, struct dsub_fields *f, char *err, size_t errlen)
{
	unsigned rc;

	memset(f, 0, sizeof(*f));
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		snprintf(err, errlen, "the body must be a JSON object");
		return 400;
	}
	json_object_object_foreach(body, k, v) {
		if (!in(allowed, k)) {
			snprintf(err, errlen, "unknown field \"%.64s\"", k);
			return 400;
		}
		rc = 0;
		if (strcmp(k, "url") == 0) {
			f->has_url = true;
			rc = parse_url(cfg, v, &f->url, err, errlen);
		} else if (strcmp(k, "events") == 0) {
			f->has_events = true;
			rc = parse_globs(v, "events", &f->events, err, errlen);
		} else if (strcmp(k, "sources") == 0) {
			f->has_sources = true;
			rc = parse_globs(v, "sources", &f->sources, err, errlen);
		} else if (strcmp(k, "labels") == 0) {
			f->has_labels = true;
			rc = parse_labels(v, &f->labels, err, errlen);
		} else if (strcmp(k, "headers") == 0) {
			f->has_headers = true;
			rc = parse_headers(v, f, err, errlen);
		} else if (strcmp(k, "description") == 0) {
			f->has_description = true;
			if (v != NULL && (!json_object_is_type(v, json_type_string) ||
			    strlen(json_object_get_string(v)) > DESCRIPTION_MAX)) {
				snprintf(err, errlen, "\"description\" must be a string of at most %d "
				    "characters", DESCRIPTION_MAX);
				rc = 400;
			} else if (v != NULL)
				f->description = xstrdup(json_object_get_string(v));
		} else if (strcmp(k, "format") == 0)
			rc = parse_format_field(cfg, DSUB_FORMAT, v, f, err, errlen);
		else if (strcmp(k, "cloudevents_mode") == 0)
			rc = parse_format_field(cfg, DSUB_CE_MODE, v, f, err, errlen);
		else if (strcmp(k, "routing_key") == 0)
			rc = parse_format_field(cfg, DSUB_ROUTING_KEY, v, f, err, errlen);
		else if (strcmp(k, "transform") == 0)
			rc = parse_format_field(cfg, DSUB_TRANSFORM, v, f, err, errlen);
		else if (strcmp(k, "disabled") == 0) {
			f->has_disabled = true;
			if (!json_object_is_type(v, json_type_boolean)) {
				snprintf(err, errlen, "\"disabled\" must be true or false");
				rc = 400;
			}
			f->disabled = json_object_get_boolean(v);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Records and views */

static struct json_object *
strv_json(char *const *v)
{
	struct json_object *a;

	if (v == NULL)
		return NULL;
	a = json_object_new_array();
	for (; *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

struct json_object *
labels_json(const struct labels *l)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < l->n; i++)
		json_object_object_add(o, l->names[i], json_object_new_string(l->values[i]));
	return o;
}

static struct json_object *
str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

char *
subs_json_record(const struct dsub *d)
{
	struct json_object *o = json_object_new_object(), *sec = json_object_new_array();
	char *out;

	json_object_object_add(o, "url", json_object_new_string(d->url));
	json_object_object_add(o, "description", str_or_null(d->description));
	json_object_object_add(o, "events", strv_json(d->events));
	json_object_object_add(o, "sources", strv_json(d->sources));
	json_object_object_add(o, "labels", labels_json(&d->match));
	json_object_object_add(o, "headers", strv_json(d->headers));
	json_object_object_add(o, "signature",
	    json_object_new_string(sign_scheme_name(d->signature)));
	for (size_t i = 0; i < d->nsecrets; i++) {
		struct json_object *s = json_object_new_object();

		json_object_object_add(s, "value", json_object_new_string(d->secrets[i].value));
		json_object_object_add(s, "until", json_object_new_double(d->secrets[i].until));
		json_object_array_add(sec, s);
	}
	json_object_object_add(o, "secrets", sec);
	json_object_object_add(o, "pending", json_object_new_boolean(d->pending));
	json_object_object_add(o, "disabled", json_object_new_boolean(d->disabled));
	json_object_object_add(o, "disabled_why", str_or_null(d->disabled_why));
	json_object_object_add(o, "disabled_at", json_object_new_double(d->disabled_at));
	json_object_object_add(o, "failures", json_object_new_int64(d->failures));
	json_object_object_add(o, "failing_since", json_object_new_double(d->failing_since));
	json_object_object_add(o, "last_success", json_object_new_double(d->last_success));
	json_object_object_add(o, "last_error", str_or_null(d->last_error));
	json_object_object_add(o, "created", json_object_new_double(d->created));
	json_object_object_add(o, "websub", json_object_new_boolean(d->websub));
	json_object_object_add(o, "lease_until", json_object_new_double(d->lease_until));
	for (size_t i = 0; i < DSUB_NFMT; i++)
		json_object_object_add(o, subs_format_fields[i], str_or_null(d->fmt[i]));
	out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

static const char *
get_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static double
get_num(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static bool
get_bool(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static char **
get_strv(struct json_object *o, const char *k, size_t *n)
{
	struct json_object *v;
	size_t len;
	char **out;

	if (n != NULL)
		*n = 0;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	len = json_object_array_length(v);
	out = xcalloc(len + 1, sizeof(*out));
	for (size_t i = 0; i < len; i++)
		out[i] = xstrdup(json_object_get_string(json_object_array_get_idx(v, i)));
	if (n != NULL)
		*n = len;
	return out;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct dsub *
subs_json_parse_record(const char *name, const char *json)
{
	struct json_object *o = json_tokener_parse(json), *sec, *lab;
	struct dsub *d;
	const char *url = o != NULL ? get_str(o, "url") : NULL;
	int scheme = o != NULL && get_str(o, "signature") != NULL ?
	    sign_scheme_parse(get_str(o, "signature")) : -1;

	if (url == NULL || scheme < 0 || !json_object_object_get_ex(o, "secrets", &sec) ||
	    !json_object_is_type(sec, json_type_array)) {
		json_object_put(o);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	d->url = xstrdup(url);
	d->description = dup_or_null(get_str(o, "description"));
	d->events = get_strv(o, "events", NULL);
	d->sources = get_strv(o, "sources", NULL);
	d->headers = get_strv(o, "headers", &d->nheaders);
	if (d->headers == NULL)
		d->headers = xcalloc(1, sizeof(*d->headers));
	if (json_object_object_get_ex(o, "labels", &lab) &&
	    json_object_is_type(lab, json_type_object)) {
		json_object_object_foreach(lab, k, v)
			labels_set(&d->match, k, json_object_get_string(v));
	}
	d->signature = scheme;
	for (size_t i = 0; i < json_object_array_length(sec) && i < SIGN_MAX_SECRETS; i++) {
		struct json_object *e = json_object_array_get_idx(sec, i);

		if (get_str(e, "value") == NULL)
			continue;
		d->secrets[d->nsecrets].value = xstrdup(get_str(e, "value"));
		d->secrets[d->nsecrets++].until = get_num(e, "until");
	}
	d->pending = get_bool(o, "pending");
	d->disabled = get_bool(o, "disabled");
	d->disabled_why = dup_or_null(get_str(o, "disabled_why"));
	d->disabled_at = get_num(o, "disabled_at");
	d->failures = (unsigned)get_num(o, "failures");
	d->failing_since = get_num(o, "failing_since");
	d->last_success = get_num(o, "last_success");
	d->last_error = dup_or_null(get_str(o, "last_error"));
	d->created = get_num(o, "created");
	d->websub = get_bool(o, "websub");
	d->lease_until = get_num(o, "lease_until");
	for (size_t i = 0; i < DSUB_NFMT; i++)
		d->fmt[i] = dup_or_null(get_str(o, subs_format_fields[i]));
	json_object_put(o);
	if (d->nsecrets == 0 && d->signature != SIGN_NONE) {
		subs_dsub_free(d);
		return NULL;
	}
	return d;
}

static struct json_object *
time_or_null(double t)
{
	char buf[40];

	if (t <= 0)
		return NULL;
	event_format_time(buf, sizeof(buf), t);
	return json_object_new_string(buf);
}

struct json_object *
subs_json_view(const struct dsub *d, bool with_secret)
{
	struct json_object *o = json_object_new_object(), *h = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "origin", json_object_new_string(d->websub ? "websub" : "api"));
	json_object_object_add(o, "url", json_object_new_string(d->url));
	json_object_object_add(o, "state", json_object_new_string(d->pending ?
	    "pending_validation" : d->disabled ? "disabled" : "active"));
	json_object_object_add(o, "events", strv_json(d->events));
	json_object_object_add(o, "sources", strv_json(d->sources));
	json_object_object_add(o, "labels", labels_json(&d->match));
	json_object_object_add(o, "headers", strv_json(d->headers));
	json_object_object_add(o, "signature",
	    json_object_new_string(sign_scheme_name(d->signature)));
	json_object_object_add(o, "description", str_or_null(d->description));
	json_object_object_add(o, "format", json_object_new_string(d->fmt[DSUB_FORMAT] != NULL ?
	    d->fmt[DSUB_FORMAT] : "envelope"));
	if (d->fmt[DSUB_CE_MODE] != NULL)
		json_object_object_add(o, "cloudevents_mode", str_or_null(d->fmt[DSUB_CE_MODE]));
	if (d->fmt[DSUB_TRANSFORM] != NULL)
		json_object_object_add(o, "transform", str_or_null(d->fmt[DSUB_TRANSFORM]));
	/* The routing key is a credential: only whether there is one. */
	if (d->fmt[DSUB_ROUTING_KEY] != NULL)
		json_object_object_add(o, "routing_key", json_object_new_string("(set)"));
	json_object_object_add(o, "created", time_or_null(d->created));
	if (d->websub)
		json_object_object_add(o, "lease_expires", time_or_null(d->lease_until));
	json_object_object_add(h, "consecutive_failures", json_object_new_int64(d->failures));
	json_object_object_add(h, "failing_since", time_or_null(d->failing_since));
	json_object_object_add(h, "last_success", time_or_null(d->last_success));
	json_object_object_add(h, "last_error", str_or_null(d->last_error));
	json_object_object_add(h, "disabled", json_object_new_boolean(d->disabled));
	json_object_object_add(h, "disabled_reason", str_or_null(d->disabled_why));
	json_object_object_add(h, "disabled_at", time_or_null(d->disabled_at));
	json_object_object_add(o, "health", h);
	if (with_secret)
		json_object_object_add(o, "secret", json_object_new_string(d->secrets[0].value));
	return o;
}

int
subs_json_time(const char *s, double *out)
{
	struct tm tm = { 0 };
	const char *p;
	char *end;
	double frac = 0;
	long off = 0;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	if (*p == '.') {
		frac = strtod(p, &end);
		p = end;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
	    isdigit((unsigned char)p[5])) {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		    ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else
		return -1;
	if (*p != '\0')
		return -1;
	*out = (double)timegm(&tm) - (double)off + frac;
	return 0;
}
