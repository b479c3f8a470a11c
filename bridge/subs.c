/*
 * Dynamic subscribers: the registry, its records in the store, validation,
 * health and the operational events. Every change is saved to the store
 * and, where a client waits, answered once its batch is committed.
 */

#include "subs.h"
#include "subs_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "curlev.h"
#include "event.h"
#include "hmap.h"
#include "log.h"
#include "registry.h"
#include "subs_json.h"
#include "subs_verify.h"
#include "util.h"
#include "xmalloc.h"

#define TICK		1.0	/* seconds between checks of graces and leases */
#define SUCCESS_SAVE	60.0	/* a subscriber's last success is saved at most this often */
#define SECRET_BYTES	32

static void op_free(struct op *op);

void
subs_dsub_free(struct dsub *d)
{
	if (d == NULL)
		return;
	free(d->name);
	free(d->url);
	free(d->description);
	subs_strv_free(d->events);
	subs_strv_free(d->sources);
	labels_clear(&d->match);
	subs_strv_free(d->headers);
	for (size_t i = 0; i < d->nsecrets; i++) {
		OPENSSL_cleanse(d->secrets[i].value, strlen(d->secrets[i].value));
		free(d->secrets[i].value);
	}
	free(d->disabled_why);
	free(d->last_error);
	for (size_t i = 0; i < DSUB_NFMT; i++)
		free(d->fmt[i]);
	free(d);
}

struct json_object *
subs_dsub_json(const struct dsub *d, bool with_secret)
{
	return subs_json_view(d, with_secret);
}

char *
subs_new_secret(int scheme)
{
	unsigned char b[SECRET_BYTES];
	char enc[4 * ((SECRET_BYTES + 2) / 3) + 1], hex[2 * SECRET_BYTES + 1];

	if (scheme != SIGN_STANDARD) {
		verify_random_hex(hex, SECRET_BYTES);
		return xstrdup(hex);
	}
	if (RAND_bytes(b, sizeof(b)) != 1)
		fatalx("RAND_bytes failed: no entropy for a secret");
	EVP_EncodeBlock((unsigned char *)enc, b, sizeof(b));
	OPENSSL_cleanse(b, sizeof(b));
	return xasprintf("whsec_%s", enc);
}

/* Saving and running */

static void
save(struct subs *s, const struct dsub *d)
{
	char *rec = subs_json_record(d);

	store_dsub_save(s->st, d->name, rec);
	OPENSSL_cleanse(rec, strlen(rec));
	free(rec);
}

static void
sc_free(struct subs *s, struct subscriber_config *sc)
{
	if (sc->emitter_conf != NULL)
		s->webhook->free_conf(sc->emitter_conf);
	format_clear(&sc->format);
	subs_strv_free(sc->events);
	subs_strv_free(sc->sources);
	labels_clear(&sc->match);
	free(sc->name);
	memset(sc, 0, sizeof(*sc));
}

/* Builds what delivery runs of d into sc; -1 with err when its emitter refuses it. */
static int
sc_build(struct subs *s, const struct dsub *d, struct subscriber_config *sc, char *err,
    size_t errlen)
{
	char *secrets[SIGN_MAX_SECRETS];
	struct emitter_dynamic dyn = {
		.url = d->url, .signature = d->signature, .secrets = secrets,
		.nsecrets = d->nsecrets, .headers = d->headers, .nheaders = d->nheaders,
		.guard = &s->guard,
	};

	memset(sc, 0, sizeof(*sc));
	for (size_t i = 0; i < d->nsecrets; i++)
		secrets[i] = d->secrets[i].value;
	sc->name = xstrdup(d->name);
	sc->emitter = s->webhook;
	sc->events = subs_strv_dup(d->events, NULL);
	sc->sources = subs_strv_dup(d->sources, NULL);
	labels_merge(&sc->match, &d->match);
	sc->max_in_flight = 8;
	sc->max_attempts = 15;
	sc->max_age = 86400;
	sc->retry_first = 5;
	sc->retry_cap = 3600;
	sc->file = "api";
	if (format_configure_dynamic(&sc->format, d->fmt[DSUB_FORMAT], d->fmt[DSUB_CE_MODE],
	    d->fmt[DSUB_ROUTING_KEY], d->fmt[DSUB_TRANSFORM], err, errlen) != 0 ||
	    s->webhook->configure_dynamic(&dyn, &sc->emitter_conf, err, errlen) != 0) {
		sc_free(s, sc);
		return -1;
	}
	return 0;
}

