#ifndef POLLHOOK_SNMP_OIDS_H
#define POLLHOOK_SNMP_OIDS_H

/*
 * OID names for the snmp poller: dotted numeric OIDs, a built-in table of the
 * objects network engineers poll most (Debian ships no IETF MIB files), and,
 * for every other MIB::name, net-snmp's own MIB parser.
 */

#include <stdbool.h>
#include <stddef.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

/* What a built-in name denotes. */
enum snmp_oid_kind {
	SNMP_OID_SCALAR,	/* a scalar object: its instance is .0 */
	SNMP_OID_COLUMN,	/* a table column: walk it */
	SNMP_OID_TABLE,		/* a table or a group: walk it */
};

struct snmp_oid_builtin {
	const char *module;
	const char *name;
	const char *oid;	/* dotted decimal */
	enum snmp_oid_kind kind;
};

/*
 * Parses dotted decimal ("1.3.6.1.2.1" or ".1.3.6.1.2.1") into v, which holds
 * *len sub-identifiers; sets *len to the number parsed. Returns 0, or -1 when
 * s is not a numeric OID of 2 to *len sub-identifiers each below 2^32.
 */
int snmp_oid_parse(const char *s, oid *v, size_t *len);
/* Returns the built-in entry for name ("MIB::obj" or "obj"), or NULL. */
const struct snmp_oid_builtin *snmp_oid_builtin_find(const char *name);
/* Returns built-in entry i, or NULL past the end (for tests and docs). */
const struct snmp_oid_builtin *snmp_oid_builtin_at(size_t i);
/*
 * Resolves text (numeric, or [MIB::]name[.suffix] from the built-in table or
 * net-snmp's MIBs) into v (capacity *len, then the length). *scalar is set when
 * text names a built-in scalar object without an instance suffix. Returns 0,
 * or -1 with a reason in err.
 */
int snmp_oid_resolve(const char *text, oid *v, size_t *len, bool *scalar,
    char *err, size_t errlen);
/* Writes v as dotted decimal without a leading dot into buf; returns buf ("" if it does not fit). */
char *snmp_oid_format(const oid *v, size_t len, char *buf, size_t size);
/* Returns <0, 0 or >0 as a sorts before, equals or after b (lexicographic on sub-ids). */
int snmp_oid_cmp(const oid *a, size_t alen, const oid *b, size_t blen);
/* Returns whether v is below the subtree prefix (and longer than it). */
bool snmp_oid_under(const oid *prefix, size_t plen, const oid *v, size_t vlen);

#endif
