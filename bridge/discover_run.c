/*
 * The sweeps of bridge.discover (see discover_run.h). A sweep paces its
 * datagrams with a token bucket refilled by a repeating timer (at most two
 * ticks' worth of tokens and one more banked, so over any window the sweep
 * sends at most rate x window + that), keeps each probe in flight in a slot of its own, and
 * queues the addresses that did not answer for another try behind the ones
 * not yet asked. It ends, on a tick, once nothing is left to send or await;
 * only then are the devices compared, so a sweep's answers all count.
 */

#include "discover_run.h"

#include <json-c/json.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_metrics.h"
#include "buf.h"
#include "delivery.h"
#include "event.h"
#include "log.h"
#include "poller.h"
#include "probe.h"
#include "registry.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define TICK_MIN	0.005	/* seconds: the pace timer never runs more often */

struct sweep;

/* One probe in flight. */
struct slot {
	struct sweep *sw;
	uint64_t idx;		/* the address, as an index over the nets */
	unsigned attempts;	/* sent before this one */
	bool used;
};

struct retry {
	uint64_t idx;
	unsigned attempts;
};

struct answer {
	char *object_id, *sys_name;
	uint64_t idx;		/* its address's place in the sweep */
	const char *address;	/* its key in answers (borrowed) */
};

struct sweep {
	struct discover *d;
	char *name;
	const struct discover_config *dc;	/* the running config's */
	double last;		/* Unix seconds the last sweep started; 0: never */
	ev_timer next;		/* the next sweep */
	ev_timer pace;		/* while running */
	bool running;
	/* What the running sweep sends, copied at its start. */
	struct discover_net *nets;
	size_t nnets;
	uint64_t total, cursor;
	unsigned port, tries, nslots;
	double rate, tokens, filled, started;
	void *prober;
	const struct probe_ops *ops;
	struct slot *slots;
	size_t in_flight;
	struct retry *retries;
	size_t rhead, rtail, rcap;
	struct hmap answers;	/* "IP:PORT" -> struct answer */
	/* Counters, for /metrics. */
	unsigned long long packets, sweeps, found, lost, last_packets;
	double last_seconds;
	bool following;		/* another member of the cluster sweeps: this one reads the store */
	struct sweep *link;
};

struct discover {
	struct ev_loop *loop;
	const struct config *cfg;
	struct discover_known *known;
	struct store *st;
	struct delivery *dlv;
	void (*changed)(void *arg);
	void *arg;
	struct sweep *sweeps;
	struct event_list pending;	/* found and lost, sent once the reload is in */
	/* bridge.cluster: whether this member sweeps a discovery ("discover:NAME"). */
	bool (*leads)(void *arg, const char *key);
	void *leads_arg;
	struct discover_known *reading;	/* a follower's read of the store, in flight */
};

#define FOLLOW_MAX	30.0	/* seconds between a follower's reads of the store, at most */

static void start_sweep(struct ev_loop *loop, ev_timer *w, int revents);
static void on_pace(struct ev_loop *loop, ev_timer *w, int revents);

/* Store records */

static void
save_device(struct discover *d, const struct discover_device *dev)
{
	char *key = xasprintf("%s/%s", dev->discovery, dev->address), *json;

	json = discover_device_json(dev);
	store_disc_save(d->st, key, json);
	free(json);
	free(key);
}

static void
forget_device(struct discover *d, const struct discover_device *dev)
{
	char *key = xasprintf("%s/%s", dev->discovery, dev->address);

	store_disc_save(d->st, key, NULL);
	free(key);
}

/* The discovery's own record: a device without address whose last_seen is its last sweep. */
static void
save_sweep(struct discover *d, const struct sweep *sw)
{
	struct discover_device rec = {
		.discovery = sw->name, .address = (char *)"", .name = (char *)"",
		.object_id = (char *)"", .sys_name = (char *)"", .last_seen = sw->last,
	};
	char *key = xasprintf("%s/", sw->name), *json = discover_device_json(&rec);

	store_disc_save(d->st, key, json);
	free(json);
	free(key);
}

