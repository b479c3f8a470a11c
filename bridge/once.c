#include "once.h"

#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <json-c/json.h>

#include "engine.h"
#include "log.h"
#include "noise.h"
#include "poller.h"
#include "router.h"
#include "transform_worker.h"
#include "util.h"
#include "xmalloc.h"

#define ONCE_STORE_WAIT	5.0	/* seconds the store may take to give its silences */

struct once {
	const struct config *cfg;
	bool preview;		/* --format-preview: the bodies each subscriber would get */
	struct json_object *previews;
	struct engine *eng;
	struct json_object *samples;
	struct json_object *events;
	bool failed;
	ev_prepare check;
	ev_timer guard;
};

static void
once_sample(void *arg, const struct source_config *src, const struct sample *s)
{
	struct once *o = arg;
	struct json_object *js = json_object_new_object(), *pts = json_object_new_array();

	json_object_object_add(js, "source", json_object_new_string(src->name));
	json_object_object_add(js, "poller", json_object_new_string(src->poller->name));
	json_object_object_add(js, "ok", json_object_new_boolean(s->ok));
	json_object_object_add(js, "error", s->error != NULL ?
	    json_object_new_string(s->error) : NULL);
	json_object_object_add(js, "duration", json_object_new_double(s->end - s->start));
	for (size_t i = 0; i < s->npoints; i++) {
		const struct point *p = &s->points[i];
		struct json_object *jp = json_object_new_object();

		json_object_object_add(jp, "metric", json_object_new_string(p->metric));
		json_object_object_add(jp, "instance", p->instance != NULL ?
		    json_object_new_string(p->instance) : NULL);
		json_object_object_add(jp, "label", p->label != NULL ?
		    json_object_new_string(p->label) : NULL);
		json_object_object_add(jp, "value", value_to_json(&p->value));
		json_object_object_add(jp, "error", p->error != NULL ?
		    json_object_new_string(p->error) : NULL);
		json_object_array_add(pts, jp);
	}
	json_object_object_add(js, "points", pts);
	/* Configured metrics with no point at all: a counter rate on its first poll. */
	if (s->ok) {
		struct json_object *none = json_object_new_array();

		for (size_t m = 0; m < src->nmetrics; m++) {
			bool seen = false;

			for (size_t i = 0; i < s->npoints && !seen; i++)
				seen = strcmp(s->points[i].metric, src->metrics[m].name) == 0;
			if (!seen)
				json_object_array_add(none,
				    json_object_new_string(src->metrics[m].name));
		}
		json_object_object_add(js, "no_value", none);
	}
	json_object_array_add(o->samples, js);
	if (!s->ok)
		o->failed = true;
}

/* Renders the body sc would get for ev, as a delivery would (a transform in a worker). */
static struct json_object *
preview(const struct subscriber_config *sc, struct event *ev)
{
	struct json_object *p = json_object_new_object(), *h = json_object_new_array();
	struct format_body b;
	char err[512];
	int rc;

	json_object_object_add(p, "subscriber", json_object_new_string(sc->name));
	json_object_object_add(p, "format", json_object_new_string(format_name(&sc->format)));
	json_object_object_add(p, "event", json_object_new_string(ev->name));
	json_object_object_add(p, "id", json_object_new_string(ev->id));
	if (sc->format.transform != NULL) {
		memset(&b, 0, sizeof(b));
		b.content_type = "application/json";
		rc = tworker_run_once(sc->format.transform, ev->body, strlen(ev->body), &b.buf,
		    &b.len, err, sizeof(err));
		b.data = b.buf;
	} else
		rc = format_render(&sc->format, ev, sc->name, &b, err, sizeof(err));
	if (rc != 0) {
		json_object_object_add(p, "error", json_object_new_string(err));
		json_object_put(h);
		return p;
	}
	json_object_object_add(p, "content_type", json_object_new_string(b.content_type));
	for (size_t i = 0; i < b.nheaders; i++)
		json_object_array_add(h, json_object_new_string(b.headers[i]));
	json_object_object_add(p, "headers", h);
	json_object_object_add(p, "body", json_object_new_string_len(b.data, (int)b.len));
	format_body_clear(&b);
	return p;
}

