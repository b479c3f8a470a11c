/*
 * The format front: the subscriber keys of formats, the choice of a format
 * per subscriber, the rendering of one body at send time, and the helpers
 * the formats in emitters/format_*.c share (the readable summary line, the
 * rule instance's fingerprint).
 */

#include "format.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "registry.h"
#include "transform.h"
#include "util.h"
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

/* The members of the payload the formats read, and where each goes in a format_event. */
enum {
	PL_LABELS, PL_STATE, PL_METRIC, PL_SEVERITY, PL_SINCE, PL_VALUE, PL_PREVIOUS,
	PL_THRESHOLD, PL_CLEAR, PL_N
};
static const char *const pl_keys[PL_N] = {
	"labels", "state", "metric", "severity", "since", "value", "previous", "threshold", "clear"
};

static void
format_event_free(void *p)
{
	struct format_event *fe = p;

	free(fe->summary);
	free(fe);
}

/* Finds the payload object of the envelope body: 0, or -1 when body is not an object. */
static int
find_payload(const char *body, struct json_span *payload)
{
	static const char empty[] = "{}";
	struct json_span env, key, v;
	struct json_scan it;
	const char *end;
	int rc;

	env.p = body;
	while (*env.p == ' ' || *env.p == '\t' || *env.p == '\n' || *env.p == '\r')
		env.p++;
	/* What follows the object is ignored, as json-c's tokener did. */
	if ((end = json_scan_value(env.p, env.p + strlen(env.p))) == NULL)
		return -1;
	env.len = (size_t)(end - env.p);
	if (json_scan_object(&it, env) != 0)
		return -1;
	payload->p = empty;
	payload->len = 2;
	while ((rc = json_scan_next(&it, &key, &v)) == 1)
		if (json_scan_key_is(key, "payload") && json_span_is_object(v))
			*payload = v;
		else if (json_scan_key_is(key, "payload"))
			payload->p = empty, payload->len = 2;
	return rc == 0 ? 0 : -1;
}

/*
 * Appends the string v decodes to, or other JSON's text, to st (NUL
 * terminated); returns its offset there, or -1 for absent or null.
 */
static ptrdiff_t
keep(struct buf *st, struct json_span v)
{
	size_t at = st->len;

	if (v.p == NULL || json_span_is_null(v))
		return -1;
	if (json_span_is_string(v)) {
		buf_reserve(st, v.len);
		st->len += json_scan_string(v, st->p + at);
	} else
		json_write_plain(st, v);
	buf_add(st, "", 1);	/* the NUL, kept */
	return (ptrdiff_t)at;
}

static void summarize(struct format_event *fe, const struct event *ev);

/* Reads what the formats need from ev's envelope: a new format_event, or NULL. */
static struct format_event *
format_event_parse(const struct event *ev, char *err, size_t errlen)
{
	struct json_span pl, key, v, m[PL_N] = { { NULL, 0 } };
	ptrdiff_t off[PL_N];
	const char **strs[PL_N] = { NULL };
	struct format_value *vals[PL_N] = { NULL };
	struct format_event *fe;
	struct json_scan it;
	struct buf st = { 0 };
	char *base;

	if (find_payload(ev->body, &pl) != 0) {
		snprintf(err, errlen, "the stored event is not a JSON object");
		return NULL;
	}
	json_scan_object(&it, pl);
	/* A key given twice counts with its last value, as in json-c. */
	while (json_scan_next(&it, &key, &v) == 1)
		for (size_t i = 0; i < PL_N; i++)
			if (json_scan_key_is(key, pl_keys[i])) {
				m[i] = v;
				break;
			}
	for (size_t i = PL_STATE; i < PL_N; i++)
		off[i] = i >= PL_VALUE || json_span_is_string(m[i]) ? keep(&st, m[i]) : -1;
	fe = xcalloc(1, sizeof(*fe) + st.len);
	base = (char *)(fe + 1);
	if (st.len > 0)
		memcpy(base, st.p, st.len);
	free(st.p);
	fe->payload = pl;
	if (json_span_is_object(m[PL_LABELS]))
		fe->labels = m[PL_LABELS];
	strs[PL_STATE] = &fe->state;
	strs[PL_METRIC] = &fe->metric;
	strs[PL_SEVERITY] = &fe->severity;
	strs[PL_SINCE] = &fe->since;
	vals[PL_VALUE] = &fe->value;
	vals[PL_PREVIOUS] = &fe->previous;
	vals[PL_THRESHOLD] = &fe->threshold;
	vals[PL_CLEAR] = &fe->clear;
	for (size_t i = PL_STATE; i < PL_N; i++) {
		const char *text = off[i] >= 0 ? base + off[i] : NULL;

		if (strs[i] != NULL)
			*strs[i] = text;
		else {
			vals[i]->raw = m[i];
			vals[i]->string = json_span_is_string(m[i]);
			vals[i]->text = text;
		}
	}
	event_format_time(fe->when, sizeof(fe->when), (double)ev->ts_ms / 1000.0);
	summarize(fe, ev);
	return fe;
}

