#include "noise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>
#include <json-c/json.h>

#include "event.h"
#include "log.h"
#include "maint.h"
#include "xmalloc.h"

#define SILENCE_KEEP	(7 * 86400.0)	/* seconds an expired silence stays listed, at least */

struct noise {
	const struct config *cfg;
	struct store *st;
	struct silences silences;
	void (*ready)(void *arg, int status);
	void *ready_arg;
	size_t loaded, bad, pruned;
	bool read_only;		/* noise_read's: the store is only read, never written */
	bool done;		/* noise_read's: the load ended */
	long long result;
	/* Per maintenance window: whether it is open in the minute cached (schedules go by minutes). */
	struct open_cache {
		double minute;		/* floor(now / 60); -1: none yet */
		bool open;
	} *cache;
	size_t ncache;
};

static void
cache_reset(struct noise *n)
{
	free(n->cache);
	n->ncache = n->cfg->nmaint;
	n->cache = xcalloc(n->ncache + 1, sizeof(*n->cache));
	for (size_t i = 0; i < n->ncache; i++)
		n->cache[i].minute = -1;
}

/* Returns whether window i is open at now, asking the zone once a minute at most. */
static bool
window_open(struct noise *n, size_t i, double now)
{
	struct open_cache *c = &n->cache[i];
	double minute = floor(now / 60);

	if (c->minute != minute) {
		c->minute = minute;
		c->open = maint_open(&n->cfg->maint[i], now);
	}
	return c->open;
}

struct noise *
noise_new(const struct config *cfg, struct store *st)
{
	struct noise *n = xcalloc(1, sizeof(*n));

	n->cfg = cfg;
	n->st = st;
	cache_reset(n);
	return n;
}

static void
load_one(void *arg, const char *id, const char *json)
{
	struct noise *n = arg;
	struct json_object *j = json_tokener_parse(json);
	struct silence *s;
	char err[256];

	s = j != NULL ? silence_from_json(j, id, 0, err, sizeof(err)) : NULL;
	json_object_put(j);
	if (s == NULL) {
		n->bad++;
		return;
	}
	/* Expired a while ago: nobody needs to see it listed any more. */
	if (s->ends < ev_time() - SILENCE_KEEP) {
		if (!n->read_only)
			store_silence_save(n->st, s->id, NULL);
		silence_free(s);
		n->pruned++;
		return;
	}
	silences_add(&n->silences, s);
	n->loaded++;
}

static void
loaded(void *arg, long long result)
{
	struct noise *n = arg;

	if (n->read_only) {
		n->done = true;
		n->result = result;
		return;
	}
	if (result < 0)
		log_warnx("silences could not be loaded: %s", store_error(n->st));
	else if (n->loaded + n->bad + n->pruned > 0)
		log_info("silences: %zu restored, %zu expired over a week ago deleted%s", n->loaded,
		    n->pruned, n->bad > 0 ? ", some unreadable ones ignored" : "");
	if (n->ready != NULL)
		n->ready(n->ready_arg, result < 0 ? -1 : 0);
}

void
noise_load(struct noise *n, void (*ready)(void *arg, int status), void *arg)
{
	n->ready = ready;
	n->ready_arg = arg;
	store_silences_load(n->st, load_one, loaded, n);
}

struct noise *
noise_read(const struct config *cfg, struct ev_loop *loop, double timeout, char *err,
    size_t errlen)
{
	const struct store_config *conf = &cfg->bridge.store;
	struct noise *n = noise_new(cfg, NULL);
	struct store *st;

	/* Reading must not create a database where there is none: then there are no silences. */
	if (strcmp(conf->backend, "sqlite") == 0 && access(conf->path, R_OK) != 0)
		return n;
	if ((st = store_open(loop, conf, STORE_NO_MIGRATE, err, errlen)) == NULL)
		goto fail;
	n->st = st;
	n->read_only = true;
	store_silences_load(st, load_one, loaded, n);
	if (store_wait(st, &n->done, timeout) != 0 || n->result < 0) {
		snprintf(err, errlen, "%s", store_error(st));
		store_close(st);
		goto fail;
	}
	store_close(st);
	n->st = NULL;
	return n;
fail:
	n->st = NULL;
	noise_free(n);
	return NULL;
}

void
noise_set_config(struct noise *n, const struct config *cfg)
{
	n->cfg = cfg;
	cache_reset(n);
}

const char *
noise_why(void *arg, const struct source_config *src, const struct rule_config *r, double now,
    char *buf, size_t len)
{
	struct noise *n = arg;
	const struct silence *s = silences_match(&n->silences, src->name, &src->labels, r->name,
	    now);

	if (s != NULL) {
		snprintf(buf, len, "silence:%s", s->id);
		return buf;
	}
	for (size_t i = 0; i < n->cfg->nmaint; i++) {
		const struct maint_config *w = &n->cfg->maint[i];

		if (maint_applies(w, src->name, r->name) && window_open(n, i, now)) {
			snprintf(buf, len, "maintenance:%s", w->name);
			return buf;
		}
	}
	return NULL;
}

static void
save(struct noise *n, const struct silence *s)
{
	struct json_object *j = silence_to_json(s, 0);

	json_object_object_del(j, "state");
	store_silence_save(n->st, s->id, json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}

void
noise_add(struct noise *n, struct silence *s)
{
	char until[32];

	event_format_time(until, sizeof(until), s->ends);
	save(n, s);
	log_info("silence %s added, until %s", s->id, until);
	silences_add(&n->silences, s);
}

bool
noise_remove(struct noise *n, const char *id)
{
	if (!silences_remove(&n->silences, id))
		return false;
	store_silence_save(n->st, id, NULL);
	log_info("silence %s removed", id);
	return true;
}

const struct silences *
noise_silences(const struct noise *n)
{
	return &n->silences;
}

void
noise_free(struct noise *n)
{
	if (n == NULL)
		return;
	if (n->st != NULL)
		store_forget(n->st, n);
	silences_clear(&n->silences);
	free(n->cache);
	free(n);
}
