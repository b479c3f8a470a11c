/*
 * Alertmanager's webhook body, version 4: one alert per event, so any
 * receiver written for Alertmanager takes pollhook's events. The alert's
 * labels are the rule (alertname), source, metric, instance and severity,
 * then the source's labels; its fingerprint is the rule instance's, stable
 * across its firing and its resolved. A firing alert has the zero endsAt
 * Alertmanager sends; a resolved one ends at the event's time.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "format.h"
#include "xmalloc.h"

#define ZERO_TIME	"0001-01-01T00:00:00Z"

static void
add_str(struct json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, key, json_object_new_string(v));
}

static struct json_object *
alert_labels(const struct format_input *in)
{
	struct json_object *l = json_object_new_object(), *src;

	add_str(l, "alertname", in->ev->rule);
	add_str(l, "source", in->ev->source);
	add_str(l, "metric", format_str(in->payload, "metric"));
	add_str(l, "instance", in->ev->instance);
	add_str(l, "severity", format_str(in->payload, "severity"));
	if (json_object_object_get_ex(in->payload, "labels", &src) &&
	    json_object_is_type(src, json_type_object)) {
		json_object_object_foreach(src, k, v) {
			if (!json_object_object_get_ex(l, k, NULL) &&
			    json_object_is_type(v, json_type_string))
				add_str(l, k, json_object_get_string(v));
		}
	}
	return l;
}

static int
am_render(const struct format_input *in, struct format_body *out, char *err, size_t errlen)
{
	const struct event *ev = in->ev;
	bool resolved = format_is_resolved(in);
	const char *status = resolved ? "resolved" : "firing";
	const char *since = format_str(in->payload, "since");
	char line[1024], when[32], fp[17], value[256];
	struct json_object *j = json_object_new_object(), *a = json_object_new_object();
	struct json_object *alerts = json_object_new_array(), *labels = alert_labels(in);
	struct json_object *ann = json_object_new_object(), *group = json_object_new_object();
	struct json_object *v;
	char *gk;

	(void)err;
	(void)errlen;
	format_summary(in, line, sizeof(line));
	format_time(ev, when, sizeof(when));
	format_fingerprint(ev, fp, sizeof(fp));
	add_str(ann, "summary", line);
	if (json_object_object_get_ex(in->payload, "value", &v) && v != NULL) {
		snprintf(value, sizeof(value), "%s", json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) :
		    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		add_str(ann, "value", value);
	}
	add_str(ann, "event_id", ev->id);
	add_str(a, "status", status);
	json_object_object_add(a, "labels", json_object_get(labels));
	json_object_object_add(a, "annotations", json_object_get(ann));
	/* A firing's since is when its condition began; a resolved's, its clearing's. */
	add_str(a, "startsAt", since != NULL ? since : when);
	add_str(a, "endsAt", resolved ? when : ZERO_TIME);
	add_str(a, "generatorURL", "");
	add_str(a, "fingerprint", fp);
	json_object_array_add(alerts, a);

	add_str(group, "alertname", ev->rule);
	gk = xasprintf("{}:{alertname=\"%s\"}", ev->rule);
	add_str(j, "version", "4");
	add_str(j, "groupKey", gk);
	json_object_object_add(j, "truncatedAlerts", json_object_new_int(0));
	add_str(j, "status", status);
	add_str(j, "receiver", in->subscriber);
	json_object_object_add(j, "groupLabels", group);
	json_object_object_add(j, "commonLabels", labels);
	json_object_object_add(j, "commonAnnotations", ann);
	add_str(j, "externalURL", "");
	json_object_object_add(j, "alerts", alerts);
	format_json(out, j);
	json_object_put(j);
	free(gk);
	return 0;
}

const struct format_ops alertmanager_format_ops = {
	.name = "alertmanager",
	.render = am_render,
};
