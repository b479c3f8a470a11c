#ifndef POLLHOOK_SNMP_CONF_H
#define POLLHOOK_SNMP_CONF_H

/*
 * The plain config of one snmp source: its "snmp = { ... }" group and its
 * metrics, validated and resolved (OID names to numbers) when the file loads.
 */

#include <stdbool.h>
#include <stddef.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "conf.h"

struct source_config;

struct snmp_oidv {
	oid *v;
	size_t len;
};

struct snmp_metric_conf {
	char *name;
	char *oid_text;		/* as written, for messages */
	bool walk;
	bool rate;
	size_t index;		/* walk: into columns; else into scalars */
	long label;		/* index into columns of label_oid, or -1 */
};

/* The SNMPv3 (USM) settings of a source: apart, as most sources are v2c. */
struct snmp_usm {
	char *user;
	int level;		/* SNMP_SEC_LEVEL_* */
	const oid *auth_proto;
	size_t auth_proto_len;
	const oid *priv_proto;
	size_t priv_proto_len;
	char *auth_pass;
	char *priv_pass;
	char *context;
	u_char *engine_id;	/* given in the config: no discovery */
	size_t engine_id_len;
};

/*
 * A source's metrics list, parsed: shared by the sources of one list (a
 * profile's, or equal lists: see source_config.share), parsed once. Counted:
 * each snmp_conf holding it is one reference.
 */
struct snmp_shared {
	unsigned refs;
	struct snmp_metric_conf *metrics;
	size_t nmetrics;
	struct snmp_oidv *scalars;	/* distinct OIDs fetched with GET */
	size_t nscalars;
	struct snmp_oidv *columns;	/* distinct subtrees walked */
	size_t ncolumns;
	long uptime;		/* scalars index of sysUpTime.0 (for rates), or -1 */
};

struct snmp_conf {
	const char *transport;	/* "udp" or "udp6" (static) */
	char *host;		/* literal address or host name */
	bool literal;		/* host is an IP address: no resolution */
	bool packed;		/* host and community are in strings, not allocated */
	unsigned port;
	long version;		/* SNMP_VERSION_1, SNMP_VERSION_2c, SNMP_VERSION_3 */
	char *community;
	int retries;
	int max_repetitions;
	int max_oids;		/* variable bindings per request */
	struct snmp_usm *usm;	/* SNMPv3 only; NULL for v1 and v2c */
	/*
	 * Its metrics, scalars and columns: one set per distinct list, not a
	 * copy of the pointers in each source (tens of thousands share one).
	 */
	struct snmp_shared *shared;
	char strings[];		/* packed: host and community, one allocation with c */
};

/* The keys of the "snmp = { ... }" group and of each snmp metric. */
extern const struct conf_key snmp_conf_keys[];
extern const struct conf_key snmp_metric_keys[];

/*
 * Builds the config of one source from its group and metrics list; reports
 * every error with conf_error and returns NULL, or returns a new config.
 */
struct snmp_conf *snmp_conf_parse(const struct conf_node *group,
    const struct conf_node *metrics, const struct source_config *src);
/* Frees a config from snmp_conf_parse (NULL is fine). */
void snmp_conf_free(struct snmp_conf *c);

#endif
