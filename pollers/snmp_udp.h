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
/*
 * Encodes pdu (borrowed) as a message of version with community into *buf
 * (malloc'd, *size bytes, grown as needed); returns the message's length with
 * *msg pointing into *buf, or 0 when it cannot be encoded.
 */
size_t snmp_udp_build(u_char **buf, size_t *size, long version, const char *community,
    netsnmp_pdu *pdu, const u_char **msg);
/*
 * Decodes the len bytes of a message (modified in place) into pdu (zeroed by
 * the caller) and its version; returns 0, or -1 for anything that is not a
 * well-formed v1/v2c message. Either way the caller frees pdu->variables with
 * snmp_free_varbind.
 */
int snmp_udp_parse(u_char *data, size_t len, long *version, netsnmp_pdu *pdu);

#endif
