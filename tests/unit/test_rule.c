/*
 * Unit tests of the rule engine: threshold state machines with hysteresis and
 * `for`, on_change, on_new with its bounded seen set, the event payload, and
 * the persisted state.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "event.h"
#include "rule.h"
#include "sample.h"

#define T0	1764393600.0	/* 2025-11-29T05:20:00Z */

static char *site_names[] = { "site" };
static char *site_values[] = { "fra1" };
static const struct labels src_labels = { 1, site_names, site_values };

static struct rule_config
make_rule(const char *name, enum rule_kind kind, double threshold, double clear, double for_s)
{
	struct rule_config r = { 0 };

	r.name = (char *)name;
	r.kind = kind;
	r.metric = (char *)"cpu";
	r.threshold = threshold;
	r.clear = clear;
	r.for_s = for_s;
	return r;
}

static struct point
num_point(const char *instance, double v)
{
	struct point p = { 0 };

	p.metric = "cpu";
	p.instance = (char *)instance;
	p.value.type = VALUE_NUMBER;
	p.value.num = v;
	return p;
}

static struct point
str_point(const char *metric, const char *s)
{
	struct point p = { 0 };

	p.metric = metric;
	p.value.type = VALUE_STRING;
	p.value.str = (char *)s;
	return p;
}

/* Feeds p at now; returns how many events it appended. */
static size_t
feed(const struct rule_config *r, struct rule_state *st, const struct point *p, double now,
    struct event_list *out)
{
	struct rule_input in = { "edge-router-1", &src_labels, p, now, NULL };
	size_t before = out->n;

	rule_eval(r, st, &in, out);
	return out->n - before;
}

static size_t
feed_num(const struct rule_config *r, struct rule_state *st, double v, double now,
    struct event_list *out)
{
	struct point p = num_point(NULL, v);

	return feed(r, st, &p, now, out);
}

/* Builds an items value with one {"uuid": key} object per key of the NULL-terminated list. */
static void
make_items(struct value *v, const char *const *keys)
{
	size_t n = 0;

	while (keys[n] != NULL)
		n++;
	memset(v, 0, sizeof(*v));
	v->type = VALUE_ITEMS;
	v->items = calloc(n ? n : 1, sizeof(*v->items));
	assert_non_null(v->items);
	for (size_t i = 0; i < n; i++) {
		v->items[i].key = strdup(keys[i]);
		v->items[i].obj = json_object_new_object();
		json_object_object_add(v->items[i].obj, "uuid", json_object_new_string(keys[i]));
	}
	v->nitems = n;
}

/* Feeds one on_new poll of the given keys; returns the count of events. */
static size_t
feed_keys(const struct rule_config *r, struct rule_state *st, double now,
    struct event_list *out, const char *const *keys)
{
	struct point p = { 0 };
	size_t n;

	p.metric = "meetings";
	make_items(&p.value, keys);
	n = feed(r, st, &p, now, out);
	value_clear(&p.value);
	return n;
}

#define KEYS(...)	((const char *const[]){ __VA_ARGS__, NULL })
#define NO_KEYS		((const char *const[]){ NULL })

static struct json_object *
field(const struct event *ev, const char *name)
{
	struct json_object *o = NULL;

	if (!json_object_object_get_ex(ev->payload, name, &o))
		fail_msg("payload has no field %s: %s", name,
		    json_object_to_json_string(ev->payload));
	return o;
}

/* Joins the event names, or a string payload field, of l->v[from..] with commas. */
static const char *
joined(const struct event_list *l, size_t from, const char *fieldname)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = from; i < l->n; i++) {
		const char *s = fieldname == NULL ? l->v[i]->name :
		    json_object_get_string(field(l->v[i], fieldname));
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", len > 0 ? "," : "", s);

		assert_true(n >= 0 && (size_t)n < sizeof(buf) - len);
		len += (size_t)n;
	}
	return buf;
}

/* Fails unless the payload equals the JSON text exactly (same keys, types and values). */
static void
assert_payload(const struct event *ev, const char *expected)
{
	struct json_object *exp = json_tokener_parse(expected);
	int equal;

	assert_non_null(exp);
	equal = json_object_equal(exp, ev->payload);
	if (!equal)
		print_error("payload  %s\nexpected %s\n",
		    json_object_to_json_string(ev->payload), json_object_to_json_string(exp));
	json_object_put(exp);
	assert_true(equal);
}

/*
 * Threshold scenarios: each step feeds a value at a time and names the event
 * expected from it (NULL for none) and whether the state is firing after it.
 */
struct step {
	double t;
	double v;
	const char *event;
	bool firing;
};

struct scenario {
	const char *what;
	enum rule_kind kind;
	double threshold, clear, for_s;
	struct step steps[20];
};

#define END	{ -1, 0, NULL, false }

