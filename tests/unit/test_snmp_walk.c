/*
 * Unit tests of one snmp poll as a state machine: the requests it sends and
 * what it makes of hand-built responses (table ends, agents that repeat or go
 * back, tooBig, v1 noSuchName, labels, rates across an agent restart).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "snmp_oids.h"
#include "snmp_walk.h"
#include "xmalloc.h"

static void
add_oidv(struct snmp_oidv **v, size_t *n, const char *text)
{
	oid o[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	assert_int_equal(snmp_oid_parse(text, o, &len), 0);
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].v = xcalloc(len, sizeof(oid));
	memcpy((*v)[*n].v, o, len * sizeof(oid));
	(*v)[*n].len = len;
	(*n)++;
}

static struct snmp_metric_conf *
add_metric(struct snmp_conf *c, const char *name, bool walk, size_t index, long label)
{
	struct snmp_shared *t = c->shared;
	struct snmp_metric_conf *m;

	t->metrics = xreallocarray(t->metrics, t->nmetrics + 1, sizeof(*t->metrics));
	m = &t->metrics[t->nmetrics++];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->walk = walk;
	m->index = index;
	m->label = label;
	return m;
}

static struct snmp_conf *
conf_new(long version)
{
	struct snmp_conf *c = xcalloc(1, sizeof(*c));
	struct snmp_shared *t;

	c->version = version;
	c->shared = xcalloc(1, sizeof(*c->shared));
	t = c->shared;
	t->refs = 1;
	t->uptime = -1;
	c->max_repetitions = 10;
	c->max_oids = 16;
	return c;
}

static void
conf_free(struct snmp_conf *c)
{
	snmp_conf_free(c);
}

static netsnmp_pdu *
response(void)
{
	netsnmp_pdu *p = snmp_pdu_create(SNMP_MSG_RESPONSE);

	p->errstat = 0;
	p->errindex = 0;
	return p;
}

static void
add_int(netsnmp_pdu *p, const char *o, u_char type, long v)
{
	oid name[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	assert_int_equal(snmp_oid_parse(o, name, &len), 0);
	snmp_pdu_add_variable(p, name, len, type, &v, sizeof(v));
}

static void
add_str(netsnmp_pdu *p, const char *o, const char *s)
{
	oid name[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	assert_int_equal(snmp_oid_parse(o, name, &len), 0);
	snmp_pdu_add_variable(p, name, len, ASN_OCTET_STR, s, strlen(s));
}

static void
add_end(netsnmp_pdu *p, const char *o)
{
	oid name[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	assert_int_equal(snmp_oid_parse(o, name, &len), 0);
	snmp_pdu_add_variable(p, name, len, SNMP_ENDOFMIBVIEW, NULL, 0);
}

static size_t
nvars(const netsnmp_pdu *p)
{
	size_t n = 0;

	for (const netsnmp_variable_list *v = p->variables; v != NULL; v = v->next_variable)
		n++;
	return n;
}

static const struct point *
find(const struct sample *s, const char *metric, const char *instance)
{
	for (size_t i = 0; i < s->npoints; i++) {
		const struct point *p = &s->points[i];

		if (strcmp(p->metric, metric) != 0)
			continue;
		if ((instance == NULL && p->instance == NULL) ||
		    (instance != NULL && p->instance != NULL && strcmp(p->instance, instance) == 0))
			return p;
	}
	return NULL;
}

#define IFDESCR	"1.3.6.1.2.1.2.2.1.2"
#define IFOPER	"1.3.6.1.2.1.2.2.1.8"

/* Scalars go in one GET; both columns in each GETBULK; rows are labelled. */
static void
test_get_and_bulk_walk(void **state)
{
	struct snmp_conf *c = conf_new(SNMP_VERSION_2c);
	struct snmp_walk w;
	struct snmp_rates r;
	struct sample s;
	netsnmp_pdu *req, *resp;
	const struct point *p;

	(void)state;
	add_oidv(&c->shared->scalars, &c->shared->nscalars, "1.3.6.1.2.1.1.5.0");
	add_oidv(&c->shared->scalars, &c->shared->nscalars, "1.3.6.1.2.1.25.1.6.0");
	add_oidv(&c->shared->columns, &c->shared->ncolumns, IFOPER);
	add_oidv(&c->shared->columns, &c->shared->ncolumns, IFDESCR);
	add_metric(c, "name", false, 0, -1);
	add_metric(c, "procs", false, 1, -1);
	add_metric(c, "if_oper", true, 0, 1);
	snmp_walk_init(&w, c, 2, 16);
	snmp_rates_init(&r);

	req = snmp_walk_next(&w);
	assert_int_equal(req->command, SNMP_MSG_GET);
	assert_int_equal(nvars(req), 2);
	snmp_free_pdu(req);
	resp = response();
	add_str(resp, "1.3.6.1.2.1.1.5.0", "edge-router-1");
	add_int(resp, "1.3.6.1.2.1.25.1.6.0", ASN_GAUGE, 123);
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);

	req = snmp_walk_next(&w);
	assert_int_equal(req->command, SNMP_MSG_GETBULK);
	assert_int_equal(req->max_repetitions, 2);
	assert_int_equal(nvars(req), 2);
	snmp_free_pdu(req);
	resp = response();	/* two repetitions of (ifOperStatus, ifDescr) */
	add_int(resp, IFOPER ".1", ASN_INTEGER, 1);
	add_str(resp, IFDESCR ".1", "lo");
	add_int(resp, IFOPER ".2", ASN_INTEGER, 2);
	add_str(resp, IFDESCR ".2", "eth0");
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);

	req = snmp_walk_next(&w);
	assert_non_null(req);
	assert_int_equal(nvars(req), 2);
	snmp_free_pdu(req);
	resp = response();	/* ifOperStatus ends (next column), ifDescr has one more */
	add_int(resp, "1.3.6.1.2.1.2.2.1.9.1", ASN_TIMETICKS, 0);
	add_str(resp, IFDESCR ".3", "eth1");
	add_int(resp, "1.3.6.1.2.1.2.2.1.9.2", ASN_TIMETICKS, 0);
	add_int(resp, IFOPER ".1", ASN_INTEGER, 1);
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	assert_null(snmp_walk_next(&w));
	assert_null(w.fatal);

	sample_init(&s, 0);
	snmp_walk_fill(&w, &s, &r, 1.0);
	assert_int_equal(s.npoints, 4);
	p = find(&s, "name", NULL);
	assert_string_equal(p->value.str, "edge-router-1");
	assert_true(find(&s, "procs", NULL)->value.num == 123);
	p = find(&s, "if_oper", "2");
	assert_non_null(p);
	assert_true(p->value.num == 2);
	assert_string_equal(p->label, "eth0");
	assert_string_equal(find(&s, "if_oper", "1")->label, "lo");
	sample_clear(&s);
	snmp_walk_free(&w);
	snmp_rates_free(&r);
	conf_free(c);
}

