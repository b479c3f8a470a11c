/*
 * The write batch of the store's front: the records of one transaction
 * (store_impl.h's struct store_batch), built by the write calls of store.c
 * and merged while they wait for the database.
 */

#include "store_batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "event.h"
#include "xmalloc.h"

struct store_batch *
batch_new(void)
{
	struct store_batch *b = xcalloc(1, sizeof(*b));

	hmap_init(&b->state_idx);
	return b;
}

static void
import_clear(struct store_import *im)
{
	struct store_row *r = &im->row;
	struct store_event *e = &im->ev;

	free((char *)r->event_id);
	free((char *)r->subscriber);
	free((char *)r->okey);
	free((char *)r->last_error);
	free((char *)e->id);
	free((char *)e->name);
	free((char *)e->source);
	free((char *)e->rule);
	free((char *)e->instance);
	free((char *)e->body);
}

void
batch_free(struct store_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nadds; i++) {
		struct store_add *a = &b->adds[i];

		event_free(a->ev);
		for (size_t j = 0; j < a->nsubs; j++)
			free(a->subs[j]);
		free(a->subs);
		free(a->tickets);
	}
	free(b->adds);
	for (size_t i = 0; i < b->nmarks; i++)
		free(b->marks[i].error);
	free(b->marks);
	for (size_t i = 0; i < b->nstates; i++) {
		free(b->states[i].key);
		free(b->states[i].value);
	}
	free(b->states);
	hmap_free(&b->state_idx);
	for (size_t i = 0; i < b->nsubs; i++) {
		free(b->subs[i].key);
		free(b->subs[i].value);
	}
	free(b->subs);
	for (size_t i = 0; i < b->ndsubs; i++) {
		free(b->dsubs[i].key);
		free(b->dsubs[i].value);
	}
	free(b->dsubs);
	for (size_t i = 0; i < b->nsilences; i++) {
		free(b->silences[i].key);
		free(b->silences[i].value);
	}
	free(b->silences);
	for (size_t i = 0; i < b->ndiscs; i++) {
		free(b->discs[i].key);
		free(b->discs[i].value);
	}
	free(b->discs);
	for (size_t i = 0; i < b->nimports; i++)
		import_clear(&b->imports[i]);
	free(b->imports);
	free(b->cbs);
	free(b);
}

bool
batch_empty(const struct store_batch *b)
{
	return b->nadds == 0 && b->nmarks == 0 && b->nstates == 0 && b->nsubs == 0 &&
	    b->nimports == 0 && b->ndsubs == 0 && b->nsilences == 0 && b->ndiscs == 0 &&
	    b->sweep_before_ms == 0;
}

/* Grows an array of elements of size sz so that one more fits. */
static void *
grow(void *v, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return v;
	*cap = *cap > 0 ? *cap * 2 : 16;
	return xreallocarray(v, *cap, sz);
}

void
batch_state(struct store_batch *b, char *key, char *value, int64_t epoch)
{
	uintptr_t idx = (uintptr_t)hmap_get(&b->state_idx, key);

	if (idx != 0) {
		free(b->states[idx - 1].value);
		b->states[idx - 1].value = value;
		b->states[idx - 1].epoch = epoch;
		free(key);
		return;
	}
	b->states = grow(b->states, b->nstates, &b->capstates, sizeof(*b->states));
	b->states[b->nstates].key = key;
	b->states[b->nstates].value = value;
	b->states[b->nstates].epoch = epoch;
	b->nstates++;
	hmap_put(&b->state_idx, key, (void *)(uintptr_t)b->nstates);
}

/* Appends n elements of size sz at src to the array *dst of *n_dst (capacity *cap). */
static void
append(void **dst, size_t *n_dst, size_t *cap, const void *src, size_t n, size_t sz)
{
	if (n == 0)
		return;
	if (*n_dst + n > *cap) {
		while (*n_dst + n > *cap)
			*cap = *cap > 0 ? *cap * 2 : 16;
		*dst = xreallocarray(*dst, *cap, sz);
	}
	memcpy((char *)*dst + *n_dst * sz, src, n * sz);
	*n_dst += n;
}

void
batch_merge(struct store_batch *dst, struct store_batch *src)
{
	append((void **)&dst->adds, &dst->nadds, &dst->capadds, src->adds, src->nadds,
	    sizeof(*src->adds));
	dst->nevents += src->nevents;
	append((void **)&dst->marks, &dst->nmarks, &dst->capmarks, src->marks, src->nmarks,
	    sizeof(*src->marks));
	for (size_t i = 0; i < src->nstates; i++)
		batch_state(dst, src->states[i].key, src->states[i].value,
		    src->states[i].epoch);
	append((void **)&dst->subs, &dst->nsubs, &dst->capsubs, src->subs, src->nsubs,
	    sizeof(*src->subs));
	append((void **)&dst->imports, &dst->nimports, &dst->capimports, src->imports,
	    src->nimports, sizeof(*src->imports));
	append((void **)&dst->dsubs, &dst->ndsubs, &dst->capdsubs, src->dsubs, src->ndsubs,
	    sizeof(*src->dsubs));
	append((void **)&dst->silences, &dst->nsilences, &dst->capsilences, src->silences,
	    src->nsilences, sizeof(*src->silences));
	append((void **)&dst->discs, &dst->ndiscs, &dst->capdiscs, src->discs, src->ndiscs,
	    sizeof(*src->discs));
	if (src->sweep_before_ms > dst->sweep_before_ms)
		dst->sweep_before_ms = src->sweep_before_ms;
	append((void **)&dst->cbs, &dst->ncbs, &dst->capcbs, src->cbs, src->ncbs,
	    sizeof(*src->cbs));
	src->nadds = src->nmarks = src->nstates = src->nsubs = src->nimports = src->ncbs = 0;
	src->ndsubs = src->nsilences = src->ndiscs = 0;
	batch_free(src);
}