static const struct scenario scenarios[] = {
	{ "above fires at once and resolves", RULE_ABOVE, 90, 90, 0, {
		{ 0, 50, NULL, false }, { 1, 90, NULL, false }, { 2, 90.5, "r", true },
		{ 3, 99, NULL, true }, { 4, 90, "r.resolved", false }, { 5, 95, "r", true },
		END } },
	{ "below fires at once and resolves", RULE_BELOW, 1, 1, 0, {
		{ 0, 1, NULL, false }, { 1, 0, "r", true }, { 2, 0, NULL, true },
		{ 3, 1, "r.resolved", false }, { 4, 5, NULL, false }, END } },
	{ "above hysteresis: firing in the band, resolved at clear", RULE_ABOVE, 90, 85, 0, {
		{ 0, 95, "r", true }, { 1, 87, NULL, true }, { 2, 89.9, NULL, true },
		{ 3, 85.1, NULL, true }, { 4, 85, "r.resolved", false }, { 5, 88, NULL, false },
		{ 6, 90, NULL, false }, { 7, 91, "r", true }, { 8, 80, "r.resolved", false },
		END } },
	{ "below hysteresis: firing in the band, resolved at clear", RULE_BELOW, 10, 20, 0, {
		{ 0, 5, "r", true }, { 1, 15, NULL, true }, { 2, 19.9, NULL, true },
		{ 3, 20, "r.resolved", false }, { 4, 15, NULL, false }, { 5, 10, NULL, false },
		{ 6, 9, "r", true }, END } },
	{ "for: pending, then firing after exactly for", RULE_ABOVE, 90, 90, 3, {
		{ 0, 95, NULL, false }, { 1, 95, NULL, false }, { 2.999, 95, NULL, false },
		{ 3, 95, "r", true }, { 4, 95, NULL, true }, END } },
	{ "for: resolving needs for too", RULE_ABOVE, 90, 85, 2, {
		{ 0, 95, NULL, false }, { 2, 95, "r", true }, { 3, 80, NULL, true },
		{ 4, 80, NULL, true }, { 4.9, 80, NULL, true }, { 5, 80, "r.resolved", false },
		{ 6, 80, NULL, false }, END } },
	{ "for: pending cancelled when the condition drops", RULE_ABOVE, 90, 90, 3, {
		{ 0, 95, NULL, false }, { 2, 95, NULL, false }, { 2.5, 50, NULL, false },
		{ 3, 95, NULL, false }, { 5, 95, NULL, false }, { 6, 95, "r", true }, END } },
	{ "for: a value in the band cancels pending", RULE_ABOVE, 90, 80, 2, {
		{ 0, 95, NULL, false }, { 1, 85, NULL, false }, { 2, 95, NULL, false },
		{ 3, 95, NULL, false }, { 4, 95, "r", true }, END } },
	{ "for: flapping around the threshold never fires", RULE_ABOVE, 90, 90, 2, {
		{ 0, 91, NULL, false }, { 1, 89, NULL, false }, { 2, 91, NULL, false },
		{ 3, 89, NULL, false }, { 4, 91, NULL, false }, { 5, 89, NULL, false },
		{ 6, 91, NULL, false }, { 7.5, 89, NULL, false }, { 8, 91, NULL, false },
		{ 9.9, 89, NULL, false }, { 10, 91, NULL, false }, { 11, 90, NULL, false },
		END } },
	{ "for: flapping below never fires", RULE_BELOW, 1, 1, 10, {
		{ 0, 0, NULL, false }, { 5, 1, NULL, false }, { 10, 0, NULL, false },
		{ 15, 1, NULL, false }, { 20, 0, NULL, false }, { 25, 1, NULL, false }, END } },
	{ "for: leaving the clear zone goes back to firing", RULE_ABOVE, 90, 85, 2, {
		{ 0, 95, NULL, false }, { 2, 95, "r", true }, { 3, 80, NULL, true },
		{ 4, 87, NULL, true }, { 5, 80, NULL, true }, { 6, 80, NULL, true },
		{ 7, 80, "r.resolved", false }, END } },
	{ "for: flapping while firing never resolves", RULE_ABOVE, 90, 90, 2, {
		{ 0, 95, NULL, false }, { 2, 95, "r", true }, { 3, 80, NULL, true },
		{ 4, 95, NULL, true }, { 5, 80, NULL, true }, { 6, 95, NULL, true },
		{ 7, 80, NULL, true }, { 8, 80, NULL, true }, { 9, 80, "r.resolved", false },
		END } },
	{ "for: fractional Unix times count exactly", RULE_ABOVE, 90, 90, 0.3, {
		{ T0 + 0.7, 95, NULL, false }, { T0 + 1.0, 95, "r", true },
		{ T0 + 1.1, 50, NULL, true }, { T0 + 1.4, 50, "r.resolved", false }, END } },
	{ "infinity is a number above any threshold", RULE_ABOVE, 90, 90, 0, {
		{ 0, INFINITY, "r", true }, { 1, -INFINITY, "r.resolved", false }, END } },
};

static void
test_threshold_scenarios(void **unused)
{
	for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		const struct scenario *sc = &scenarios[s];
		struct rule_config r = make_rule("r", sc->kind, sc->threshold, sc->clear, sc->for_s);
		struct rule_state *st = rule_state_new(&r);
		struct event_list out = { 0 };

		for (const struct step *p = sc->steps; p->t >= 0; p++) {
			size_t n = feed_num(&r, st, p->v, p->t, &out);

			if (n != (p->event != NULL ? 1u : 0u) ||
			    (n == 1 && strcmp(out.v[out.n - 1]->name, p->event) != 0) ||
			    rule_state_firing(st) != p->firing)
				fail_msg("%s: at t=%g value %g: got %zu events (%s), firing %d; "
				    "expected %s, firing %d", sc->what, p->t, p->v, n,
				    n > 0 ? out.v[out.n - 1]->name : "-", rule_state_firing(st),
				    p->event != NULL ? p->event : "none", p->firing);
		}
		event_list_clear(&out);
		rule_state_free(st);
	}
}

