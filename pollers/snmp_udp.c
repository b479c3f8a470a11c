#include "snmp_udp.h"

#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

int
snmp_udp_open(void)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

size_t
snmp_udp_build(u_char **buf, size_t *size, long version, const char *community,
    netsnmp_pdu *pdu, const u_char **msg)
{
	size_t off = 0;

	/* Built backwards from the end of the buffer, as net-snmp does. */
	if (!snmp_pdu_realloc_rbuild(buf, size, &off, pdu) ||
	    !asn_realloc_rbuild_string(buf, size, &off, 1,
	    ASN_UNIVERSAL | ASN_PRIMITIVE | ASN_OCTET_STR, (const u_char *)community,
	    strlen(community)) ||
	    !asn_realloc_rbuild_int(buf, size, &off, 1,
	    ASN_UNIVERSAL | ASN_PRIMITIVE | ASN_INTEGER, &version, sizeof(version)) ||
	    !asn_realloc_rbuild_sequence(buf, size, &off, 1, ASN_SEQUENCE | ASN_CONSTRUCTOR, off))
		return 0;
	*msg = *buf + *size - off;
	return off;
}

int
snmp_udp_parse(u_char *data, size_t len, long *version, netsnmp_pdu *pdu)
{
	u_char type, *c;
	size_t n = len, clen;

	if ((data = asn_parse_sequence(data, &n, &type, ASN_SEQUENCE | ASN_CONSTRUCTOR,
	    "message")) == NULL)
		return -1;
	if ((data = asn_parse_int(data, &n, &type, version, sizeof(*version))) == NULL ||
	    type != ASN_INTEGER)
		return -1;
	/* The community: answers are matched by request ID and address, not by it. */
	clen = n;
	if ((c = asn_parse_header(data, &clen, &type)) == NULL || type != ASN_OCTET_STR)
		return -1;
	n -= (size_t)(c - data) + clen;
	data = c + clen;
	pdu->version = *version;
	return snmp_pdu_parse(pdu, data, &n) == 0 ? 0 : -1;
}
