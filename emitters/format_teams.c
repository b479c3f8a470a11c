/*
 * Microsoft Teams workflow webhooks ("Post to a channel when a webhook
 * request is received"): a message with one Adaptive Card attachment, the
 * readable line as its title and the event's fields as a FactSet.
 */

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "format.h"

static void
fact(struct json_object *facts, const char *title, const char *value)
{
	struct json_object *f;

	if (value == NULL)
		return;
	f = json_object_new_object();
	json_object_object_add(f, "title", json_object_new_string(title));
	json_object_object_add(f, "value", json_object_new_string(value));
	json_object_array_add(facts, f);
}

/* The payload member key as text ("95"), into buf; NULL when absent or null. */
static const char *
text_of(struct json_object *payload, const char *key, char *buf, size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(payload, key, &v) || v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	snprintf(buf, len, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	return buf;
}

static int
teams_render(const struct format_input *in, struct format_body *out, char *err, size_t errlen)
{
	const char *state = format_str(in->payload, "state");
	char line[1024], when[32], value[256], threshold[64];
	struct json_object *msg = json_object_new_object(), *atts = json_object_new_array();
	struct json_object *att = json_object_new_object(), *card = json_object_new_object();
	struct json_object *body = json_object_new_array(), *title = json_object_new_object();
	struct json_object *set = json_object_new_object(), *facts = json_object_new_array();

	(void)err;
	(void)errlen;
	format_summary(in, line, sizeof(line));
	format_time(in->ev, when, sizeof(when));
	json_object_object_add(title, "type", json_object_new_string("TextBlock"));
	json_object_object_add(title, "text", json_object_new_string(line));
	json_object_object_add(title, "weight", json_object_new_string("Bolder"));
	json_object_object_add(title, "size", json_object_new_string("Medium"));
	json_object_object_add(title, "wrap", json_object_new_boolean(1));
	json_object_object_add(title, "color", json_object_new_string(state == NULL ? "Default" :
	    strcmp(state, "firing") == 0 ? "Attention" :
	    strcmp(state, "resolved") == 0 ? "Good" : "Default"));
	json_object_array_add(body, title);
	fact(facts, "Event", in->ev->name);
	fact(facts, "Source", in->ev->source);
	fact(facts, "Metric", format_str(in->payload, "metric"));
	fact(facts, "Instance", in->ev->instance);
	fact(facts, "State", state);
	fact(facts, "Value", text_of(in->payload, "value", value, sizeof(value)));
	fact(facts, "Threshold", text_of(in->payload, "threshold", threshold, sizeof(threshold)));
	fact(facts, "Severity", format_str(in->payload, "severity"));
	fact(facts, "Time", when);
	fact(facts, "Id", in->ev->id);
	json_object_object_add(set, "type", json_object_new_string("FactSet"));
	json_object_object_add(set, "facts", facts);
	json_object_array_add(body, set);
	json_object_object_add(card, "$schema",
	    json_object_new_string("http://adaptivecards.io/schemas/adaptive-card.json"));
	json_object_object_add(card, "type", json_object_new_string("AdaptiveCard"));
	json_object_object_add(card, "version", json_object_new_string("1.4"));
	json_object_object_add(card, "body", body);
	json_object_object_add(att, "contentType",
	    json_object_new_string("application/vnd.microsoft.card.adaptive"));
	json_object_object_add(att, "contentUrl", NULL);
	json_object_object_add(att, "content", card);
	json_object_array_add(atts, att);
	json_object_object_add(msg, "type", json_object_new_string("message"));
	json_object_object_add(msg, "attachments", atts);
	format_json(out, msg);
	json_object_put(msg);
	return 0;
}

const struct format_ops teams_format_ops = {
	.name = "teams",
	.render = teams_render,
};
