#include "rule.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hmap.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Times are the polls' scheduled starts, Unix seconds on the source's grid
 * (phase + k * interval): a poll exactly `for` seconds after the first must
 * count as having held that long, whatever the rounding of the grid and of
 * the subtraction (a few 1e-7 s at today's Unix times). A tenth of a
 * millisecond is far above that and below the milliseconds of event_ts.
 */
#define HOLD_EPSILON	1e-4

enum rule_phase { PHASE_OK, PHASE_PENDING, PHASE_FIRING, PHASE_RESOLVING };

static const char *const phase_names[] = { "ok", "pending", "firing", "resolving" };
static const char *const kind_names[] = { "above", "below", "change", "new" };

/*
 * One key of an on_new seen set. The nodes form a list ordered by the time
 * each key was last seen, oldest first, so eviction drops keys that left the
 * poll before keys that are still in it.
 */
struct seen {
	struct seen *prev, *next;
	double last;		/* when the key was last in a poll */
	char key[];
};

struct rule_state {
	enum rule_kind kind;
	enum rule_phase phase;	/* threshold rules */
	double since;		/* when the firing condition began to hold */
	double clear_since;	/* when the clear condition began to hold */
	struct value prev;	/* last usable value; VALUE_NONE before the first */
	/*
	 * What the subscribers last heard: firing or not (threshold), the value
	 * (on_change). Held-back events leave it, so the state can be told
	 * once the reason to hold back is gone.
	 */
	struct value ann;
	/* flap: the times of the last state changes, oldest first (at most flap_changes) */
	double *flap_times;
	size_t flap_n;
	double flap_last;	/* while flapping: the time of the last change */
	/* The flags together, without padding between them (a state per source). */
	bool ann_firing;
	bool flapping;
	bool dirty;		/* changed in a way worth saving since rule_state_take_dirty */
	/* on_new only, and last: the states of other rules end here (see rule_state_new). */
	bool seeded;		/* on_new: the first poll filled the seen set */
	bool overflowing;	/* on_new: one poll held more keys than the bound */
	struct hmap seen;	/* key -> struct seen */
	struct seen *oldest, *newest;
};

/* Bytes of a state of kind: one state per rule, source and instance, only on_new's holds a seen set. */
static size_t
state_size(enum rule_kind kind)
{
	return kind == RULE_NEW ? sizeof(struct rule_state) : offsetof(struct rule_state, seeded);
}

struct rule_state *
rule_state_new(const struct rule_config *r)
{
	struct rule_state *st = xcalloc(1, state_size(r->kind));

	st->kind = r->kind;
	st->phase = PHASE_OK;
	st->dirty = true;	/* a first sight is worth saving */
	st->prev.type = VALUE_NONE;
	st->ann.type = VALUE_NONE;
	if (st->kind == RULE_NEW)
		hmap_init(&st->seen);
	return st;
}

struct rule_state *
rule_state_keyed(struct rule_state *st, const char *key)
{
	size_t size = state_size(st->kind), len = strlen(key) + 1;

	/* Nothing points into a state (its seen set's nodes point to one another). */
	st = xreallocarray(st, size + len, 1);
	memcpy((char *)st + size, key, len);
	return st;
}

const char *
rule_state_key(const struct rule_state *st)
{
	return (const char *)st + state_size(st->kind);
}

void
rule_state_free(struct rule_state *st)
{
	struct seen *s, *next;

	if (st == NULL)
		return;
	for (s = st->kind == RULE_NEW ? st->oldest : NULL; s != NULL; s = next) {
		next = s->next;
		free(s);
	}
	if (st->kind == RULE_NEW)
		hmap_free(&st->seen);
	value_clear(&st->prev);
	value_clear(&st->ann);
	free(st->flap_times);
	free(st);
}

bool
rule_state_firing(const struct rule_state *st)
{
	return st->phase == PHASE_FIRING || st->phase == PHASE_RESOLVING;
}

/* Numbers render as integers when they are, like values do: 90, not 90.0. */
static struct json_object *
number_json(double d)
{
	struct value v = { .type = VALUE_NUMBER, .num = d };

	return value_to_json(&v);
}

/*
 * Appends one event with the payload of DESIGN.md. Takes ownership of value,
 * previous and object (any may be NULL, rendered as JSON null).
 */
static struct event *
emit_as(const struct rule_config *r, const struct rule_input *in, struct event_list *out,
    const char *suffix, const char *state, struct json_object *value,
    struct json_object *previous, double since, struct json_object *object)
{
	const struct point *p = in->point;
	struct json_object *pl, *labels;
	struct event *ev;
	char *name, when[32];

	name = xasprintf("%s%s", r->name, suffix);
	ev = event_new(name, r->name, in->source, p->instance, in->labels,
	    llround(in->now * 1000.0));
	free(name);

	pl = ev->payload;
	json_object_object_add(pl, "source", json_object_new_string(in->source));
	labels = json_object_new_object();
	for (size_t i = 0; in->labels != NULL && i < in->labels->n; i++)
		json_object_object_add(labels, in->labels->names[i],
		    json_object_new_string(in->labels->values[i]));
	json_object_object_add(pl, "labels", labels);
	json_object_object_add(pl, "metric", json_object_new_string(p->metric));
	json_object_object_add(pl, "instance",
	    p->instance != NULL ? json_object_new_string(p->instance) : NULL);
	if (p->label != NULL)
		json_object_object_add(pl, "instance_label", json_object_new_string(p->label));
	json_object_object_add(pl, "state", json_object_new_string(state));
	json_object_object_add(pl, "value", value);
	json_object_object_add(pl, "previous", previous);
	if (r->kind == RULE_ABOVE || r->kind == RULE_BELOW) {
		json_object_object_add(pl, "threshold", number_json(r->threshold));
		json_object_object_add(pl, "clear", number_json(r->clear));
	}
	json_object_object_add(pl, "severity",
	    r->severity != NULL ? json_object_new_string(r->severity) : NULL);
	event_format_time(when, sizeof(when), since);
	json_object_object_add(pl, "since", json_object_new_string(when));
	json_object_object_add(pl, "object", object);
	event_list_push(out, ev);
	return ev;
}

/* A transition event: "<rule>.resolved" for resolved, "<rule>" otherwise. */
static void
emit(const struct rule_config *r, const struct rule_input *in, struct event_list *out,
    const char *state, struct json_object *value, struct json_object *previous,
    double since, struct json_object *object)
{
	emit_as(r, in, out, strcmp(state, "resolved") == 0 ? ".resolved" : "", state, value,
	    previous, since, object);
}

/* A boolean counts as 0 or 1; NaN is no more usable than a missing value. */
static bool
threshold_value(const struct value *v, double *d)
{
	switch (v->type) {
	case VALUE_NUMBER:
		if (isnan(v->num))
			return false;
		*d = v->num;
		return true;
	case VALUE_BOOL:
		*d = v->b ? 1.0 : 0.0;
		return true;
	default:
		return false;
	}
}

static bool
held(double since, double now, double for_s)
{
	return now - since >= for_s - HOLD_EPSILON;
}

static void
eval_threshold(const struct rule_config *r, struct rule_state *st,
    const struct rule_input *in, struct event_list *out)
{
	const struct value *v = &in->point->value;
	double d, now = in->now;
	bool cond, clear;

	if (!threshold_value(v, &d))
		return;
	if (r->kind == RULE_ABOVE) {
		cond = d > r->threshold;
		clear = d <= r->clear;
	} else {
		cond = d < r->threshold;
		clear = d >= r->clear;
	}

	switch (st->phase) {
	case PHASE_OK:
		if (!cond)
			break;
		st->phase = PHASE_PENDING;
		st->since = now;
		/* FALLTHROUGH */
	case PHASE_PENDING:
		if (!cond)
			st->phase = PHASE_OK;
		else if (held(st->since, now, r->for_s)) {
			st->phase = PHASE_FIRING;
			emit(r, in, out, "firing", value_to_json(v), value_to_json(&st->prev),
			    st->since, NULL);
		}
		break;
	case PHASE_FIRING:
		if (!clear)
			break;
		st->phase = PHASE_RESOLVING;
		st->clear_since = now;
		/* FALLTHROUGH */
	case PHASE_RESOLVING:
		if (!clear)
			st->phase = PHASE_FIRING;
		else if (held(st->clear_since, now, r->for_s)) {
			st->phase = PHASE_OK;
			emit(r, in, out, "resolved", value_to_json(v), value_to_json(&st->prev),
			    st->clear_since, NULL);
		}
		break;
	}
	value_clear(&st->prev);
	value_copy(&st->prev, v);
}

static void
eval_change(const struct rule_config *r, struct rule_state *st,
    const struct rule_input *in, struct event_list *out)
{
	const struct value *v = &in->point->value;

	if (v->type == VALUE_NONE)
		return;
	if (st->prev.type != VALUE_NONE) {
		if (value_equal(&st->prev, v))
			return;
		emit(r, in, out, "changed", value_to_json(v), value_to_json(&st->prev),
		    in->now, NULL);
	} else {
		/* The first value is a baseline: the subscribers need not hear it. */
		value_clear(&st->ann);
		value_copy(&st->ann, v);
		st->dirty = true;
	}
	value_clear(&st->prev);
	value_copy(&st->prev, v);
}

static void
seen_unlink(struct rule_state *st, struct seen *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		st->oldest = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		st->newest = s->prev;
	s->prev = s->next = NULL;
}

static void
seen_append(struct rule_state *st, struct seen *s)
{
	s->prev = st->newest;
	s->next = NULL;
	if (st->newest != NULL)
		st->newest->next = s;
	else
		st->oldest = s;
	st->newest = s;
}

/* Returns whether key was not in the set; either way it is now the newest. */
static bool
seen_touch(struct rule_state *st, const char *key, double now)
{
	struct seen *s = hmap_get(&st->seen, key);
	size_t len;

	if (s != NULL) {
		seen_unlink(st, s);
		s->last = now;
		seen_append(st, s);
		return false;
	}
	len = strlen(key);
	s = xmalloc(sizeof(*s) + len + 1);
	memcpy(s->key, key, len + 1);
	s->last = now;
	seen_append(st, s);
	hmap_put(&st->seen, key, s);
	return true;
}

/* Drops the least recently seen keys beyond max; returns how many were seen at now. */
static size_t
seen_trim(struct rule_state *st, size_t max, double now)
{
	size_t current = 0;

	while (st->seen.n > max) {
		struct seen *s = st->oldest;

		if (s->last >= now)
			current++;
		seen_unlink(st, s);
		hmap_del(&st->seen, s->key);
		free(s);
	}
	return current;
}

static size_t
max_seen(const struct rule_config *r)
{
	return r->max_seen != 0 ? r->max_seen : RULE_MAX_SEEN_DEFAULT;
}

static void
eval_new(const struct rule_config *r, struct rule_state *st,
    const struct rule_input *in, struct event_list *out)
{
	const struct value *v = &in->point->value;
	const struct item *it;
	size_t dropped;

	if (v->type != VALUE_ITEMS)
		return;
	/*
	 * Trimming waits until the whole poll is in: a key added early in a poll
	 * with more keys than the bound must not be evicted and reported again
	 * when it repeats later in the same poll.
	 */
	for (size_t i = 0; i < v->nitems; i++) {
		it = &v->items[i];
		if (it->key == NULL)
			continue;
		if (!seen_touch(st, it->key, in->now) || !st->seeded)
			continue;
		/* The key, not the whole list: N new items would cost N^2 otherwise. */
		emit(r, in, out, "new", json_object_new_string(it->key), NULL, in->now,
		    json_object_get(it->obj));
	}
	st->seeded = true;

	dropped = seen_trim(st, max_seen(r), in->now);
	if (dropped > 0 && !st->overflowing)
		log_warnx("rule %s: %s%s%s: a poll holds more than max_seen = %zu keys, "
		    "some items will be reported again", r->name, in->source,
		    in->point->instance != NULL ? "/" : "",
		    in->point->instance != NULL ? in->point->instance : "", max_seen(r));
	else if (dropped == 0 && st->overflowing)
		log_info("rule %s: %s%s%s: the poll fits in max_seen again", r->name,
		    in->source, in->point->instance != NULL ? "/" : "",
		    in->point->instance != NULL ? in->point->instance : "");
	st->overflowing = dropped > 0;
}

/* Returns the "state" of a payload that tells where the instance is now. */
static const char *
current_state(const struct rule_state *st)
{
	if (st->kind == RULE_CHANGE)
		return "changed";
	return rule_state_firing(st) ? "firing" : "resolved";
}

/* Drops event i of out (from the end of the list: order is kept). */
static void
drop_event(struct event_list *out, size_t i)
{
	event_free(out->v[i]);
	memmove(&out->v[i], &out->v[i + 1], (out->n - i - 1) * sizeof(*out->v));
	out->n--;
}

/* Drops the events of out from index from on. */
static void
drop_from(struct event_list *out, size_t from)
{
	while (out->n > from)
		drop_event(out, out->n - 1);
}

/* Records a state change at now in the flap history; returns the changes within the window. */
static size_t
flap_record(const struct rule_config *r, struct rule_state *st, double now)
{
	size_t keep = 0;

	if (st->flap_times == NULL)
		st->flap_times = xcalloc(r->flap_changes, sizeof(*st->flap_times));
	if (st->flap_n == r->flap_changes) {
		memmove(st->flap_times, st->flap_times + 1,
		    (st->flap_n - 1) * sizeof(*st->flap_times));
		st->flap_n--;
	}
	st->flap_times[st->flap_n++] = now;
	/* Changes older than the window no longer count. */
	while (keep < st->flap_n && now - st->flap_times[keep] > r->flap_window + HOLD_EPSILON)
		keep++;
	memmove(st->flap_times, st->flap_times + keep,
	    (st->flap_n - keep) * sizeof(*st->flap_times));
	st->flap_n -= keep;
	return st->flap_n;
}

/*
 * Flap damping over the transitions rule_eval just appended (out[from..]):
 * the change that completes flap_changes within flap_window becomes one
 * "<rule>.flapping"; changes while flapping are dropped; a window without a
 * change ends it with "<rule>.flapping.resolved" carrying the current state.
 */
static void
flap_filter(const struct rule_config *r, struct rule_state *st, const struct rule_input *in,
    struct event_list *out, size_t from)
{
	const struct value *v = &in->point->value;
	size_t changes = out->n - from, n = 0;
	struct event *ev;

	if (r->flap_changes == 0 || r->kind == RULE_NEW)
		return;
	if (st->flapping) {
		if (changes > 0) {
			drop_from(out, from);
			st->flap_last = in->now;
			st->dirty = true;
		} else if (held(st->flap_last, in->now, r->flap_window)) {
			st->flapping = false;
			st->flap_n = 0;
			st->dirty = true;
			ev = emit_as(r, in, out, ".flapping.resolved", current_state(st),
			    value_to_json(v), NULL, st->flap_last, NULL);
			json_object_object_add(ev->payload, "flapping", json_object_new_boolean(0));
		}
		return;
	}
	for (size_t i = 0; i < changes; i++)
		n = flap_record(r, st, in->now);
	if (changes == 0 || n < r->flap_changes)
		return;
	drop_from(out, from);
	st->flapping = true;
	st->flap_last = in->now;
	st->flap_n = 0;
	st->dirty = true;
	ev = emit_as(r, in, out, ".flapping", "flapping", value_to_json(v), NULL, in->now, NULL);
	json_object_object_add(ev->payload, "flapping", json_object_new_boolean(1));
	json_object_object_add(ev->payload, "changes", json_object_new_int((int)r->flap_changes));
	json_object_object_add(ev->payload, "window", number_json(r->flap_window));
}

/* Returns the "state" of ev's payload ("" when it has none). */
static const char *
event_state(const struct event *ev)
{
	struct json_object *o;

	if (!json_object_object_get_ex(ev->payload, "state", &o) || o == NULL)
		return "";
	return json_object_get_string(o);
}

/* Returns whether the transition ev tells the subscribers nothing they have not heard. */
static bool
already_heard(const struct rule_config *r, const struct rule_state *st,
    const struct event *ev)
{
	if (strncmp(ev->name + strlen(r->name), ".flapping", strlen(".flapping")) == 0)
		return false;
	if (st->kind == RULE_ABOVE || st->kind == RULE_BELOW)
		return st->ann_firing == (strcmp(event_state(ev), "firing") == 0);
	return false;
}

/* Records what the subscribers hear of ev. */
static void
note_heard(struct rule_state *st, const struct event *ev)
{
	if (strcmp(event_state(ev), "flapping") == 0 || st->kind == RULE_NEW)
		return;
	/* The events told the state the instance is in now (the last of them does). */
	st->ann_firing = rule_state_firing(st);
	value_clear(&st->ann);
	value_copy(&st->ann, &st->prev);
	st->dirty = true;
}

/*
 * Tells the state the subscribers missed while events were held back: the
 * current one, once it is settled (a threshold rule on its way back is not).
 */
static void
catch_up(const struct rule_config *r, struct rule_state *st, const struct rule_input *in,
    struct event_list *out)
{
	struct event *ev;

	if (st->flapping)
		return;
	switch (r->kind) {
	case RULE_ABOVE:
	case RULE_BELOW:
		if (st->phase == PHASE_RESOLVING || st->phase == PHASE_PENDING ||
		    st->ann_firing == rule_state_firing(st))
			return;
		ev = emit_as(r, in, out, st->ann_firing ? ".resolved" : "",
		    st->ann_firing ? "resolved" : "firing", value_to_json(&st->prev), NULL,
		    st->ann_firing ? st->clear_since : st->since, NULL);
		break;
	case RULE_CHANGE:
		if (st->prev.type == VALUE_NONE || st->ann.type == VALUE_NONE ||
		    value_equal(&st->ann, &st->prev))
			return;
		ev = emit_as(r, in, out, "", "changed", value_to_json(&st->prev),
		    value_to_json(&st->ann), in->now, NULL);
		break;
	default:
		return;
	}
	note_heard(st, ev);
}

void
rule_eval(const struct rule_config *r, struct rule_state *st, const struct rule_input *in,
    struct event_list *out)
{
	size_t from = out->n;

	/* A state made for another kind of rule holds nothing this one can use. */
	if (st->kind != r->kind)
		return;
	switch (r->kind) {
	case RULE_ABOVE:
	case RULE_BELOW:
		eval_threshold(r, st, in, out);
		break;
	case RULE_CHANGE:
		eval_change(r, st, in, out);
		break;
	case RULE_NEW:
		eval_new(r, st, in, out);
		break;
	}
	if (out->n > from)
		st->dirty = true;
	flap_filter(r, st, in, out, from);
	if (in->suppress != NULL) {
		for (size_t i = from; i < out->n; i++)
			event_suppress(out->v[i], in->suppress);
		return;
	}
	for (size_t i = from; i < out->n;) {
		struct event *ev = out->v[i];

		if (already_heard(r, st, ev)) {
			drop_event(out, i);
			continue;
		}
		note_heard(st, ev);
		i++;
	}
	catch_up(r, st, in, out);
}

bool
rule_state_take_dirty(struct rule_state *st)
{
	bool d = st->dirty;

	st->dirty = false;
	return d;
}

/*
 * Persisted values carry their type: a plain JSON rendering cannot tell a
 * missing value from null, loses item keys, and JSON has no NaN.
 */
static struct json_object *
value_state_json(const struct value *v)
{
	struct json_object *o, *a, *it;
	const char *type = "null";
	struct json_object *data = NULL;

	switch (v->type) {
	case VALUE_NONE:
		return NULL;
	case VALUE_NULL:
		break;
	case VALUE_BOOL:
		type = "bool";
		data = json_object_new_boolean(v->b);
		break;
	case VALUE_NUMBER:
		type = "number";
		if (isnan(v->num))
			data = json_object_new_string("nan");
		else if (isinf(v->num))
			data = json_object_new_string(v->num > 0 ? "inf" : "-inf");
		else
			data = json_object_new_double(v->num);
		break;
	case VALUE_STRING:
		type = "string";
		data = json_object_new_string(v->str);
		break;
	case VALUE_ITEMS:
		type = "items";
		a = json_object_new_array_ext((int)v->nitems);
		for (size_t i = 0; i < v->nitems; i++) {
			it = json_object_new_object();
			json_object_object_add(it, "key", json_object_new_string(v->items[i].key));
			json_object_object_add(it, "object", json_object_get(v->items[i].obj));
			json_object_array_add(a, it);
		}
		data = a;
		break;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(type));
	if (data != NULL)
		json_object_object_add(o, "value", data);
	return o;
}

/* Adds the flap history, when there is one, to the state object j. */
static void
flap_to_json(const struct rule_state *st, struct json_object *j)
{
	struct json_object *f, *a;

	if (st->flap_n == 0 && !st->flapping)
		return;
	f = json_object_new_object();
	a = json_object_new_array_ext((int)st->flap_n);
	for (size_t i = 0; i < st->flap_n; i++)
		json_object_array_add(a, json_object_new_double(st->flap_times[i]));
	json_object_object_add(f, "changes", a);
	json_object_object_add(f, "flapping", json_object_new_boolean(st->flapping));
	if (st->flapping)
		json_object_object_add(f, "last", json_object_new_double(st->flap_last));
	json_object_object_add(j, "flap", f);
}

struct json_object *
rule_state_to_json(const struct rule_state *st)
{
	struct json_object *j = json_object_new_object(), *a, *e;

	json_object_object_add(j, "kind", json_object_new_string(kind_names[st->kind]));
	switch (st->kind) {
	case RULE_ABOVE:
	case RULE_BELOW:
		json_object_object_add(j, "phase", json_object_new_string(phase_names[st->phase]));
		if (st->phase != PHASE_OK)
			json_object_object_add(j, "since", json_object_new_double(st->since));
		if (st->phase == PHASE_RESOLVING)
			json_object_object_add(j, "clear_since",
			    json_object_new_double(st->clear_since));
		/* FALLTHROUGH */
	case RULE_CHANGE:
		if (st->prev.type != VALUE_NONE)
			json_object_object_add(j, "previous", value_state_json(&st->prev));
		if (st->kind == RULE_CHANGE && st->ann.type != VALUE_NONE)
			json_object_object_add(j, "announced", value_state_json(&st->ann));
		else if (st->kind != RULE_CHANGE)
			json_object_object_add(j, "announced",
			    json_object_new_boolean(st->ann_firing));
		flap_to_json(st, j);
		break;
	case RULE_NEW:
		json_object_object_add(j, "seeded", json_object_new_boolean(st->seeded));
		a = json_object_new_array_ext((int)st->seen.n);
		for (const struct seen *s = st->oldest; s != NULL; s = s->next) {
			e = json_object_new_array_ext(2);
			json_object_array_add(e, json_object_new_string(s->key));
			json_object_array_add(e, json_object_new_double(s->last));
			json_object_array_add(a, e);
		}
		json_object_object_add(j, "seen", a);
		break;
	}
	return j;
}

static bool
get_number(struct json_object *j, double *d)
{
	if (!json_object_is_type(j, json_type_double) && !json_object_is_type(j, json_type_int))
		return false;
	*d = json_object_get_double(j);
	return isfinite(*d);
}

/* Fills v from value_state_json's output; returns -1 when j is not one. */
static int
value_from_state_json(struct value *v, struct json_object *j)
{
	struct json_object *jt, *data = NULL, *e, *k, *obj;
	const char *type, *s;
	size_t n;

	memset(v, 0, sizeof(*v));
	if (!json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "type", &jt) || !json_object_is_type(jt, json_type_string))
		return -1;
	type = json_object_get_string(jt);
	json_object_object_get_ex(j, "value", &data);
	if (strcmp(type, "null") == 0) {
		v->type = VALUE_NULL;
	} else if (strcmp(type, "bool") == 0) {
		if (!json_object_is_type(data, json_type_boolean))
			return -1;
		v->type = VALUE_BOOL;
		v->b = json_object_get_boolean(data);
	} else if (strcmp(type, "number") == 0) {
		v->type = VALUE_NUMBER;
		if (json_object_is_type(data, json_type_string)) {
			s = json_object_get_string(data);
			if (strcmp(s, "nan") == 0)
				v->num = NAN;
			else if (strcmp(s, "inf") == 0)
				v->num = INFINITY;
			else if (strcmp(s, "-inf") == 0)
				v->num = -INFINITY;
			else
				return -1;
		} else if (!get_number(data, &v->num))
			return -1;
	} else if (strcmp(type, "string") == 0) {
		if (!json_object_is_type(data, json_type_string))
			return -1;
		v->type = VALUE_STRING;
		v->str = xstrdup(json_object_get_string(data));
	} else if (strcmp(type, "items") == 0) {
		if (!json_object_is_type(data, json_type_array))
			return -1;
		n = json_object_array_length(data);
		v->type = VALUE_ITEMS;
		v->items = xcalloc(n, sizeof(*v->items));
		for (size_t i = 0; i < n; i++) {
			e = json_object_array_get_idx(data, i);
			if (!json_object_is_type(e, json_type_object) ||
			    !json_object_object_get_ex(e, "key", &k) ||
			    !json_object_is_type(k, json_type_string) ||
			    !json_object_object_get_ex(e, "object", &obj)) {
				value_clear(v);
				return -1;
			}
			v->items[i].key = xstrdup(json_object_get_string(k));
			v->items[i].obj = json_object_get(obj);
			v->nitems++;
		}
	} else
		return -1;
	return 0;
}