static void
test_threshold_payloads(void **unused)
{
	struct rule_config r = make_rule("cpu.high", RULE_ABOVE, 90, 85, 3);
	struct rule_state *st;
	struct event_list out = { 0 };

	r.severity = (char *)"critical";
	st = rule_state_new(&r);
	assert_int_equal(feed_num(&r, st, 20, T0, &out), 0);
	assert_int_equal(feed_num(&r, st, 95, T0 + 1.5, &out), 0);
	assert_int_equal(feed_num(&r, st, 96, T0 + 2.5, &out), 0);
	assert_int_equal(feed_num(&r, st, 95, T0 + 4.5, &out), 1);
	assert_string_equal(out.v[0]->name, "cpu.high");
	assert_string_equal(out.v[0]->rule, "cpu.high");
	assert_string_equal(out.v[0]->source, "edge-router-1");
	assert_null(out.v[0]->instance);
	assert_string_equal(labels_get(&out.v[0]->labels, "site"), "fra1");
	assert_int_equal(out.v[0]->ts_ms, 1764393604500LL);
	assert_string_equal(out.v[0]->id, "");
	assert_null(out.v[0]->body);
	/* since is when the condition began to hold, not when it fired. */
	assert_payload(out.v[0], "{\"source\": \"edge-router-1\", \"labels\": {\"site\": \"fra1\"},"
	    "\"metric\": \"cpu\", \"instance\": null, \"state\": \"firing\", \"value\": 95,"
	    "\"previous\": 96, \"threshold\": 90, \"clear\": 85, \"severity\": \"critical\","
	    "\"since\": \"2025-11-29T05:20:01.500Z\", \"object\": null}");

	assert_int_equal(feed_num(&r, st, 80.25, T0 + 5.5, &out), 0);
	assert_int_equal(feed_num(&r, st, 80, T0 + 8.5, &out), 1);
	assert_string_equal(out.v[1]->name, "cpu.high.resolved");
	assert_string_equal(out.v[1]->rule, "cpu.high");
	assert_payload(out.v[1], "{\"source\": \"edge-router-1\", \"labels\": {\"site\": \"fra1\"},"
	    "\"metric\": \"cpu\", \"instance\": null, \"state\": \"resolved\", \"value\": 80,"
	    "\"previous\": 80.25, \"threshold\": 90, \"clear\": 85, \"severity\": \"critical\","
	    "\"since\": \"2025-11-29T05:20:05.500Z\", \"object\": null}");
	event_list_clear(&out);
	rule_state_free(st);

	/* Fractional thresholds stay fractional; no severity is null; first sample: no previous. */
	r = make_rule("temp.low", RULE_BELOW, 2.5, 3.75, 0);
	st = rule_state_new(&r);
	assert_int_equal(feed_num(&r, st, -1.5, T0, &out), 1);
	assert_payload(out.v[0], "{\"source\": \"edge-router-1\", \"labels\": {\"site\": \"fra1\"},"
	    "\"metric\": \"cpu\", \"instance\": null, \"state\": \"firing\", \"value\": -1.5,"
	    "\"previous\": null, \"threshold\": 2.5, \"clear\": 3.75, \"severity\": null,"
	    "\"since\": \"2025-11-29T05:20:00.000Z\", \"object\": null}");
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_threshold_instance_label(void **unused)
{
	struct rule_config r = make_rule("cpu.high", RULE_ABOVE, 90, 90, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };
	struct point p = num_point("3", 99);

	p.label = (char *)"core3";
	assert_int_equal(feed(&r, st, &p, T0, &out), 1);
	assert_string_equal(out.v[0]->instance, "3");
	assert_payload(out.v[0], "{\"source\": \"edge-router-1\", \"labels\": {\"site\": \"fra1\"},"
	    "\"metric\": \"cpu\", \"instance\": \"3\", \"instance_label\": \"core3\","
	    "\"state\": \"firing\", \"value\": 99, \"previous\": null, \"threshold\": 90,"
	    "\"clear\": 90, \"severity\": null, \"since\": \"2025-11-29T05:20:00.000Z\","
	    "\"object\": null}");
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_threshold_per_instance(void **unused)
{
	struct rule_config r = make_rule("cpu.high", RULE_ABOVE, 90, 90, 2);
	struct rule_state *a = rule_state_new(&r), *b = rule_state_new(&r);
	struct event_list out = { 0 };
	struct point pa, pb;

	pa = num_point("1", 95);
	pb = num_point("2", 50);
	assert_int_equal(feed(&r, a, &pa, 0, &out) + feed(&r, b, &pb, 0, &out), 0);
	pb.value.num = 95;
	assert_int_equal(feed(&r, a, &pa, 1, &out) + feed(&r, b, &pb, 1, &out), 0);
	assert_int_equal(feed(&r, a, &pa, 2, &out), 1);
	assert_int_equal(feed(&r, b, &pb, 2, &out), 0);
	assert_string_equal(out.v[0]->instance, "1");
	assert_true(rule_state_firing(a));
	assert_false(rule_state_firing(b));
	pa.value.num = 10;
	assert_int_equal(feed(&r, a, &pa, 3, &out), 0);
	assert_int_equal(feed(&r, b, &pb, 3, &out), 1);
	assert_string_equal(out.v[1]->name, "cpu.high");
	assert_string_equal(out.v[1]->instance, "2");
	assert_int_equal(feed(&r, a, &pa, 5, &out), 1);
	assert_string_equal(out.v[2]->name, "cpu.high.resolved");
	assert_string_equal(out.v[2]->instance, "1");
	assert_false(rule_state_firing(a));
	assert_true(rule_state_firing(b));
	event_list_clear(&out);
	rule_state_free(a);
	rule_state_free(b);
}

static void
test_threshold_ignores_unusable(void **unused)
{
	struct rule_config r = make_rule("cpu.high", RULE_ABOVE, 90, 90, 2);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };
	struct point none = { 0 }, null = { 0 }, s = str_point("cpu", "high");
	struct point nan = num_point(NULL, NAN);

	none.metric = null.metric = "cpu";
	none.value.type = VALUE_NONE;
	none.error = (char *)"timeout";
	null.value.type = VALUE_NULL;

	/* Unusable values on a fresh state: no event, no previous. */
	assert_int_equal(feed(&r, st, &s, 0, &out), 0);
	assert_int_equal(feed(&r, st, &none, 0, &out), 0);
	assert_int_equal(feed_num(&r, st, 95, 1, &out), 0);
	/* ... nor do they cancel pending. */
	assert_int_equal(feed(&r, st, &none, 2, &out), 0);
	assert_int_equal(feed(&r, st, &s, 2.2, &out), 0);
	assert_int_equal(feed(&r, st, &nan, 2.4, &out), 0);
	assert_int_equal(feed(&r, st, &null, 2.6, &out), 0);
	assert_false(rule_state_firing(st));
	assert_int_equal(feed_num(&r, st, 93, 3, &out), 1);
	assert_int_equal(json_object_get_int(field(out.v[0], "previous")), 95);
	/* ... nor resolve, nor start resolving. */
	assert_int_equal(feed(&r, st, &none, 4, &out), 0);
	assert_int_equal(feed(&r, st, &nan, 5, &out), 0);
	assert_int_equal(feed(&r, st, &s, 10, &out), 0);
	assert_true(rule_state_firing(st));
	assert_int_equal(feed_num(&r, st, 10, 11, &out), 0);
	assert_int_equal(feed(&r, st, &none, 12, &out), 0);
	assert_int_equal(feed_num(&r, st, 11, 13, &out), 1);
	assert_string_equal(out.v[1]->name, "cpu.high.resolved");
	assert_int_equal(json_object_get_int(field(out.v[1], "previous")), 10);
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_threshold_bool(void **unused)
{
	struct rule_config r = make_rule("device.unreachable", RULE_BELOW, 1, 1, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };
	struct point p = { 0 };

	p.metric = "up";
	p.value.type = VALUE_BOOL;
	p.value.b = true;
	assert_int_equal(feed(&r, st, &p, T0, &out), 0);
	p.value.b = false;
	assert_int_equal(feed(&r, st, &p, T0 + 1, &out), 1);
	assert_payload(out.v[0], "{\"source\": \"edge-router-1\", \"labels\": {\"site\": \"fra1\"},"
	    "\"metric\": \"up\", \"instance\": null, \"state\": \"firing\", \"value\": false,"
	    "\"previous\": true, \"threshold\": 1, \"clear\": 1, \"severity\": null,"
	    "\"since\": \"2025-11-29T05:20:01.000Z\", \"object\": null}");
	assert_int_equal(feed(&r, st, &p, T0 + 2, &out), 0);
	p.value.b = true;
	assert_int_equal(feed(&r, st, &p, T0 + 3, &out), 1);
	assert_string_equal(out.v[1]->name, "device.unreachable.resolved");
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_change(void **unused)
{
	struct rule_config r = make_rule("interface.changed", RULE_CHANGE, 0, 0, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };
	struct point up = str_point("if_oper", "up"), down = str_point("if_oper", "down");
	struct point none = { 0 }, null = { 0 };

	none.metric = null.metric = "if_oper";
	null.value.type = VALUE_NULL;
	up.instance = down.instance = none.instance = null.instance = (char *)"2";
	up.label = down.label = (char *)"eth0";

	/* A missing value before the first is no baseline. */
	assert_int_equal(feed(&r, st, &none, T0, &out), 0);
	assert_int_equal(feed(&r, st, &up, T0 + 1, &out), 0);
	assert_int_equal(feed(&r, st, &up, T0 + 2, &out), 0);
	assert_int_equal(feed(&r, st, &none, T0 + 3, &out), 0);
	assert_int_equal(feed(&r, st, &up, T0 + 4, &out), 0);
	assert_int_equal(feed(&r, st, &down, T0 + 5, &out), 1);
	assert_false(rule_state_firing(st));
	assert_string_equal(out.v[0]->name, "interface.changed");
	assert_string_equal(out.v[0]->instance, "2");
	assert_payload(out.v[0], "{\"source\": \"edge-router-1\", \"labels\": {\"site\": \"fra1\"},"
	    "\"metric\": \"if_oper\", \"instance\": \"2\", \"instance_label\": \"eth0\","
	    "\"state\": \"changed\", \"value\": \"down\", \"previous\": \"up\", \"severity\": null,"
	    "\"since\": \"2025-11-29T05:20:05.000Z\", \"object\": null}");
	assert_int_equal(feed(&r, st, &down, T0 + 6, &out), 0);
	assert_int_equal(feed(&r, st, &none, T0 + 7, &out), 0);
	/* The missing value did not become the previous one. */
	assert_int_equal(feed(&r, st, &up, T0 + 8, &out), 1);
	assert_string_equal(json_object_get_string(field(out.v[1], "previous")), "down");
	assert_string_equal(json_object_get_string(field(out.v[1], "value")), "up");
	/* null is a value: up -> null -> null -> up is two changes. */
	assert_int_equal(feed(&r, st, &null, T0 + 9, &out), 1);
	assert_true(json_object_is_type(field(out.v[2], "value"), json_type_null));
	assert_string_equal(json_object_get_string(field(out.v[2], "previous")), "up");
	assert_int_equal(feed(&r, st, &null, T0 + 10, &out), 0);
	assert_int_equal(feed(&r, st, &up, T0 + 11, &out), 1);
	assert_int_equal(out.n, 4);
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_change_numbers(void **unused)
{
	static const struct { double v; bool event; } steps[] = {
		{ 1, false }, { 1, false }, { 2, true }, { 2, false }, { 1.5, true },
		{ NAN, true }, { NAN, false }, { 1.5, true }, { 0, true }, { -0.0, false },
	};
	struct rule_config r = make_rule("cpu.changed", RULE_CHANGE, 0, 0, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (feed_num(&r, st, steps[i].v, T0 + (double)i, &out) != (steps[i].event ? 1 : 0))
			fail_msg("step %zu (%g): expected %s", i, steps[i].v,
			    steps[i].event ? "an event" : "no event");
	assert_int_equal(out.n, 5);
	assert_int_equal(json_object_get_int(field(out.v[0], "value")), 2);
	assert_int_equal(json_object_get_int(field(out.v[0], "previous")), 1);
	assert_true(json_object_is_type(field(out.v[1], "value"), json_type_double));
	assert_true(json_object_get_double(field(out.v[1], "value")) == 1.5);
	/* NaN has no JSON form: null. */
	assert_true(json_object_is_type(field(out.v[2], "value"), json_type_null));
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_new_semantics(void **unused)
{
	struct rule_config r = make_rule("recording.completed", RULE_NEW, 0, 0, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };
	size_t mark;

	/* The first poll seeds. */
	assert_int_equal(feed_keys(&r, st, 1, &out, KEYS("a", "b", "c")), 0);
	/* One event per new key, in the order of the poll. */
	assert_int_equal(feed_keys(&r, st, 2, &out, KEYS("e", "a", "b", "c", "d")), 2);
	assert_string_equal(joined(&out, 0, NULL), "recording.completed,recording.completed");
	assert_string_equal(joined(&out, 0, "value"), "e,d");
	/* Repeated, reordered, removed and re-added: nothing new. */
	assert_int_equal(feed_keys(&r, st, 3, &out, KEYS("a", "b", "c", "d", "e")), 0);
	assert_int_equal(feed_keys(&r, st, 4, &out, KEYS("e", "d", "c", "b", "a")), 0);
	assert_int_equal(feed_keys(&r, st, 5, &out, KEYS("a", "e")), 0);
	assert_int_equal(feed_keys(&r, st, 6, &out, NO_KEYS), 0);
	assert_int_equal(feed_keys(&r, st, 7, &out, KEYS("b", "c", "d")), 0);
	/* Duplicates within one poll: one event. */
	mark = out.n;
	assert_int_equal(feed_keys(&r, st, 8, &out, KEYS("f", "a", "f", "g", "f", "g")), 2);
	assert_string_equal(joined(&out, mark, "value"), "f,g");
	assert_false(rule_state_firing(st));
	event_list_clear(&out);
	rule_state_free(st);

	/* An empty first poll seeds too: the next item is new. */
	st = rule_state_new(&r);
	assert_int_equal(feed_keys(&r, st, 1, &out, NO_KEYS), 0);
	assert_int_equal(feed_keys(&r, st, 2, &out, KEYS("a")), 1);
	event_list_clear(&out);
	rule_state_free(st);

	/* Duplicates in the seeding poll. */
	st = rule_state_new(&r);
	assert_int_equal(feed_keys(&r, st, 1, &out, KEYS("a", "a", "b")), 0);
	assert_int_equal(feed_keys(&r, st, 2, &out, KEYS("b", "a", "c", "c")), 1);
	assert_string_equal(joined(&out, 0, "value"), "c");
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_new_ignores_other_values(void **unused)
{
	struct rule_config r = make_rule("recording.completed", RULE_NEW, 0, 0, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };
	struct point none = { 0 }, s = str_point("meetings", "x");

	none.metric = "meetings";
	assert_int_equal(feed(&r, st, &none, 1, &out), 0);
	assert_int_equal(feed(&r, st, &s, 2, &out), 0);
	assert_int_equal(feed_num(&r, st, 3, 3, &out), 0);
	/* None of those was the seeding poll. */
	assert_int_equal(feed_keys(&r, st, 4, &out, KEYS("a")), 0);
	assert_int_equal(feed(&r, st, &none, 5, &out), 0);
	assert_int_equal(feed_keys(&r, st, 6, &out, KEYS("a", "b")), 1);
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_new_payload(void **unused)
{
	struct rule_config r = make_rule("recording.completed", RULE_NEW, 0, 0, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };
	struct point p = { 0 };
	struct json_object *obj;

	p.metric = "meetings";
	assert_int_equal(feed_keys(&r, st, T0, &out, KEYS("u1")), 0);
	make_items(&p.value, KEYS("u1", "u2"));
	json_object_object_add(p.value.items[1].obj, "topic", json_object_new_string("standup"));
	obj = p.value.items[1].obj;
	assert_int_equal(feed(&r, st, &p, T0 + 30.25, &out), 1);
	/* The event holds its own reference to the very object of the item. */
	assert_ptr_equal(field(out.v[0], "object"), obj);
	value_clear(&p.value);
	assert_string_equal(out.v[0]->name, "recording.completed");
	assert_null(out.v[0]->instance);
	assert_int_equal(out.v[0]->ts_ms, 1764393630250LL);
	assert_payload(out.v[0], "{\"source\": \"edge-router-1\", \"labels\": {\"site\": \"fra1\"},"
	    "\"metric\": \"meetings\", \"instance\": null, \"state\": \"new\", \"value\": \"u2\","
	    "\"previous\": null, \"severity\": null, \"since\": \"2025-11-29T05:20:30.250Z\","
	    "\"object\": {\"uuid\": \"u2\", \"topic\": \"standup\"}}");
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_new_eviction(void **unused)
{
	struct rule_config r = make_rule("recording.completed", RULE_NEW, 0, 0, 0);
	struct rule_state *st;
	struct event_list out = { 0 };
	size_t mark;

	r.max_seen = 3;

	/* The oldest key goes first, and is new again afterwards. */
	st = rule_state_new(&r);
	assert_int_equal(feed_keys(&r, st, 1, &out, KEYS("a", "b", "c")), 0);
	assert_int_equal(feed_keys(&r, st, 2, &out, KEYS("d")), 1);
	mark = out.n;
	assert_int_equal(feed_keys(&r, st, 3, &out, KEYS("b", "c", "d")), 0);
	assert_int_equal(feed_keys(&r, st, 4, &out, KEYS("a", "b", "c", "d")), 1);
	assert_string_equal(joined(&out, mark, "value"), "a");
	event_list_clear(&out);
	rule_state_free(st);

	/* A key still in the polls is refreshed and outlives older absent keys. */
	st = rule_state_new(&r);
	assert_int_equal(feed_keys(&r, st, 1, &out, KEYS("a", "b", "c")), 0);
	assert_int_equal(feed_keys(&r, st, 2, &out, KEYS("a", "d")), 1);
	mark = out.n;
	assert_int_equal(feed_keys(&r, st, 3, &out, KEYS("a", "b")), 1);
	assert_string_equal(joined(&out, mark, "value"), "b");
	event_list_clear(&out);
	rule_state_free(st);

	/*
	 * A poll larger than the bound: every key is reported once in that poll,
	 * duplicates included, and the keys seen last in it are kept.
	 */
	r.max_seen = 2;
	st = rule_state_new(&r);
	assert_int_equal(feed_keys(&r, st, 1, &out, KEYS("x")), 0);
	assert_int_equal(feed_keys(&r, st, 2, &out, KEYS("a", "b", "c", "a", "b")), 3);
	assert_string_equal(joined(&out, 0, "value"), "a,b,c");
	assert_int_equal(feed_keys(&r, st, 3, &out, KEYS("b", "a")), 0);
	mark = out.n;
	assert_int_equal(feed_keys(&r, st, 4, &out, KEYS("c", "x")), 2);
	assert_string_equal(joined(&out, mark, "value"), "c,x");
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_new_default_bound(void **unused)
{
	enum { N = 10000 };
	struct rule_config r = make_rule("recording.completed", RULE_NEW, 0, 0, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };
	struct point p = { 0 };
	char key[16];

	assert_int_equal(RULE_MAX_SEEN_DEFAULT, N);
	p.metric = "meetings";
	p.value.type = VALUE_ITEMS;
	p.value.items = calloc(N, sizeof(*p.value.items));
	assert_non_null(p.value.items);
	for (size_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		p.value.items[i].key = strdup(key);
		p.value.items[i].obj = json_object_new_object();
		p.value.nitems++;
	}
	assert_int_equal(feed(&r, st, &p, 1, &out), 0);
	value_clear(&p.value);
	assert_int_equal(feed_keys(&r, st, 2, &out, KEYS("k10000")), 1);
	/* k0 was dropped to make room, k1 was not. */
	assert_int_equal(feed_keys(&r, st, 3, &out, KEYS("k1")), 0);
	assert_int_equal(feed_keys(&r, st, 4, &out, KEYS("k0")), 1);
	event_list_clear(&out);
	rule_state_free(st);
}

/* Saves st through JSON text, as the state store does, and frees it; returns the restored state. */
static struct rule_state *
reload(const struct rule_config *r, struct rule_state *st)
{
	struct json_object *j = rule_state_to_json(st), *back, *again;
	struct rule_state *nst;
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);

	back = json_tokener_parse(text);
	assert_non_null(back);
	nst = rule_state_from_json(r, back);
	if (nst == NULL)
		fail_msg("state not restored: %s", text);
	/* Saving the restored state gives the same document. */
	again = rule_state_to_json(nst);
	if (!json_object_equal(j, again))
		fail_msg("state changed in a round trip:\n%s\n%s", text,
		    json_object_to_json_string_ext(again, JSON_C_TO_STRING_PLAIN));
	json_object_put(again);
	json_object_put(back);
	json_object_put(j);
	rule_state_free(st);
	return nst;
}

static void
test_persist_threshold(void **unused)
{
	struct rule_config r = make_rule("cpu.high", RULE_ABOVE, 90, 85, 2);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };

	/* Fractional times survive the text form exactly. */
	assert_int_equal(feed_num(&r, st, 95, T0 + 0.123, &out), 0);
	st = reload(&r, st);
	assert_false(rule_state_firing(st));
	/* Pending kept its start: fires `for` after the first sample. */
	assert_int_equal(feed_num(&r, st, 96, T0 + 2.123, &out), 1);
	assert_string_equal(json_object_get_string(field(out.v[0], "since")),
	    "2025-11-29T05:20:00.123Z");
	assert_int_equal(json_object_get_int(field(out.v[0], "previous")), 95);

	/* A firing rule restored does not fire again... */
	st = reload(&r, st);
	assert_true(rule_state_firing(st));
	assert_int_equal(feed_num(&r, st, 97, T0 + 10, &out), 0);
	assert_int_equal(feed_num(&r, st, 97, T0 + 20, &out), 0);
	/* ... and resolves when the value drops, after `for`, resolving state kept too. */
	assert_int_equal(feed_num(&r, st, 80, T0 + 30, &out), 0);
	st = reload(&r, st);
	assert_true(rule_state_firing(st));
	assert_int_equal(feed_num(&r, st, 80, T0 + 31, &out), 0);
	assert_int_equal(feed_num(&r, st, 70, T0 + 32, &out), 1);
	assert_string_equal(out.v[1]->name, "cpu.high.resolved");
	assert_string_equal(json_object_get_string(field(out.v[1], "since")),
	    "2025-11-29T05:20:30.000Z");
	assert_int_equal(json_object_get_int(field(out.v[1], "previous")), 80);
	st = reload(&r, st);
	assert_false(rule_state_firing(st));
	assert_int_equal(feed_num(&r, st, 70, T0 + 40, &out), 0);
	assert_int_equal(out.n, 2);
	event_list_clear(&out);
	rule_state_free(st);

	/* A fresh state survives too, and fires as a fresh one would. */
	r.for_s = 0;
	st = reload(&r, rule_state_new(&r));
	assert_int_equal(feed_num(&r, st, 95, T0, &out), 1);
	assert_true(json_object_is_type(field(out.v[0], "previous"), json_type_null));
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_persist_change(void **unused)
{
	static const struct { enum value_type type; double num; bool b; const char *str; } vals[] = {
		{ VALUE_NULL, 0, false, NULL }, { VALUE_BOOL, 0, true, NULL },
		{ VALUE_NUMBER, 0.1, false, NULL }, { VALUE_NUMBER, NAN, false, NULL },
		{ VALUE_NUMBER, -INFINITY, false, NULL }, { VALUE_STRING, 0, false, "up" },
		{ VALUE_ITEMS, 0, false, NULL },
	};
	struct rule_config r = make_rule("x.changed", RULE_CHANGE, 0, 0, 0);
	struct event_list out = { 0 };

	/* Each kind of previous value survives: the same value again is no change. */
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct rule_state *st = rule_state_new(&r);
		struct point p = { 0 };

		p.metric = "x";
		if (vals[i].type == VALUE_ITEMS)
			make_items(&p.value, KEYS("a", "b"));
		else {
			p.value.type = vals[i].type;
			p.value.num = vals[i].num;
			p.value.b = vals[i].b;
			p.value.str = vals[i].str != NULL ? strdup(vals[i].str) : NULL;
		}
		assert_int_equal(feed(&r, st, &p, 1, &out), 0);
		st = reload(&r, st);
		if (feed(&r, st, &p, 2, &out) != 0)
			fail_msg("value %zu changed across a restart", i);
		assert_int_equal(feed_num(&r, st, 42, 3, &out), 1);
		if (vals[i].type == VALUE_ITEMS)
			assert_string_equal(json_object_to_json_string_ext(
			    field(out.v[out.n - 1], "previous"), JSON_C_TO_STRING_PLAIN),
			    "[{\"uuid\":\"a\"},{\"uuid\":\"b\"}]");
		value_clear(&p.value);
		rule_state_free(st);
	}
	event_list_clear(&out);
}

static void
test_persist_new(void **unused)
{
	struct rule_config r = make_rule("recording.completed", RULE_NEW, 0, 0, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };

	/* Not yet seeded: the first poll after the restart seeds. */
	st = reload(&r, st);
	assert_int_equal(feed_keys(&r, st, 1, &out, KEYS("a", "b", "c")), 0);
	st = reload(&r, st);
	assert_int_equal(feed_keys(&r, st, 2, &out, KEYS("a", "b", "c", "d")), 1);
	assert_string_equal(joined(&out, 0, "value"), "d");
	event_list_clear(&out);
	rule_state_free(st);

	/* The order of last sight survives: a refreshed key still outlives older ones. */
	r.max_seen = 3;
	st = rule_state_new(&r);
	assert_int_equal(feed_keys(&r, st, 1, &out, KEYS("a", "b", "c")), 0);
	assert_int_equal(feed_keys(&r, st, 2, &out, KEYS("a")), 0);
	st = reload(&r, st);
	assert_int_equal(feed_keys(&r, st, 3, &out, KEYS("d")), 1);
	assert_int_equal(feed_keys(&r, st, 4, &out, KEYS("a", "b")), 1);
	assert_string_equal(joined(&out, 1, "value"), "b");
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_persist_shrunk_bound(void **unused)
{
	struct rule_config r = make_rule("recording.completed", RULE_NEW, 0, 0, 0);
	struct json_object *j = json_tokener_parse("{\"kind\": \"new\", \"seeded\": true, "
	    "\"seen\": [[\"a\", 1], [\"b\", 2], [\"c\", 2.5], [\"d\", 3], [\"e\", 3]]}");
	struct rule_state *st;
	struct event_list out = { 0 };

	r.max_seen = 2;
	st = rule_state_from_json(&r, j);
	json_object_put(j);
	assert_non_null(st);
	assert_int_equal(feed_keys(&r, st, 4, &out, KEYS("e", "d", "c")), 1);
	assert_string_equal(joined(&out, 0, "value"), "c");
	event_list_clear(&out);
	rule_state_free(st);
}

static void
test_persist_garbage(void **unused)
{
	static const struct { enum rule_kind kind; const char *json; } bad[] = {
		{ RULE_ABOVE, "null" },
		{ RULE_ABOVE, "42" },
		{ RULE_ABOVE, "\"firing\"" },
		{ RULE_ABOVE, "[]" },
		{ RULE_ABOVE, "{}" },
		{ RULE_ABOVE, "{\"kind\": 0, \"phase\": \"ok\"}" },
		{ RULE_ABOVE, "{\"kind\": \"below\", \"phase\": \"ok\"}" },
		{ RULE_BELOW, "{\"kind\": \"above\", \"phase\": \"ok\"}" },
		{ RULE_ABOVE, "{\"kind\": \"above\"}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": 2}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"burning\"}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"\"}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"firing\"}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"pending\", \"since\": \"now\"}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"firing\", \"since\": null}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"resolving\", \"since\": 1}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"resolving\", \"since\": 1, "
		    "\"clear_since\": true}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\", \"previous\": 12}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\", \"previous\": {}}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\", "
		    "\"previous\": {\"type\": \"number\", \"value\": \"12\"}}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\", "
		    "\"previous\": {\"type\": \"number\"}}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\", "
		    "\"previous\": {\"type\": \"bool\", \"value\": 1}}" },
		{ RULE_CHANGE, "{\"kind\": \"change\", \"previous\": {\"type\": \"martian\"}}" },
		{ RULE_CHANGE, "{\"kind\": \"change\", \"previous\": {\"type\": 3}}" },
		{ RULE_CHANGE, "{\"kind\": \"change\", \"previous\": {\"type\": \"string\"}}" },
		{ RULE_CHANGE, "{\"kind\": \"change\", \"previous\": {\"type\": \"items\", "
		    "\"value\": {}}}" },
		{ RULE_CHANGE, "{\"kind\": \"change\", \"previous\": {\"type\": \"items\", "
		    "\"value\": [{\"key\": \"a\", \"object\": {}}, {\"key\": 1, \"object\": {}}]}}" },
		{ RULE_CHANGE, "{\"kind\": \"change\", \"previous\": {\"type\": \"items\", "
		    "\"value\": [{\"key\": \"a\", \"object\": {}}, {\"key\": \"b\"}]}}" },
		{ RULE_CHANGE, "{\"kind\": \"change\", \"previous\": {\"type\": \"items\", "
		    "\"value\": [\"a\"]}}" },
		{ RULE_NEW, "{\"kind\": \"new\"}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": true}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": \"yes\", \"seen\": []}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": true, \"seen\": {}}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": true, \"seen\": [null]}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": true, \"seen\": [[\"a\"]]}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": true, \"seen\": [[\"a\", \"b\"]]}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": true, \"seen\": [[1, 2]]}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": true, \"seen\": [[\"a\", 1, 2]]}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": true, "
		    "\"seen\": [[\"a\", 1], [\"b\", 2], [\"a\", 3]]}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": true, "
		    "\"seen\": [[\"a\", 2], [\"b\", 1]]}" },
		{ RULE_NEW, "{\"kind\": \"change\", \"previous\": null}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\", \"announced\": 1}" },
		{ RULE_CHANGE, "{\"kind\": \"change\", \"announced\": {\"type\": 1}}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\", \"flap\": []}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\", "
		    "\"flap\": {\"changes\": [1], \"flapping\": true}}" },
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\", "
		    "\"flap\": {\"changes\": [\"x\"], \"flapping\": false}}" },
	};
	static const struct { enum rule_kind kind; const char *json; } good[] = {
		{ RULE_ABOVE, "{\"kind\": \"above\", \"phase\": \"ok\"}" },
		{ RULE_BELOW, "{\"kind\": \"below\", \"phase\": \"resolving\", \"since\": 1, "
		    "\"clear_since\": 2, \"previous\": {\"type\": \"number\", \"value\": 3}}" },
		{ RULE_CHANGE, "{\"kind\": \"change\"}" },
		{ RULE_CHANGE, "{\"kind\": \"change\", \"previous\": null}" },
		{ RULE_NEW, "{\"kind\": \"new\", \"seeded\": false, \"seen\": []}" },
	};
	struct rule_state *st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rule_config r = make_rule("r", bad[i].kind, 1, 1, 0);
		struct json_object *j = json_tokener_parse(bad[i].json);

		st = rule_state_from_json(&r, j);
		json_object_put(j);
		if (st != NULL) {
			rule_state_free(st);
			fail_msg("accepted %s", bad[i].json);
		}
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct rule_config r = make_rule("r", good[i].kind, 1, 1, 0);
		struct json_object *j = json_tokener_parse(good[i].json);

		st = rule_state_from_json(&r, j);
		json_object_put(j);
		if (st == NULL)
			fail_msg("rejected %s", good[i].json);
		rule_state_free(st);
	}
}

/*
 * Flap damping: an interface that goes up and down every 10 s with
 * flap = { changes = 4; window = 60; } pages for its first three changes,
 * then once as flapping, then not at all until a minute without a change,
 * then once more with the state it settled in. The history survives a restart.
 */
static void
test_flap(void **unused)
{
	struct rule_config r = make_rule("if.down", RULE_BELOW, 1, 1, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };
	double t = T0;

	r.flap_changes = 4;
	r.flap_window = 60;
	assert_int_equal(feed_num(&r, st, 1, t, &out), 0);
	for (int i = 0; i < 11; i++) {
		t += 10;
		feed_num(&r, st, i % 2 == 0 ? 0 : 1, t, &out);
		if (i == 5)
			st = reload(&r, st);
	}
	assert_string_equal(joined(&out, 0, NULL),
	    "if.down,if.down.resolved,if.down,if.down.flapping");
	assert_string_equal(json_object_get_string(field(out.v[3], "state")), "flapping");
	assert_int_equal(json_object_get_int(field(out.v[3], "changes")), 4);
	/* Down for good at the last change (i = 10); quiet for less than a window: nothing. */
	t += 59;
	assert_int_equal(feed_num(&r, st, 0, t, &out), 0);
	st = reload(&r, st);
	/* A window after the last change: flapping ends, telling the state it is in. */
	t += 1;
	assert_int_equal(feed_num(&r, st, 0, t, &out), 1);
	assert_string_equal(out.v[4]->name, "if.down.flapping.resolved");
	assert_string_equal(json_object_get_string(field(out.v[4], "state")), "firing");
	assert_int_equal(json_object_get_int(field(out.v[4], "value")), 0);
	/* And then it is an ordinary rule again, its history gone. */
	assert_int_equal(feed_num(&r, st, 1, t + 10, &out), 1);
	assert_string_equal(out.v[5]->name, "if.down.resolved");
	assert_int_equal(feed_num(&r, st, 0, t + 20, &out), 1);
	assert_int_equal(feed_num(&r, st, 1, t + 30, &out), 1);
	event_list_clear(&out);
	rule_state_free(st);

	/* Changes spread wider than the window never make it flap. */
	st = rule_state_new(&r);
	t = T0;
	feed_num(&r, st, 1, t, &out);
	for (int i = 0; i < 10; i++)
		feed_num(&r, st, i % 2 == 0 ? 0 : 1, t += 21, &out);
	assert_int_equal(out.n, 10);
	event_list_clear(&out);
	rule_state_free(st);
}

/* on_change flaps too; its flapping.resolved carries the value it settled on. */
static void
test_flap_change(void **unused)
{
	struct rule_config r = make_rule("if.changed", RULE_CHANGE, 0, 0, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };

	r.flap_changes = 2;
	r.flap_window = 30;
	feed_num(&r, st, 1, T0, &out);
	feed_num(&r, st, 2, T0 + 1, &out);
	feed_num(&r, st, 3, T0 + 2, &out);
	feed_num(&r, st, 4, T0 + 3, &out);
	feed_num(&r, st, 4, T0 + 32, &out);
	feed_num(&r, st, 4, T0 + 33, &out);
	assert_string_equal(joined(&out, 0, NULL),
	    "if.changed,if.changed.flapping,if.changed.flapping.resolved");
	assert_string_equal(json_object_get_string(field(out.v[2], "state")), "changed");
	assert_int_equal(json_object_get_int(field(out.v[2], "value")), 4);
	event_list_clear(&out);
	rule_state_free(st);
}

/* Feeds v at now with events held back for reason; returns how many events it appended. */
static size_t
feed_held(const struct rule_config *r, struct rule_state *st, double v, double now,
    const char *reason, struct event_list *out)
{
	struct point p = num_point(NULL, v);
	struct rule_input in = { "edge-router-1", &src_labels, &p, now, reason };
	size_t before = out->n;

	rule_eval(r, st, &in, out);
	return out->n - before;
}

/*
 * Held-back events are marked; once nothing holds them back, the subscribers
 * hear the current state if it is not what they heard last, and only then.
 */
static void
test_suppress_catch_up(void **unused)
{
	struct rule_config r = make_rule("device.unreachable", RULE_BELOW, 1, 1, 2);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };

	/* Fires while held back: marked with the reason. */
	assert_int_equal(feed_held(&r, st, 0, T0, "parent core down", &out), 0);
	assert_int_equal(feed_held(&r, st, 0, T0 + 2, "parent core down", &out), 1);
	assert_string_equal(out.v[0]->suppressed, "parent core down");
	/* Still down when the reason goes: the firing they missed, once. */
	st = reload(&r, st);
	assert_int_equal(feed_num(&r, st, 0, T0 + 4, &out), 1);
	assert_string_equal(out.v[1]->name, "device.unreachable");
	assert_null(out.v[1]->suppressed);
	assert_int_equal(feed_num(&r, st, 0, T0 + 6, &out), 0);
	event_list_clear(&out);
	rule_state_free(st);

	/* Down and back while held back: nothing to tell, and its resolution is no news. */
	st = rule_state_new(&r);
	feed_held(&r, st, 0, T0, "silenced", &out);
	feed_held(&r, st, 0, T0 + 2, "silenced", &out);
	feed_held(&r, st, 1, T0 + 4, "silenced", &out);
	assert_int_equal(out.n, 1);
	/* On its way back when the reason goes: it is not settled, so nothing yet... */
	assert_int_equal(feed_num(&r, st, 1, T0 + 5, &out), 0);
	/* ... and resolving then is nothing they need to hear: they never heard it fire. */
	assert_int_equal(feed_num(&r, st, 1, T0 + 6, &out), 0);
	assert_int_equal(feed_num(&r, st, 1, T0 + 8, &out), 0);
	assert_int_equal(out.n, 1);
	event_list_clear(&out);
	rule_state_free(st);

	/* Firing heard, resolved while held back: the resolution comes after. */
	st = rule_state_new(&r);
	feed_num(&r, st, 0, T0, &out);
	feed_num(&r, st, 0, T0 + 2, &out);
	feed_held(&r, st, 1, T0 + 4, "silenced", &out);
	feed_held(&r, st, 1, T0 + 6, "silenced", &out);
	assert_int_equal(feed_num(&r, st, 1, T0 + 8, &out), 1);
	assert_string_equal(joined(&out, 0, NULL),
	    "device.unreachable,device.unreachable.resolved,device.unreachable.resolved");
	assert_non_null(out.v[1]->suppressed);
	assert_null(out.v[2]->suppressed);
	event_list_clear(&out);
	rule_state_free(st);
}

/* on_change: the value they missed, with the one they heard as previous. */
static void
test_suppress_change(void **unused)
{
	struct rule_config r = make_rule("if.changed", RULE_CHANGE, 0, 0, 0);
	struct rule_state *st = rule_state_new(&r);
	struct event_list out = { 0 };

	feed_num(&r, st, 1, T0, &out);
	feed_held(&r, st, 2, T0 + 1, "maintenance", &out);
	feed_held(&r, st, 3, T0 + 2, "maintenance", &out);
	assert_int_equal(out.n, 2);
	st = reload(&r, st);
	assert_int_equal(feed_num(&r, st, 3, T0 + 3, &out), 1);
	assert_int_equal(json_object_get_int(field(out.v[2], "value")), 3);
	assert_int_equal(json_object_get_int(field(out.v[2], "previous")), 1);
	assert_int_equal(feed_num(&r, st, 3, T0 + 4, &out), 0);
	/* Back to what they heard while held back: nothing to tell. */
	feed_held(&r, st, 4, T0 + 5, "maintenance", &out);
	feed_held(&r, st, 3, T0 + 6, "maintenance", &out);
	assert_int_equal(feed_num(&r, st, 3, T0 + 7, &out), 0);
	event_list_clear(&out);
	rule_state_free(st);
}

/* A state kept across a reload that changed the rule's kind is inert, not misread. */
static void
test_kind_mismatch(void **unused)
{
	struct rule_config above = make_rule("r", RULE_ABOVE, 90, 90, 0);
	struct rule_config change = make_rule("r", RULE_CHANGE, 0, 0, 0);
	struct rule_config onnew = make_rule("r", RULE_NEW, 0, 0, 0);
	struct rule_state *st = rule_state_new(&above);
	struct event_list out = { 0 };

	assert_int_equal(feed_num(&change, st, 1, 1, &out), 0);
	assert_int_equal(feed_num(&change, st, 2, 2, &out), 0);
	assert_int_equal(feed_keys(&onnew, st, 3, &out, KEYS("a")), 0);
	assert_int_equal(feed_keys(&onnew, st, 4, &out, KEYS("a", "b")), 0);
	assert_false(rule_state_firing(st));
	/* It still works for its own rule. */
	assert_int_equal(feed_num(&above, st, 95, 5, &out), 1);
	event_list_clear(&out);
	rule_state_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_scenarios),
		cmocka_unit_test(test_threshold_payloads),
		cmocka_unit_test(test_threshold_instance_label),
		cmocka_unit_test(test_threshold_per_instance),
		cmocka_unit_test(test_threshold_ignores_unusable),
		cmocka_unit_test(test_threshold_bool),
		cmocka_unit_test(test_change),
		cmocka_unit_test(test_change_numbers),
		cmocka_unit_test(test_new_semantics),
		cmocka_unit_test(test_new_ignores_other_values),
		cmocka_unit_test(test_new_payload),
		cmocka_unit_test(test_new_eviction),
		cmocka_unit_test(test_new_default_bound),
		cmocka_unit_test(test_persist_threshold),
		cmocka_unit_test(test_persist_change),
		cmocka_unit_test(test_persist_new),
		cmocka_unit_test(test_persist_shrunk_bound),
		cmocka_unit_test(test_persist_garbage),
		cmocka_unit_test(test_kind_mismatch),
		cmocka_unit_test(test_flap),
		cmocka_unit_test(test_flap_change),
		cmocka_unit_test(test_suppress_catch_up),
		cmocka_unit_test(test_suppress_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
