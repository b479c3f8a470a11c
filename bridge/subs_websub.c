/*
 * WebSub (W3C): a hub's subscribe and unsubscribe requests become dynamic
 * subscribers, once the callback confirmed its intent; a subscribe of the
 * same callback and topic renews the lease.
 */

#include "subs.h"
#include "subs_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"
#include "xmalloc.h"

static void
websub_verified(void *arg, enum verify_result r, const char *why)
{
	struct op *op = arg;
	struct subs *s = op->s;
	struct dsub *d = op->d, *old;
	double now = ev_now(s->loop);

	op->v = NULL;
	if (r != VERIFY_OK) {
		log_warnx("websub/%s: intent not verified (%s): %s", op->name,
		    op->unsubscribe ? "unsubscribe" : "subscribe", why);
		subs_op_end(op, subs_verify_status(r), why);
		return;
	}
	if (op->unsubscribe) {
		/* Marked busy by subs_websub, for this operation. */
		if ((old = hmap_get(&s->byname, op->name)) == NULL) {
			subs_op_end(op, 404, "not subscribed");
			return;
		}
		log_info("websub/%s: unsubscribed (%s)", op->name, old->url);
		subs_unlink(s, old);
		subs_dsub_free(old);
		store_dsub_save(s->st, op->name, NULL);
		store_drop_deliveries(s->st, op->name, NULL, NULL);
		subs_op_end(op, 200, NULL);
		return;
	}
	op->d = NULL;
	if (hmap_del(&s->adding, d->name) != NULL)
		s->nadding--;
	op->kind = OP_VALIDATE;
	if ((old = hmap_get(&s->byname, d->name)) != NULL) {
		/* A renewal: the lease, the secret and the topic's globs are the new ones. */
		old->lease_until = d->lease_until;
		for (size_t i = 0; i < old->nsecrets; i++)
			free(old->secrets[i].value);
		memcpy(old->secrets, d->secrets, sizeof(d->secrets));
		old->nsecrets = d->nsecrets;
		old->signature = d->signature;
		d->nsecrets = 0;
		subs_dsub_free(d);
		log_info("websub/%s: lease renewed until %.0f s from now", old->name,
		    old->lease_until - now);
		if (old->running)
			(void)subs_run(s, old);
		subs_op_commit(op, old, 202);
		return;
	}
	if (!subs_start(op, d))
		return;
	log_info("websub/%s: subscribed %s to %s for %.0f s", d->name, d->url, d->events[0],
	    d->lease_until - now);
	d->busy = true;
	subs_op_commit(op, d, 202);
}

/* The subscriber of callback and topic is always called the same: a subscribe renews. */
static void
websub_name(const char *callback, const char *topic, char *name, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char *both = xasprintf("%s\n%s", callback, topic);
	unsigned mdlen = 0;

	EVP_Digest(both, strlen(both), md, &mdlen, EVP_sha256(), NULL);
	free(both);
	snprintf(name, len, "websub-%02x%02x%02x%02x%02x%02x%02x%02x", md[0], md[1], md[2],
	    md[3], md[4], md[5], md[6], md[7]);
}

void
subs_websub(struct subs *s, bool subscribe, const char *callback, const char *topic,
    const char *secret, long lease_seconds, const char *hub_url, subs_done_fn done, void *arg)
{
	const struct subs_config *sc = &s->cfg->bridge.api.subs;
	struct dsub *d;
	struct op *op;
	char name[40];

	websub_name(callback, topic, name, sizeof(name));
	if (hmap_get(&s->adding, name) != NULL || (subs_find(s, name) != NULL &&
	    subs_find(s, name)->busy)) {
		done(arg, 409, "a request for this callback and topic is under way");
		return;
	}
	if (subscribe && subs_find(s, name) == NULL && s->n + s->nadding >= sc->max) {
		done(arg, 507, "bridge.api.subscriptions.max dynamic subscribers exist already");
		return;
	}
	op = subs_op_new(s, OP_WEBSUB, name, done, arg);
	op->unsubscribe = !subscribe;
	if (subscribe) {
		d = xcalloc(1, sizeof(*d));
		d->name = xstrdup(name);
		d->url = xstrdup(callback);
		d->websub = true;
		d->created = ev_now(s->loop);
		d->lease_until = ev_now(s->loop) + (double)lease_seconds;
		d->events = xcalloc(2, sizeof(*d->events));
		d->events[0] = xstrdup(topic);
		d->headers = xcalloc(2, sizeof(*d->headers));
		d->headers[0] = xasprintf("Link: <%s>; rel=\"hub\", <%s>; rel=\"self\"", hub_url,
		    topic);
		d->nheaders = 1;
		d->signature = secret != NULL ? SIGN_WEBSUB : SIGN_NONE;
		if (secret != NULL) {
			d->secrets[0].value = xstrdup(secret);
			d->nsecrets = 1;
		}
		op->d = d;
		hmap_put(&s->adding, name, d);
		s->nadding++;
	} else if (subs_find(s, name) != NULL)
		subs_find(s, name)->busy = true;
	op->v = verify_intent(s->cv, &s->guard, callback, subscribe ? "subscribe" : "unsubscribe",
	    topic, subscribe ? lease_seconds : 0, sc->validation_timeout, websub_verified, op);
}