static int
threshold_from_json(struct rule_state *st, struct json_object *j)
{
	struct json_object *o;
	const char *phase;
	size_t i;

	if (!json_object_object_get_ex(j, "phase", &o) || !json_object_is_type(o, json_type_string))
		return -1;
	phase = json_object_get_string(o);
	for (i = 0; i < sizeof(phase_names) / sizeof(phase_names[0]); i++)
		if (strcmp(phase, phase_names[i]) == 0)
			break;
	if (i == sizeof(phase_names) / sizeof(phase_names[0]))
		return -1;
	st->phase = (enum rule_phase)i;
	if (st->phase != PHASE_OK &&
	    (!json_object_object_get_ex(j, "since", &o) || !get_number(o, &st->since)))
		return -1;
	if (st->phase == PHASE_RESOLVING &&
	    (!json_object_object_get_ex(j, "clear_since", &o) || !get_number(o, &st->clear_since)))
		return -1;
	return 0;
}

static int
seen_from_json(const struct rule_config *r, struct rule_state *st, struct json_object *j)
{
	struct json_object *o, *a, *e, *k, *t;
	double last, prev_last = -INFINITY;
	size_t n;

	if (!json_object_object_get_ex(j, "seeded", &o) || !json_object_is_type(o, json_type_boolean))
		return -1;
	st->seeded = json_object_get_boolean(o);
	if (!json_object_object_get_ex(j, "seen", &a) || !json_object_is_type(a, json_type_array))
		return -1;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 2)
			return -1;
		k = json_object_array_get_idx(e, 0);
		t = json_object_array_get_idx(e, 1);
		/* Out of order times would break the eviction order the list stands for. */
		if (!json_object_is_type(k, json_type_string) || !get_number(t, &last) ||
		    last < prev_last)
			return -1;
		if (!seen_touch(st, json_object_get_string(k), last))
			return -1;
		prev_last = last;
	}
	/* max_seen may have shrunk since the state was saved. */
	seen_trim(st, max_seen(r), INFINITY);
	return 0;
}