/* The read at start: its rows and its end arrive with the same arg. */
struct reader {
	struct discover_known *k;
	size_t bad;
	bool done;
	long long result;
};

static void
read_row(void *arg, const char *key, const char *json)
{
	struct reader *r = arg;
	struct discover_device dev;

	(void)key;
	if (discover_device_parse(json, &dev) == -1) {
		r->bad++;
		return;
	}
	discover_known_add(r->k, &dev);
	discover_device_clear(&dev);
}

static void
read_done(void *arg, long long result)
{
	struct reader *r = arg;

	r->done = true;
	r->result = result;
}

struct discover_known *
discover_known_read(const struct store_config *conf, double timeout, char *err, size_t errlen)
{
	struct reader r = { .k = xcalloc(1, sizeof(*r.k)) };
	struct store *st;

	/* Reading must not create a database where there is none. */
	if (strcmp(conf->backend, "sqlite") == 0 && access(conf->path, R_OK) != 0) {
		snprintf(err, errlen, "no database at %s yet", conf->path);
		goto fail;
	}
	if ((st = store_open(ev_default_loop(0), conf, STORE_NO_MIGRATE, err, errlen)) == NULL)
		goto fail;
	store_discs_load(st, read_row, read_done, &r);
	if (store_wait(st, &r.done, timeout) != 0 || r.result < 0) {
		snprintf(err, errlen, "%s", store_error(st));
		store_close(st);
		goto fail;
	}
	store_close(st);
	if (r.bad > 0)
		log_warnx("discover: %zu records in the store are unreadable: ignored", r.bad);
	return r.k;
fail:
	discover_known_free(r.k);
	return NULL;
}

/* Events */

static void
emit(struct discover *d, const char *name, const struct discover_device *dev,
    const struct discover_config *dc, const char *profile)
{
	struct event *ev = event_new(name, "pollhook", dev->name, NULL, &dc->labels,
	    (int64_t)(ev_now(d->loop) * 1000));
	char t[40];

	json_object_object_add(ev->payload, "discovery", json_object_new_string(dev->discovery));
	json_object_object_add(ev->payload, "source", json_object_new_string(dev->name));
	json_object_object_add(ev->payload, "address", json_object_new_string(dev->address));
	json_object_object_add(ev->payload, "sys_name", json_object_new_string(dev->sys_name));
	json_object_object_add(ev->payload, "object_id", json_object_new_string(dev->object_id));
	json_object_object_add(ev->payload, "profile",
	    profile != NULL ? json_object_new_string(profile) : NULL);
	event_format_time(t, sizeof(t), dev->first_seen);
	json_object_object_add(ev->payload, "first_seen", json_object_new_string(t));
	event_format_time(t, sizeof(t), dev->last_seen);
	json_object_object_add(ev->payload, "last_seen", json_object_new_string(t));
	json_object_object_add(ev->payload, "missed_sweeps", json_object_new_int64(dev->misses));
	event_finish(ev);
	/*
	 * A reload restarts the deliveries in flight: sent after the one that
	 * makes (or drops) the source, an event goes once, and finds its source.
	 */
	event_list_push(&d->pending, ev);
}

/* The end of a sweep */

/* Returns whether a source of the running config or a device (in names) has name. */
static bool
name_taken(const struct discover *d, const struct hmap *names, const char *name)
{
	return config_find_source(d->cfg, name) != NULL || hmap_get(names, name) != NULL;
}

/* Makes the device answering at address a new one; returns whether it was added. */
static bool
add_device(struct sweep *sw, const char *address, const struct answer *a, struct hmap *names)
{
	struct discover *d = sw->d;
	const struct discover_config *dc = sw->dc;
	const char *profile = discover_match(dc->matches, dc->nmatches, a->object_id);
	struct discover_device dev = {
		.discovery = sw->name, .address = (char *)address, .object_id = a->object_id,
		.sys_name = a->sys_name, .first_seen = sw->started, .last_seen = sw->started,
	};
	char name[96];

	if (profile == NULL && (profile = dc->default_profile) == NULL) {
		log_debug("discover/%s: %s (%s) matches no profile: left out", sw->name, address,
		    a->object_id);
		return false;
	}
	if (!discover_name_from(a->sys_name, name, sizeof(name)) || name_taken(d, names, name))
		discover_name_of_address(address, name, sizeof(name));
	if (!conf_valid_name(name) || name_taken(d, names, name)) {
		log_warnx("discover/%s: %s: the name \"%s\" is taken: left out", sw->name, address,
		    name);
		return false;
	}
	dev.name = name;
	hmap_put(names, name, (void *)1);
	log_info("discover/%s: found %s at %s (%s, profile %s)", sw->name, name, address,
	    a->object_id, profile);
	save_device(d, discover_known_add(d->known, &dev));
	emit(d, "pollhook.device.found", &dev, dc, profile);
	sw->found++;
	return true;
}

