/*
 * Slack incoming webhooks: "text" (the readable line, also the
 * notification's fallback) and "blocks": a section with the line in bold
 * and a context line with the source, the time and the event id.
 */

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "format.h"

#define SLACK_TEXT_MAX	3000	/* a section block's text at most */

/* Returns a mrkdwn text object of s (Slack escapes &, <, > as entities). */
static struct json_object *
mrkdwn(const char *s)
{
	struct json_object *o = json_object_new_object();
	char buf[SLACK_TEXT_MAX + 1];
	size_t at = 0;

	for (; *s != '\0' && at + 6 < sizeof(buf); s++) {
		const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" :
		    NULL;

		if (rep != NULL) {
			memcpy(buf + at, rep, strlen(rep));
			at += strlen(rep);
		} else
			buf[at++] = *s;
	}
	buf[at] = '\0';
	json_object_object_add(o, "type", json_object_new_string("mrkdwn"));
	json_object_object_add(o, "text", json_object_new_string(buf));
	return o;
}

static int
slack_render(const struct format_input *in, struct format_body *out, char *err, size_t errlen)
{
	char line[1024], bold[1100], ctx[512], when[32];
	const char *state = format_str(in->payload, "state");
	const char *icon = state == NULL ? ":information_source:" :
	    strcmp(state, "firing") == 0 ? ":red_circle:" :
	    strcmp(state, "resolved") == 0 ? ":large_green_circle:" : ":information_source:";
	struct json_object *j = json_object_new_object(), *blocks = json_object_new_array();
	struct json_object *sec = json_object_new_object(), *cx = json_object_new_object();
	struct json_object *els = json_object_new_array();

	(void)err;
	(void)errlen;
	format_summary(in, line, sizeof(line));
	format_time(in->ev, when, sizeof(when));
	snprintf(bold, sizeof(bold), "%s *%s*", icon, line);
	snprintf(ctx, sizeof(ctx), "source %s | %s | %s", in->ev->source, when, in->ev->id);
	json_object_object_add(j, "text", json_object_new_string(line));
	json_object_object_add(sec, "type", json_object_new_string("section"));
	json_object_object_add(sec, "text", mrkdwn(bold));
	json_object_array_add(blocks, sec);
	json_object_object_add(cx, "type", json_object_new_string("context"));
	json_object_array_add(els, mrkdwn(ctx));
	json_object_object_add(cx, "elements", els);
	json_object_array_add(blocks, cx);
	json_object_object_add(j, "blocks", blocks);
	format_json(out, j);
	json_object_put(j);
	return 0;
}

const struct format_ops slack_format_ops = {
	.name = "slack",
	.render = slack_render,
};
