/*
 * The subscriber endpoints of the management API: /v1/subscribers and its
 * actions, /v1/event-types and the WebSub hub /websub. Each checks its
 * request here, field by field, and leaves the work to subs.c; what waits
 * (a URL validation, a store commit) keeps the connection suspended.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api_impl.h"
#include "conf.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "subs.h"
#include "subs_json.h"
#include "subs_verify.h"
#include "xmalloc.h"

#define DEFAULT_LIMIT	100
#define MAX_LIMIT	1000
#define NAME_MAX_LEN	64
#define DEFAULT_GRACE	86400.0
#define LEASE_DEFAULT	86400
#define LEASE_MAX	2592000		/* 30 days */
#define WEBSUB_SECRET_MAX 199		/* the Recommendation: less than 200 bytes */

#define ALLOW_LIST	"GET, HEAD, POST"
#define ALLOW_ONE	"GET, HEAD, PATCH, DELETE"

/* What an endpoint keeps while it waits. */
struct wait {
	char *name;
	long long count;
};

static void
wait_free(void *p)
{
	struct wait *w = p;

	if (w == NULL)
		return;
	free(w->name);
	free(w);
}

static struct wait *
wait_new(struct api_req *q, const char *name)
{
	struct wait *w = xcalloc(1, sizeof(*w));

	w->name = xstrdup(name);
	api_req_set_data(q, w, wait_free);
	return w;
}