static int
by_idx(const void *a, const void *b)
{
	const struct answer *x = *(struct answer *const *)a, *y = *(struct answer *const *)b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Compares the answers with the devices known; returns whether the set changed. */
static bool
compare(struct sweep *sw, size_t *nfound, size_t *nlost)
{
	struct discover *d = sw->d;
	struct discover_known *k = d->known;
	size_t n0 = k->n, pos = 0, o = 0, nfresh = 0;
	bool changed = false, *seen = xcalloc(n0 + 1, sizeof(*seen));
	struct answer **fresh;
	struct hmap names;
	const char *addr;
	void *val;

	for (size_t i = 0; i < n0; i++) {
		struct discover_device *dev = &k->v[i];
		struct answer *a;

		if (strcmp(dev->discovery, sw->name) != 0)
			continue;
		if ((a = hmap_get(&sw->answers, dev->address)) == NULL)
			continue;
		seen[i] = true;
		dev->misses = 0;
		dev->last_seen = sw->started;
		if (strcmp(dev->object_id, a->object_id) != 0) {
			/* Another profile may take it: the reload sees. */
			free(dev->object_id);
			dev->object_id = xstrdup(a->object_id);
			changed = true;
		}
		free(dev->sys_name);
		dev->sys_name = xstrdup(a->sys_name);
		save_device(d, dev);
		hmap_del(&sw->answers, dev->address);
		free(a->object_id);
		free(a->sys_name);
		free(a);
	}
	hmap_init(&names);
	for (size_t i = 0; i < n0; i++)
		hmap_put(&names, k->v[i].name, (void *)1);
	/* In the sweep's order: of two devices with one sysName, the first keeps it. */
	fresh = xcalloc(sw->answers.n + 1, sizeof(*fresh));
	while (hmap_next(&sw->answers, &pos, &addr, &val)) {
		((struct answer *)val)->address = addr;
		fresh[nfresh++] = val;
	}
	qsort(fresh, nfresh, sizeof(*fresh), by_idx);
	for (size_t i = 0; i < nfresh; i++)
		if (add_device(sw, fresh[i]->address, fresh[i], &names)) {
			changed = true;
			(*nfound)++;
		}
	free(fresh);
	hmap_free(&names);
	for (size_t i = 0; i < n0; i++) {
		struct discover_device *dev = &k->v[i];
		bool gone = false;

		if (strcmp(dev->discovery, sw->name) == 0 && !seen[i]) {
			dev->misses++;
			if (dev->misses >= sw->dc->lost_after) {
				log_info("discover/%s: lost %s at %s (no answer in %u sweeps)",
				    sw->name, dev->name, dev->address, dev->misses);
				emit(d, "pollhook.device.lost", dev, sw->dc,
				    discover_match(sw->dc->matches, sw->dc->nmatches,
				    dev->object_id));
				forget_device(d, dev);
				sw->lost++;
				(*nlost)++;
				changed = gone = true;
			} else
				save_device(d, dev);
		}
		if (gone)
			discover_device_clear(dev);
		else
			k->v[o++] = *dev;
	}
	/* The devices added by this sweep follow the old ones. */
	for (size_t i = n0; i < k->n; i++)
		k->v[o++] = k->v[i];
	k->n = o;
	free(seen);
	return changed;
}

static void
answers_clear(struct hmap *m)
{
	size_t pos = 0;
	const char *key;
	void *val;

	while (hmap_next(m, &pos, &key, &val)) {
		struct answer *a = val;

		free(a->object_id);
		free(a->sys_name);
		free(a);
	}
	hmap_free(m);
	hmap_init(m);
}

/* Stops the running sweep of sw (its answers dropped) and frees what it held. */
static void
sweep_stop(struct sweep *sw)
{
	struct ev_loop *loop = sw->d->loop;

	if (!sw->running)
		return;
	ev_timer_stop(loop, &sw->pace);
	sw->ops->close(sw->prober);
	sw->prober = NULL;
	free(sw->slots);
	sw->slots = NULL;
	free(sw->nets);
	sw->nets = NULL;
	free(sw->retries);
	sw->retries = NULL;
	sw->rhead = sw->rtail = sw->rcap = 0;
	sw->in_flight = 0;
	answers_clear(&sw->answers);
	sw->running = false;
}

static void
schedule(struct sweep *sw, double now)
{
	double at = sw->following ? now + fmin(sw->dc->every / 2, FOLLOW_MAX) :
	    sw->last > 0 ? sw->last + sw->dc->every : now;

	ev_timer_stop(sw->d->loop, &sw->next);
	ev_timer_set(&sw->next, at > now ? at - now : 0., 0.);
	ev_timer_start(sw->d->loop, &sw->next);
}

static void
sweep_end(struct sweep *sw)
{
	struct discover *d = sw->d;
	double now = ev_now(d->loop), took = ev_time() - sw->started;
	size_t answered = sw->answers.n, found = 0, lost = 0;
	unsigned long long packets = sw->ops->sent(sw->prober);
	bool changed;

	changed = compare(sw, &found, &lost);
	sw->sweeps++;
	sw->last_packets = packets;
	sw->last_seconds = took;
	/* The delivery's commit of this iteration sends the records with the events. */
	save_sweep(d, sw);
	log_info("discover/%s: swept %llu addresses in %.1f s: %zu answered, %zu found, %zu "
	    "lost, %llu datagrams (%.1f/s, rate %g/s)", sw->name,
	    (unsigned long long)sw->total, took, answered, found, lost, packets,
	    took > 0 ? (double)packets / took : 0., sw->rate);
	sweep_stop(sw);
	schedule(sw, now);
	if (changed)
		d->changed(d->arg);
}

/* Sending */

static void
retry_push(struct sweep *sw, uint64_t idx, unsigned attempts)
{
	if (sw->rtail == sw->rcap) {
		if (sw->rhead > 0) {
			memmove(sw->retries, sw->retries + sw->rhead,
			    (sw->rtail - sw->rhead) * sizeof(*sw->retries));
			sw->rtail -= sw->rhead;
			sw->rhead = 0;
		}
		if (sw->rtail == sw->rcap) {
			sw->rcap = sw->rcap * 2 + 64;
			sw->retries = xreallocarray(sw->retries, sw->rcap, sizeof(*sw->retries));
		}
	}
	sw->retries[sw->rtail++] = (struct retry){ idx, attempts };
}

static void
on_probe(void *arg, const struct probe_result *r)
{
	struct slot *s = arg;
	struct sweep *sw = s->sw;
	char ip[16], key[32];

	s->used = false;
	sw->in_flight--;
	discover_net_addr(sw->nets, sw->nnets, s->idx, ip, sizeof(ip));
	if (r->answered) {
		struct answer *a = xcalloc(1, sizeof(*a)), *old;

		snprintf(key, sizeof(key), "%s:%u", ip, sw->port);
		a->object_id = xstrdup(r->object_id);
		a->sys_name = xstrdup(r->sys_name);
		a->idx = s->idx;
		if ((old = hmap_put(&sw->answers, key, a)) != NULL) {
			free(old->object_id);
			free(old->sys_name);
			free(old);
		}
		log_debug("discover/%s: %s answers: %s \"%s\"", sw->name, key, r->object_id,
		    r->sys_name);
	} else if (s->attempts + 1 < sw->tries)
		retry_push(sw, s->idx, s->attempts + 1);
}

static struct slot *
free_slot(struct sweep *sw)
{
	for (unsigned i = 0; i < sw->nslots; i++)
		if (!sw->slots[i].used)
			return &sw->slots[i];
	return NULL;
}

/* Sends what the bucket allows; returns whether the sweep has nothing left to do. */
static bool
pump(struct sweep *sw)
{
	char ip[16];

	while (sw->tokens >= 1. && sw->in_flight < sw->nslots) {
		struct slot *s = free_slot(sw);
		uint64_t idx;
		unsigned attempts = 0;

		if (sw->rhead < sw->rtail) {
			idx = sw->retries[sw->rhead].idx;
			attempts = sw->retries[sw->rhead++].attempts;
		} else if (sw->cursor < sw->total)
			idx = sw->cursor++;
		else
			break;
		sw->tokens -= 1.;
		discover_net_addr(sw->nets, sw->nnets, idx, ip, sizeof(ip));
		*s = (struct slot){ .sw = sw, .idx = idx, .attempts = attempts, .used = true };
		if (sw->ops->send(sw->prober, ip, sw->port, on_probe, s) == -1) {
			s->used = false;
			log_debug("discover/%s: cannot send to %s", sw->name, ip);
			continue;
		}
		sw->in_flight++;
		sw->packets++;
	}
	return sw->in_flight == 0 && sw->rhead == sw->rtail && sw->cursor == sw->total;
}

static void
on_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sweep *sw = container_of(w, struct sweep, pace);
	double now = ev_now(loop), cap;

	(void)revents;
	/*
	 * Two ticks' tokens, and one more: a tick that comes a little early
	 * must not lose its fraction (the rate would halve at one per tick),
	 * nor one that comes late (epoll's milliseconds) the time it lagged.
	 */
	cap = 2. * sw->rate * w->repeat + 1.;
	sw->tokens += (now - sw->filled) * sw->rate;
	if (sw->tokens > cap)
		sw->tokens = cap;
	sw->filled = now;
	if (pump(sw))
		sweep_end(sw);
}

