#ifndef POLLHOOK_SNMP_VALUE_H
#define POLLHOOK_SNMP_VALUE_H

/*
 * Values of the snmp poller: SNMP varbinds turned into pollhook values, and
 * counters turned into per-second rates across wraps and agent restarts.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "sample.h"

/*
 * Converts the value of vb into v: numbers for INTEGER, Gauge32, Counter32,
 * Counter64, TimeTicks, Opaque float/double and numeric strings; text for
 * printable OCTET STRINGs, hex ("0a:1b:...") for other ones, dotted text for
 * OIDs and IpAddresses. Returns 0, or -1 with the reason in err for the
 * exceptions (noSuchObject, noSuchInstance, endOfMibView) and unknown types.
 */
int snmp_value_convert(const netsnmp_variable_list *vb, struct value *v,
    char *err, size_t errlen);
/* Returns the value of vb as newly allocated text (for labels), or NULL for exceptions. */
char *snmp_value_text(const netsnmp_variable_list *vb);

/* How a raw reading behaves between two polls. */
enum snmp_raw_kind {
	SNMP_RAW_NONE,		/* not a number */
	SNMP_RAW_COUNTER32,	/* wraps at 2^32 */
	SNMP_RAW_COUNTER64,	/* wraps at 2^64 */
	SNMP_RAW_GAUGE,		/* any other number: a plain derivative */
};

/* A number read from a varbind, kept exact for rates. */
struct snmp_raw {
	enum snmp_raw_kind kind;
	uint64_t u;		/* counters */
	double d;		/* gauges */
};

/* Extracts the raw number of vb into raw; raw->kind is SNMP_RAW_NONE for non-numbers. */
void snmp_value_raw(const netsnmp_variable_list *vb, struct snmp_raw *raw);

/* The previous reading of one counter (one metric and instance). */
struct snmp_counter {
	bool valid;
	struct snmp_raw last;
	double t;		/* the scheduled start of the poll that read it, seconds */
};

enum snmp_rate_result {
	SNMP_RATE_OK,		/* *rate holds the per-second rate */
	SNMP_RATE_FIRST,	/* first reading (or after a reset): no rate yet */
	SNMP_RATE_RESET,	/* the counter went back: a reset, no rate this time */
	SNMP_RATE_INVALID,	/* not a number, or time did not advance */
};

/*
 * Feeds a new reading taken at time t into c and computes the rate since the
 * previous one. A Counter32 that went down wrapped (2^32 is added). A
 * Counter64 that went down wrapped when the distance through 2^64 is under
 * half its range, and was reset otherwise. A gauge gives a plain (possibly
 * negative) derivative. A reading of another kind than the last starts again.
 */
enum snmp_rate_result snmp_rate_update(struct snmp_counter *c, const struct snmp_raw *raw,
    double t, double *rate);

#endif