/* Restores the flap history of flap_to_json; the config's flap_changes bounds it. */
static int
flap_from_json(const struct rule_config *r, struct rule_state *st, struct json_object *j)
{
	struct json_object *f, *a, *o;
	size_t n;
	double t;

	if (!json_object_object_get_ex(j, "flap", &f))
		return 0;
	if (!json_object_is_type(f, json_type_object) ||
	    !json_object_object_get_ex(f, "changes", &a) || !json_object_is_type(a, json_type_array) ||
	    !json_object_object_get_ex(f, "flapping", &o) ||
	    !json_object_is_type(o, json_type_boolean))
		return -1;
	st->flapping = json_object_get_boolean(o);
	if (st->flapping &&
	    (!json_object_object_get_ex(f, "last", &o) || !get_number(o, &st->flap_last)))
		return -1;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		if (!get_number(json_object_array_get_idx(a, i), &t))
			return -1;
		/* A rule whose flap was taken away keeps nothing of it. */
		if (r->flap_changes > 0)
			flap_record(r, st, t);
	}
	if (r->flap_changes == 0)
		st->flapping = false;
	return 0;
}

/* Restores what the subscribers last heard; a state saved before it was kept: its own. */
static int
announced_from_json(struct rule_state *st, struct json_object *j)
{
	struct json_object *o;

	if (!json_object_object_get_ex(j, "announced", &o)) {
		st->ann_firing = rule_state_firing(st);
		value_copy(&st->ann, &st->prev);
		return 0;
	}
	if (st->kind == RULE_CHANGE)
		return value_from_state_json(&st->ann, o);
	if (!json_object_is_type(o, json_type_boolean))
		return -1;
	st->ann_firing = json_object_get_boolean(o);
	return 0;
}

struct rule_state *
rule_state_from_json(const struct rule_config *r, struct json_object *j)
{
	struct rule_state *st = NULL, *ret = NULL;
	struct json_object *o;

	if (!json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "kind", &o) || !json_object_is_type(o, json_type_string) ||
	    strcmp(json_object_get_string(o), kind_names[r->kind]) != 0)
		goto out;
	st = rule_state_new(r);
	switch (r->kind) {
	case RULE_ABOVE:
	case RULE_BELOW:
		if (threshold_from_json(st, j) == -1)
			goto out;
		/* FALLTHROUGH */
	case RULE_CHANGE:
		if (json_object_object_get_ex(j, "previous", &o) && o != NULL &&
		    value_from_state_json(&st->prev, o) == -1)
			goto out;
		if (announced_from_json(st, j) == -1 || flap_from_json(r, st, j) == -1)
			goto out;
		break;
	case RULE_NEW:
		if (seen_from_json(r, st, j) == -1)
			goto out;
		break;
	}
	st->dirty = false;
	ret = st;
	st = NULL;
out:
	rule_state_free(st);
	return ret;
}
