/*
 * GET /v1/event-types: every event name a subscriber can ask for, with an
 * example body of each: the events of the configuration's rules (a
 * threshold's .resolved too) and pollhook's operational events.
 */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api_impl.h"
#include "config.h"
#include "xmalloc.h"

static struct json_object *
envelope(const char *name, struct json_object *payload)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(name));
	json_object_object_add(o, "event_ts", json_object_new_int64(1764393600123LL));
	json_object_object_add(o, "id", json_object_new_string("evt_01JDX3Q5N8W0Z7Y6X5V4T3S2R1"));
	json_object_object_add(o, "payload", payload);
	return o;
}

static void
add_type(struct json_object *arr, const char *name, const char *kind, const char *doc,
    struct json_object *payload)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "description", json_object_new_string(doc));
	json_object_object_add(o, "example", envelope(name, payload));
	json_object_array_add(arr, o);
}

/* The payload of rule r's event, resolved or not, on its first source. */
static struct json_object *
rule_payload(const struct config *cfg, const struct rule_config *r, bool resolved)
{
	struct json_object *p = json_object_new_object();
	const char *source = "edge-router-1";
	bool threshold = r->kind == RULE_ABOVE || r->kind == RULE_BELOW;

	for (size_t i = 0; i < cfg->nsources; i++)
		if (config_rule_applies(r, &cfg->sources[i])) {
			source = cfg->sources[i].name;
			break;
		}
	json_object_object_add(p, "source", json_object_new_string(source));
	json_object_object_add(p, "labels", json_object_new_object());
	json_object_object_add(p, "metric", json_object_new_string(r->metric));
	json_object_object_add(p, "instance", NULL);
	json_object_object_add(p, "state", json_object_new_string(resolved ? "ok" :
	    r->kind == RULE_NEW ? "new" : r->kind == RULE_CHANGE ? "changed" : "firing"));
	if (threshold) {
		double fire = r->kind == RULE_ABOVE ? r->threshold + 5 : r->threshold - 5;
		double ok = r->kind == RULE_ABOVE ? r->clear - 5 : r->clear + 5;

		json_object_object_add(p, "value", json_object_new_double(resolved ? ok : fire));
		json_object_object_add(p, "previous", json_object_new_double(resolved ? fire : ok));
		json_object_object_add(p, "threshold", json_object_new_double(r->threshold));
		json_object_object_add(p, "clear", json_object_new_double(r->clear));
	}
	json_object_object_add(p, "severity", r->severity != NULL ?
	    json_object_new_string(r->severity) : NULL);
	json_object_object_add(p, "since", json_object_new_string("2026-11-29T05:22:44.123Z"));
	json_object_object_add(p, "object", r->kind == RULE_NEW ? json_object_new_object() : NULL);
	return p;
}

static struct json_object *
operational(const char *reason)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "subscriber", json_object_new_string("my-app"));
	if (reason != NULL)
		json_object_object_add(p, "reason", json_object_new_string(reason));
	json_object_object_add(p, "consecutive_failures", json_object_new_int(reason != NULL ?
	    42 : 0));
	json_object_object_add(p, "failing_since", reason != NULL ?
	    json_object_new_string("2026-11-24T05:22:44.123Z") : NULL);
	return p;
}

/* The payload of a discovery's device event (misses: its missed_sweeps). */
static struct json_object *
device_payload(int misses)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "discovery", json_object_new_string("lab"));
	json_object_object_add(p, "source", json_object_new_string("edge-7"));
	json_object_object_add(p, "address", json_object_new_string("192.0.2.7:161"));
	json_object_object_add(p, "sys_name", json_object_new_string("edge-7"));
	json_object_object_add(p, "object_id", json_object_new_string("1.3.6.1.4.1.9.1.516"));
	json_object_object_add(p, "profile", json_object_new_string("cisco-ios"));
	json_object_object_add(p, "first_seen", json_object_new_string("2026-11-24T05:00:00.000Z"));
	json_object_object_add(p, "last_seen", json_object_new_string(misses > 0 ?
	    "2026-11-24T07:00:00.000Z" : "2026-11-24T05:00:00.000Z"));
	json_object_object_add(p, "missed_sweeps", json_object_new_int(misses));
	return p;
}

void
api_event_types(struct api_req *q)
{
	const struct config *cfg = api_req_config(q);
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	struct json_object *test = json_object_new_object();

	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct rule_config *r = &cfg->rules[i];
		char *resolved;

		add_type(arr, r->name, "rule", r->kind == RULE_NEW ? "an item not seen before" :
		    r->kind == RULE_CHANGE ? "the value changed" : "the threshold is crossed",
		    rule_payload(cfg, r, false));
		if (r->kind != RULE_ABOVE && r->kind != RULE_BELOW)
			continue;
		resolved = xasprintf("%s.resolved", r->name);
		add_type(arr, resolved, "rule", "the value is back past clear",
		    rule_payload(cfg, r, true));
		free(resolved);
	}
	add_type(arr, "pollhook.subscriber.disabled", "operational",
	    "a dynamic subscriber was disabled (continuous failure for disable_after, a 410, "
	    "or through the API); sent to subscribers whose events globs match pollhook.*",
	    operational("every delivery failed for 432000 s (disable_after)"));
	add_type(arr, "pollhook.subscriber.enabled", "operational",
	    "a disabled dynamic subscriber was enabled again (PATCH {\"disabled\": false})",
	    operational(NULL));
	json_object_object_add(test, "subscriber", json_object_new_string("my-app"));
	json_object_object_add(test, "message",
	    json_object_new_string("a test event, sent by POST /v1/subscribers/NAME/test"));
	if (cfg->ndiscovers > 0) {
		add_type(arr, "pollhook.device.found", "operational",
		    "a discovery's sweep found a device: it is a source from now on",
		    device_payload(0));
		add_type(arr, "pollhook.device.lost", "operational",
		    "a discovered device missed lost_after sweeps: its source is gone",
		    device_payload(2));
	}
	add_type(arr, "pollhook.test", "operational",
	    "sent to one subscriber by POST /v1/subscribers/NAME/test", test);
	json_object_object_add(o, "event_types", arr);
	api_reply_json(q, 200, o);
}