/* Following the member that sweeps (bridge.cluster) */

static bool
sweep_leads(const struct sweep *sw)
{
	char *key = xasprintf("discover:%s", sw->name);
	bool yes = sw->d->leads(sw->d->leads_arg, key);

	free(key);
	return yes;
}

static void
follow_row(void *arg, const char *key, const char *json)
{
	struct discover *d = arg;
	struct discover_device dev;

	(void)key;
	if (discover_device_parse(json, &dev) == -1)
		return;
	discover_known_add(d->reading, &dev);
	discover_device_clear(&dev);
}

/* Takes the devices of discovery name out of those known (and, forget, out of the store); returns how many. */
static size_t
drop_devices(struct discover *d, const char *name, bool forget)
{
	struct discover_known *k = d->known;
	size_t o = 0, n = 0;

	for (size_t i = 0; i < k->n; i++) {
		if (strcmp(k->v[i].discovery, name) != 0) {
			k->v[o++] = k->v[i];
			continue;
		}
		if (forget)
			forget_device(d, &k->v[i]);
		discover_device_clear(&k->v[i]);
		n++;
	}
	k->n = o;
	return n;
}

static bool
same_device(const struct discover_device *a, const struct discover_device *b)
{
	return strcmp(a->discovery, b->discovery) == 0 && strcmp(a->address, b->address) == 0 &&
	    strcmp(a->name, b->name) == 0 && strcmp(a->object_id, b->object_id) == 0;
}