void
batch_add(struct store_batch *b, struct event *ev, const char *const *subs, size_t nsubs,
    double now, const struct store_ticket **tickets)
{
	struct store_add *a;

	b->adds = grow(b->adds, b->nadds, &b->capadds, sizeof(*b->adds));
	a = &b->adds[b->nadds++];
	a->ev = event_ref(ev);
	a->subs = xcalloc(nsubs, sizeof(*a->subs));
	a->nsubs = nsubs;
	a->now = now;
	a->epoch = 0;
	a->tickets = xcalloc(nsubs, sizeof(*a->tickets));
	for (size_t i = 0; i < nsubs; i++) {
		a->subs[i] = xstrdup(subs[i]);
		tickets[i] = &a->tickets[i];
	}
	b->nevents++;
}

void
batch_mark(struct store_batch *b, enum store_mark_kind kind, int64_t seq, unsigned attempts,
    double next_at, int status, const char *error)
{
	struct store_mark *m;

	b->marks = grow(b->marks, b->nmarks, &b->capmarks, sizeof(*b->marks));
	m = &b->marks[b->nmarks++];
	m->kind = kind;
	m->seq = seq;
	m->attempts = attempts;
	m->next_at = next_at;
	m->status = status;
	m->error = xstrdup(error);
	m->at = ev_time();
}

void
batch_sub(struct store_batch *b, const char *name, const char *fp)
{
	b->subs = grow(b->subs, b->nsubs, &b->capsubs, sizeof(*b->subs));
	b->subs[b->nsubs].key = xstrdup(name);
	b->subs[b->nsubs].value = xstrdup(fp);
	b->nsubs++;
}

void
batch_dsub(struct store_batch *b, const char *name, const char *json)
{
	b->dsubs = grow(b->dsubs, b->ndsubs, &b->capdsubs, sizeof(*b->dsubs));
	b->dsubs[b->ndsubs].key = xstrdup(name);
	b->dsubs[b->ndsubs].value = xstrdup(json);
	b->ndsubs++;
}

void
batch_silence(struct store_batch *b, const char *id, const char *json)
{
	b->silences = grow(b->silences, b->nsilences, &b->capsilences, sizeof(*b->silences));
	b->silences[b->nsilences].key = xstrdup(id);
	b->silences[b->nsilences].value = xstrdup(json);
	b->nsilences++;
}

void
batch_disc(struct store_batch *b, const char *key, const char *json)
{
	b->discs = grow(b->discs, b->ndiscs, &b->capdiscs, sizeof(*b->discs));
	b->discs[b->ndiscs].key = xstrdup(key);
	b->discs[b->ndiscs].value = json != NULL ? xstrdup(json) : NULL;
	b->ndiscs++;
}

static struct store_import *
add_import(struct store_batch *b)
{
	struct store_import *im;

	b->imports = grow(b->imports, b->nimports, &b->capimports, sizeof(*b->imports));
	im = &b->imports[b->nimports++];
	memset(im, 0, sizeof(*im));
	return im;
}

void
batch_import_delivery(struct store_batch *b, const struct store_row *r)
{
	struct store_import *im = add_import(b);

	im->row = *r;
	im->row.event_id = xstrdup(r->event_id);
	im->row.subscriber = xstrdup(r->subscriber);
	im->row.okey = xstrdup(r->okey);
	im->row.last_error = xstrdup(r->last_error);
	/* The event's fields travel with the event's own import. */
	im->row.event_name = im->row.body = im->row.source = im->row.rule =
	    im->row.instance = NULL;
}

void
batch_import_event(struct store_batch *b, const struct store_event *ev)
{
	struct store_import *im = add_import(b);

	im->event = true;
	im->ev.id = xstrdup(ev->id);
	im->ev.name = xstrdup(ev->name);
	im->ev.source = xstrdup(ev->source);
	im->ev.rule = xstrdup(ev->rule);
	im->ev.instance = xstrdup(ev->instance);
	im->ev.body = xstrdup(ev->body);
	im->ev.ts_ms = ev->ts_ms;
}

void
batch_callback(struct store_batch *b, store_done_fn fn, void *arg)
{
	b->cbs = grow(b->cbs, b->ncbs, &b->capcbs, sizeof(*b->cbs));
	b->cbs[b->ncbs].fn = fn;
	b->cbs[b->ncbs++].arg = arg;
}