static void
once_event(void *arg, struct event *ev)
{
	struct once *o = arg;
	struct json_object *j = json_tokener_parse(ev->body);

	if (j != NULL)
		json_object_array_add(o->events, j);
	for (size_t i = 0; o->preview && i < o->cfg->nsubscribers; i++)
		if (router_match(&o->cfg->subscribers[i], ev))
			json_object_array_add(o->previews, preview(&o->cfg->subscribers[i], ev));
	event_free(ev);
}

static void
once_check(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct once *o = container_of(w, struct once, check);

	(void)revents;
	if (engine_in_flight(o->eng) == 0)
		ev_break(loop, EVBREAK_ALL);
}

static void
once_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	log_warnx("--once: polls still running after every timeout expired; giving up");
	ev_break(loop, EVBREAK_ALL);
}

static int
cmp_source(const void *a, const void *b)
{
	struct json_object *const *ja = a, *const *jb = b;

	return strcmp(json_object_get_string(json_object_object_get(*ja, "source")),
	    json_object_get_string(json_object_object_get(*jb, "source")));
}

static void
print_previews(FILE *out, struct json_object *previews)
{
	fprintf(out, "\nBODIES (--format-preview)\n");
	if (json_object_array_length(previews) == 0)
		fprintf(out, "no subscriber wants these events\n");
	for (size_t i = 0; i < json_object_array_length(previews); i++) {
		struct json_object *p = json_object_array_get_idx(previews, i), *v, *h;

		fprintf(out, "%s (%s) %s %s\n", json_object_get_string(json_object_object_get(p,
		    "subscriber")), json_object_get_string(json_object_object_get(p, "format")),
		    json_object_get_string(json_object_object_get(p, "event")),
		    json_object_get_string(json_object_object_get(p, "id")));
		if (json_object_object_get_ex(p, "error", &v)) {
			fprintf(out, "  error: %s\n", json_object_get_string(v));
			continue;
		}
		fprintf(out, "  Content-Type: %s\n",
		    json_object_get_string(json_object_object_get(p, "content_type")));
		h = json_object_object_get(p, "headers");
		for (size_t k = 0; k < json_object_array_length(h); k++)
			fprintf(out, "  %s\n", json_object_get_string(json_object_array_get_idx(h, k)));
		fprintf(out, "  %s\n", json_object_get_string(json_object_object_get(p, "body")));
	}
}