/* Makes the store's devices of sw's discovery (in fresh) the known ones; returns whether they changed. */
static bool
adopt(struct discover *d, struct sweep *sw, const struct discover_known *fresh)
{
	struct discover_known *k = d->known;
	size_t have = 0, want = 0, matched = 0;
	struct hmap mine;	/* address -> the known device of sw's discovery */

	hmap_init(&mine);
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i].discovery, sw->name) == 0) {
			hmap_put(&mine, k->v[i].address, &k->v[i]);
			have++;
		}
	for (size_t i = 0; i < fresh->n; i++) {
		const struct discover_device *f = &fresh->v[i], *known;

		if (strcmp(f->discovery, sw->name) != 0)
			continue;
		if (f->address[0] == '\0') {
			sw->last = f->last_seen;
			continue;
		}
		want++;
		if ((known = hmap_get(&mine, f->address)) != NULL && same_device(known, f))
			matched++;
	}
	hmap_free(&mine);
	if (have == want && matched == want)
		return false;
	drop_devices(d, sw->name, false);
	for (size_t i = 0; i < fresh->n; i++)
		if (strcmp(fresh->v[i].discovery, sw->name) == 0 && fresh->v[i].address[0] != '\0')
			discover_known_add(k, &fresh->v[i]);
	log_info("discover/%s: %zu devices, as the member that sweeps stored them", sw->name,
	    want);
	return true;
}