/* Hands d to delivery (or, running, replaces its conf); -1 after logging why. */
int
subs_run(struct subs *s, struct dsub *d)
{
	struct subscriber_config next;
	char err[256];

	if (sc_build(s, d, &next, err, sizeof(err)) != 0) {
		log_warnx("subs/%s: cannot start: %s", d->name, err);
		return -1;
	}
	if (d->running) {
		struct subscriber_config old = d->sc;

		/* delivery_update reads the conf at its new address: move it first. */
		d->sc = next;
		if (delivery_update(s->dlv, &d->sc) != 0) {
			log_warnx("subs/%s: cannot restart", d->name);
			sc_free(s, &d->sc);
			d->sc = old;
			return -1;
		}
		sc_free(s, &old);
		return 0;
	}
	d->sc = next;
	if (delivery_add(s->dlv, &d->sc, d->disabled) != 0) {
		log_warnx("subs/%s: cannot start", d->name);
		sc_free(s, &d->sc);
		return -1;
	}
	d->running = true;
	return 0;
}

static void
stop(struct subs *s, struct dsub *d)
{
	if (!d->running)
		return;
	delivery_remove(s->dlv, d->name);
	sc_free(s, &d->sc);
	d->running = false;
}

void
subs_insert(struct subs *s, struct dsub *d)
{
	hmap_put(&s->byname, d->name, d);
	s->n++;
	s->names_dirty = true;
	/* The tick checks dynamic subscribers only: without any, the loop sleeps. */
	if (!ev_is_active(&s->tick))
		ev_timer_start(s->loop, &s->tick);
}

void
subs_unlink(struct subs *s, struct dsub *d)
{
	stop(s, d);
	hmap_del(&s->byname, d->name);
	s->n--;
	s->names_dirty = true;
	if (s->n == 0)
		ev_timer_stop(s->loop, &s->tick);
}

/* Operational events */

static void
emit(struct subs *s, const char *name, const struct dsub *d, const char *reason)
{
	struct event *ev = event_new(name, "pollhook", "pollhook", d->name, NULL,
	    (int64_t)(ev_now(s->loop) * 1000));
	char t[40];

	json_object_object_add(ev->payload, "subscriber", json_object_new_string(d->name));
	if (reason != NULL)
		json_object_object_add(ev->payload, "reason", json_object_new_string(reason));
	json_object_object_add(ev->payload, "consecutive_failures",
	    json_object_new_int64(d->failures));
	if (d->failing_since > 0) {
		event_format_time(t, sizeof(t), d->failing_since);
		json_object_object_add(ev->payload, "failing_since", json_object_new_string(t));
	} else
		json_object_object_add(ev->payload, "failing_since", NULL);
	event_finish(ev);
	delivery_submit(s->dlv, ev);
}

static void
set_disabled(struct subs *s, struct dsub *d, const char *why)
{
	d->disabled = true;
	free(d->disabled_why);
	d->disabled_why = xstrdup(why);
	d->disabled_at = ev_now(s->loop);
	delivery_hold(s->dlv, d->name, true);
	log_warnx("subs/%s: disabled: %s", d->name, why);
	save(s, d);
	emit(s, "pollhook.subscriber.disabled", d, why);
}

static void
set_enabled(struct subs *s, struct dsub *d)
{
	d->disabled = false;
	free(d->disabled_why);
	d->disabled_why = NULL;
	d->disabled_at = 0;
	d->failures = 0;
	d->failing_since = 0;
	delivery_hold(s->dlv, d->name, false);
	log_info("subs/%s: enabled again", d->name);
	save(s, d);
	emit(s, "pollhook.subscriber.enabled", d, NULL);
}

