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

#include <json-c/json.h>

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
	bool resolve = format_is_resolved(in);
	char key[PD_DEDUP_MAX + 1], line[PD_SUMMARY_MAX + 1], when[32];
	struct json_object *j = json_object_new_object(), *pl;

	(void)err;
	(void)errlen;
	dedup_key(in, key, sizeof(key));
	json_object_object_add(j, "routing_key", json_object_new_string(in->fc->routing_key));
	json_object_object_add(j, "event_action",
	    json_object_new_string(resolve ? "resolve" : "trigger"));
	json_object_object_add(j, "dedup_key", json_object_new_string(key));
	if (!resolve) {
		format_summary(in, line, sizeof(line));
		format_time(ev, when, sizeof(when));
		pl = json_object_new_object();
		json_object_object_add(pl, "summary", json_object_new_string(line));
		json_object_object_add(pl, "source", json_object_new_string(ev->source));
		json_object_object_add(pl, "severity", json_object_new_string(
		    pd_severity(format_str(in->payload, "severity"))));
		json_object_object_add(pl, "timestamp", json_object_new_string(when));
		if (format_str(in->payload, "metric") != NULL)
			json_object_object_add(pl, "component",
			    json_object_new_string(format_str(in->payload, "metric")));
		json_object_object_add(pl, "group", json_object_new_string(ev->rule));
		json_object_object_add(pl, "class", json_object_new_string(ev->name));
		json_object_object_add(pl, "custom_details", json_object_get(in->payload));
		json_object_object_add(j, "payload", pl);
		json_object_object_add(j, "client", json_object_new_string("pollhook"));
	}
	format_json(out, j);
	json_object_put(j);
	return 0;
}

const struct format_ops pagerduty_format_ops = {
	.name = "pagerduty",
	.render = pd_render,
};