static void
follow_done(void *arg, long long result)
{
	struct discover *d = arg;
	struct discover_known *fresh = d->reading;
	bool changed = false;

	d->reading = NULL;
	if (result < 0)
		log_warnx("discover: the devices the sweeping members stored could not be read: %s",
		    store_error(d->st));
	else
		for (struct sweep *sw = d->sweeps; sw != NULL; sw = sw->link)
			if (sw->following && adopt(d, sw, fresh))
				changed = true;
	discover_known_free(fresh);
	if (changed)
		d->changed(d->arg);
}

/* Another member sweeps sw's discovery: read what it stored, and look again later. */
static void
follow(struct sweep *sw)
{
	struct discover *d = sw->d;

	if (!sw->following)
		log_info("discover/%s: another member of the cluster sweeps: following the store",
		    sw->name);
	sw->following = true;
	schedule(sw, ev_now(d->loop));
	if (d->reading != NULL)
		return;
	d->reading = xcalloc(1, sizeof(*d->reading));
	store_discs_load(d->st, follow_row, follow_done, d);
}

static void
start_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sweep *sw = container_of(w, struct sweep, next);
	const struct discover_config *dc = sw->dc;
	bool known;
	const struct poller_ops *snmp = registry_poller("snmp", &known);
	struct probe_params pp = { dc->version, dc->community, dc->timeout };
	double tick = 1. / dc->rate;
	char err[256];

	(void)revents;
	if (sw->running)
		return;
	if (sw->d->leads != NULL && !sweep_leads(sw)) {
		follow(sw);
		return;
	}
	if (sw->following) {
		/* It leads now: it sweeps when the last sweep, by whoever, is due again. */
		sw->following = false;
		log_info("discover/%s: this member sweeps from now on", sw->name);
		if (sw->last > 0 && sw->last + dc->every > ev_now(loop)) {
			schedule(sw, ev_now(loop));
			return;
		}
	}
	if (snmp == NULL || snmp->probe == NULL) {
		log_warnx("discover/%s: the snmp poller is not compiled in: no sweep", sw->name);
		return;
	}
	sw->ops = snmp->probe;
	if ((sw->prober = sw->ops->open(loop, &pp, err, sizeof(err))) == NULL) {
		log_warnx("discover/%s: %s: trying again in %g s", sw->name, err, dc->every);
		ev_timer_set(&sw->next, dc->every, 0.);
		ev_timer_start(loop, &sw->next);
		return;
	}
	sw->running = true;
	sw->nets = xreallocarray(NULL, dc->nnets + 1, sizeof(*sw->nets));
	memcpy(sw->nets, dc->nets, dc->nnets * sizeof(*sw->nets));
	sw->nnets = dc->nnets;
	sw->total = dc->naddrs;
	sw->cursor = 0;
	sw->port = dc->port;
	sw->tries = dc->retries + 1;
	sw->nslots = dc->max_in_flight;
	sw->slots = xcalloc(sw->nslots, sizeof(*sw->slots));
	sw->rate = dc->rate;
	sw->tokens = 1.;
	sw->started = ev_time();
	sw->filled = ev_now(loop);
	sw->last = sw->started;
	log_info("discover/%s: sweeping %llu addresses at %g datagrams/s", sw->name,
	    (unsigned long long)sw->total, sw->rate);
	if (tick < TICK_MIN)
		tick = TICK_MIN;
	ev_timer_init(&sw->pace, on_pace, 0., tick);
	ev_timer_start(loop, &sw->pace);
}