/* Health: what delivery says of each attempt. */
static void
observe(void *arg, const char *name, const struct delivery_outcome *out)
{
	struct subs *s = arg;
	struct dsub *d = hmap_get(&s->byname, name);
	double now = ev_now(s->loop);
	char why[400];

	if (d == NULL)
		return;
	if (out->result == DELIVERY_OK) {
		bool was = d->failures > 0;

		d->failures = 0;
		d->failing_since = 0;
		if (was)
			log_info("subs/%s: delivering again", d->name);
		if (was || now - d->last_success >= SUCCESS_SAVE) {
			d->last_success = now;
			save(s, d);
		} else
			d->last_success = now;
		return;
	}
	if (d->failures++ == 0) {
		d->failing_since = now;
		log_warnx("subs/%s: deliveries failing: %s", d->name, out->error);
	}
	free(d->last_error);
	d->last_error = xstrdup(out->error);
	if (d->disabled) {
		save(s, d);
		return;
	}
	if (out->result == DELIVERY_GONE) {
		snprintf(why, sizeof(why), "the endpoint answered HTTP %d (gone)", out->status);
		set_disabled(s, d, why);
	} else if (now - d->failing_since >= s->cfg->bridge.api.subs.disable_after) {
		snprintf(why, sizeof(why), "every delivery failed for %.0f s (disable_after); "
		    "the last: %.256s", now - d->failing_since, out->error);
		set_disabled(s, d, why);
	} else
		save(s, d);
}

/* Graces and leases */

static void
tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct subs *s = container_of(w, struct subs, tick);
	double now = ev_now(loop);
	struct dsub **gone = NULL;
	size_t ngone = 0, pos = 0;
	const char *k;
	void *v;

	(void)revents;
	while (hmap_next(&s->byname, &pos, &k, &v)) {
		struct dsub *d = v;
		size_t n = 0;
		char why[200];

		/* Failing continuously, even with no attempt due: the retries back off. */
		if (!d->disabled && d->failing_since > 0 &&
		    now - d->failing_since >= s->cfg->bridge.api.subs.disable_after) {
			snprintf(why, sizeof(why), "every delivery failed for %.0f s "
			    "(disable_after)", now - d->failing_since);
			set_disabled(s, d, why);
		}
		if (d->websub && d->lease_until > 0 && d->lease_until <= now && !d->busy) {
			gone = xreallocarray(gone, ngone + 1, sizeof(*gone));
			gone[ngone++] = d;
			continue;
		}
		for (size_t i = 0; i < d->nsecrets; i++) {
			if (d->secrets[i].until > 0 && d->secrets[i].until <= now) {
				free(d->secrets[i].value);
				continue;
			}
			d->secrets[n++] = d->secrets[i];
		}
		if (n == d->nsecrets)
			continue;
		d->nsecrets = n;
		log_info("subs/%s: the previous secret's grace ended: it signs no more", d->name);
		save(s, d);
		if (d->running)
			(void)subs_run(s, d);
	}
	for (size_t i = 0; i < ngone; i++) {
		log_info("subs/%s: WebSub lease expired: unsubscribed", gone[i]->name);
		subs_unlink(s, gone[i]);
		store_dsub_save(s->st, gone[i]->name, NULL);
		store_drop_deliveries(s->st, gone[i]->name, NULL, NULL);
		subs_dsub_free(gone[i]);
	}
	free(gone);
}

/* Loading */

static void
loaded_row(void *arg, const char *name, const char *json)
{
	struct subs *s = arg;
	struct dsub *d = subs_json_parse_record(name, json);

	if (d == NULL) {
		log_warnx("subs/%s: the stored record cannot be read: left in the store", name);
		return;
	}
	for (size_t i = 0; i < s->cfg->nsubscribers; i++)
		if (strcmp(s->cfg->subscribers[i].name, name) == 0) {
			log_warnx("subs/%s: a subscriber of the configuration has this name: the "
			    "dynamic one is not started (rename one of them)", name);
			subs_dsub_free(d);
			return;
		}
	subs_insert(s, d);
	if (!d->pending)
		(void)subs_run(s, d);
}

static void
loaded(void *arg, long long n)
{
	struct subs *s = arg;

	s->loaded = true;
	if (n < 0)
		log_warnx("store: the dynamic subscribers could not be read: %s",
		    store_error(s->st));
	else if (n > 0)
		log_info("subs: %lld dynamic subscriber%s loaded", n, n == 1 ? "" : "s");
}

struct subs *
subs_new(struct ev_loop *loop, const struct config *cfg, struct delivery *dlv,
    struct store *st)
{
	struct subs *s = xcalloc(1, sizeof(*s));
	bool known;

	s->loop = loop;
	s->cfg = cfg;
	s->dlv = dlv;
	s->st = st;
	s->guard = cfg->bridge.api.subs.guard;
	s->webhook = registry_emitter("webhook", &known);
	hmap_init(&s->byname);
	hmap_init(&s->adding);
	ev_timer_init(&s->tick, tick, TICK, TICK);
	delivery_set_observer(dlv, observe, s);
	if (s->webhook == NULL || s->webhook->configure_dynamic == NULL) {
		s->webhook = NULL;
		s->loaded = true;
		return s;
	}
	s->cv = curlev_new(loop);
	store_dsubs_load(st, loaded_row, loaded, s);
	return s;
}