/* An agent that repeats or goes back stops the walk instead of looping. */
static void
test_walk_stops_on_repeat(void **state)
{
	struct snmp_conf *c = conf_new(SNMP_VERSION_2c);
	struct snmp_walk w;
	struct snmp_rates r;
	struct sample s;
	netsnmp_pdu *req, *resp;

	(void)state;
	add_oidv(&c->shared->columns, &c->shared->ncolumns, IFOPER);
	add_metric(c, "if_oper", true, 0, -1);
	snmp_walk_init(&w, c, 10, 16);
	snmp_rates_init(&r);
	snmp_free_pdu(snmp_walk_next(&w));
	resp = response();
	add_int(resp, IFOPER ".1", ASN_INTEGER, 1);
	add_int(resp, IFOPER ".2", ASN_INTEGER, 1);
	add_int(resp, IFOPER ".2", ASN_INTEGER, 1);	/* repeats */
	add_int(resp, IFOPER ".3", ASN_INTEGER, 1);
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	assert_null(snmp_walk_next(&w));
	sample_init(&s, 0);
	snmp_walk_fill(&w, &s, &r, 1.0);
	/* two rows and the error */
	assert_non_null(find(&s, "if_oper", "1"));
	assert_non_null(find(&s, "if_oper", "2"));
	assert_null(find(&s, "if_oper", "3"));
	assert_string_equal(find(&s, "if_oper", NULL)->error, "agent returned OIDs out of order");
	sample_clear(&s);
	snmp_walk_free(&w);

	/* the next round comes back with an OID before the last one */
	snmp_walk_init(&w, c, 10, 16);
	snmp_free_pdu(snmp_walk_next(&w));
	resp = response();
	add_int(resp, IFOPER ".5", ASN_INTEGER, 1);
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	req = snmp_walk_next(&w);
	assert_non_null(req);
	snmp_free_pdu(req);
	resp = response();
	add_int(resp, IFOPER ".4", ASN_INTEGER, 1);
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	assert_null(snmp_walk_next(&w));
	assert_int_equal(w.columns[0].ncells, 1);
	snmp_walk_free(&w);
	snmp_rates_free(&r);
	conf_free(c);
}