static struct json_object *
parse_body(struct api_req *q)
{
	size_t len;
	const char *body = api_req_body(q, &len);
	struct json_tokener *tok;
	struct json_object *j;

	if (len == 0) {
		api_reply_error(q, 400, "the body must be a JSON object");
		return NULL;
	}
	tok = json_tokener_new();
	j = json_tokener_parse_ex(tok, body, (int)len);
	if (j == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len) {
		api_reply_error(q, 400, "the body is not JSON: %s",
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(j);
		j = NULL;
	} else if (!json_object_is_type(j, json_type_object)) {
		api_reply_error(q, 400, "the body must be a JSON object");
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	return j;
}

static const struct subscriber_config *
config_sub(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsubscribers; i++)
		if (strcmp(cfg->subscribers[i].name, name) == 0)
			return &cfg->subscribers[i];
	return NULL;
}

static struct json_object *
strv(char *const *v)
{
	struct json_object *a;

	if (v == NULL)
		return NULL;
	a = json_object_new_array();
	for (; *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static struct json_object *
config_sub_json(const struct subscriber_config *sc)
{
	struct json_object *o = json_object_new_object(), *l = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(sc->name));
	json_object_object_add(o, "origin", json_object_new_string("config"));
	json_object_object_add(o, "emitter", json_object_new_string(sc->emitter->name));
	json_object_object_add(o, "events", strv(sc->events));
	json_object_object_add(o, "sources", strv(sc->sources));
	for (size_t i = 0; i < sc->match.n; i++)
		json_object_object_add(l, sc->match.names[i],
		    json_object_new_string(sc->match.values[i]));
	json_object_object_add(o, "labels", l);
	json_object_object_add(o, "format", json_object_new_string(format_name(&sc->format)));
	return o;
}

/* The answer of an operation of subs.c: the subscriber, or an error. */
static void
answer_sub(void *arg, unsigned status, const char *why)
{
	struct api_req *q = arg;
	struct wait *w = api_req_data(q);
	struct subs *s = api_req_subs(q);
	struct dsub *d = subs_find(s, w->name);

	if (status >= 300)
		api_reply_error(q, status, "%s", why != NULL ? why : "failed");
	else if (d == NULL)
		api_reply_error(q, 404, "no dynamic subscriber named \"%s\"", w->name);
	else
		/* The secret is shown when it was made or given: in the creation's answer. */
		api_reply_json(q, status, subs_dsub_json(d, status == 201 || status == 202));
	api_req_answered(q);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* GET /v1/subscribers: the configuration's and the dynamic ones, by name, paged. */
static void
list(struct api_req *q)
{
	const struct config *cfg = api_req_config(q);
	struct subs *s = api_req_subs(q);
	const char *after = api_req_arg(q, "after"), *lim = api_req_arg(q, "limit");
	const char **cnames = xcalloc(cfg->nsubscribers + 1, sizeof(*cnames));
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	const char *const *dnames;
	const char *last = NULL;
	size_t nd, i = 0, j = 0, n = 0;
	long limit = DEFAULT_LIMIT;
	char *end;

	if (lim != NULL) {
		limit = strtol(lim, &end, 10);
		if (*lim < '0' || *lim > '9' || *end != '\0' || limit < 1) {
			api_reply_error(q, 400, "\"limit\" must be an integer of at least 1");
			free(cnames);
			json_object_put(o);
			json_object_put(arr);
			return;
		}
		if (limit > MAX_LIMIT)
			limit = MAX_LIMIT;
	}
	for (size_t k = 0; k < cfg->nsubscribers; k++)
		cnames[k] = cfg->subscribers[k].name;
	qsort(cnames, cfg->nsubscribers, sizeof(*cnames), cmp_str);
	dnames = subs_names(s, &nd);
	/* Two sorted lists merged; names are unique across both. */
	while ((i < cfg->nsubscribers || j < nd) && n < (size_t)limit) {
		bool take_c = j >= nd || (i < cfg->nsubscribers && strcmp(cnames[i],
		    dnames[j]) < 0);
		const char *name = take_c ? cnames[i++] : dnames[j++];

		if (after != NULL && strcmp(name, after) <= 0)
			continue;
		json_object_array_add(arr, take_c ? config_sub_json(config_sub(cfg, name)) :
		    subs_dsub_json(subs_find(s, name), false));
		last = name;
		n++;
	}
	json_object_object_add(o, "subscribers", arr);
	json_object_object_add(o, "next", n == (size_t)limit && (i < cfg->nsubscribers ||
	    j < nd) && last != NULL ? json_object_new_string(last) : NULL);
	free(cnames);
	api_reply_json(q, 200, o);
}

/* POST /v1/subscribers */
static void
create(struct api_req *q)
{
	static const char *const allowed[] = {
		"url", "name", "events", "sources", "labels", "signature", "secret", "headers",
		"format", "cloudevents_mode", "routing_key", "transform", "description", NULL
	};
	const struct subs_config *sc = &api_req_config(q)->bridge.api.subs;
	struct json_object *body = parse_body(q), *v;
	struct dsub_fields f;
	struct dsub *d = NULL;
	const char *name = NULL, *secret = NULL;
	char err[512], gen[40];
	unsigned rc;
	int scheme = SIGN_STANDARD;

	if (body == NULL)
		return;
	if ((rc = subs_json_fields(sc, body, allowed, &f, err, sizeof(err))) != 0) {
		api_reply_error(q, rc, "%s", err);
		goto out;
	}
	if (!f.has_url) {
		api_reply_error(q, 400, "\"url\" is required");
		goto out;
	}
	if (json_object_object_get_ex(body, "name", &v)) {
		name = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) || strlen(name) > NAME_MAX_LEN ||
		    !conf_valid_name(name)) {
			api_reply_error(q, 400, "\"name\" must be 1 to %d of [A-Za-z0-9._-]",
			    NAME_MAX_LEN);
			goto out;
		}
	}
	if (json_object_object_get_ex(body, "signature", &v)) {
		scheme = json_object_is_type(v, json_type_string) ?
		    sign_scheme_parse(json_object_get_string(v)) : -1;
		if (scheme != SIGN_STANDARD && scheme != SIGN_ZOOM && scheme != SIGN_GITHUB) {
			api_reply_error(q, 400, "\"signature\" must be \"standard\", \"zoom\" or "
			    "\"github\"");
			goto out;
		}
	}
	if (json_object_object_get_ex(body, "secret", &v)) {
		secret = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) ||
		    sign_check_secret(scheme, secret, err, sizeof(err)) != 0) {
			api_reply_error(q, 400, "\"secret\": %s", json_object_is_type(v,
			    json_type_string) ? err : "must be a string");
			goto out;
		}
	}
	if (subs_json_check_format(&f, NULL, err, sizeof(err)) != 0) {
		api_reply_error(q, 400, "%s", err);
		goto out;
	}
	if (name == NULL) {
		memcpy(gen, "sub_", 4);
		verify_random_hex(gen + 4, 8);
		name = gen;
	}
	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	d->url = f.url;
	d->events = f.events;
	d->sources = f.sources;
	d->match = f.labels;
	d->headers = f.headers != NULL ? f.headers : xcalloc(1, sizeof(char *));
	d->nheaders = f.nheaders;
	d->description = f.description;
	memcpy(d->fmt, f.fmt, sizeof(d->fmt));
	memset(&f, 0, sizeof(f));
	d->signature = scheme;
	d->secrets[0].value = secret != NULL ? xstrdup(secret) : subs_new_secret(scheme);
	d->nsecrets = 1;
	/* Without a secret of its own the endpoint cannot answer yet: validate later. */
	d->pending = sc->challenge && secret == NULL;
	wait_new(q, name);
	api_req_wait(q);
	subs_add(api_req_subs(q), d, sc->challenge && secret != NULL, answer_sub, q);