const char *
subs_check_config(struct subs *s, const struct config *cfg)
{
	static char msg[160];

	for (size_t i = 0; i < cfg->nsubscribers; i++)
		if (hmap_get(&s->byname, cfg->subscribers[i].name) != NULL ||
		    hmap_get(&s->adding, cfg->subscribers[i].name) != NULL) {
			snprintf(msg, sizeof(msg), "subscriber \"%.64s\" of the configuration has "
			    "the name of a dynamic subscriber", cfg->subscribers[i].name);
			return msg;
		}
	return NULL;
}

void
subs_reload(struct subs *s, const struct config *cfg)
{
	s->cfg = cfg;
	s->guard = cfg->bridge.api.subs.guard;
}

void
subs_free(struct subs *s)
{
	size_t pos = 0;
	const char *k;
	void *v;

	if (s == NULL)
		return;
	ev_timer_stop(s->loop, &s->tick);
	while (s->ops != NULL)
		op_free(s->ops);
	store_forget(s->st, s);
	while (hmap_next(&s->byname, &pos, &k, &v)) {
		struct dsub *d = v;

		/* delivery is gone already: only the confs are left to free. */
		if (d->running)
			sc_free(s, &d->sc);
		subs_dsub_free(d);
	}
	hmap_free(&s->byname);
	hmap_free(&s->adding);
	subs_strv_free(s->names);
	curlev_free(s->cv);
	free(s);
}

struct dsub *
subs_find(struct subs *s, const char *name)
{
	return hmap_get(&s->byname, name);
}

size_t
subs_count(const struct subs *s)
{
	return s->n;
}

