#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "emitter.h"
#include "log.h"
#include "router.h"
#include "xmalloc.h"

struct sub_rt {
	struct dispatch *d;
	const struct subscriber_config *conf;
	void *state;
	bool disabled;		/* the receiver answered 410 */
};

struct emitter_shared {
	const struct emitter_ops *ops;
	void *shared;
};

struct subset {
	struct sub_rt *subs;
	size_t nsubs;
	struct emitter_shared *shared;
	size_t nshared;
};

struct dispatch {
	struct ev_loop *loop;
	struct subset set;
	size_t in_flight;
};

/* One attempt in flight; it may outlive a reload, so it names its subscriber. */
struct attempt {
	struct dispatch *d;
	struct event *ev;
	char *sub_name;
};

static void
subset_stop(struct subset *set)
{
	for (size_t i = 0; i < set->nsubs; i++)
		if (set->subs[i].state != NULL)
			set->subs[i].conf->emitter->stop(set->subs[i].state);
	for (size_t i = 0; i < set->nshared; i++)
		if (set->shared[i].ops->fini != NULL)
			set->shared[i].ops->fini(set->shared[i].shared);
	free(set->subs);
	free(set->shared);
	memset(set, 0, sizeof(*set));
}

static int
subset_build(struct dispatch *d, const struct config *cfg, struct subset *set)
{
	memset(set, 0, sizeof(*set));
	set->subs = xcalloc(cfg->nsubscribers, sizeof(*set->subs));
	set->nsubs = cfg->nsubscribers;
	set->shared = xcalloc(cfg->nsubscribers, sizeof(*set->shared));
	for (size_t i = 0; i < cfg->nsubscribers; i++) {
		const struct subscriber_config *sc = &cfg->subscribers[i];
		const struct emitter_ops *ops = sc->emitter;
		struct sub_rt *s = &set->subs[i];
		void *shared = NULL;
		size_t j;

		s->d = d;
		s->conf = sc;
		for (j = 0; j < set->nshared; j++)
			if (set->shared[j].ops == ops)
				break;
		if (j == set->nshared) {
			if (ops->init != NULL && (shared = ops->init(d->loop)) == NULL) {
				log_warnx("%s: cannot initialise the emitter", ops->name);
				goto fail;
			}
			set->shared[j].ops = ops;
			set->shared[j].shared = shared;
			set->nshared++;
		}
		if (ops->start(d->loop, set->shared[j].shared, sc, &s->state) != 0) {
			log_warnx("%s/%s: cannot start the subscriber", ops->name, sc->name);
			s->state = NULL;
			goto fail;
		}
	}
	return 0;
fail:
	subset_stop(set);
	return -1;
}

struct dispatch *
dispatch_new(struct ev_loop *loop, const struct config *cfg)
{
	struct dispatch *d = xcalloc(1, sizeof(*d));

	d->loop = loop;
	if (subset_build(d, cfg, &d->set) != 0) {
		free(d);
		return NULL;
	}
	return d;
}

static void
attempt_done(void *arg, const struct delivery_outcome *out)
{
	struct attempt *a = arg;

	a->d->in_flight--;
	switch (out->result) {
	case DELIVERY_OK:
		log_debug("deliver %s to %s: ok", a->ev->id, a->sub_name);
		break;
	case DELIVERY_GONE:
		log_warnx("deliver %s to %s: receiver gone (%d), subscriber disabled",
		    a->ev->id, a->sub_name, out->status);
		for (size_t i = 0; i < a->d->set.nsubs; i++)
			if (strcmp(a->d->set.subs[i].conf->name, a->sub_name) == 0)
				a->d->set.subs[i].disabled = true;
		break;
	default:
		log_warnx("deliver %s to %s: %s", a->ev->id, a->sub_name, out->error);
		break;
	}
	event_free(a->ev);
	free(a->sub_name);
	free(a);
}

void
dispatch_event(struct dispatch *d, struct event *ev)
{
	for (size_t i = 0; i < d->set.nsubs; i++) {
		struct sub_rt *s = &d->set.subs[i];
		struct attempt *a;

		if (s->disabled || !router_match(s->conf, ev))
			continue;
		a = xcalloc(1, sizeof(*a));
		a->d = d;
		a->ev = event_ref(ev);
		a->sub_name = xstrdup(s->conf->name);
		d->in_flight++;
		s->conf->emitter->deliver(s->state, ev, 1, attempt_done, a);
	}
	event_free(ev);
}

int
dispatch_reload(struct dispatch *d, const struct config *cfg)
{
	struct subset next;

	if (subset_build(d, cfg, &next) != 0)
		return -1;
	subset_stop(&d->set);
	d->set = next;
	return 0;
}

size_t
dispatch_in_flight(const struct dispatch *d)
{
	return d->in_flight;
}

void
dispatch_free(struct dispatch *d)
{
	if (d == NULL)
		return;
	subset_stop(&d->set);
	free(d);
}
