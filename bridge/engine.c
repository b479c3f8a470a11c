#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "kinds.h"
#include "log.h"
#include "poller.h"
#include "rule.h"
#include "scheduler.h"
#include "slice.h"
#include "util.h"
#include "xmalloc.h"

#define STATE_SEP '\x1f'	/* separates rule, source and instance in state keys */
/*
 * A source's cursor (sample.cursor) is kept beside the rule states, under
 * this prefix and the source's name, as a JSON string; ':' is in no rule
 * name, so no rule state key starts so.
 */
#define CURSOR_PREFIX "cursor:"
/*
 * The work of rules one loop iteration may take, in evaluations (one
 * instance of one rule); an event emitted costs EVENT_COST more (its body,
 * its log line, its way into the outbox). A sample whose rules need more
 * goes on in the next iterations, timers and sockets served in between.
 * The events of one iteration are committed together at its end, which
 * costs about as much again as making them: a budget of 256 events or
 * RULES_TIME keeps an iteration near 10 ms.
 */
#define RULES_BUDGET	2048
#define RULES_TIME	0.004
#define EVENT_COST	8

struct engine;

/* What a source holds only from its poll's start to its rules' end. */
struct source_poll {
	struct sample sample;		/* the poll in flight */
	double t0;			/* Unix time the poll really started, for its duration */
	size_t rule_r, rule_i;		/* where its rules go on: rule, point */
	struct source_rt *wait_next;	/* in the engine's queue */
};

/* The rules bound to sources: sources bound to the same rules share one. */
struct ruleset {
	size_t n;
	const struct rule_config *v[];
};

struct source_rt {
	struct sched_entry sched;	/* embedded: container_of from the timer */
	struct engine *eng;
	const struct source_config *conf;
	void *state;			/* the poller's runtime state */
	bool active;			/* polled by this shard */
	bool polling;			/* from its poll's start to its rules' end */
	bool ruling;			/* its rules wait in the engine's queue */
	double not_before;		/* no poll before this Unix time (sample.not_before) */
	struct source_poll *poll;	/* while polling, else NULL */
	struct source_status st;
	const struct ruleset *rules;	/* rules bound to this source (the runset's) */
	struct hmap *metric_errors;	/* metric name -> last error (owned string);
					   NULL until a metric fails */
};

/* What one config runs as: rebuilt whole on reload, swapped if it starts. */
struct runset {
	const struct config *cfg;
	struct source_rt *srcs;
	size_t nsrcs;
	struct hmap rulesets;		/* "i,j," (indexes of cfg->rules) -> struct ruleset */
	struct kinds kinds;		/* the shared state of each poller kind */
	double min_interval;		/* the shortest interval of an active source */
};

struct engine {
	struct ev_loop *loop;
	struct engine_sink sink;
	struct runset run;
	struct hmap states;		/* "rule\x1fsource\x1finstance" -> struct rule_state
					   (keys borrowed from the states) */
	struct hmap cursors;		/* source name -> its poller's cursor (owned string) */
	const struct config *state_cfg;	/* the config the states were built for */
	struct store *store;		/* rule states are saved here; NULL for --once */
	void (*ready)(void *arg, int status);	/* the states are loaded */
	void *ready_arg;
	size_t loaded, dropped;		/* states restored and dropped at the load */
	struct engine_poll_hist poll_hist;	/* kept across reloads */
	struct slice slice;		/* the rules' budget per loop iteration */
	struct source_rt *wait_head, *wait_tail;	/* samples whose rules go on later */
	struct histogram loop_lag;	/* timer due -> its callback, kept across reloads */
	bool lagging;			/* the lag is past a tenth of the shortest interval */
	double lag_over_at;		/* Unix time of the last lag past it */
	double lag_peak;		/* the worst lag since lagging began */
	double (*clock)(void *arg);	/* NULL: ev_time() */
	void *clock_arg;
	bool (*owned)(void *arg, const char *source);	/* NULL: every active source */
	void *owned_arg;
	engine_silencer_fn silencer;	/* NULL: only parents hold events back */
	void *silencer_arg;
};

