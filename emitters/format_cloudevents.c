/*
 * CloudEvents 1.0 over HTTP. Structured mode: the whole event is the body,
 * application/cloudevents+json. Binary mode: the attributes travel as ce-*
 * headers (values percent-encoded as the HTTP binding asks) and the payload
 * is the body, application/json.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "xmalloc.h"

/* Writes "metric" or "metric/instance" into buf. */
static void
subject(const struct format_input *in, char *buf, size_t len)
{
	const char *metric = in->fe->metric;

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

/* Appends the payload as the body (binary mode) or the data member (structured). */
static void
payload(struct buf *b, const struct format_input *in)
{
	buf_add(b, in->fe->payload.p, in->fe->payload.len);
}

static int
ce_render(const struct format_input *in, struct format_body *out, char *err, size_t errlen)
{
	const struct event *ev = in->ev;
	char subj[512];
	struct buf b = { 0 };

	subject(in, subj, sizeof(subj));
	if (in->fc->ce_binary) {
		char *source = xasprintf("pollhook/%s", ev->source);
		int rc = 0;

		if (add_ce_header(out, "ce-specversion", "1.0") != 0 ||
		    add_ce_header(out, "ce-id", ev->id) != 0 ||
		    add_ce_header(out, "ce-source", source) != 0 ||
		    add_ce_header(out, "ce-type", ev->name) != 0 ||
		    add_ce_header(out, "ce-subject", subj) != 0 ||
		    add_ce_header(out, "ce-time", in->fe->when) != 0) {
			snprintf(err, errlen, "cloudevents: too many headers");
			rc = -1;
		}
		payload(&b, in);
		format_take(out, &b);
		out->content_type = "application/json";
		free(source);
		return rc;
	}
	buf_reserve(&b, in->fe->payload.len + 2 * (strlen(ev->source) + strlen(ev->name) +
	    strlen(subj)) + 200);
	buf_str(&b, "{\"specversion\":\"1.0\",\"id\":");
	json_write_str(&b, ev->id);
	buf_str(&b, ",\"source\":\"pollhook/");
	json_write_chars(&b, ev->source, strlen(ev->source));
	buf_str(&b, "\",\"type\":");
	json_write_str(&b, ev->name);
	buf_str(&b, ",\"subject\":");
	json_write_str(&b, subj);
	buf_str(&b, ",\"time\":");
	json_write_str(&b, in->fe->when);
	buf_str(&b, ",\"datacontenttype\":\"application/json\",\"data\":");
	payload(&b, in);
	buf_add(&b, "}", 1);
	format_take(out, &b);
	out->content_type = "application/cloudevents+json; charset=utf-8";
	return 0;
}

const struct format_ops cloudevents_format_ops = {
	.name = "cloudevents",
	.render = ce_render,
};
