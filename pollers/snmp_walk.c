#include "snmp_walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_oids.h"
#include "xmalloc.h"

/* A counter of one metric and instance, with the poll that last saw it. */
struct rate_entry {
	struct snmp_counter c;
	uint64_t generation;
};

void
snmp_walk_init(struct snmp_walk *w, const struct snmp_conf *conf, int max_repetitions,
    int max_oids)
{
	const struct snmp_shared *t = conf->shared;
	size_t n = t->nscalars > t->ncolumns ? t->nscalars : t->ncolumns;

	memset(w, 0, sizeof(*w));
	w->conf = conf;
	w->max_repetitions = max_repetitions > 0 ? max_repetitions : 1;
	w->max_oids = max_oids > 0 ? max_oids : 1;
	w->scalars = xcalloc(t->nscalars + 1, sizeof(*w->scalars));
	w->scalar_done = xcalloc(t->nscalars + 1, sizeof(*w->scalar_done));
	w->columns = xcalloc(t->ncolumns + 1, sizeof(*w->columns));
	w->map = xcalloc(n + 1, sizeof(*w->map));
	for (size_t i = 0; i < t->ncolumns; i++) {
		w->columns[i].last = xcalloc(MAX_OID_LEN, sizeof(oid));
		memcpy(w->columns[i].last, t->columns[i].v, t->columns[i].len * sizeof(oid));
		w->columns[i].last_len = t->columns[i].len;
	}
}

bool
snmp_walk_plan(struct snmp_walk *w)
{
	const struct snmp_conf *c = w->conf;

	w->nmap = 0;
	for (size_t i = 0; i < c->shared->nscalars && w->nmap < (size_t)w->max_oids; i++) {
		if (w->scalar_done[i])
			continue;
		w->command = SNMP_MSG_GET;
		w->map[w->nmap++] = i;
	}
	if (w->nmap > 0)
		return true;
	for (size_t i = 0; i < c->shared->ncolumns && w->nmap < (size_t)w->max_oids; i++) {
		if (w->columns[i].done)
			continue;
		w->command = c->version == SNMP_VERSION_1 ? SNMP_MSG_GETNEXT : SNMP_MSG_GETBULK;
		w->map[w->nmap++] = i;
	}
	return w->nmap > 0;
}

const oid *
snmp_walk_oid(const struct snmp_walk *w, size_t k, size_t *len)
{
	size_t i = w->map[k];

	if (w->command == SNMP_MSG_GET) {
		*len = w->conf->shared->scalars[i].len;
		return w->conf->shared->scalars[i].v;
	}
	*len = w->columns[i].last_len;
	return w->columns[i].last;
}

netsnmp_pdu *
snmp_walk_next(struct snmp_walk *w)
{
	netsnmp_pdu *pdu;

	if (!snmp_walk_plan(w))
		return NULL;
	pdu = snmp_pdu_create(w->command);
	if (w->command == SNMP_MSG_GETBULK) {
		pdu->non_repeaters = 0;
		pdu->max_repetitions = w->max_repetitions;
	}
	for (size_t k = 0; k < w->nmap; k++) {
		size_t len;
		const oid *o = snmp_walk_oid(w, k, &len);

		snmp_add_null_var(pdu, o, len);
	}
	return pdu;
}

/* Marks binding k of the request as failed with message msg. */
static void
fail_item(struct snmp_walk *w, size_t k, const char *msg)
{
	size_t i = w->map[k];

	if (w->command == SNMP_MSG_GET) {
		free(w->scalars[i].error);
		w->scalars[i].error = xstrdup(msg);
		w->scalar_done[i] = true;
	} else {
		if (w->columns[i].error == NULL)
			w->columns[i].error = xstrdup(msg);
		w->columns[i].done = true;
	}
}

static void
error_status(struct snmp_walk *w, const netsnmp_pdu *resp)
{
	long idx = resp->errindex;

	if (resp->errstat == SNMP_ERR_TOOBIG) {
		if (w->command == SNMP_MSG_GETBULK && w->max_repetitions > 1)
			w->max_repetitions /= 2;
		else if (w->nmap > 1)
			w->max_oids = (int)(w->nmap / 2);
		else
			fail_item(w, 0, "response too big (tooBig)");
		return;
	}
	if (idx >= 1 && (size_t)idx <= w->nmap) {
		/* SNMPv1 says noSuchName at the end of a table for GETNEXT. */
		if (resp->errstat == SNMP_ERR_NOSUCHNAME && w->command != SNMP_MSG_GET)
			w->columns[w->map[idx - 1]].done = true;
		else
			fail_item(w, (size_t)idx - 1, snmp_errstring(resp->errstat));
		return;
	}
	for (size_t k = 0; k < w->nmap; k++)
		fail_item(w, k, snmp_errstring(resp->errstat));
}