const struct config *
subs_config(const struct subs *s)
{
	return s->cfg;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *const *
subs_names(struct subs *s, size_t *n)
{
	size_t pos = 0, i = 0;
	const char *k;
	void *v;

	if (s->names_dirty || s->names == NULL) {
		subs_strv_free(s->names);
		s->names = xcalloc(s->n + 1, sizeof(*s->names));
		while (hmap_next(&s->byname, &pos, &k, &v))
			s->names[i++] = xstrdup(k);
		qsort(s->names, i, sizeof(*s->names), cmp_str);
		s->names_dirty = false;
	}
	*n = s->n;
	return (const char *const *)s->names;
}

/* Operations */

struct op *
subs_op_new(struct subs *s, enum op_kind kind, const char *name, subs_done_fn done, void *arg)
{
	struct op *op = xcalloc(1, sizeof(*op));

	op->s = s;
	op->kind = kind;
	op->name = xstrdup(name);
	op->done = done;
	op->arg = arg;
	op->next = s->ops;
	if (s->ops != NULL)
		s->ops->prev = op;
	s->ops = op;
	return op;
}

static void
op_free(struct op *op)
{
	struct subs *s = op->s;

	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		s->ops = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	verify_cancel(op->v);
	delivery_forget(s->dlv, op);
	if (op->kind == OP_ADD || (op->kind == OP_WEBSUB && op->d != NULL)) {
		if (hmap_del(&s->adding, op->name) != NULL)
			s->nadding--;
	} else {
		struct dsub *d = hmap_get(&s->byname, op->name);

		if (d != NULL)
			d->busy = false;
	}
	subs_dsub_free(op->d);
	subs_json_fields_clear(&op->f);
	free(op->name);
	free(op);
}

/* Ends op: done (unless forgotten) gets status and why, then op is freed. */
void
subs_op_end(struct op *op, unsigned status, const char *why)
{
	subs_done_fn done = op->done;
	void *arg = op->arg;

	op_free(op);
	if (done != NULL)
		done(arg, status, why);
}

static void
op_committed(void *arg, long long result)
{
	struct op *op = arg;

	if (result < 0)
		subs_op_end(op, 500, store_error(op->s->st));
	else
		subs_op_end(op, op->status, NULL);
}

/* Saves d, then answers op with status once stored. */
void
subs_op_commit(struct op *op, struct dsub *d, unsigned status)
{
	save(op->s, d);
	op->status = status;
	delivery_commit(op->s->dlv, op_committed, op);
}

void
subs_forget(struct subs *s, void *arg)
{
	for (struct op *op = s->ops; op != NULL; op = op->next)
		if (op->arg == arg)
			op->done = NULL;
}

bool
subs_start(struct op *op, struct dsub *d)
{
	subs_insert(op->s, d);
	if (subs_run(op->s, d) == 0)
		return true;
	subs_unlink(op->s, d);
	subs_dsub_free(d);
	subs_op_end(op, 500, "the subscriber cannot start");
	return false;
}

unsigned
subs_verify_status(enum verify_result r)
{
	return r == VERIFY_REFUSED ? 403 : 422;
}

static void
add_verified(void *arg, enum verify_result r, const char *why)
{
	struct op *op = arg;
	struct subs *s = op->s;
	struct dsub *d = op->d;
	char msg[600];

	op->v = NULL;
	if (r != VERIFY_OK) {
		snprintf(msg, sizeof(msg), "validation failed: %s", why);
		subs_op_end(op, subs_verify_status(r), msg);
		return;
	}
	op->d = NULL;
	if (hmap_del(&s->adding, d->name) != NULL)
		s->nadding--;
	d->pending = false;
	if (!subs_start(op, d))
		return;
	log_info("subs/%s: added (%s), URL validated", d->name, d->url);
	op->kind = OP_VALIDATE;		/* it exists now: op_free leaves it be */
	d->busy = true;
	subs_op_commit(op, d, 201);
}

static const char *
config_has(const struct subs *s, const char *name)
{
	for (size_t i = 0; i < s->cfg->nsubscribers; i++)
		if (strcmp(s->cfg->subscribers[i].name, name) == 0)
			return "a subscriber of the configuration";
	return NULL;
}

void
subs_add(struct subs *s, struct dsub *d, bool validate, subs_done_fn done, void *arg)
{
	const struct subs_config *sc = &s->cfg->bridge.api.subs;
	struct op *op;

	if (hmap_get(&s->byname, d->name) != NULL || hmap_get(&s->adding, d->name) != NULL ||
	    config_has(s, d->name) != NULL) {
		subs_dsub_free(d);
		done(arg, 409, "\"name\": taken");
		return;
	}
	if (s->n + s->nadding >= sc->max) {
		subs_dsub_free(d);
		done(arg, 507, "bridge.api.subscriptions.max dynamic subscribers exist already");
		return;
	}
	d->created = ev_now(s->loop);
	op = subs_op_new(s, OP_ADD, d->name, done, arg);
	op->d = d;
	hmap_put(&s->adding, d->name, d);
	s->nadding++;
	if (validate) {
		op->v = verify_challenge(s->cv, &s->guard, d->url, d->signature,
		    d->secrets[0].value, sc->validation_timeout, add_verified, op);
		return;
	}
	op->d = NULL;
	hmap_del(&s->adding, d->name);
	s->nadding--;
	subs_insert(s, d);
	if (!d->pending && subs_run(s, d) != 0) {
		subs_unlink(s, d);
		subs_dsub_free(d);
		subs_op_end(op, 500, "the subscriber cannot start");
		return;
	}
	log_info("subs/%s: added (%s)%s", d->name, d->url, d->pending ?
	    ", pending validation" : ", not validated (validation = \"none\")");
	op->kind = OP_VALIDATE;
	d->busy = true;
	subs_op_commit(op, d, d->pending ? 202 : 201);
}

/* Returns d when it may start an operation; else answers done and returns NULL. */
static struct dsub *
take(struct subs *s, const char *name, subs_done_fn done, void *arg)
{
	struct dsub *d = hmap_get(&s->byname, name);

	if (d == NULL) {
		done(arg, 404, "no dynamic subscriber of that name");
		return NULL;
	}
	if (d->busy) {
		done(arg, 409, "another change of this subscriber is under way");
		return NULL;
	}
	d->busy = true;
	return d;
}

static void
validated(void *arg, enum verify_result r, const char *why)
{
	struct op *op = arg;
	struct subs *s = op->s;
	struct dsub *d = hmap_get(&s->byname, op->name);
	char msg[600];

	op->v = NULL;
	if (r != VERIFY_OK) {
		snprintf(msg, sizeof(msg), "validation failed: %s", why);
		subs_op_end(op, subs_verify_status(r), msg);
		return;
	}
	if (d->pending) {
		d->pending = false;
		if (subs_run(s, d) != 0) {
			d->pending = true;
			subs_op_end(op, 500, "the subscriber cannot start");
			return;
		}
		log_info("subs/%s: URL validated: deliveries start", d->name);
	}
	subs_op_commit(op, d, 200);
}

void
subs_validate(struct subs *s, const char *name, subs_done_fn done, void *arg)
{
	struct dsub *d = take(s, name, done, arg);
	struct op *op;

	if (d == NULL)
		return;
	if (d->nsecrets == 0) {
		d->busy = false;
		done(arg, 409, "a WebSub subscriber is verified by the hub, not challenged");
		return;
	}
	op = subs_op_new(s, OP_VALIDATE, name, done, arg);
	op->v = verify_challenge(s->cv, &s->guard, d->url, d->signature, d->secrets[0].value,
	    s->cfg->bridge.api.subs.validation_timeout, validated, op);
}

/* Applies the parsed fields of op to d and saves it. */
static void
patch_apply(struct op *op, struct dsub *d)
{
	struct subs *s = op->s;
	struct dsub_fields *f = &op->f;
	bool rerun = f->has_url || f->has_events || f->has_sources || f->has_labels ||
	    f->has_headers;

	for (size_t i = 0; i < DSUB_NFMT; i++) {
		if (!f->has_fmt[i])
			continue;
		free(d->fmt[i]);
		d->fmt[i] = f->fmt[i];
		f->fmt[i] = NULL;
		rerun = true;
	}

	if (f->has_url) {
		free(d->url);
		d->url = f->url;
		f->url = NULL;
	}
	if (f->has_events) {
		subs_strv_free(d->events);
		d->events = f->events;
		f->events = NULL;
	}
	if (f->has_sources) {
		subs_strv_free(d->sources);
		d->sources = f->sources;
		f->sources = NULL;
	}
	if (f->has_labels) {
		labels_clear(&d->match);
		d->match = f->labels;
		memset(&f->labels, 0, sizeof(f->labels));
	}
	if (f->has_headers) {
		subs_strv_free(d->headers);
		d->headers = f->headers;
		d->nheaders = f->nheaders;
		f->headers = NULL;
	}
	if (f->has_description) {
		free(d->description);
		d->description = f->description;
		f->description = NULL;
	}
	if (rerun && d->running)
		(void)subs_run(s, d);
	if (f->has_disabled && f->disabled != d->disabled && !d->pending) {
		if (f->disabled)
			set_disabled(s, d, "disabled through the API");
		else
			set_enabled(s, d);
	}
	subs_op_commit(op, d, 200);
}

static void
patch_verified(void *arg, enum verify_result r, const char *why)
{
	struct op *op = arg;
	char msg[600];

	op->v = NULL;
	if (r != VERIFY_OK) {
		snprintf(msg, sizeof(msg), "validation of the new url failed: %s", why);
		subs_op_end(op, subs_verify_status(r), msg);
		return;
	}
	patch_apply(op, hmap_get(&op->s->byname, op->name));
}

void
subs_patch(struct subs *s, const char *name, struct json_object *body, subs_done_fn done,
    void *arg)
{
	static const char *const allowed[] = {
		"url", "events", "sources", "labels", "headers", "description", "disabled",
		"format", "cloudevents_mode", "routing_key", "transform", NULL
	};
	const struct subs_config *sc = &s->cfg->bridge.api.subs;
	struct dsub_fields f;
	struct dsub *d;
	struct op *op;
	char err[512];
	unsigned rc;

	if ((rc = subs_json_fields(sc, body, allowed, &f, err, sizeof(err))) != 0) {
		subs_json_fields_clear(&f);
		done(arg, rc, err);
		return;
	}
	if ((d = take(s, name, done, arg)) == NULL) {
		subs_json_fields_clear(&f);
		return;
	}
	if (d->websub && f.has_url) {
		d->busy = false;
		subs_json_fields_clear(&f);
		done(arg, 409, "\"url\": a WebSub subscriber's callback cannot change");
		return;
	}
	if (subs_json_check_format(&f, d->fmt, err, sizeof(err)) != 0) {
		d->busy = false;
		subs_json_fields_clear(&f);
		done(arg, 400, err);
		return;
	}
	op = subs_op_new(s, OP_PATCH, name, done, arg);
	op->f = f;
	if (f.has_url && strcmp(f.url, d->url) != 0 && sc->challenge) {
		op->v = verify_challenge(s->cv, &s->guard, f.url, d->signature,
		    d->secrets[0].value, sc->validation_timeout, patch_verified, op);
		return;
	}
	patch_apply(op, d);
}

static void
delete_dropped(void *arg, long long n)
{
	struct op *op = arg;

	if (n < 0) {
		subs_op_end(op, 500, store_error(op->s->st));
		return;
	}
	*op->count = n;
	subs_op_end(op, 200, NULL);
}

static void
delete_committed(void *arg, long long result)
{
	struct op *op = arg;

	if (result < 0) {
		subs_op_end(op, 500, store_error(op->s->st));
		return;
	}
	/* The batch with its last deliveries is stored: none comes after the drop. */
	store_drop_deliveries(op->s->st, op->name, delete_dropped, op);
}

void
subs_delete(struct subs *s, const char *name, long long *dropped, subs_done_fn done,
    void *arg)
{
	struct dsub *d = take(s, name, done, arg);
	struct op *op;

	if (d == NULL)
		return;
	op = subs_op_new(s, OP_DELETE, name, done, arg);
	op->count = dropped;
	subs_unlink(s, d);
	log_info("subs/%s: deleted", d->name);
	subs_dsub_free(d);
	store_dsub_save(s->st, name, NULL);
	delivery_commit(s->dlv, delete_committed, op);
}

int
subs_rotate(struct subs *s, const char *name, const char *secret, double grace,
    char *err, size_t errlen)
{
	struct dsub *d = hmap_get(&s->byname, name);
	double now = ev_now(s->loop);
	size_t keep = 0;

	if (d == NULL) {
		snprintf(err, errlen, "no dynamic subscriber of that name");
		return -1;
	}
	if (d->websub) {
		snprintf(err, errlen, "a WebSub subscriber's secret is its hub.secret: subscribe "
		    "again to change it");
		return -1;
	}
	if (secret != NULL && sign_check_secret(d->signature, secret, err, errlen) != 0)
		return -1;
	/* Only Standard Webhooks carries several signatures: the others switch at once. */
	if (d->signature != SIGN_STANDARD)
		grace = 0;
	for (size_t i = 0; i < d->nsecrets; i++) {
		if (grace > 0 && keep < SIGN_MAX_SECRETS - 1) {
			if (d->secrets[i].until == 0 || d->secrets[i].until > now + grace)
				d->secrets[i].until = now + grace;
			d->secrets[keep++] = d->secrets[i];
		} else
			free(d->secrets[i].value);
	}
	memmove(&d->secrets[1], &d->secrets[0], keep * sizeof(d->secrets[0]));
	d->secrets[0].value = secret != NULL ? xstrdup(secret) : subs_new_secret(d->signature);
	d->secrets[0].until = 0;
	d->nsecrets = keep + 1;
	log_info("subs/%s: secret rotated; the previous one signs for %.0f s more", name, grace);
	save(s, d);
	if (d->running)
		(void)subs_run(s, d);
	return 0;
}

int
subs_test(struct subs *s, const char *name, char *id)
{
	struct dsub *d = hmap_get(&s->byname, name);
	struct event *ev;

	if (d == NULL || !d->running)
		return -1;
	ev = event_new("pollhook.test", "pollhook", "pollhook", name, NULL,
	    (int64_t)(ev_now(s->loop) * 1000));
	json_object_object_add(ev->payload, "subscriber", json_object_new_string(name));
	json_object_object_add(ev->payload, "message",
	    json_object_new_string("a test event, sent by POST /v1/subscribers/NAME/test"));
	event_finish(ev);
	snprintf(id, EVENT_ID_LEN + 1, "%s", ev->id);
	delivery_submit_to(s->dlv, ev, name);
	return 0;
}

static void
recovered(void *arg, long long n)
{
	struct op *op = arg;

	if (n < 0) {
		subs_op_end(op, 500, store_error(op->s->st));
		return;
	}
	*op->count = n;
	if (n > 0)
		log_info("subs/%s: %lld dead letters queued again", op->name, n);
	subs_op_end(op, 202, NULL);
}

void
subs_recover(struct subs *s, const char *name, double since, long long *n, subs_done_fn done,
    void *arg)
{
	struct dsub *d = take(s, name, done, arg);
	struct op *op;

	if (d == NULL)
		return;
	op = subs_op_new(s, OP_RECOVER, name, done, arg);
	op->count = n;
	store_recover(s->st, name, since, recovered, op);
}
