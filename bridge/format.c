/*
 * The format front: the subscriber keys of formats, the choice of a format
 * per subscriber, the rendering of one body at send time, and the helpers
 * the formats in emitters/format_*.c share (the readable summary line, the
 * rule instance's fingerprint).
 */

#include "format.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hmap.h"
#include "registry.h"
#include "transform.h"
#include "xmalloc.h"

static const char *const ce_modes[] = { "structured", "binary", NULL };

const struct conf_key format_keys[] = {
	{ "format", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "body format: envelope (default), cloudevents, slack, teams, pagerduty or "
	    "alertmanager" },
	{ "cloudevents_mode", CONF_STRING, 0, 0, 0, ce_modes, NULL,
	    "format cloudevents: structured (default, the event in the body) or binary "
	    "(ce-* headers, the payload as body)" },
	{ "routing_key", CONF_SECRET, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "format pagerduty: the Events API v2 integration key (or routing_key_file)" },
	{ "transform", CONF_SECRET, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "a jq program run on the envelope; its one output is the body (or transform_file)" },
	CONF_KEY_END
};

/* Checks a routing key: printable, no spaces; NULL or why not. */
static const char *
routing_key_bad(const char *k)
{
	if (*k == '\0')
		return "is empty";
	if (strlen(k) > 128)
		return "is longer than 128 characters";
	for (const char *p = k; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return "has a character that is not printable ASCII (or a space)";
	return NULL;
}

static const struct format_ops *
find_format(const char *name, char *names, size_t len)
{
	const struct format_ops *ops;
	size_t at = 0;

	names[0] = '\0';
	if (strcmp(name, "envelope") == 0)
		return NULL;
	if ((ops = registry_format(name)) != NULL)
		return ops;
	at += (size_t)snprintf(names, len, "envelope");
	for (size_t i = 0; (ops = registry_format_at(i)) != NULL && at < len; i++)
		at += (size_t)snprintf(names + at, len - at, ", %s", ops->name);
	return NULL;
}

/* Reads the jq program of n (transform or transform_file): a new string, or NULL. */
static char *
read_transform(const struct conf_node *n)
{
	size_t count = 0;
	char **v, *src = NULL;

	if (!conf_has(n, "transform") && !conf_has(n, "transform_file"))
		return NULL;
	v = conf_secrets(n, "transform", &count);
	if (v != NULL && count == 1)
		src = xstrdup(v[0]);
	conf_free_secrets(v);
	return src;
}

int
format_configure(const struct conf_node *n, struct format_conf *fc)
{
	const char *name = conf_string(n, "format", "envelope");
	char names[256], err[512];
	int rc = 0;

	memset(fc, 0, sizeof(*fc));
	fc->ops = find_format(name, names, sizeof(names));
	if (fc->ops == NULL && names[0] != '\0') {
		conf_error(conf_get(n, "format"), "unknown format \"%s\" (known: %s)", name,
		    names);
		rc = -1;
	}
	if (conf_has(n, "cloudevents_mode")) {
		if (fc->ops == NULL || strcmp(fc->ops->name, "cloudevents") != 0) {
			conf_error(conf_get(n, "cloudevents_mode"), "cloudevents_mode needs "
			    "format = \"cloudevents\"");
			rc = -1;
		}
		fc->ce_binary = strcmp(conf_string(n, "cloudevents_mode", ""), "binary") == 0;
	}
	if (conf_has(n, "routing_key") || conf_has(n, "routing_key_file")) {
		size_t nk = 0;
		char **k = conf_secrets(n, "routing_key", &nk);
		const struct conf_node *at = conf_has(n, "routing_key") ?
		    conf_get(n, "routing_key") : conf_get(n, "routing_key_file");
		const char *why;

		if (fc->ops == NULL || strcmp(fc->ops->name, "pagerduty") != 0) {
			conf_error(at, "routing_key needs format = \"pagerduty\"");
			rc = -1;
		} else if (k != NULL && nk == 1 && (why = routing_key_bad(k[0])) != NULL) {
			conf_error(at, "routing_key %s", why);
			rc = -1;
		}
		if (k != NULL && nk >= 1)
			fc->routing_key = xstrdup(k[0]);
		conf_free_secrets(k);
	} else if (fc->ops != NULL && strcmp(fc->ops->name, "pagerduty") == 0) {
		conf_error(conf_get(n, "format"), "format \"pagerduty\" needs routing_key (or "
		    "routing_key_file)");
		rc = -1;
	}
	fc->transform_src = read_transform(n);
	if (fc->transform_src != NULL) {
		const struct conf_node *at = conf_has(n, "transform") ? conf_get(n, "transform") :
		    conf_get(n, "transform_file");

		if (fc->ops != NULL) {
			conf_error(at, "transform: it runs on the envelope, so format must be "
			    "\"envelope\" (or absent), not \"%s\"", fc->ops->name);
			rc = -1;
		} else if ((fc->transform = transform_compile(fc->transform_src, err,
		    sizeof(err))) == NULL) {
			conf_error(at, "transform: %s", err);
			rc = -1;
		} else
			transform_drop_compiled(fc->transform);
	}
	return rc;
}

int
format_configure_dynamic(struct format_conf *fc, const char *format, const char *mode,
    const char *routing_key, const char *transform, char *err, size_t errlen)
{
	char names[256], why[400];
	const char *bad;

	memset(fc, 0, sizeof(*fc));
	fc->ops = find_format(format != NULL ? format : "envelope", names, sizeof(names));
	if (fc->ops == NULL && names[0] != '\0') {
		snprintf(err, errlen, "\"format\": unknown format \"%.64s\" (known: %s)", format,
		    names);
		return -1;
	}
	if (mode != NULL) {
		if (fc->ops == NULL || strcmp(fc->ops->name, "cloudevents") != 0) {
			snprintf(err, errlen, "\"cloudevents_mode\": needs \"format\": "
			    "\"cloudevents\"");
			return -1;
		}
		if (strcmp(mode, "binary") != 0 && strcmp(mode, "structured") != 0) {
			snprintf(err, errlen, "\"cloudevents_mode\": structured or binary");
			return -1;
		}
		fc->ce_binary = strcmp(mode, "binary") == 0;
	}
	if (fc->ops != NULL && strcmp(fc->ops->name, "pagerduty") == 0) {
		if (routing_key == NULL) {
			snprintf(err, errlen, "\"routing_key\": format \"pagerduty\" needs one");
			return -1;
		}
	} else if (routing_key != NULL) {
		snprintf(err, errlen, "\"routing_key\": needs \"format\": \"pagerduty\"");
		return -1;
	}
	if (routing_key != NULL) {
		if ((bad = routing_key_bad(routing_key)) != NULL) {
			snprintf(err, errlen, "\"routing_key\": %s", bad);
			return -1;
		}
		fc->routing_key = xstrdup(routing_key);
	}
	if (transform != NULL) {
		if (fc->ops != NULL) {
			snprintf(err, errlen, "\"transform\": it runs on the envelope, so "
			    "\"format\" must be \"envelope\"");
			format_clear(fc);
			return -1;
		}
		if (strlen(transform) > TRANSFORM_MAX_PROGRAM) {
			snprintf(err, errlen, "\"transform\": longer than %d bytes",
			    TRANSFORM_MAX_PROGRAM);
			format_clear(fc);
			return -1;
		}
		fc->transform_src = xstrdup(transform);
		if ((fc->transform = transform_compile(transform, why, sizeof(why))) == NULL) {
			snprintf(err, errlen, "\"transform\": %s", why);
			format_clear(fc);
			return -1;
		}
		transform_drop_compiled(fc->transform);
	}
	return 0;
}

void
format_clear(struct format_conf *fc)
{
	free(fc->routing_key);
	free(fc->transform_src);
	transform_free(fc->transform);
	memset(fc, 0, sizeof(*fc));
}

const char *
format_name(const struct format_conf *fc)
{
	if (fc->transform_src != NULL)
		return "transform";
	return fc->ops != NULL ? fc->ops->name : "envelope";
}

/* Parses an envelope with one tokener kept for the process: a new one per call costs a third more. */
static struct json_object *
parse_envelope(const char *body)
{
	static struct json_tokener *tok;
	struct json_object *j;

	if (tok == NULL)
		tok = json_tokener_new();
	if (tok == NULL)
		return json_tokener_parse(body);
	j = json_tokener_parse_ex(tok, body, (int)strlen(body));
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_reset(tok);
	return j;
}

int
format_render(const struct format_conf *fc, const struct event *ev, const char *subscriber,
    struct format_body *out, char *err, size_t errlen)
{
	struct format_input in = { .ev = ev, .subscriber = subscriber, .fc = fc };
	int rc;

	memset(out, 0, sizeof(*out));
	out->content_type = "application/json";
	if (fc == NULL || fc->ops == NULL) {
		out->data = ev->body;
		out->len = strlen(ev->body);
		return 0;
	}
	in.env = parse_envelope(ev->body);
	if (in.env == NULL || !json_object_is_type(in.env, json_type_object)) {
		snprintf(err, errlen, "the stored event is not a JSON object");
		json_object_put(in.env);
		return -1;
	}
	if (!json_object_object_get_ex(in.env, "payload", &in.payload) ||
	    !json_object_is_type(in.payload, json_type_object)) {
		in.payload = json_object_new_object();
		json_object_object_add(in.env, "payload", in.payload);
	}
	rc = fc->ops->render(&in, out, err, errlen);
	json_object_put(in.env);
	if (rc != 0)
		format_body_clear(out);
	return rc;
}

void
format_body_clear(struct format_body *out)
{
	free(out->buf);
	for (size_t i = 0; i < out->nheaders; i++)
		free(out->headers[i]);
	memset(out, 0, sizeof(*out));
}

int
format_header(struct format_body *out, const char *name, const char *value)
{
	if (out->nheaders >= FORMAT_MAX_HEADERS)
		return -1;
	out->headers[out->nheaders++] = xasprintf("%s: %s", name, value);
	return 0;
}

void
format_json(struct format_body *out, struct json_object *j)
{
	size_t len;
	const char *s = json_object_to_json_string_length(j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	free(out->buf);
	out->buf = xmalloc(len + 1);
	memcpy(out->buf, s, len + 1);
	out->data = out->buf;
	out->len = len;
}

const char *
format_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void
format_time(const struct event *ev, char *buf, size_t len)
{
	event_format_time(buf, len, (double)ev->ts_ms / 1000.0);
}

bool
format_is_episode(const struct format_input *in)
{
	const char *st = format_str(in->payload, "state");

	return st != NULL && (strcmp(st, "firing") == 0 || strcmp(st, "resolved") == 0);
}

bool
format_is_resolved(const struct format_input *in)
{
	const char *st = format_str(in->payload, "state");

	return st != NULL && strcmp(st, "resolved") == 0;
}

void
format_fingerprint(const struct event *ev, char *buf, size_t len)
{
	char *key = xasprintf("%s%c%s%c%s", ev->source, 0x1f, ev->rule, 0x1f,
	    ev->instance != NULL ? ev->instance : "");

	snprintf(buf, len, "%016llx", hmap_hash(key));
	free(key);
}

/* Appends member key of payload as text ("95", "up", "null") to buf at *at. */
static void
put_value(char *buf, size_t len, size_t *at, struct json_object *payload, const char *key)
{
	struct json_object *v = NULL;
	const char *s;
	int n;

	json_object_object_get_ex(payload, key, &v);
	if (v == NULL)
		s = "null";
	else if (json_object_is_type(v, json_type_string))
		s = json_object_get_string(v);
	else
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	if (*at >= len)
		return;
	n = snprintf(buf + *at, len - *at, "%s", s);
	if (n > 0)
		*at += (size_t)n;
}

/* Appends fmt to buf at *at, stopping at its end. */
static void __attribute__((format(printf, 4, 5)))
put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}

/* The comparison a threshold event's value stands in: "> 90", "<= 85". */
static void
put_comparison(char *buf, size_t len, size_t *at, const struct format_input *in)
{
	struct json_object *v, *t;
	bool resolved = format_is_resolved(in);
	double value, bound;

	if (!json_object_object_get_ex(in->payload, "value", &v) ||
	    !json_object_object_get_ex(in->payload, resolved ? "clear" : "threshold", &t) ||
	    v == NULL || t == NULL)
		return;
	value = json_object_get_double(v);
	bound = json_object_get_double(t);
	if (!resolved)
		put(buf, len, at, " %s ", value > bound ? ">" : "<");
	else
		put(buf, len, at, " %s ", value <= bound ? "<=" : ">=");
	put_value(buf, len, at, in->payload, resolved ? "clear" : "threshold");
}

void
format_summary(const struct format_input *in, char *buf, size_t len)
{
	const struct event *ev = in->ev;
	const char *state = format_str(in->payload, "state");
	const char *metric = format_str(in->payload, "metric");
	const char *severity = format_str(in->payload, "severity");
	size_t at = 0;

	buf[0] = '\0';
	put(buf, len, &at, "%s %s on %s: ", ev->rule, state != NULL ? state : "event",
	    ev->source);
	put(buf, len, &at, "%s", metric != NULL ? metric : "value");
	if (ev->instance != NULL)
		put(buf, len, &at, "[%s]", ev->instance);
	if (state != NULL && strcmp(state, "changed") == 0) {
		put(buf, len, &at, " ");
		put_value(buf, len, &at, in->payload, "previous");
		put(buf, len, &at, " -> ");
		put_value(buf, len, &at, in->payload, "value");
	} else {
		put(buf, len, &at, " ");
		put_value(buf, len, &at, in->payload, "value");
		if (format_is_episode(in))
			put_comparison(buf, len, &at, in);
	}
	if (severity != NULL)
		put(buf, len, &at, " (%s)", severity);
	if (at >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}
