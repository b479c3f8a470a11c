#ifndef POLLHOOK_SNMP_WALK_H
#define POLLHOOK_SNMP_WALK_H

/*
 * One poll of one snmp source as a pure state machine over PDUs: which
 * request to send next (GETs of the scalars, then GETBULK or GETNEXT rounds
 * over every walked column at once), what each response means (rows, ends of
 * tables, errors, tooBig), and the sample the results make. No sockets, no
 * loop: the transport lives in snmp.c, and the tests feed PDUs by hand.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "sample.h"
#include "snmp_conf.h"
#include "snmp_value.h"

/* Rows beyond this many per column end the walk with an error. */
#define SNMP_WALK_MAX_ROWS	100000

struct snmp_cell {
	char *instance;		/* index suffix (walks), or NULL (scalars) */
	struct value value;
	char *text;		/* the text of a string that became a number, for labels */
	struct snmp_raw raw;
	char *error;		/* the agent had no value */
};

struct snmp_column {
	oid *last;		/* where the next round starts */
	size_t last_len;
	bool done;
	char *error;		/* the walk of this column failed */
	struct snmp_cell *cells;
	size_t ncells, cap;
};

struct snmp_walk {
	const struct snmp_conf *conf;
	int max_repetitions;	/* current; halved on tooBig */
	int max_oids;		/* current; halved on tooBig */
	struct snmp_cell *scalars;	/* conf->nscalars results */
	bool *scalar_done;
	struct snmp_column *columns;	/* conf->ncolumns */
	/* the request in flight: what each of its variable bindings stands for */
	int command;
	size_t *map;
	size_t nmap;
	char *fatal;		/* the poll failed; set by snmp_walk_response */
};

/* Per-source state that outlives polls: counters for rates and the agent's uptime. */
struct snmp_rates {
	struct hmap counters;	/* "metric/instance" -> struct snmp_counter */
	bool have_uptime;
	uint32_t uptime;
	uint64_t generation;
};

/* Starts a poll of conf with the given GETBULK size and request width. */
void snmp_walk_init(struct snmp_walk *w, const struct snmp_conf *conf, int max_repetitions,
    int max_oids);
/* Returns the next request to send (caller sends or frees it), or NULL when the poll is complete. */
netsnmp_pdu *snmp_walk_next(struct snmp_walk *w);
/*
 * Plans the next request (w->command, w->max_repetitions for GETBULK, and
 * w->nmap bindings) without building it; returns false when the poll is
 * complete. snmp_walk_next is this plus the PDU.
 */
bool snmp_walk_plan(struct snmp_walk *w);
/* Returns the OID (borrowed, *len long) of binding k < w->nmap of the planned request. */
const oid *snmp_walk_oid(const struct snmp_walk *w, size_t k, size_t *len);
/* Takes in the response to the last request (borrowed); sets w->fatal when the poll must fail. */
void snmp_walk_response(struct snmp_walk *w, const netsnmp_pdu *resp);
/*
 * Adds the points of a complete poll scheduled at Unix time t to s, computing
 * rates with r (NULL when conf has no rate metric) over scheduled starts.
 */
void snmp_walk_fill(struct snmp_walk *w, struct sample *s, struct snmp_rates *r, double t);
/* Frees what the poll holds. */
void snmp_walk_free(struct snmp_walk *w);

/* Initialises empty rate state. */
void snmp_rates_init(struct snmp_rates *r);
/* Frees the rate state. */
void snmp_rates_free(struct snmp_rates *r);

#endif