/* Life cycle */

static struct sweep *
sweep_new(struct discover *d, const struct discover_config *dc, double last)
{
	struct sweep *sw = xcalloc(1, sizeof(*sw));

	sw->d = d;
	sw->name = xstrdup(dc->name);
	sw->dc = dc;
	sw->last = last;
	hmap_init(&sw->answers);
	ev_timer_init(&sw->next, start_sweep, 0., 0.);
	schedule(sw, ev_now(d->loop));
	sw->link = d->sweeps;
	d->sweeps = sw;
	return sw;
}

static void
sweep_free(struct sweep *sw)
{
	sweep_stop(sw);
	ev_timer_stop(sw->d->loop, &sw->next);
	hmap_free(&sw->answers);
	free(sw->name);
	free(sw);
}

/* Returns the last sweep the discovery named name made (from its record), or 0. */
static double
last_sweep(const struct discover_known *meta, const char *name)
{
	for (size_t i = 0; meta != NULL && i < meta->n; i++)
		if (strcmp(meta->v[i].discovery, name) == 0)
			return meta->v[i].last_seen;
	return 0;
}

struct discover *
discover_new(struct ev_loop *loop, const struct config *cfg, struct discover_known *known,
    struct store *st, struct delivery *dlv, void (*changed)(void *arg), void *arg)
{
	struct discover *d = xcalloc(1, sizeof(*d));
	struct discover_known *meta = xcalloc(1, sizeof(*meta));
	size_t o = 0;

	d->loop = loop;
	d->cfg = cfg;
	d->known = known != NULL ? known : xcalloc(1, sizeof(*known));
	d->st = st;
	d->dlv = dlv;
	d->changed = changed;
	d->arg = arg;
	/* The discoveries' own records leave the set of devices. */
	for (size_t i = 0; i < d->known->n; i++) {
		if (d->known->v[i].address[0] == '\0') {
			discover_known_add(meta, &d->known->v[i]);
			discover_device_clear(&d->known->v[i]);
		} else
			d->known->v[o++] = d->known->v[i];
	}
	d->known->n = o;
	for (size_t i = 0; i < cfg->ndiscovers; i++)
		sweep_new(d, &cfg->discovers[i], last_sweep(meta, cfg->discovers[i].name));
	discover_known_free(meta);
	return d;
}

/* Drops the devices of sw's discovery and its record, here and in the store; returns how many. */
static size_t
forget_discovery(struct discover *d, const struct sweep *sw)
{
	char *key = xasprintf("%s/", sw->name);
	size_t n = drop_devices(d, sw->name, true);

	store_disc_save(d->st, key, NULL);
	free(key);
	return n;
}

void
discover_set_leader(struct discover *d, bool (*leads)(void *arg, const char *key), void *arg)
{
	d->leads = leads;
	d->leads_arg = arg;
}

void
discover_reload(struct discover *d, const struct config *cfg)
{
	struct sweep **sp = &d->sweeps, *sw;

	d->cfg = cfg;
	while ((sw = *sp) != NULL) {
		const struct discover_config *dc = NULL;

		for (size_t i = 0; i < cfg->ndiscovers && dc == NULL; i++)
			if (strcmp(cfg->discovers[i].name, sw->name) == 0)
				dc = &cfg->discovers[i];
		if (dc == NULL) {
			log_info("discover/%s: gone from the configuration: no more sweeps, its %zu "
			    "devices forgotten", sw->name, forget_discovery(d, sw));
			*sp = sw->link;
			sweep_free(sw);
			continue;
		}
		sw->dc = dc;
		if (!sw->running)
			schedule(sw, ev_now(d->loop));
		sp = &sw->link;
	}
	for (size_t i = 0; i < cfg->ndiscovers; i++) {
		bool have = false;

		for (sw = d->sweeps; sw != NULL && !have; sw = sw->link)
			have = strcmp(sw->name, cfg->discovers[i].name) == 0;
		if (!have)
			sweep_new(d, &cfg->discovers[i], 0);
	}
}