out:
	subs_json_fields_clear(&f);
	json_object_put(body);
}

static void
deleted(void *arg, unsigned status, const char *why)
{
	struct api_req *q = arg;
	struct wait *w = api_req_data(q);
	struct json_object *o;

	if (status >= 300)
		api_reply_error(q, status, "%s", why != NULL ? why : "failed");
	else {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(w->name));
		json_object_object_add(o, "deleted", json_object_new_boolean(true));
		json_object_object_add(o, "dropped_deliveries", json_object_new_int64(w->count));
		api_reply_json(q, 200, o);
	}
	api_req_answered(q);
}

static void
recovered(void *arg, unsigned status, const char *why)
{
	struct api_req *q = arg;
	struct wait *w = api_req_data(q);
	struct json_object *o;

	if (status >= 300)
		api_reply_error(q, status, "%s", why != NULL ? why : "failed");
	else {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(w->name));
		json_object_object_add(o, "recovered", json_object_new_int64(w->count));
		api_reply_json(q, 202, o);
	}
	api_req_answered(q);
}

/* POST .../NAME/secret {"secret"?, "grace"?} */
static void
rotate(struct api_req *q, const char *name)
{
	struct json_object *body = NULL, *v, *o;
	const char *secret = NULL;
	double grace = DEFAULT_GRACE;
	char err[256], t[40];
	size_t len;
	struct dsub *d;

	api_req_body(q, &len);
	if (len > 0 && (body = parse_body(q)) == NULL)
		return;
	if (body != NULL) {
		json_object_object_foreach(body, k, val) {
			(void)val;
			if (strcmp(k, "secret") != 0 && strcmp(k, "grace") != 0) {
				api_reply_error(q, 400, "unknown field \"%.64s\"", k);
				goto out;
			}
		}
		if (json_object_object_get_ex(body, "secret", &v)) {
			if (!json_object_is_type(v, json_type_string)) {
				api_reply_error(q, 400, "\"secret\" must be a string");
				goto out;
			}
			secret = json_object_get_string(v);
		}
		if (json_object_object_get_ex(body, "grace", &v)) {
			if ((!json_object_is_type(v, json_type_int) && !json_object_is_type(v,
			    json_type_double)) || json_object_get_double(v) < 0 ||
			    json_object_get_double(v) > 30 * 86400.0) {
				api_reply_error(q, 400, "\"grace\" must be a number of seconds from 0 to "
				    "2592000");
				goto out;
			}
			grace = json_object_get_double(v);
		}
	}
	d = subs_find(api_req_subs(q), name);
	if (d->websub) {
		api_reply_error(q, 409, "a WebSub subscriber's secret is its hub.secret: subscribe "
		    "again to change it");
		goto out;
	}
	if (subs_rotate(api_req_subs(q), name, secret, grace, err, sizeof(err)) != 0) {
		api_reply_error(q, 400, "\"secret\": %s", err);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "secret", json_object_new_string(d->secrets[0].value));
	if (d->nsecrets > 1) {
		event_format_time(t, sizeof(t), d->secrets[1].until);
		json_object_object_add(o, "previous_valid_until", json_object_new_string(t));
	} else
		json_object_object_add(o, "previous_valid_until", NULL);
	api_reply_json(q, 200, o);
out:
	json_object_put(body);
}

