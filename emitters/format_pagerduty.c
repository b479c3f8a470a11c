/*
 * PagerDuty Events API v2 (enqueue). A threshold rule's firing is a
 * "trigger" and its resolved a "resolve" with the same dedup_key, the rule
 * instance's: PagerDuty opens a new incident for a trigger that comes after
 * a resolve, so each firing episode is one incident, opened and closed.
 * Other events (on_change, on_new) are triggers with the event id as their
 * dedup_key. Severity comes from the rule's severity.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "format.h"
#include "util.h"

#define PD_SUMMARY_MAX	1024
#define PD_DEDUP_MAX	255

/* Maps a rule's severity to one of PagerDuty's four; absent or unknown is "error". */
static const char *
pd_severity(const char *s)
{
	static const struct { const char *from, *to; } map[] = {
		{ "critical", "critical" }, { "crit", "critical" }, { "fatal", "critical" },
		{ "emergency", "critical" }, { "alert", "critical" }, { "page", "critical" },
		{ "error", "error" }, { "err", "error" }, { "major", "error" },
		{ "high", "error" },
		{ "warning", "warning" }, { "warn", "warning" }, { "minor", "warning" },
		{ "medium", "warning" },
		{ "info", "info" }, { "informational", "info" }, { "notice", "info" },
		{ "low", "info" }, { "debug", "info" }, { "ok", "info" },
	};

	for (size_t i = 0; s != NULL && i < NELEM(map); i++)
		if (strcasecmp(map[i].from, s) == 0)
			return map[i].to;
	return "error";
}

static void
dedup_key(const struct format_input *in, char *buf, size_t len)
{
	const struct event *ev = in->ev;
	int n;

	if (!format_is_episode(in)) {
		snprintf(buf, len, "%s", ev->id);
		return;
	}
	n = snprintf(buf, len, "pollhook/%s/%s%s%s", ev->source, ev->rule,
	    ev->instance != NULL ? "/" : "", ev->instance != NULL ? ev->instance : "");
	if (n < 0 || (size_t)n >= len) {
		char fp[17];

		format_fingerprint(ev, fp, sizeof(fp));
		snprintf(buf, len, "pollhook/%s", fp);
	}
}

static int
pd_render(const struct format_input *in, struct format_body *out, char *err, size_t errlen)
{
	const struct event *ev = in->ev;
	const struct format_event *fe = in->fe;
	bool resolve = format_is_resolved(in);
	char key[PD_DEDUP_MAX + 1], line[PD_SUMMARY_MAX + 1];
	struct buf b = { 0 };

	(void)err;
	(void)errlen;
	dedup_key(in, key, sizeof(key));
	buf_reserve(&b, 2 * (strlen(key) + PD_SUMMARY_MAX) + fe->payload.len + 256);
	buf_str(&b, "{\"routing_key\":");
	json_write_str(&b, in->fc->routing_key);
	buf_str(&b, resolve ? ",\"event_action\":\"resolve\",\"dedup_key\":" :
	    ",\"event_action\":\"trigger\",\"dedup_key\":");
	json_write_str(&b, key);
	if (!resolve) {
		format_summary(in, line, sizeof(line));
		buf_str(&b, ",\"payload\":{\"summary\":");
		json_write_str(&b, line);
		buf_str(&b, ",\"source\":");
		json_write_str(&b, ev->source);
		buf_str(&b, ",\"severity\":");
		json_write_str(&b, pd_severity(fe->severity));
		buf_str(&b, ",\"timestamp\":");
		json_write_str(&b, fe->when);
		if (fe->metric != NULL) {
			buf_str(&b, ",\"component\":");
			json_write_str(&b, fe->metric);
		}
		buf_str(&b, ",\"group\":");
		json_write_str(&b, ev->rule);
		buf_str(&b, ",\"class\":");
		json_write_str(&b, ev->name);
		buf_str(&b, ",\"custom_details\":");
		buf_add(&b, fe->payload.p, fe->payload.len);
		buf_str(&b, "},\"client\":\"pollhook\"");
	}
	buf_add(&b, "}", 1);
	format_take(out, &b);
	return 0;
}

const struct format_ops pagerduty_format_ops = {
	.name = "pagerduty",
	.render = pd_render,
};
