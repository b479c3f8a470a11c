/*
 * Fuzz target of what an SNMP agent's answers go through: net-snmp's
 * snmp_parse on the raw datagram, as its session layer does for every
 * packet the poller's socket receives, then the poll's state machine
 * (pollers/snmp_walk.c: GET scalars, GETBULK or GETNEXT walks, tooBig,
 * error status) and the value conversion (pollers/snmp_value.c), over two
 * polls so counters make rates. The first byte picks the source's shape
 * (version, GETBULK size, which metrics); then each answer is a 2-byte
 * big-endian length and that many bytes of SNMP message. Built with
 * -fsanitize=fuzzer it is a libFuzzer target; otherwise tests/fuzz/replay.c
 * runs it over the corpus in make check.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "snmp_lib.h"
#include "snmp_oids.h"
#include "snmp_walk.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROUNDS_MAX	64	/* requests per poll */

static void
add_oidv(struct snmp_oidv **v, size_t *n, const char *text)
{
	oid o[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	if (snmp_oid_parse(text, o, &len) != 0)
		abort();
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].v = xcalloc(len, sizeof(oid));
	memcpy((*v)[*n].v, o, len * sizeof(oid));
	(*v)[*n].len = len;
	(*n)++;
}

static void
add_metric(struct snmp_conf *c, const char *name, bool walk, bool rate, size_t index, long label)
{
	struct snmp_shared *t = c->shared;
	struct snmp_metric_conf *m;

	t->metrics = xreallocarray(t->metrics, t->nmetrics + 1, sizeof(*t->metrics));
	m = &t->metrics[t->nmetrics++];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->walk = walk;
	m->rate = rate;
	m->index = index;
	m->label = label;
}

/* The source: bits of shape pick the version, the GETBULK size and the metrics. */
static struct snmp_conf *
conf_new(uint8_t shape)
{
	static const long versions[] = { SNMP_VERSION_1, SNMP_VERSION_2c };
	struct snmp_conf *c = xcalloc(1, sizeof(*c));
	struct snmp_shared *t;

	c->version = versions[shape & 1];
	c->shared = xcalloc(1, sizeof(*c->shared));
	t = c->shared;
	t->refs = 1;
	c->max_repetitions = (shape >> 1) & 1 ? 1 : 10;
	c->max_oids = (shape >> 2) & 1 ? 2 : 16;
	t->uptime = -1;
	if (shape & 0x08) {
		add_oidv(&t->scalars, &t->nscalars, "1.3.6.1.2.1.1.3.0");	/* sysUpTime */
		t->uptime = 0;
		add_metric(c, "uptime", false, false, 0, -1);
	}
	if (shape & 0x10) {
		add_metric(c, "descr", false, false, t->nscalars, -1);
		add_oidv(&t->scalars, &t->nscalars, "1.3.6.1.2.1.1.1.0");	/* sysDescr */
	}
	add_metric(c, "if_oper", true, false, t->ncolumns, (shape & 0x20) ? 1 : -1);
	add_oidv(&t->columns, &t->ncolumns, "1.3.6.1.2.1.2.2.1.8");	/* ifOperStatus */
	add_oidv(&t->columns, &t->ncolumns, "1.3.6.1.2.1.31.1.1.1.1");	/* ifName */
	if (shape & 0x40) {
		add_metric(c, "in_bps", true, true, t->ncolumns, 1);
		add_oidv(&t->columns, &t->ncolumns, "1.3.6.1.2.1.31.1.1.1.6");	/* ifHCInOctets */
	}
	return c;
}

/* Converts every variable binding of pdu the ways the poller may. */
static void
convert_all(const netsnmp_pdu *pdu)
{
	char err[256];

	for (const netsnmp_variable_list *vb = pdu->variables; vb != NULL;
	    vb = vb->next_variable) {
		struct value v;
		struct snmp_raw raw;

		memset(&v, 0, sizeof(v));
		if (snmp_value_convert(vb, &v, err, sizeof(err)) == 0)
			value_clear(&v);
		free(snmp_value_text(vb));
		snmp_value_raw(vb, &raw);
	}
}

/* Takes the next answer off the input; returns the parsed PDU or NULL. */
static netsnmp_pdu *
next_answer(const uint8_t **data, size_t *size, netsnmp_session *sess, bool *more)
{
	netsnmp_pdu *pdu;
	u_char *copy;
	size_t len;

	*more = *size >= 2;
	if (!*more)
		return NULL;
	len = (size_t)(*data)[0] << 8 | (*data)[1];
	*data += 2;
	*size -= 2;
	if (len > *size)
		len = *size;
	/* net-snmp parses in place from a buffer it may not read past. */
	copy = xmalloc(len > 0 ? len : 1);
	memcpy(copy, *data, len);
	*data += len;
	*size -= len;
	pdu = xcalloc(1, sizeof(*pdu));
	if (snmp_parse(NULL, sess, pdu, copy, len) != 0) {
		snmp_free_pdu(pdu);
		pdu = NULL;
	}
	free(copy);
	return pdu;
}

/* One poll over the answers in the input; returns false when the input ran out. */
static bool
poll_once(const struct snmp_conf *c, struct snmp_rates *rates, double t,
    const uint8_t **data, size_t *size, netsnmp_session *sess)
{
	struct snmp_walk w;
	struct sample s;
	netsnmp_pdu *req, *resp;
	bool more = true, failed = false;

	snmp_walk_init(&w, c, c->max_repetitions, c->max_oids);
	for (int round = 0; round < ROUNDS_MAX; round++) {
		if ((req = snmp_walk_next(&w)) == NULL)
			break;
		snmp_free_pdu(req);
		resp = next_answer(data, size, sess, &more);
		/* What snmp.c's response_cb lets through to the walk. */
		if (resp == NULL || resp->command != SNMP_MSG_RESPONSE) {
			if (resp != NULL)
				snmp_free_pdu(resp);
			failed = true;
			break;
		}
		convert_all(resp);
		snmp_walk_response(&w, resp);
		snmp_free_pdu(resp);
		if (w.fatal != NULL) {
			failed = true;
			break;
		}
	}
	if (!failed) {
		sample_init(&s, t);
		snmp_walk_fill(&w, &s, rates, t);
		sample_clear(&s);
	}
	snmp_walk_free(&w);
	return more;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snmp_conf *c;
	struct snmp_rates rates;
	netsnmp_session sess;

	if (size < 1)
		return 0;
	snmp_lib_init();
	c = conf_new(data[0]);
	data++;
	size--;
	snmp_sess_init(&sess);
	sess.version = c->version;
	snmp_rates_init(&rates);
	for (int i = 0; i < 3 && poll_once(c, &rates, 1000.0 + 10.0 * i, &data, &size, &sess); i++)
		continue;
	snmp_rates_free(&rates);
	snmp_conf_free(c);
	return 0;
}