static void
print_table(FILE *out, struct json_object *samples, struct json_object *events)
{
	fprintf(out, "%-24s %-16s %-16s %s\n", "SOURCE", "METRIC", "INSTANCE", "VALUE");
	for (size_t i = 0; i < json_object_array_length(samples); i++) {
		struct json_object *s = json_object_array_get_idx(samples, i);
		struct json_object *pts = json_object_object_get(s, "points");
		const char *src = json_object_get_string(json_object_object_get(s, "source"));

		if (!json_object_get_boolean(json_object_object_get(s, "ok")))
			fprintf(out, "%-24s %-16s %-16s %s\n", src, "-", "-",
			    json_object_get_string(json_object_object_get(s, "error")));
		struct json_object *none = json_object_object_get(s, "no_value");

		for (size_t k = 0; none != NULL && k < json_object_array_length(none); k++)
			fprintf(out, "%-24s %-16s %-16s %s\n", src,
			    json_object_get_string(json_object_array_get_idx(none, k)), "-",
			    "no value: an empty table, or a rate on its first poll");
		for (size_t k = 0; k < json_object_array_length(pts); k++) {
			struct json_object *p = json_object_array_get_idx(pts, k);
			struct json_object *inst = json_object_object_get(p, "instance");
			struct json_object *lab = json_object_object_get(p, "label");
			struct json_object *err = json_object_object_get(p, "error");
			char instbuf[128];

			snprintf(instbuf, sizeof(instbuf), "%s%s%s%s",
			    inst != NULL ? json_object_get_string(inst) : "",
			    lab != NULL ? " (" : "", lab != NULL ? json_object_get_string(lab) : "",
			    lab != NULL ? ")" : "");
			fprintf(out, "%-24s %-16s %-16s %s%s\n", src,
			    json_object_get_string(json_object_object_get(p, "metric")),
			    instbuf[0] != '\0' ? instbuf : "-",
			    err != NULL ? "error: " : "",
			    err != NULL ? json_object_get_string(err) :
			    json_object_to_json_string_ext(json_object_object_get(p, "value"),
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		}
	}
	if (json_object_array_length(events) == 0) {
		fprintf(out, "\nno events\n");
		return;
	}
	fprintf(out, "\nEVENTS\n");
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		struct json_object *ev = json_object_array_get_idx(events, i), *why;

		/* What the daemon would store and not deliver says why. */
		if (json_object_object_get_ex(ev, "suppressed", &why))
			fprintf(out, "held back (%s): ", json_object_get_string(why));
		fprintf(out, "%s\n", json_object_to_json_string_ext(ev,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

int
once_run(const struct config *cfg, FILE *out, bool json, bool previews)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct once o = { 0 };
	struct engine_sink sink = { once_sample, once_event, &o };
	struct json_object *root;
	struct noise *noise = NULL;
	double guard = 0;
	char err[512];
	int rc = 1;

	if (loop == NULL)
		fatalx("cannot create the event loop");
	o.cfg = cfg;
	o.preview = previews;
	o.samples = json_object_new_array();
	o.events = json_object_new_array();
	o.previews = json_object_new_array();
	o.eng = engine_new(loop, cfg, &sink);
	if (o.eng == NULL)
		goto out;
	/* The silences of the store and the maintenance windows hold back as the daemon's would. */
	if ((noise = noise_read(cfg, loop, ONCE_STORE_WAIT, err, sizeof(err))) == NULL) {
		fprintf(stderr, "pollhook: the store's silences were not read (%s): none applied\n",
		    err);
		noise = noise_new(cfg, NULL);
	}
	engine_set_silencer(o.eng, noise_why, noise);
	for (size_t i = 0; i < cfg->nsources; i++)
		if (cfg->sources[i].timeout > guard)
			guard = cfg->sources[i].timeout;
	/* A prepare watcher runs after every iteration's callbacks, before blocking. */
	ev_prepare_init(&o.check, once_check);
	ev_prepare_start(loop, &o.check);
	ev_timer_init(&o.guard, once_guard, guard + 5.0, 0.);
	ev_timer_start(loop, &o.guard);
	engine_poll_all(o.eng);
	if (engine_in_flight(o.eng) > 0)
		ev_run(loop, 0);
	ev_prepare_stop(loop, &o.check);
	ev_timer_stop(loop, &o.guard);
	if (engine_in_flight(o.eng) > 0)
		o.failed = true;
	engine_free(o.eng);
	noise_free(noise);

	json_object_array_sort(o.samples, cmp_source);
	if (json) {
		root = json_object_new_object();
		json_object_object_add(root, "samples", json_object_get(o.samples));
		json_object_object_add(root, "events", json_object_get(o.events));
		if (previews)
			json_object_object_add(root, "previews", json_object_get(o.previews));
		fprintf(out, "%s\n", json_object_to_json_string_ext(root,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else {
		print_table(out, o.samples, o.events);
		if (previews)
			print_previews(out, o.previews);
	}
	rc = o.failed ? 2 : 0;
out:
	json_object_put(o.samples);
	json_object_put(o.events);
	json_object_put(o.previews);
	ev_loop_destroy(loop);
	return rc;
}