/* Prometheus's default buckets: polls take milliseconds to their timeout. */
const double engine_poll_bounds[ENGINE_POLL_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

static void source_fire(struct sched_entry *se);

/* Returns whether this instance polls s now (a cluster decides; else its shard). */
static bool
owns(const struct engine *e, const struct source_rt *s)
{
	return s->active && (e->owned == NULL || e->owned(e->owned_arg, s->conf->name));
}

static double
engine_now(const struct engine *e)
{
	return e->clock != NULL ? e->clock(e->clock_arg) : ev_time();
}

static bool
metric_is(const struct point *p, const char *name)
{
	return p->metric == name || strcmp(p->metric, name) == 0;
}

/* A value that scale takes beyond the range of a double is an error, not infinity. */
static void
scale_point(struct point *p, double scale)
{
	double v = p->value.num * scale;

	if (isinf(v) && !isinf(p->value.num)) {
		free(p->error);
		p->error = xasprintf("%g times scale %g is outside the range of a double",
		    p->value.num, scale);
		value_clear(&p->value);
		return;
	}
	p->value.num = v;
}

void
engine_reduce(const struct source_config *src, struct sample *s)
{
	for (size_t m = 0; m < src->nmetrics; m++) {
		const struct metric_config *mc = &src->metrics[m];
		double acc = 0;
		size_t nnum = 0, nval = 0, out = 0;
		char *err = NULL;

		for (size_t i = 0; i < s->npoints; i++) {
			struct point *p = &s->points[i];

			if (!metric_is(p, mc->name))
				continue;
			if (p->value.type == VALUE_NUMBER && mc->scale != 1.0)
				scale_point(p, mc->scale);
			if (mc->reduce == REDUCE_NONE)
				continue;
			if (p->error != NULL && err == NULL)
				err = xstrdup(p->error);
			if (p->value.type == VALUE_NONE)
				continue;
			nval++;
			if (p->value.type != VALUE_NUMBER)
				continue;
			if (nnum == 0)
				acc = p->value.num;
			else if (mc->reduce == REDUCE_MAX)
				acc = fmax(acc, p->value.num);
			else if (mc->reduce == REDUCE_MIN)
				acc = fmin(acc, p->value.num);
			else
				acc += p->value.num;
			nnum++;
		}
		if (mc->reduce == REDUCE_NONE)
			continue;
		/* Drop the rows of this metric, keeping the others in order. */
		for (size_t i = 0; i < s->npoints; i++) {
			struct point *p = &s->points[i];

			if (metric_is(p, mc->name)) {
				point_clear(p);
				continue;
			}
			s->points[out++] = *p;
		}
		s->npoints = out;
		if (mc->reduce == REDUCE_COUNT)
			sample_add_number(s, mc->name, NULL, (double)nval);
		else if (nnum > 0 && isinf(acc) &&
		    (mc->reduce == REDUCE_SUM || mc->reduce == REDUCE_AVG))
			sample_add_error(s, mc->name, "the %s of the values is outside the range "
			    "of a double", mc->reduce == REDUCE_SUM ? "sum" : "average");
		else if (nnum > 0)
			sample_add_number(s, mc->name, NULL,
			    mc->reduce == REDUCE_AVG ? acc / (double)nnum : acc);
		else if (err != NULL)
			sample_add_error(s, mc->name, "%s", err);
		else
			sample_add_error(s, mc->name, "no numeric value to reduce");
		free(err);
	}
}

static char *
state_key(const char *rule, const char *source, const char *instance)
{
	return xasprintf("%s%c%s%c%s", rule, STATE_SEP, source, STATE_SEP,
	    instance != NULL ? instance : "");
}

/* Logs a source's failure when it starts or changes, and its recovery, once. */
static void
note_status(struct source_rt *s, const struct sample *smp)
{
	struct source_status *st = &s->st;
	const char *kind = s->conf->poller->name, *name = s->conf->name;

	if (!smp->ok) {
		if (!st->polled || st->up || st->last_error == NULL ||
		    strcmp(st->last_error, smp->error) != 0)
			log_warnx("%s/%s: poll failed: %s", kind, name, smp->error);
		free(st->last_error);
		st->last_error = xstrdup(smp->error);
		st->errors++;
	} else {
		if (st->polled && !st->up)
			log_info("%s/%s: polling again after: %s", kind, name,
			    st->last_error != NULL ? st->last_error : "failure");
		free(st->last_error);
		st->last_error = NULL;
	}
	st->polled = true;
	st->up = smp->ok;

	for (size_t i = 0; smp->ok && i < smp->npoints; i++) {
		const struct point *p = &smp->points[i];
		char *old;

		if (p->error == NULL)
			continue;
		if (s->metric_errors == NULL) {
			s->metric_errors = xmalloc(sizeof(*s->metric_errors));
			hmap_init(s->metric_errors);
		}
		old = hmap_get(s->metric_errors, p->metric);
		if (old != NULL && strcmp(old, p->error) == 0)
			continue;
		log_warnx("%s/%s: metric %s: %s", kind, name, p->metric, p->error);
		free(hmap_put(s->metric_errors, p->metric, xstrdup(p->error)));
	}
	/* Metrics that failed before and have a value now recovered. */
	for (size_t pos = 0; smp->ok && s->metric_errors != NULL && s->metric_errors->n > 0;) {
		const char *metric;
		void *val;
		bool still = false, seen = false;

		if (!hmap_next(s->metric_errors, &pos, &metric, &val))
			break;
		for (size_t i = 0; i < smp->npoints; i++) {
			if (!metric_is(&smp->points[i], metric))
				continue;
			seen = true;
			if (smp->points[i].error != NULL)
				still = true;
		}
		if (seen && !still) {
			log_info("%s/%s: metric %s has values again", kind, name, metric);
			free(hmap_del(s->metric_errors, metric));
		}
	}
}

static void
save_state(struct engine *e, const char *key, const struct rule_state *st)
{
	struct json_object *j = rule_state_to_json(st);

	store_state_save(e->store, key, json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}

/* Remembers the cursor of source as stored (a JSON string); anything else is ignored. */
static void
cursor_load(struct engine *e, const char *source, const char *json)
{
	struct json_object *j = json_tokener_parse(json);

	if (j != NULL && json_object_is_type(j, json_type_string))
		free(hmap_put(&e->cursors, source, xstrdup(json_object_get_string(j))));
	json_object_put(j);
}

/* Hands source s the cursor kept for it, if any. */
static void
cursor_restore(struct engine *e, struct source_rt *s)
{
	const char *c;

	if (s->state == NULL || s->conf->poller->restore == NULL)
		return;
	if ((c = hmap_get(&e->cursors, s->conf->name)) != NULL)
		s->conf->poller->restore(s->state, c);
}

/* Keeps (and stores) the cursor the poll of s left, when it changed. */
static void
cursor_save(struct engine *e, struct source_rt *s)
{
	const char *old = hmap_get(&e->cursors, s->conf->name);
	struct json_object *j;
	char *key;

	const char *cursor = s->poll->sample.cursor;

	if (cursor == NULL || (old != NULL && strcmp(old, cursor) == 0))
		return;
	free(hmap_put(&e->cursors, s->conf->name, xstrdup(cursor)));
	if (e->store == NULL)
		return;
	key = xasprintf(CURSOR_PREFIX "%s", s->conf->name);
	j = json_object_new_string(cursor);
	store_state_save(e->store, key, json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	free(key);
}

static void
load_state(void *arg, const char *key, const char *json)
{
	struct engine *e = arg;
	const char *sep = strchr(key, STATE_SEP);
	const struct rule_config *rc = NULL;
	struct json_object *j;
	struct rule_state *st = NULL;

	if (strncmp(key, CURSOR_PREFIX, strlen(CURSOR_PREFIX)) == 0) {
		cursor_load(e, key + strlen(CURSOR_PREFIX), json);
		return;
	}
	if (sep != NULL) {
		for (size_t i = 0; i < e->state_cfg->nrules; i++) {
			const struct rule_config *r = &e->state_cfg->rules[i];

			if (strlen(r->name) == (size_t)(sep - key) &&
			    memcmp(r->name, key, (size_t)(sep - key)) == 0)
				rc = r;
		}
	}
	j = json_tokener_parse(json);
	if (rc != NULL && j != NULL)
		st = rule_state_from_json(rc, j);
	json_object_put(j);
	if (st == NULL) {
		/* A rule removed or changed in kind: its state means nothing now. */
		store_state_delete(e->store, key);
		e->dropped++;
		return;
	}
	st = rule_state_keyed(st, key);
	rule_state_free(hmap_put(&e->states, rule_state_key(st), st));
	e->loaded++;
}

static void
states_loaded(void *arg, long long n)
{
	struct engine *e = arg;

	if (n < 0)
		log_warnx("rule state could not be loaded: %s", store_error(e->store));
	else if (e->loaded + e->dropped > 0)
		log_info("rule state: %zu instances restored, %zu dropped", e->loaded, e->dropped);
	for (size_t i = 0; i < e->run.nsrcs; i++)
		cursor_restore(e, &e->run.srcs[i]);
	if (e->ready != NULL)
		e->ready(e->ready_arg, n < 0 ? -1 : 0);
}

void
engine_set_store(struct engine *e, struct store *st, void (*ready)(void *arg, int status),
    void *arg)
{
	e->store = st;
	e->ready = ready;
	e->ready_arg = arg;
	store_states_load(st, load_state, states_loaded, e);
}

/* Finishes and hands on the events of out, in their order. */
static void
emit_events(struct engine *e, struct event_list *out)
{
	for (size_t i = 0; i < out->n; i++) {
		struct event *ev = out->v[i];

		event_finish(ev);
		log_info("event %s %s source=%s%s%s%s%s", ev->id, ev->name, ev->source,
		    ev->instance != NULL ? " instance=" : "",
		    ev->instance != NULL ? ev->instance : "",
		    ev->suppressed != NULL ? " suppressed=" : "",
		    ev->suppressed != NULL ? ev->suppressed : "");
		if (e->sink.event != NULL)
			e->sink.event(e->sink.arg, ev);
		else
			event_free(ev);
		out->v[i] = NULL;
	}
	free(out->v);
}

/*
 * Returns whether source p, a parent, is down: its last poll failed, or a
 * rule on its up metric fires (until that rule resolves, after its `for`).
 * A parent another instance polls is not known to be down.
 */
static bool
parent_down(const struct engine *e, const struct source_rt *p)
{
	if (!owns(e, p))
		return false;
	if (p->st.polled && !p->st.up)
		return true;
	for (size_t r = 0; r < p->rules->n; r++) {
		const struct rule_config *rc = p->rules->v[r];
		const struct rule_state *st;
		char *key;

		if (strcmp(rc->metric, "up") != 0)
			continue;
		key = state_key(rc->name, p->conf->name, NULL);
		st = hmap_get(&e->states, key);
		free(key);
		if (st != NULL && rule_state_firing(st))
			return true;
	}
	return false;
}

/*
 * Returns why the events of s are held back now, written into buf
 * ("parent:NAME" when every parent is down), or NULL when they are not.
 */
static const char *
held_back(const struct engine *e, const struct source_rt *s, char *buf, size_t len)
{
	const struct source_config *sc = s->conf;

	if (sc->nparent_idx == 0)
		return NULL;
	for (size_t i = 0; i < sc->nparent_idx; i++)
		if (!parent_down(e, &e->run.srcs[sc->parent_idx[i]]))
			return NULL;
	snprintf(buf, len, "parent:%s", e->run.srcs[sc->parent_idx[0]].conf->name);
	return buf;
}

/*
 * Runs the rules of s's sample from where they stopped, at time now, while
 * the iteration's budget lasts (or all of them when bounded is false);
 * returns whether they are all done.
 */
static bool
run_rules(struct engine *e, struct source_rt *s, double now, bool bounded)
{
	struct event_list out = { 0 };
	bool done = true;
	char why[512], rwhy[512];
	const char *parent = held_back(e, s, why, sizeof(why)), *suppress;
	struct source_poll *sp = s->poll;

	for (; sp->rule_r < s->rules->n; sp->rule_r++, sp->rule_i = 0) {
		const struct rule_config *rc = s->rules->v[sp->rule_r];

		suppress = parent;
		if (suppress == NULL && e->silencer != NULL)
			suppress = e->silencer(e->silencer_arg, s->conf, rc, now, rwhy,
			    sizeof(rwhy));

		for (; sp->rule_i < sp->sample.npoints; sp->rule_i++) {
			const struct point *p = &sp->sample.points[sp->rule_i];
			struct rule_input in = { s->conf->name, &s->conf->labels, p, now,
			    suppress };
			struct rule_state *st;
			char *key;

			if (!metric_is(p, rc->metric) || p->value.type == VALUE_NONE)
				continue;
			if (bounded && !slice_take(&e->slice, 1)) {
				done = false;
				goto out;
			}
			size_t before = out.n;

			key = state_key(rc->name, s->conf->name, p->instance);
			st = hmap_get(&e->states, key);
			if (st == NULL) {
				st = rule_state_keyed(rule_state_new(rc), key);
				hmap_put(&e->states, rule_state_key(st), st);
			}
			rule_eval(rc, st, &in, &out);
			/*
			 * Saved when it matters after a restart: a transition
			 * (held back or not), a first sight (on_new's seeded set),
			 * what the subscribers heard, the flap history. Pending
			 * phases and previous values between transitions are not
			 * worth a write per poll.
			 */
			if (rule_state_take_dirty(st) && e->store != NULL)
				save_state(e, key, st);
			free(key);
			slice_charge(&e->slice, EVENT_COST * (unsigned)(out.n - before));
		}
	}
out:
	emit_events(e, &out);
	return done;
}

static void
poll_hist_add(struct engine_poll_hist *h, double seconds)
{
	for (size_t i = 0; i < ENGINE_POLL_BUCKETS; i++)
		if (seconds <= engine_poll_bounds[i]) {
			h->b[i]++;
			break;
		}
	h->count++;
	h->sum += seconds;
}

/* The rules of s's sample are done: the rest of the poll's end. */
static void
source_rules_done(struct engine *e, struct source_rt *s)
{
	/* A source a cluster moved away meanwhile keeps its new owner's cursor. */
	if (owns(e, s))
		cursor_save(e, s);
	if (s->poll->sample.not_before > 0)
		s->not_before = s->poll->sample.not_before;
	if (e->sink.sample != NULL)
		e->sink.sample(e->sink.arg, s->conf, &s->poll->sample);
	sample_clear(&s->poll->sample);
	free(s->poll);
	s->poll = NULL;
	s->polling = false;
	sched_done(&s->sched);
}

static void
wait_push(struct engine *e, struct source_rt *s)
{
	s->ruling = true;
	s->poll->wait_next = NULL;
	if (e->wait_tail != NULL)
		e->wait_tail->poll->wait_next = s;
	else
		e->wait_head = s;
	e->wait_tail = s;
	slice_wait(&e->slice);
}

static struct source_rt *
wait_pop(struct engine *e)
{
	struct source_rt *s = e->wait_head;

	e->wait_head = s->poll->wait_next;
	if (e->wait_head == NULL)
		e->wait_tail = NULL;
	s->poll->wait_next = NULL;
	s->ruling = false;
	return s;
}

/* Goes on with the waiting samples' rules, oldest first, while the budget lasts. */
static void
rules_resume(struct slice *sl)
{
	struct engine *e = container_of(sl, struct engine, slice);

	while (e->wait_head != NULL) {
		struct source_rt *s = e->wait_head;

		if (!run_rules(e, s, s->poll->sample.start, true))
			return;
		source_rules_done(e, wait_pop(e));
	}
	slice_clear(&e->slice);
}

/* Runs every waiting sample's rules to the end, now (reload, shutdown). */
static void
rules_flush(struct engine *e)
{
	while (e->wait_head != NULL) {
		struct source_rt *s = wait_pop(e);

		run_rules(e, s, s->poll->sample.start, false);
		source_rules_done(e, s);
	}
	slice_clear(&e->slice);
}

static void
source_poll_done(void *arg)
{
	struct source_rt *s = arg;
	struct engine *e = s->eng;
	double now = engine_now(e);

	struct sample *smp = &s->poll->sample;

	smp->end = now;
	s->st.polls++;
	s->st.last_poll = now;
	s->st.last_duration = now - s->poll->t0;
	poll_hist_add(&e->poll_hist, s->st.last_duration);
	note_status(s, smp);
	engine_reduce(s->conf, smp);
	sample_add_number(smp, "up", NULL, smp->ok ? 1.0 : 0.0);
	sample_add_number(smp, "poll_seconds", NULL, s->st.last_duration);
	/*
	 * Rules measure time by the poll's scheduled start, not by when the
	 * answer came: a device answering a few milliseconds late must not
	 * decide whether `for` has been met. A source that is no longer ours
	 * (a cluster moved it meanwhile) has its new owner's rule state. What
	 * does not fit in this iteration's budget goes on later, behind the
	 * samples already waiting.
	 */
	if (!owns(e, s)) {
		source_rules_done(e, s);
		return;
	}
	s->poll->rule_r = s->poll->rule_i = 0;
	if (e->wait_head != NULL || !run_rules(e, s, smp->start, true)) {
		wait_push(e, s);
		return;
	}
	source_rules_done(e, s);
}

/* Starts a poll whose scheduled start is the Unix time scheduled. */
static void
source_poll(struct source_rt *s, double scheduled)
{
	s->poll = xcalloc(1, sizeof(*s->poll));
	s->poll->t0 = engine_now(s->eng);
	s->polling = true;
	sample_init(&s->poll->sample, scheduled);
	s->conf->poller->poll(s->state, &s->poll->sample, source_poll_done, s);
}

/*
 * Adds one timer's lag (from the slot it was due at to its callback) to the
 * histogram; logs when the lag passes a tenth of the shortest interval, and
 * once more when it has stayed under that for a while.
 */
static void
note_lag(struct engine *e, double now, double due)
{
	double lag = now - due, limit = e->run.min_interval / 10;

	hist_add(&e->loop_lag, lag);
	if (!(limit > 0))
		return;
	if (lag > limit) {
		if (!e->lagging) {
			log_warnx("loop: timers run %.1f ms late, more than a tenth of the "
			    "shortest interval (%.1f ms): the loop is busier than it can keep up "
			    "with", lag * 1e3, limit * 1e3);
			e->lagging = true;
			e->lag_peak = 0;
		}
		e->lag_over_at = now;
		if (lag > e->lag_peak)
			e->lag_peak = lag;
	} else if (e->lagging && now - e->lag_over_at >= fmax(1.0, e->run.min_interval)) {
		log_info("loop: timers on time again (worst lag %.1f ms)", e->lag_peak * 1e3);
		e->lagging = false;
	}
}

static void
source_fire(struct sched_entry *se)
{
	struct source_rt *s = container_of(se, struct source_rt, sched);
	struct engine *e = s->eng;

	note_lag(e, engine_now(e), se->due);
	s->st.overruns = se->overruns;
	/* The source asked not to be polled before then (a rate limit), or is not ours now. */
	if (se->scheduled < s->not_before || !owns(s->eng, s)) {
		sched_done(se);
		return;
	}
	source_poll(s, se->scheduled);
}

static void
runset_stop(struct ev_loop *loop, struct runset *rs)
{
	const char *k;
	void *v;

	for (size_t i = 0; i < rs->nsrcs; i++) {
		struct source_rt *s = &rs->srcs[i];
		size_t pos = 0;

		if (s->state != NULL) {
			sched_stop(loop, &s->sched);
			s->conf->poller->stop(s->state);
		}
		if (s->poll != NULL) {
			sample_clear(&s->poll->sample);
			free(s->poll);
		}
		while (s->metric_errors != NULL && hmap_next(s->metric_errors, &pos, &k, &v))
			free(v);
		if (s->metric_errors != NULL)
			hmap_free(s->metric_errors);
		free(s->metric_errors);
		free(s->st.last_error);
	}
	for (size_t pos = 0; hmap_next(&rs->rulesets, &pos, &k, &v);)
		free(v);
	hmap_free(&rs->rulesets);
	kinds_fini(&rs->kinds);
	free(rs->srcs);
	memset(rs, 0, sizeof(*rs));
}

static bool
in_shard(const struct bridge_config *b, const char *name)
{
	if (b->shard_count <= 1)
		return true;
	return hmap_hash(name) % b->shard_count == b->shard_index;
}

/*
 * Returns the rules that apply to sc and that have its metric, as the ruleset
 * of rs that every source bound to the same rules shares (key is scratch).
 */
static const struct ruleset *
bind_rules(struct runset *rs, const struct source_config *sc, struct buf *key)
{
	const struct config *cfg = rs->cfg;
	struct ruleset *set;
	size_t n = 0;

	key->len = 0;
	buf_add(key, "", 0);
	for (size_t r = 0; r < cfg->nrules; r++) {
		const struct rule_config *rc = &cfg->rules[r];

		if (!config_rule_applies(rc, sc) || !config_source_has_metric(sc, rc->metric))
			continue;
		buf_printf(key, "%zu,", r);
		n++;
	}
	if ((set = hmap_get(&rs->rulesets, key->p)) != NULL)
		return set;
	set = xmalloc(sizeof(*set) + n * sizeof(set->v[0]));
	set->n = 0;
	for (size_t r = 0; r < cfg->nrules && set->n < n; r++) {
		const struct rule_config *rc = &cfg->rules[r];

		if (config_rule_applies(rc, sc) && config_source_has_metric(sc, rc->metric))
			set->v[set->n++] = rc;
	}
	hmap_put(&rs->rulesets, key->p, set);
	return set;
}

/* Builds and starts the runtime of cfg without scheduling it. */
static int
runset_build(struct engine *e, const struct config *cfg, struct runset *rs)
{
	struct buf key = { 0 };

	memset(rs, 0, sizeof(*rs));
	rs->cfg = cfg;
	rs->srcs = xcalloc(cfg->nsources, sizeof(*rs->srcs));
	rs->nsrcs = cfg->nsources;

	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source_config *sc = &cfg->sources[i];
		struct source_rt *s = &rs->srcs[i];
		const struct poller_ops *ops = sc->poller;
		void *shared;

		s->eng = e;
		s->conf = sc;
		s->rules = bind_rules(rs, sc, &key);
		s->active = in_shard(&cfg->bridge, sc->name);
		if (!s->active)
			continue;
		if (kinds_poller(&rs->kinds, ops, e->loop, &shared) != 0)
			goto fail;
		if (ops->start(e->loop, shared, sc, &s->state) != 0) {
			log_warnx("%s/%s: cannot start", ops->name, sc->name);
			s->state = NULL;
			goto fail;
		}
		cursor_restore(e, s);
		sched_init(&s->sched, sc->interval, source_fire);
		if (rs->min_interval == 0 || sc->interval < rs->min_interval)
			rs->min_interval = sc->interval;
	}
	free(key.p);
	return 0;
fail:
	free(key.p);
	runset_stop(e->loop, rs);
	return -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Returns how many of the n sorted values v equal x. */
static size_t
count_equal(const double *v, size_t n, double x)
{
	size_t lo = 0, hi = n, first;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	for (hi = n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - first;
}

/* Starts the timers, each source on as many phase steps as its interval's peers fill. */
static void
runset_schedule(struct engine *e, struct runset *rs)
{
	double *iv = xcalloc(rs->nsrcs + 1, sizeof(*iv));
	size_t n = 0;

	for (size_t i = 0; i < rs->nsrcs; i++)
		if (rs->srcs[i].active)
			iv[n++] = rs->srcs[i].conf->interval;
	qsort(iv, n, sizeof(*iv), cmp_double);
	for (size_t i = 0; i < rs->nsrcs; i++) {
		struct source_rt *s = &rs->srcs[i];

		if (!s->active)
			continue;
		s->sched.phases = sched_phases(count_equal(iv, n, s->conf->interval));
		if (owns(e, s))
			sched_start(e->loop, &s->sched, s->conf->name);
	}
	free(iv);
}

struct engine *
engine_new(struct ev_loop *loop, const struct config *cfg, const struct engine_sink *sink)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->loop = loop;
	if (sink != NULL)
		e->sink = *sink;
	hmap_init(&e->states);
	e->states.borrowed = true;	/* each state holds its key (rule_state_keyed) */
	hmap_init(&e->cursors);
	e->state_cfg = cfg;
	slice_init(&e->slice, loop, RULES_BUDGET, RULES_TIME, rules_resume);
	if (runset_build(e, cfg, &e->run) != 0) {
		hmap_free(&e->states);
		hmap_free(&e->cursors);
		free(e);
		return NULL;
	}
	return e;
}

void
engine_start(struct engine *e)
{
	runset_schedule(e, &e->run);
}

void
engine_stop_timers(struct engine *e)
{
	for (size_t i = 0; i < e->run.nsrcs; i++)
		if (e->run.srcs[i].active)
			sched_stop(e->loop, &e->run.srcs[i].sched);
}

void
engine_poll_all(struct engine *e)
{
	for (size_t i = 0; i < e->run.nsrcs; i++) {
		struct source_rt *s = &e->run.srcs[i];

		/* Unscheduled: the poll is due when it is asked for. */
		if (s->active && !s->polling) {
			s->sched.running = true;
			source_poll(s, engine_now(e));
		}
	}
}

size_t
engine_in_flight(const struct engine *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->run.nsrcs; i++)
		n += e->run.srcs[i].polling;
	return n;
}

static bool
strv_equal(char *const *a, char *const *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (; *a != NULL && *b != NULL; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return *a == NULL && *b == NULL;
}

static bool
rule_same(const struct rule_config *a, const struct rule_config *b)
{
	return strcmp(a->name, b->name) == 0 && a->kind == b->kind &&
	    strcmp(a->metric, b->metric) == 0 && a->threshold == b->threshold &&
	    a->clear == b->clear && a->for_s == b->for_s && a->max_seen == b->max_seen &&
	    strv_equal(a->sources, b->sources);
}

static const struct rule_config *
find_rule(const struct config *cfg, const char *name, size_t len)
{
	for (size_t i = 0; i < cfg->nrules; i++)
		if (strlen(cfg->rules[i].name) == len && memcmp(cfg->rules[i].name, name, len) == 0)
			return &cfg->rules[i];
	return NULL;
}

/* Drops the states of rules that changed or vanished, and of vanished sources. */
static void
prune_states(struct engine *e, const struct config *old, const struct config *cfg)
{
	size_t pos = 0;
	const char *key;
	void *val;

	while (hmap_next(&e->states, &pos, &key, &val)) {
		const char *sep1 = strchr(key, STATE_SEP), *sep2;
		const struct rule_config *o, *n;
		char *source;
		bool keep;

		sep2 = sep1 != NULL ? strchr(sep1 + 1, STATE_SEP) : NULL;
		if (sep2 == NULL)
			continue;
		o = find_rule(old, key, (size_t)(sep1 - key));
		n = find_rule(cfg, key, (size_t)(sep1 - key));
		source = xstrndup(sep1 + 1, (size_t)(sep2 - sep1 - 1));
		keep = o != NULL && n != NULL && rule_same(o, n) &&
		    config_find_source(cfg, source) != NULL;
		free(source);
		if (keep)
			continue;
		/* Deletion leaves a tombstone: iteration may go on. */
		if (e->store != NULL)
			store_state_delete(e->store, key);
		rule_state_free(hmap_del(&e->states, key));
	}
}

/*
 * Carries over what a reload must not forget of each source kept: a rate
 * limit's deferral; and forgets the cursors of sources that are gone.
 */
static void
carry_over(struct engine *e, const struct runset *old, struct runset *next)
{
	size_t pos = 0;
	const char *name;
	void *val;

	/* Few sources are deferred or have a cursor: the scans stay short. */
	for (size_t j = 0; j < old->nsrcs; j++) {
		const struct source_config *sc;

		if (old->srcs[j].not_before <= 0 ||
		    (sc = config_find_source(next->cfg, old->srcs[j].conf->name)) == NULL)
			continue;
		next->srcs[sc - next->cfg->sources].not_before = old->srcs[j].not_before;
	}
	while (hmap_next(&e->cursors, &pos, &name, &val)) {
		char *key;

		if (config_find_source(next->cfg, name) != NULL)
			continue;
		if (e->store != NULL) {
			key = xasprintf(CURSOR_PREFIX "%s", name);
			store_state_delete(e->store, key);
			free(key);
		}
		/* Deletion leaves a tombstone: iteration may go on. */
		free(hmap_del(&e->cursors, name));
	}
}

int
engine_reload(struct engine *e, const struct config *cfg)
{
	struct runset next;

	if (runset_build(e, cfg, &next) != 0)
		return -1;
	/* The rules of samples still waiting run under the config they came from. */
	rules_flush(e);
	carry_over(e, &e->run, &next);
	runset_stop(e->loop, &e->run);
	prune_states(e, e->state_cfg, cfg);
	e->state_cfg = cfg;
	e->run = next;
	runset_schedule(e, &e->run);
	return 0;
}

void
engine_totals(const struct engine *e, uint64_t *polls, uint64_t *errors, uint64_t *overruns)
{
	*polls = *errors = *overruns = 0;
	for (size_t i = 0; i < e->run.nsrcs; i++) {
		*polls += e->run.srcs[i].st.polls;
		*errors += e->run.srcs[i].st.errors;
		*overruns += e->run.srcs[i].sched.overruns;
	}
}

const struct histogram *
engine_loop_lag(const struct engine *e)
{
	return &e->loop_lag;
}

const struct engine_poll_hist *
engine_poll_hist(const struct engine *e)
{
	return &e->poll_hist;
}

void
engine_poller_metrics(const struct engine *e, struct buf *b)
{
	kinds_metrics(&e->run.kinds, b);
}

const struct source_status *
engine_source_status(const struct engine *e, size_t i)
{
	return i < e->run.nsrcs ? &e->run.srcs[i].st : NULL;
}

void
engine_set_clock(struct engine *e, double (*clock)(void *arg), void *arg)
{
	e->clock = clock;
	e->clock_arg = arg;
}

void
engine_set_silencer(struct engine *e, engine_silencer_fn why, void *arg)
{
	e->silencer = why;
	e->silencer_arg = arg;
}

void
engine_tick(struct engine *e, size_t i)
{
	/* Each tick stands for a loop iteration of its own: a whole budget. */
	slice_reset(&e->slice);
	if (i < e->run.nsrcs && e->run.srcs[i].active)
		sched_tick_at(e->loop, &e->run.srcs[i].sched, engine_now(e));
}

void
engine_set_owner(struct engine *e, bool (*owned)(void *arg, const char *source), void *arg)
{
	e->owned = owned;
	e->owned_arg = arg;
}

void
engine_own(struct engine *e, size_t i, bool own)
{
	struct source_rt *s;

	if (i >= e->run.nsrcs || !(s = &e->run.srcs[i])->active)
		return;
	if (!own) {
		sched_stop(e->loop, &s->sched);
		return;
	}
	if (ev_is_active(&s->sched.timer))
		return;
	/* Its cursor may have come with its rule state. */
	cursor_restore(e, s);
	sched_start(e->loop, &s->sched, s->conf->name);
}

void
engine_own_at(struct engine *e, size_t i, double at)
{
	struct source_rt *s;

	if (isnan(at)) {
		engine_own(e, i, true);
		return;
	}
	if (i >= e->run.nsrcs || !(s = &e->run.srcs[i])->active || ev_is_active(&s->sched.timer))
		return;
	cursor_restore(e, s);
	sched_start_at(e->loop, &s->sched, s->conf->name, at);
}

double
engine_next_slot(struct engine *e, size_t i, double t, double *interval)
{
	struct source_rt *s;

	if (i >= e->run.nsrcs || !(s = &e->run.srcs[i])->active)
		return NAN;
	*interval = s->sched.interval;
	return sched_next_slot(&s->sched, s->conf->name, t);
}

void
engine_forget_sources(struct engine *e, const struct hmap *sources)
{
	size_t pos = 0;
	const char *key, *name;
	void *val;

	while (hmap_next(&e->states, &pos, &key, &val)) {
		const char *sep1 = strchr(key, STATE_SEP), *sep2;
		char *source;
		bool gone;

		sep2 = sep1 != NULL ? strchr(sep1 + 1, STATE_SEP) : NULL;
		if (sep2 == NULL)
			continue;
		source = xstrndup(sep1 + 1, (size_t)(sep2 - sep1 - 1));
		gone = hmap_get(sources, source) != NULL;
		free(source);
		/* Deletion leaves a tombstone: iteration may go on. */
		if (gone)
			rule_state_free(hmap_del(&e->states, key));
	}
	for (pos = 0; hmap_next(sources, &pos, &name, &val);)
		free(hmap_del(&e->cursors, name));
}

void
engine_load_state(struct engine *e, const char *key, const char *json)
{
	load_state(e, key, json);
}

void
engine_free(struct engine *e)
{
	size_t pos = 0;
	const char *k;
	void *v;

	if (e == NULL)
		return;
	/* The last samples' events still reach the sink. */
	rules_flush(e);
	slice_stop(&e->slice);
	if (e->store != NULL)
		store_forget(e->store, e);
	runset_stop(e->loop, &e->run);
	while (hmap_next(&e->states, &pos, &k, &v))
		rule_state_free(v);
	hmap_free(&e->states);
	for (pos = 0; hmap_next(&e->cursors, &pos, &k, &v);)
		free(v);
	hmap_free(&e->cursors);
	free(e);
}