void
discover_flush(struct discover *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->pending.n; i++)
		delivery_submit(d->dlv, d->pending.v[i]);
	d->pending.n = 0;
}

struct discover_known *
discover_snapshot(const struct discover *d)
{
	return discover_known_copy(d != NULL ? d->known : NULL);
}

/* The per-sweep counters /metrics shows, each a field of struct sweep. */
static const struct {
	const char *name, *type, *help;
	size_t off;
} sweep_counters[] = {
	{ "pollhook_discover_datagrams_total", "counter",
	  "Datagrams the sweeps sent (retransmissions included).", offsetof(struct sweep, packets) },
	{ "pollhook_discover_sweeps_total", "counter", "Sweeps completed.",
	  offsetof(struct sweep, sweeps) },
	{ "pollhook_discover_found_total", "counter", "Devices found.",
	  offsetof(struct sweep, found) },
	{ "pollhook_discover_lost_total", "counter", "Devices lost.",
	  offsetof(struct sweep, lost) },
	{ "pollhook_discover_last_sweep_datagrams", "gauge",
	  "Datagrams of the last completed sweep.", offsetof(struct sweep, last_packets) },
};

/* Devices the store knows from sw's discovery. */
static unsigned long long
sweep_devices(const struct discover *d, const struct sweep *sw)
{
	unsigned long long n = 0;

	for (size_t i = 0; i < d->known->n; i++)
		n += strcmp(d->known->v[i].discovery, sw->name) == 0;
	return n;
}

void
discover_metrics(const struct discover *d, struct buf *b)
{
	if (d == NULL || d->sweeps == NULL)
		return;
	for (size_t k = 0; k < sizeof(sweep_counters) / sizeof(sweep_counters[0]); k++) {
		api_metrics_family(b, sweep_counters[k].name, sweep_counters[k].type,
		    sweep_counters[k].help);
		for (const struct sweep *sw = d->sweeps; sw != NULL; sw = sw->link) {
			const unsigned long long *v = (const void *)((const char *)sw +
			    sweep_counters[k].off);

			buf_printf(b, "%s{discovery=\"%s\"} %llu\n", sweep_counters[k].name,
			    sw->name, *v);
		}
	}
	api_metrics_family(b, "pollhook_discover_devices", "gauge", "Devices known.");
	for (const struct sweep *sw = d->sweeps; sw != NULL; sw = sw->link)
		buf_printf(b, "pollhook_discover_devices{discovery=\"%s\"} %llu\n", sw->name,
		    sweep_devices(d, sw));
	api_metrics_family(b, "pollhook_discover_last_sweep_seconds", "gauge",
	    "Seconds the last completed sweep took.");
	for (const struct sweep *sw = d->sweeps; sw != NULL; sw = sw->link)
		buf_printf(b, "pollhook_discover_last_sweep_seconds{discovery=\"%s\"} %.6f\n",
		    sw->name, sw->last_seconds);
	api_metrics_family(b, "pollhook_discover_sweeping", "gauge",
	    "1 when this instance sweeps the discovery, 0 when another member of the cluster does.");
	for (const struct sweep *sw = d->sweeps; sw != NULL; sw = sw->link)
		buf_printf(b, "pollhook_discover_sweeping{discovery=\"%s\"} %d\n", sw->name,
		    !sw->following);
	api_metrics_family(b, "pollhook_discover_rate", "gauge",
	    "Datagrams a second a sweep may send (its rate).");
	for (const struct sweep *sw = d->sweeps; sw != NULL; sw = sw->link)
		buf_printf(b, "pollhook_discover_rate{discovery=\"%s\"} %g\n", sw->name,
		    sw->dc->rate);
}

void
discover_free(struct discover *d)
{
	struct sweep *sw;

	if (d == NULL)
		return;
	while ((sw = d->sweeps) != NULL) {
		d->sweeps = sw->link;
		sweep_free(sw);
	}
	discover_flush(d);
	event_list_clear(&d->pending);
	if (d->reading != NULL) {
		store_forget(d->st, d);
		discover_known_free(d->reading);
	}
	discover_known_free(d->known);
	free(d);
}
