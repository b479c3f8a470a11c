/*
 * Slack incoming webhooks: "text" (the readable line, also the
 * notification's fallback) and "blocks": a section with the line in bold
 * and a context line with the source, the time and the event id.
 */

#include <stdio.h>
#include <string.h>

#include "format.h"

#define SLACK_TEXT_MAX	3000	/* a section block's text at most */

/* Appends a mrkdwn text object of s (Slack escapes &, <, > as entities). */
static void
mrkdwn(struct buf *b, const char *s)
{
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
	buf_str(b, "{\"type\":\"mrkdwn\",\"text\":\"");
	json_write_chars(b, buf, at);
	buf_str(b, "\"}");
}

static int
slack_render(const struct format_input *in, struct format_body *out, char *err, size_t errlen)
{
	char line[1024], bold[1100], ctx[512];
	const char *state = in->fe->state;
	const char *icon = state == NULL ? ":information_source:" :
	    strcmp(state, "firing") == 0 ? ":red_circle:" :
	    strcmp(state, "resolved") == 0 ? ":large_green_circle:" : ":information_source:";
	struct buf b = { 0 };

	(void)err;
	(void)errlen;
	format_summary(in, line, sizeof(line));
	snprintf(bold, sizeof(bold), "%s *%s*", icon, line);
	snprintf(ctx, sizeof(ctx), "source %s | %s | %s", in->ev->source, in->fe->when,
	    in->ev->id);
	buf_reserve(&b, 3 * strlen(line) + strlen(ctx) + 160);
	buf_str(&b, "{\"text\":");
	json_write_str(&b, line);
	buf_str(&b, ",\"blocks\":[{\"type\":\"section\",\"text\":");
	mrkdwn(&b, bold);
	buf_str(&b, "},{\"type\":\"context\",\"elements\":[");
	mrkdwn(&b, ctx);
	buf_str(&b, "]}]}");
	format_take(out, &b);
	return 0;
}

const struct format_ops slack_format_ops = {
	.name = "slack",
	.render = slack_render,
};
