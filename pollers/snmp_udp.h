#ifndef POLLHOOK_SNMP_UDP_H
#define POLLHOOK_SNMP_UDP_H

/*
 * SNMPv1/v2c messages on the snmp poller's own shared UDP sockets: requests
 * encoded and responses decoded with net-snmp's BER functions, without a
 * net-snmp session (no per-request bookkeeping, no session list to scan).
 */

#include <stddef.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

/* Returns a new non-blocking UDP socket on an ephemeral IPv4 port, or -1 (errno set). */
int snmp_udp_open(void);
/* A GET, GETNEXT or GETBULK request whose bindings are NULLs of n OIDs. */
struct snmp_udp_request {
	long version;
	const char *community;
	int command;
	long reqid;
	long max_repetitions;		/* GETBULK (non-repeaters are 0) */
	size_t n;
	/* Returns the OID of binding k (borrowed), its length in *len. */
	const oid *(*oid)(void *arg, size_t k, size_t *len);
	void *arg;
};

/*
 * Encodes r into *buf (malloc'd, *size bytes, grown as needed) without a
 * PDU; returns the message's length with *msg pointing into *buf, or 0 when
 * it cannot be encoded.
 */
size_t snmp_udp_build_request(u_char **buf, size_t *size, const struct snmp_udp_request *r,
    const u_char **msg);
/*
 * Encodes pdu (borrowed) as a message of version with community into *buf
 * (malloc'd, *size bytes, grown as needed); returns the message's length with
 * *msg pointing into *buf, or 0 when it cannot be encoded.
 */
size_t snmp_udp_build(u_char **buf, size_t *size, long version, const char *community,
    netsnmp_pdu *pdu, const u_char **msg);
/* Variable bindings of decoded responses, reused from one to the next. */
struct snmp_udp_vars {
	netsnmp_variable_list **v;
	size_t n, cap;
};

/* Entries a pool keeps after a response (the rest of a huge one's are freed). */
#define SNMP_UDP_KEEP	64

/*
 * Decodes the len bytes of a message (borrowed: string values point into it)
 * into pdu (zeroed by the caller), its bindings taken from pool, and its
 * version; returns 0, or -1 for anything that is not a well-formed v1/v2c
 * response. Either way the caller calls snmp_udp_release once done with pdu.
 */
int snmp_udp_parse(u_char *data, size_t len, long *version, netsnmp_pdu *pdu,
    struct snmp_udp_vars *pool);
/* Gives pdu's bindings back to pool (and frees what their values own). */
void snmp_udp_release(netsnmp_pdu *pdu, struct snmp_udp_vars *pool);
/* Frees the pool. */
void snmp_udp_vars_free(struct snmp_udp_vars *pool);

#endif
