/*
 * Alertmanager's webhook body, version 4: one alert per event, so any
 * receiver written for Alertmanager takes pollhook's events. The alert's
 * labels are the rule (alertname), source, metric, instance and severity,
 * then the source's labels; its fingerprint is the rule instance's, stable
 * across its firing and its resolved. A firing alert has the zero endsAt
 * Alertmanager sends; a resolved one ends at the event's time.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "xmalloc.h"

#define ZERO_TIME	"0001-01-01T00:00:00Z"

/* The label names written so far, each NUL-terminated, one after the other. */
struct names {
	struct buf all;
};

static bool
names_has(const struct names *n, const char *name)
{
	for (size_t at = 0; at < n->all.len; at += strlen(n->all.p + at) + 1)
		if (strcmp(n->all.p + at, name) == 0)
			return true;
	return false;
}

/* Appends the member name: value to the object in b, unless value is NULL. */
static void
add_str(struct buf *b, struct names *n, const char *name, const char *value)
{
	if (value == NULL)
		return;
	if (n != NULL)
		buf_add(&n->all, name, strlen(name) + 1);
	buf_add(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
	json_write_chars(b, name, strlen(name));
	buf_add(b, "\":", 2);
	json_write_str(b, value);
}

/* Writes the alert's labels object into b (the source's string labels after the fixed ones). */
static void
alert_labels(const struct format_input *in, struct buf *b)
{
	struct names n = { { 0 } };
	struct json_span k, v;
	struct json_scan it;

	buf_add(b, "{", 1);
	add_str(b, &n, "alertname", in->ev->rule);
	add_str(b, &n, "source", in->ev->source);
	add_str(b, &n, "metric", in->fe->metric);
	add_str(b, &n, "instance", in->ev->instance);
	add_str(b, &n, "severity", in->fe->severity);
	if (in->fe->labels.p != NULL && json_scan_object(&it, in->fe->labels) == 0) {
		while (json_scan_next(&it, &k, &v) == 1) {
			char *name, *value;

			if (!json_span_is_string(v))
				continue;
			name = xmalloc(k.len + v.len);
			value = name + k.len;
			json_scan_string(k, name);
			json_scan_string(v, value);
			if (!names_has(&n, name))
				add_str(b, &n, name, value);
			free(name);
		}
	}
	buf_add(b, "}", 1);
	free(n.all.p);
}

static int
am_render(const struct format_input *in, struct format_body *out, char *err, size_t errlen)
{
	const struct event *ev = in->ev;
	const struct format_event *fe = in->fe;
	bool resolved = format_is_resolved(in);
	const char *status = resolved ? "resolved" : "firing";
	const char *since = fe->since;
	char line[1024], fp[17], value[256];
	struct buf b = { 0 }, labels = { 0 }, ann = { 0 };
	char *gk;

	(void)err;
	(void)errlen;
	format_summary(in, line, sizeof(line));
	format_fingerprint(ev, fp, sizeof(fp));
	alert_labels(in, &labels);
	buf_add(&ann, "{", 1);
	add_str(&ann, NULL, "summary", line);
	if (fe->value.text != NULL) {
		snprintf(value, sizeof(value), "%s", fe->value.text);
		add_str(&ann, NULL, "value", value);
	}
	add_str(&ann, NULL, "event_id", ev->id);
	buf_add(&ann, "}", 1);

	gk = xasprintf("{}:{alertname=\"%s\"}", ev->rule);
	buf_reserve(&b, 2 * (labels.len + ann.len) + 2 * strlen(gk) + 2 * strlen(in->subscriber) +
	    2 * strlen(ev->rule) + 400);
	buf_str(&b, "{\"version\":\"4\",\"groupKey\":");
	json_write_str(&b, gk);
	buf_str(&b, ",\"truncatedAlerts\":0,\"status\":");
	json_write_str(&b, status);
	buf_str(&b, ",\"receiver\":");
	json_write_str(&b, in->subscriber);
	buf_str(&b, ",\"groupLabels\":{\"alertname\":");
	json_write_str(&b, ev->rule);
	buf_str(&b, "},\"commonLabels\":");
	buf_add(&b, labels.p, labels.len);
	buf_str(&b, ",\"commonAnnotations\":");
	buf_add(&b, ann.p, ann.len);
	buf_str(&b, ",\"externalURL\":\"\",\"alerts\":[{\"status\":");
	json_write_str(&b, status);
	buf_str(&b, ",\"labels\":");
	buf_add(&b, labels.p, labels.len);
	buf_str(&b, ",\"annotations\":");
	buf_add(&b, ann.p, ann.len);
	/* A firing's since is when its condition began; a resolved's, its clearing's. */
	buf_str(&b, ",\"startsAt\":");
	json_write_str(&b, since != NULL ? since : fe->when);
	buf_str(&b, ",\"endsAt\":");
	json_write_str(&b, resolved ? fe->when : ZERO_TIME);
	buf_str(&b, ",\"generatorURL\":\"\",\"fingerprint\":");
	json_write_str(&b, fp);
	buf_str(&b, "}]}");
	format_take(out, &b);
	free(labels.p);
	free(ann.p);
	free(gk);
	return 0;
}

const struct format_ops alertmanager_format_ops = {
	.name = "alertmanager",
	.render = am_render,
};