int
format_render(const struct format_conf *fc, struct event *ev, const char *subscriber,
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
	if (ev->fmt == NULL) {
		if ((ev->fmt = format_event_parse(ev, err, errlen)) == NULL)
			return -1;
		ev->fmt_free = format_event_free;
	}
	in.fe = ev->fmt;
	rc = fc->ops->render(&in, out, err, errlen);
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
format_take(struct format_body *out, struct buf *b)
{
	free(out->buf);
	if (b->p == NULL)
		buf_add(b, "", 0);
	out->buf = b->p;
	out->data = b->p;
	out->len = b->len;
	memset(b, 0, sizeof(*b));
}

const char *
format_text(const struct format_value *v, char *buf, size_t len)
{
	if (v->text == NULL || v->string)
		return v->text;
	snprintf(buf, len, "%s", v->text);
	return buf;
}

bool
format_is_episode(const struct format_input *in)
{
	const char *st = in->fe->state;

	return st != NULL && (strcmp(st, "firing") == 0 || strcmp(st, "resolved") == 0);
}

bool
format_is_resolved(const struct format_input *in)
{
	const char *st = in->fe->state;

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

/* v as a number, as json-c's json_object_get_double reads it (a string is parsed). */
static double
number_of(const struct format_value *v)
{
	char *end;
	double d;

	if (v->string) {
		errno = 0;
		d = strtod(v->text, &end);
		if (end == v->text || *end != '\0')
			return 0.0;
		return (d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE ? 0.0 : d;
	}
	if (v->text[0] == 't')
		return 1.0;
	if (v->text[0] == '-' || (v->text[0] >= '0' && v->text[0] <= '9'))
		return strtod(v->text, NULL);
	return 0.0;
}

/* The comparison a threshold event's value stands in: "> 90", "<= 85". */
static void
put_comparison(struct buf *b, const struct format_event *fe, bool resolved)
{
	const struct format_value *bound = resolved ? &fe->clear : &fe->threshold;
	double value, limit;

	if (fe->value.text == NULL || bound->text == NULL)
		return;
	value = number_of(&fe->value);
	limit = number_of(bound);
	if (!resolved)
		buf_str(b, value > limit ? " > " : " < ");
	else
		buf_str(b, value <= limit ? " <= " : " >= ");
	buf_str(b, bound->text);
}

/* The readable line, whole: "cpu.high firing on edge-router-1: cpu 95 > 90 (critical)". */
static void
summarize(struct format_event *fe, const struct event *ev)
{
	const char *state = fe->state;
	struct buf b = { 0 };

	buf_str(&b, ev->rule);
	buf_add(&b, " ", 1);
	buf_str(&b, state != NULL ? state : "event");
	buf_add(&b, " on ", 4);
	buf_str(&b, ev->source);
	buf_add(&b, ": ", 2);
	buf_str(&b, fe->metric != NULL ? fe->metric : "value");
	if (ev->instance != NULL) {
		buf_add(&b, "[", 1);
		buf_str(&b, ev->instance);
		buf_add(&b, "]", 1);
	}
	if (state != NULL && strcmp(state, "changed") == 0) {
		buf_add(&b, " ", 1);
		buf_str(&b, fe->previous.text != NULL ? fe->previous.text : "null");
		buf_add(&b, " -> ", 4);
		buf_str(&b, fe->value.text != NULL ? fe->value.text : "null");
	} else {
		buf_add(&b, " ", 1);
		buf_str(&b, fe->value.text != NULL ? fe->value.text : "null");
		if (state != NULL && (strcmp(state, "firing") == 0 ||
		    strcmp(state, "resolved") == 0))
			put_comparison(&b, fe, strcmp(state, "resolved") == 0);
	}
	if (fe->severity != NULL) {
		buf_add(&b, " (", 2);
		buf_str(&b, fe->severity);
		buf_add(&b, ")", 1);
	}
	fe->summary = b.p;
	fe->summary_len = b.len;
}

void
format_summary(const struct format_input *in, char *buf, size_t len)
{
	const struct format_event *fe = in->fe;

	if (len == 0)
		return;
	if (fe->summary_len < len) {
		memcpy(buf, fe->summary, fe->summary_len + 1);
		return;
	}
	/* Cut: what fits, its last three bytes "...". */
	memcpy(buf, fe->summary, len - 1);
	buf[len - 1] = '\0';
	if (len > 4)
		memcpy(buf + len - 4, "...", 4);
}