/* POST .../NAME/recover {"since": RFC3339} */
static void
recover(struct api_req *q, const char *name)
{
	struct json_object *body = parse_body(q), *v;
	double since;

	if (body == NULL)
		return;
	json_object_object_foreach(body, k, val) {
		(void)val;
		if (strcmp(k, "since") != 0) {
			api_reply_error(q, 400, "unknown field \"%.64s\"", k);
			goto out;
		}
	}
	if (!json_object_object_get_ex(body, "since", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    subs_json_time(json_object_get_string(v), &since) != 0) {
		api_reply_error(q, 400, "\"since\" must be an RFC 3339 time, e.g. "
		    "\"2026-12-01T00:00:00Z\"");
		goto out;
	}
	wait_new(q, name);
	api_req_wait(q);
	subs_recover(api_req_subs(q), name, since, &((struct wait *)api_req_data(q))->count,
	    recovered, q);
out:
	json_object_put(body);
}

static void
test(struct api_req *q, const char *name)
{
	struct dsub *d = subs_find(api_req_subs(q), name);
	char id[EVENT_ID_LEN + 1];
	struct json_object *o;

	if (d != NULL && d->pending) {
		api_reply_error(q, 409, "\"%s\" is pending validation: POST .../validate first",
		    name);
		return;
	}
	if (subs_test(api_req_subs(q), name, id) != 0) {
		api_reply_error(q, 404, "no dynamic subscriber named \"%s\"", name);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "event", json_object_new_string("pollhook.test"));
	json_object_object_add(o, "id", json_object_new_string(id));
	api_reply_json(q, 202, o);
}

/* Splits "/v1/subscribers/NAME[/ACTION]"; returns -1 when it is not that. */
static int
split(const char *url, char *name, size_t nlen, const char **action)
{
	const char *p = url + strlen("/v1/subscribers/"), *slash = strchr(p, '/');
	size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

	if (n == 0 || n >= nlen)
		return -1;
	memcpy(name, p, n);
	name[n] = '\0';
	*action = slash != NULL ? slash + 1 : NULL;
	if (*action != NULL && strchr(*action, '/') != NULL)
		return -1;
	return 0;
}

static void
one(struct api_req *q, const char *name, const char *method)
{
	struct subs *s = api_req_subs(q);
	struct dsub *d = subs_find(s, name);
	struct json_object *body;

	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		api_reply_json(q, 200, subs_dsub_json(d, false));
		return;
	}
	if (strcmp(method, "PATCH") == 0) {
		if ((body = parse_body(q)) == NULL)
			return;
		wait_new(q, name);
		api_req_wait(q);
		subs_patch(s, name, body, answer_sub, q);
		json_object_put(body);
		return;
	}
	if (strcmp(method, "DELETE") == 0) {
		wait_new(q, name);
		api_req_wait(q);
		subs_delete(s, name, &((struct wait *)api_req_data(q))->count, deleted, q);
		return;
	}
	api_not_allowed(q, ALLOW_ONE, method);
}

void
api_subs_route(struct api_req *q, const char *url, const char *method)
{
	const struct config *cfg = api_req_config(q);
	struct subs *s = api_req_subs(q);
	char name[NAME_MAX_LEN + 1];
	const char *action;

	if (s == NULL) {
		api_reply_error(q, 501, "dynamic subscribers need the webhook emitter, which is "
		    "not compiled in");
		return;
	}
	if (strcmp(url, "/v1/subscribers") == 0) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
			list(q);
		else if (strcmp(method, "POST") == 0)
			create(q);
		else
			api_not_allowed(q, ALLOW_LIST, method);
		return;
	}
	if (split(url, name, sizeof(name), &action) != 0) {
		api_reply_error(q, 404, "no such endpoint: %.200s", url);
		return;
	}
	if (config_sub(cfg, name) != NULL) {
		if (action == NULL && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
			api_reply_json(q, 200, config_sub_json(config_sub(cfg, name)));
		else
			api_reply_error(q, 409, "\"%s\" is a subscriber of the configuration: "
			    "read-only here (change the file and reload)", name);
		return;
	}
	if (subs_find(s, name) == NULL) {
		api_reply_error(q, 404, "no subscriber named \"%s\"", name);
		return;
	}
	if (action == NULL) {
		one(q, name, method);
		return;
	}
	if (strcmp(method, "POST") != 0) {
		api_not_allowed(q, "POST", method);
		return;
	}
	if (strcmp(action, "secret") == 0)
		rotate(q, name);
	else if (strcmp(action, "test") == 0)
		test(q, name);
	else if (strcmp(action, "validate") == 0) {
		wait_new(q, name);
		api_req_wait(q);
		subs_validate(s, name, answer_sub, q);
	} else if (strcmp(action, "recover") == 0)
		recover(q, name);
	else
		api_reply_error(q, 404, "no such endpoint: %.200s", url);
}
