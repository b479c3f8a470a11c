/*
 * CloudEvents 1.0 over HTTP. Structured mode: the whole event is the body,
 * application/cloudevents+json. Binary mode: the attributes travel as ce-*
 * headers (values percent-encoded as the HTTP binding asks) and the payload
 * is the body, application/json.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "format.h"
#include "xmalloc.h"

/* Writes "metric" or "metric/instance" into buf. */
static void
subject(const struct format_input *in, char *buf, size_t len)
{
	const char *metric = format_str(in->payload, "metric");

	if (in->ev->instance != NULL)
		snprintf(buf, len, "%s/%s", metric != NULL ? metric : in->ev->rule,
		    in->ev->instance);
	else
		snprintf(buf, len, "%s", metric != NULL ? metric : in->ev->rule);
}

/* Percent-encodes v for a header (space, '"', '%' and all but printable ASCII). */
static char *
header_value(const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(v) * 3 + 1), *p = out;

	for (const unsigned char *s = (const unsigned char *)v; *s != '\0'; s++) {
		if (*s <= ' ' || *s >= 0x7f || *s == '"' || *s == '%') {
			*p++ = '%';
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 15];
		} else
			*p++ = (char)*s;
	}
	*p = '\0';
	return out;
}

static int
add_ce_header(struct format_body *out, const char *name, const char *value)
{
	char *v = header_value(value);
	int rc = format_header(out, name, v);

	free(v);
	return rc;
}

static int
ce_render(const struct format_input *in, struct format_body *out, char *err, size_t errlen)
{
	const struct event *ev = in->ev;
	char *source = xasprintf("pollhook/%s", ev->source);
	char subj[512], when[32];
	struct json_object *j;
	int rc = 0;

	subject(in, subj, sizeof(subj));
	format_time(ev, when, sizeof(when));
	if (in->fc->ce_binary) {
		if (add_ce_header(out, "ce-specversion", "1.0") != 0 ||
		    add_ce_header(out, "ce-id", ev->id) != 0 ||
		    add_ce_header(out, "ce-source", source) != 0 ||
		    add_ce_header(out, "ce-type", ev->name) != 0 ||
		    add_ce_header(out, "ce-subject", subj) != 0 ||
		    add_ce_header(out, "ce-time", when) != 0) {
			snprintf(err, errlen, "cloudevents: too many headers");
			rc = -1;
		}
		format_json(out, in->payload);
		out->content_type = "application/json";
		free(source);
		return rc;
	}
	j = json_object_new_object();
	json_object_object_add(j, "specversion", json_object_new_string("1.0"));
	json_object_object_add(j, "id", json_object_new_string(ev->id));
	json_object_object_add(j, "source", json_object_new_string(source));
	json_object_object_add(j, "type", json_object_new_string(ev->name));
	json_object_object_add(j, "subject", json_object_new_string(subj));
	json_object_object_add(j, "time", json_object_new_string(when));
	json_object_object_add(j, "datacontenttype", json_object_new_string("application/json"));
	json_object_object_add(j, "data", json_object_get(in->payload));
	format_json(out, j);
	json_object_put(j);
	out->content_type = "application/cloudevents+json; charset=utf-8";
	free(source);
	return 0;
}

const struct format_ops cloudevents_format_ops = {
	.name = "cloudevents",
	.render = ce_render,
};
