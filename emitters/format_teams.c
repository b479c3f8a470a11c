/*
 * Microsoft Teams workflow webhooks ("Post to a channel when a webhook
 * request is received"): a message with one Adaptive Card attachment, the
 * readable line as its title and the event's fields as a FactSet.
 */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

/* Appends the fact {title, value} to the FactSet in b; none when value is NULL. */
static void
fact(struct buf *b, bool *first, const char *title, const char *value)
{
	if (value == NULL)
		return;
	buf_str(b, *first ? "{\"title\":" : ",{\"title\":");
	json_write_str(b, title);
	buf_str(b, ",\"value\":");
	json_write_str(b, value);
	buf_add(b, "}", 1);
	*first = false;
}

static int
teams_render(const struct format_input *in, struct format_body *out, char *err, size_t errlen)
{
	const struct format_event *fe = in->fe;
	const char *state = fe->state;
	char line[1024], value[256], threshold[64];
	struct buf b = { 0 };
	bool first = true;

	(void)err;
	(void)errlen;
	format_summary(in, line, sizeof(line));
	buf_reserve(&b, 2 * strlen(line) + 2 * in->fe->payload.len + 640);
	buf_str(&b, "{\"type\":\"message\",\"attachments\":[{\"contentType\":"
	    "\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,\"content\":"
	    "{\"$schema\":\"http://adaptivecards.io/schemas/adaptive-card.json\","
	    "\"type\":\"AdaptiveCard\",\"version\":\"1.4\",\"body\":[{\"type\":\"TextBlock\","
	    "\"text\":");
	json_write_str(&b, line);
	buf_str(&b, ",\"weight\":\"Bolder\",\"size\":\"Medium\",\"wrap\":true,\"color\":");
	json_write_str(&b, state == NULL ? "Default" : strcmp(state, "firing") == 0 ?
	    "Attention" : strcmp(state, "resolved") == 0 ? "Good" : "Default");
	buf_str(&b, "},{\"type\":\"FactSet\",\"facts\":[");
	fact(&b, &first, "Event", in->ev->name);
	fact(&b, &first, "Source", in->ev->source);
	fact(&b, &first, "Metric", fe->metric);
	fact(&b, &first, "Instance", in->ev->instance);
	fact(&b, &first, "State", state);
	fact(&b, &first, "Value", format_text(&fe->value, value, sizeof(value)));
	fact(&b, &first, "Threshold", format_text(&fe->threshold, threshold, sizeof(threshold)));
	fact(&b, &first, "Severity", fe->severity);
	fact(&b, &first, "Time", fe->when);
	fact(&b, &first, "Id", in->ev->id);
	buf_str(&b, "]}]}}]}");
	format_take(out, &b);
	return 0;
}

const struct format_ops teams_format_ops = {
	.name = "teams",
	.render = teams_render,
};