/* endOfMibView ends a column; an empty response cannot loop either. */
static void
test_end_of_mib_and_empty(void **state)
{
	struct snmp_conf *c = conf_new(SNMP_VERSION_2c);
	struct snmp_walk w;
	netsnmp_pdu *resp;

	(void)state;
	add_oidv(&c->shared->columns, &c->shared->ncolumns, "1.3.6.1.4.1.99999");
	add_metric(c, "x", true, 0, -1);
	snmp_walk_init(&w, c, 10, 16);
	snmp_free_pdu(snmp_walk_next(&w));
	resp = response();
	add_int(resp, "1.3.6.1.4.1.99999.1", ASN_INTEGER, 1);
	add_end(resp, "1.3.6.1.4.1.99999.1");
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	assert_null(snmp_walk_next(&w));
	assert_null(w.columns[0].error);
	assert_int_equal(w.columns[0].ncells, 1);
	snmp_walk_free(&w);

	snmp_walk_init(&w, c, 10, 16);
	snmp_free_pdu(snmp_walk_next(&w));
	resp = response();
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	assert_null(snmp_walk_next(&w));
	assert_string_equal(w.columns[0].error, "empty response");
	snmp_walk_free(&w);
	conf_free(c);
}

/* tooBig halves max-repetitions, then the number of columns per request. */
static void
test_too_big(void **state)
{
	struct snmp_conf *c = conf_new(SNMP_VERSION_2c);
	struct snmp_walk w;
	netsnmp_pdu *req, *resp;

	(void)state;
	add_oidv(&c->shared->columns, &c->shared->ncolumns, IFOPER);
	add_oidv(&c->shared->columns, &c->shared->ncolumns, IFDESCR);
	add_metric(c, "a", true, 0, -1);
	add_metric(c, "b", true, 1, -1);
	snmp_walk_init(&w, c, 4, 16);
	for (int expect = 4; expect >= 1; expect /= 2) {
		req = snmp_walk_next(&w);
		assert_int_equal(req->max_repetitions, expect);
		assert_int_equal(nvars(req), 2);
		snmp_free_pdu(req);
		resp = response();
		resp->errstat = SNMP_ERR_TOOBIG;
		snmp_walk_response(&w, resp);
		snmp_free_pdu(resp);
	}
	req = snmp_walk_next(&w);
	assert_int_equal(req->max_repetitions, 1);
	assert_int_equal(nvars(req), 1);	/* one column at a time now */
	snmp_free_pdu(req);
	resp = response();
	resp->errstat = SNMP_ERR_TOOBIG;
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	assert_string_equal(w.columns[0].error, "response too big (tooBig)");
	assert_int_equal(w.max_repetitions, 1);
	snmp_walk_free(&w);
	conf_free(c);
}

/* SNMPv1: GETNEXT, and noSuchName is the end of the table or a missing scalar. */
static void
test_v1(void **state)
{
	struct snmp_conf *c = conf_new(SNMP_VERSION_1);
	struct snmp_walk w;
	struct snmp_rates r;
	struct sample s;
	netsnmp_pdu *req, *resp;

	(void)state;
	add_oidv(&c->shared->scalars, &c->shared->nscalars, "1.3.6.1.2.1.1.5.0");
	add_oidv(&c->shared->scalars, &c->shared->nscalars, "1.3.6.1.4.1.99999.0");
	add_oidv(&c->shared->columns, &c->shared->ncolumns, IFOPER);
	add_metric(c, "name", false, 0, -1);
	add_metric(c, "missing", false, 1, -1);
	add_metric(c, "if_oper", true, 0, -1);
	snmp_walk_init(&w, c, 10, 16);
	snmp_rates_init(&r);

	snmp_free_pdu(snmp_walk_next(&w));
	resp = response();
	resp->errstat = SNMP_ERR_NOSUCHNAME;
	resp->errindex = 2;
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	req = snmp_walk_next(&w);	/* again without the missing one */
	assert_int_equal(req->command, SNMP_MSG_GET);
	assert_int_equal(nvars(req), 1);
	snmp_free_pdu(req);
	resp = response();
	add_str(resp, "1.3.6.1.2.1.1.5.0", "r1");
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);

	req = snmp_walk_next(&w);
	assert_int_equal(req->command, SNMP_MSG_GETNEXT);
	snmp_free_pdu(req);
	resp = response();
	add_int(resp, IFOPER ".1", ASN_INTEGER, 1);
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	snmp_free_pdu(snmp_walk_next(&w));
	resp = response();
	resp->errstat = SNMP_ERR_NOSUCHNAME;
	resp->errindex = 1;
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	assert_null(snmp_walk_next(&w));

	sample_init(&s, 0);
	snmp_walk_fill(&w, &s, &r, 1.0);
	assert_string_equal(find(&s, "name", NULL)->value.str, "r1");
	assert_non_null(find(&s, "missing", NULL)->error);
	assert_true(find(&s, "if_oper", "1")->value.num == 1);
	assert_null(find(&s, "if_oper", "1")->error);
	sample_clear(&s);
	snmp_walk_free(&w);
	snmp_rates_free(&r);
	conf_free(c);
}