static void
get_response(struct snmp_walk *w, const netsnmp_pdu *resp)
{
	const netsnmp_variable_list *vb = resp->variables;
	char err[128];

	for (size_t k = 0; k < w->nmap; k++) {
		size_t i = w->map[k];
		const struct snmp_oidv *want = &w->conf->shared->scalars[i];
		struct snmp_cell *cell = &w->scalars[i];

		w->scalar_done[i] = true;
		if (vb == NULL) {
			cell->error = xstrdup("missing from the response");
			continue;
		}
		if (snmp_oid_cmp(vb->name, vb->name_length, want->v, want->len) != 0)
			cell->error = xstrdup("unexpected OID in the response");
		else if (snmp_value_convert(vb, &cell->value, err, sizeof(err)) == -1)
			cell->error = xstrdup(err);
		else
			snmp_value_raw(vb, &cell->raw);
		vb = vb->next_variable;
	}
}

static void
add_row(struct snmp_column *col, const struct snmp_oidv *base, const netsnmp_variable_list *vb)
{
	struct snmp_cell *cell;
	char buf[MAX_OID_LEN * 11 + 1], err[128];

	if (col->ncells == col->cap) {
		col->cap = col->cap ? col->cap * 2 : 16;
		col->cells = xreallocarray(col->cells, col->cap, sizeof(*col->cells));
	}
	cell = &col->cells[col->ncells++];
	memset(cell, 0, sizeof(*cell));
	cell->instance = xstrdup(snmp_oid_format(vb->name + base->len,
	    vb->name_length - base->len, buf, sizeof(buf)));
	if (snmp_value_convert(vb, &cell->value, err, sizeof(err)) == -1)
		cell->error = xstrdup(err);
	else
		snmp_value_raw(vb, &cell->raw);
	if (vb->type == ASN_OCTET_STR && cell->value.type == VALUE_NUMBER)
		cell->text = snmp_value_text(vb);
	memcpy(col->last, vb->name, vb->name_length * sizeof(oid));
	col->last_len = vb->name_length;
}

static void
walk_response(struct snmp_walk *w, const netsnmp_pdu *resp)
{
	size_t k = 0;
	bool progress = false;

	for (const netsnmp_variable_list *vb = resp->variables; vb != NULL;
	    vb = vb->next_variable, k++) {
		size_t i = w->map[k % w->nmap];
		struct snmp_column *col = &w->columns[i];
		const struct snmp_oidv *base = &w->conf->shared->columns[i];

		if (col->done)
			continue;
		if (vb->type == SNMP_ENDOFMIBVIEW || vb->type == SNMP_NOSUCHOBJECT ||
		    vb->type == SNMP_NOSUCHINSTANCE ||
		    !snmp_oid_under(base->v, base->len, vb->name, vb->name_length))
			col->done = true;
		else if (snmp_oid_cmp(vb->name, vb->name_length, col->last, col->last_len) <= 0) {
			/* An agent that goes back or repeats would make us loop forever. */
			col->done = true;
			if (col->error == NULL)
				col->error = xstrdup("agent returned OIDs out of order");
		} else if (col->ncells >= SNMP_WALK_MAX_ROWS) {
			col->done = true;
			if (col->error == NULL)
				col->error = xasprintf("more than %d rows", SNMP_WALK_MAX_ROWS);
		} else {
			add_row(col, base, vb);
			progress = true;
		}
	}
	if (progress)
		return;
	for (k = 0; k < w->nmap; k++) {
		struct snmp_column *col = &w->columns[w->map[k]];

		if (!col->done) {
			col->done = true;
			if (col->error == NULL)
				col->error = xstrdup("empty response");
		}
	}
}

void
snmp_walk_response(struct snmp_walk *w, const netsnmp_pdu *resp)
{
	if (w->nmap == 0) {
		free(w->fatal);
		w->fatal = xstrdup("response without a request");
		return;
	}
	if (resp->errstat != SNMP_ERR_NOERROR)
		error_status(w, resp);
	else if (w->command == SNMP_MSG_GET)
		get_response(w, resp);
	else
		walk_response(w, resp);
	w->nmap = 0;
}

/* Notices an agent restart (sysUpTime went back): every counter starts again. */
static void
check_uptime(struct snmp_walk *w, struct snmp_rates *r)
{
	const struct snmp_cell *cell;
	uint32_t up;
	size_t pos = 0;
	const char *key;
	void *val;

	if (w->conf->shared->uptime < 0)
		return;
	cell = &w->scalars[w->conf->shared->uptime];
	if (cell->error != NULL || cell->value.type != VALUE_NUMBER)
		return;
	up = (uint32_t)cell->value.num;
	if (r->have_uptime && up < r->uptime)
		while (hmap_next(&r->counters, &pos, &key, &val))
			((struct rate_entry *)val)->c.valid = false;
	r->have_uptime = true;
	r->uptime = up;
}