/* A label that looks like a number keeps its text. */
static void
test_numeric_label(void **state)
{
	struct snmp_conf *c = conf_new(SNMP_VERSION_2c);
	struct snmp_walk w;
	struct snmp_rates r;
	struct sample s;
	netsnmp_pdu *resp;

	(void)state;
	add_oidv(&c->shared->columns, &c->shared->ncolumns, IFOPER);
	add_oidv(&c->shared->columns, &c->shared->ncolumns, IFDESCR);
	add_metric(c, "if_oper", true, 0, 1);
	snmp_walk_init(&w, c, 10, 16);
	snmp_rates_init(&r);
	snmp_free_pdu(snmp_walk_next(&w));
	resp = response();
	add_int(resp, IFOPER ".7", ASN_INTEGER, 1);
	add_str(resp, IFDESCR ".7", "1e3");
	add_end(resp, IFOPER ".7");
	add_end(resp, IFDESCR ".7");
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	assert_null(snmp_walk_next(&w));
	sample_init(&s, 0);
	snmp_walk_fill(&w, &s, &r, 1.0);
	assert_string_equal(find(&s, "if_oper", "7")->label, "1e3");
	sample_clear(&s);
	snmp_walk_free(&w);
	snmp_rates_free(&r);
	conf_free(c);
}

/* One poll with a counter and sysUpTime; returns the rate point or NULL. */
static bool
poll_counter(struct snmp_conf *c, struct snmp_rates *r, long uptime, long counter, double t,
    double *rate)
{
	struct snmp_walk w;
	struct sample s;
	netsnmp_pdu *resp;
	const struct point *p;
	bool got;

	snmp_walk_init(&w, c, 10, 16);
	snmp_free_pdu(snmp_walk_next(&w));
	resp = response();
	add_int(resp, "1.3.6.1.4.1.99999.1.0", ASN_COUNTER, counter);
	add_int(resp, "1.3.6.1.2.1.1.3.0", ASN_TIMETICKS, uptime);
	snmp_walk_response(&w, resp);
	snmp_free_pdu(resp);
	assert_null(snmp_walk_next(&w));
	sample_init(&s, 0);
	snmp_walk_fill(&w, &s, r, t);
	p = find(&s, "octets", NULL);
	if ((got = p != NULL))
		*rate = p->value.num;
	sample_clear(&s);
	snmp_walk_free(&w);
	return got;
}

static void
test_rate_wrap_and_restart(void **state)
{
	struct snmp_conf *c = conf_new(SNMP_VERSION_2c);
	struct snmp_rates r;
	double rate = 0;

	(void)state;
	add_oidv(&c->shared->scalars, &c->shared->nscalars, "1.3.6.1.4.1.99999.1.0");
	add_oidv(&c->shared->scalars, &c->shared->nscalars, "1.3.6.1.2.1.1.3.0");
	c->shared->uptime = 1;
	add_metric(c, "octets", false, 0, -1)->rate = true;
	snmp_rates_init(&r);
	assert_false(poll_counter(c, &r, 1000, 4294967000L, 10.0, &rate));
	assert_true(poll_counter(c, &r, 1100, 704L, 11.0, &rate));
	assert_true(rate == 1000.0);	/* 296 before 2^32, 704 after */
	/* the agent restarted: its counters start again, no spike */
	assert_false(poll_counter(c, &r, 50, 100L, 12.0, &rate));
	assert_true(poll_counter(c, &r, 150, 600L, 13.0, &rate));
	assert_true(rate == 500.0);
	snmp_rates_free(&r);
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_and_bulk_walk),
		cmocka_unit_test(test_walk_stops_on_repeat),
		cmocka_unit_test(test_end_of_mib_and_empty),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_rate_wrap_and_restart),
		cmocka_unit_test(test_numeric_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