static void
emit(struct sample *s, struct snmp_rates *r, const struct snmp_metric_conf *m, size_t mi,
    const struct snmp_cell *cell, const char *label, double t)
{
	struct point *p;
	struct rate_entry *e;
	char *key;
	double rate;

	if (cell->error != NULL) {
		p = sample_add(s, m->name, cell->instance);
		p->label = xstrdup(label);
		p->error = xstrdup(cell->error);
		return;
	}
	if (!m->rate) {
		p = sample_add(s, m->name, cell->instance);
		p->label = xstrdup(label);
		value_copy(&p->value, &cell->value);
		return;
	}
	key = xasprintf("%zu/%s", mi, cell->instance != NULL ? cell->instance : "");
	if ((e = hmap_get(&r->counters, key)) == NULL) {
		e = xcalloc(1, sizeof(*e));
		hmap_put(&r->counters, key, e);
	}
	free(key);
	e->generation = r->generation;
	switch (snmp_rate_update(&e->c, &cell->raw, t, &rate)) {
	case SNMP_RATE_OK:
		p = sample_add(s, m->name, cell->instance);
		p->label = xstrdup(label);
		p->value.type = VALUE_NUMBER;
		p->value.num = rate;
		break;
	case SNMP_RATE_INVALID:
		if (cell->raw.kind == SNMP_RAW_NONE) {
			p = sample_add(s, m->name, cell->instance);
			p->label = xstrdup(label);
			p->error = xstrdup("rate of a value that is not a number");
		}
		break;
	default:
		break;	/* first reading or reset: a rate needs two */
	}
}

/* Forgets counters of rows that are gone. */
static void
purge(struct snmp_rates *r)
{
	size_t pos = 0, n = 0;
	const char *key;
	void *val;
	char **gone = NULL;

	while (hmap_next(&r->counters, &pos, &key, &val)) {
		if (((struct rate_entry *)val)->generation == r->generation)
			continue;
		gone = xreallocarray(gone, n + 1, sizeof(*gone));
		gone[n++] = xstrdup(key);
	}
	for (size_t i = 0; i < n; i++) {
		free(hmap_del(&r->counters, gone[i]));
		free(gone[i]);
	}
	free(gone);
}

static void
fill_walk(struct snmp_walk *w, struct sample *s, struct snmp_rates *r, size_t mi, double t)
{
	const struct snmp_metric_conf *m = &w->conf->shared->metrics[mi];
	const struct snmp_column *col = &w->columns[m->index];
	struct hmap labels;
	char **texts = NULL;

	hmap_init(&labels);
	if (m->label >= 0) {
		const struct snmp_column *lc = &w->columns[m->label];

		texts = xcalloc(lc->ncells + 1, sizeof(*texts));
		for (size_t i = 0; i < lc->ncells; i++) {
			if (lc->cells[i].error != NULL)
				continue;
			texts[i] = lc->cells[i].text != NULL ? xstrdup(lc->cells[i].text) :
			    value_to_text(&lc->cells[i].value);
			hmap_put(&labels, lc->cells[i].instance, texts[i]);
		}
		for (size_t i = 0; i < col->ncells; i++)
			emit(s, r, m, mi, &col->cells[i],
			    hmap_get(&labels, col->cells[i].instance), t);
		for (size_t i = 0; i < lc->ncells; i++)
			free(texts[i]);
		free(texts);
	} else
		for (size_t i = 0; i < col->ncells; i++)
			emit(s, r, m, mi, &col->cells[i], NULL, t);
	hmap_free(&labels);
	if (col->error != NULL)
		sample_add_error(s, m->name, "%s", col->error);
}

void
snmp_walk_fill(struct snmp_walk *w, struct sample *s, struct snmp_rates *r, double t)
{
	bool rates = false;

	if (r != NULL) {
		r->generation++;
		check_uptime(w, r);
	}
	for (size_t i = 0; i < w->conf->shared->nmetrics; i++) {
		const struct snmp_metric_conf *m = &w->conf->shared->metrics[i];

		rates |= m->rate;
		if (m->walk)
			fill_walk(w, s, r, i, t);
		else
			emit(s, r, m, i, &w->scalars[m->index], NULL, t);
	}
	if (rates)
		purge(r);
}

static void
free_cell(struct snmp_cell *c)
{
	free(c->instance);
	free(c->error);
	free(c->text);
	value_clear(&c->value);
}

void
snmp_walk_free(struct snmp_walk *w)
{
	const struct snmp_conf *c = w->conf;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->shared->nscalars; i++)
		free_cell(&w->scalars[i]);
	for (size_t i = 0; i < c->shared->ncolumns; i++) {
		for (size_t j = 0; j < w->columns[i].ncells; j++)
			free_cell(&w->columns[i].cells[j]);
		free(w->columns[i].cells);
		free(w->columns[i].last);
		free(w->columns[i].error);
	}
	free(w->scalars);
	free(w->scalar_done);
	free(w->columns);
	free(w->map);
	free(w->fatal);
	memset(w, 0, sizeof(*w));
}

void
snmp_rates_init(struct snmp_rates *r)
{
	memset(r, 0, sizeof(*r));
	hmap_init(&r->counters);
}

void
snmp_rates_free(struct snmp_rates *r)
{
	size_t pos = 0;
	const char *key;
	void *val;

	while (hmap_next(&r->counters, &pos, &key, &val))
		free(val);
	hmap_free(&r->counters);
}
