#include "snmp_udp.h"

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "xmalloc.h"

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

static size_t wrap(u_char **buf, size_t *size, size_t off, long version,
    const char *community, const u_char **msg);

size_t
snmp_udp_build(u_char **buf, size_t *size, long version, const char *community,
    netsnmp_pdu *pdu, const u_char **msg)
{
	size_t off = 0;

	/* Built backwards from the end of the buffer, as net-snmp does. */
	if (!snmp_pdu_realloc_rbuild(buf, size, &off, pdu))
		return 0;
	return wrap(buf, size, off, version, community, msg);
}

/* Wraps the off bytes built so far in the message header of version and community. */
static size_t
wrap(u_char **buf, size_t *size, size_t off, long version, const char *community,
    const u_char **msg)
{
	if (!asn_realloc_rbuild_string(buf, size, &off, 1,
	    ASN_UNIVERSAL | ASN_PRIMITIVE | ASN_OCTET_STR, (const u_char *)community,
	    strlen(community)) ||
	    !asn_realloc_rbuild_int(buf, size, &off, 1,
	    ASN_UNIVERSAL | ASN_PRIMITIVE | ASN_INTEGER, &version, sizeof(version)) ||
	    !asn_realloc_rbuild_sequence(buf, size, &off, 1, ASN_SEQUENCE | ASN_CONSTRUCTOR, off))
		return 0;
	*msg = *buf + *size - off;
	return off;
}

size_t
snmp_udp_build_request(u_char **buf, size_t *size, const struct snmp_udp_request *r,
    const u_char **msg)
{
	size_t off = 0, start, len;
	long zero = 0, reqid = r->reqid, maxrep = r->command == SNMP_MSG_GETBULK ?
	    r->max_repetitions : 0;

	/* Backwards, as snmp_pdu_realloc_rbuild does: the last binding first. */
	for (size_t k = r->n; k-- > 0;) {
		const oid *o = r->oid(r->arg, k, &len);

		start = off;
		if (!asn_realloc_rbuild_null(buf, size, &off, 1, ASN_NULL) ||
		    !asn_realloc_rbuild_objid(buf, size, &off, 1, ASN_OBJECT_ID, o, len) ||
		    !asn_realloc_rbuild_sequence(buf, size, &off, 1,
		    ASN_SEQUENCE | ASN_CONSTRUCTOR, off - start))
			return 0;
	}
	/* Error status and index; non-repeaters (0) and max-repetitions for GETBULK. */
	if (!asn_realloc_rbuild_sequence(buf, size, &off, 1, ASN_SEQUENCE | ASN_CONSTRUCTOR,
	    off) ||
	    !asn_realloc_rbuild_int(buf, size, &off, 1, ASN_INTEGER, &maxrep, sizeof(maxrep)) ||
	    !asn_realloc_rbuild_int(buf, size, &off, 1, ASN_INTEGER, &zero, sizeof(zero)) ||
	    !asn_realloc_rbuild_int(buf, size, &off, 1, ASN_INTEGER, &reqid, sizeof(reqid)) ||
	    !asn_realloc_rbuild_sequence(buf, size, &off, 1, (u_char)r->command, off))
		return 0;
	return wrap(buf, size, off, r->version, r->community, msg);
}

/* Returns the pool's entry i, allocating it the first time. */
static netsnmp_variable_list *
pool_get(struct snmp_udp_vars *pool, size_t i)
{
	if (i == pool->cap) {
		pool->cap = pool->cap ? pool->cap * 2 : 8;
		pool->v = xreallocarray(pool->v, pool->cap, sizeof(*pool->v));
		for (size_t k = i; k < pool->cap; k++)
			pool->v[k] = NULL;
	}
	if (pool->v[i] == NULL)
		pool->v[i] = xmalloc(sizeof(*pool->v[i]));
	memset(pool->v[i], 0, offsetof(netsnmp_variable_list, name_loc));
	pool->v[i]->data = NULL;
	pool->v[i]->dataFreeHook = NULL;
	pool->v[i]->index = 0;
	return pool->v[i];
}

/*
 * Decodes a value as snmp_pdu_parse does, but strings point into the
 * message instead of a copy; returns 0, or -1 for a type it does not know.
 */
static int
parse_value(netsnmp_variable_list *vp, u_char *val, size_t len)
{
	u_char *c;

	switch (vp->type) {
	case ASN_INTEGER:
		vp->val.integer = (long *)vp->buf;
		vp->val_len = sizeof(long);
		return asn_parse_int(val, &len, &vp->type, vp->val.integer,
		    sizeof(*vp->val.integer)) == NULL ? -1 : 0;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		vp->val.integer = (long *)vp->buf;
		vp->val_len = sizeof(u_long);
		return asn_parse_unsigned_int(val, &len, &vp->type, (u_long *)vp->val.integer,
		    vp->val_len) == NULL ? -1 : 0;
	case ASN_OPAQUE_COUNTER64:
	case ASN_OPAQUE_U64:
	case ASN_COUNTER64:
		vp->val.counter64 = (struct counter64 *)vp->buf;
		vp->val_len = sizeof(struct counter64);
		return asn_parse_unsigned_int64(val, &len, &vp->type, vp->val.counter64,
		    vp->val_len) == NULL ? -1 : 0;
	case ASN_OPAQUE_I64:
		vp->val.counter64 = (struct counter64 *)vp->buf;
		vp->val_len = sizeof(struct counter64);
		return asn_parse_signed_int64(val, &len, &vp->type, vp->val.counter64,
		    vp->val_len) == NULL ? -1 : 0;
	case ASN_OPAQUE_FLOAT:
		vp->val.floatVal = (float *)vp->buf;
		vp->val_len = sizeof(float);
		return asn_parse_float(val, &len, &vp->type, vp->val.floatVal,
		    vp->val_len) == NULL ? -1 : 0;
	case ASN_OPAQUE_DOUBLE:
		vp->val.doubleVal = (double *)vp->buf;
		vp->val_len = sizeof(double);
		return asn_parse_double(val, &len, &vp->type, vp->val.doubleVal,
		    vp->val_len) == NULL ? -1 : 0;
	case ASN_OCTET_STR:
	case ASN_IPADDRESS:
	case ASN_OPAQUE:
	case ASN_NSAP:
	case ASN_BIT_STR:
		if ((c = asn_parse_header(val, &len, &vp->type)) == NULL)
			return -1;
		/* A bit string starts with its count of unused bits (asn_parse_bitstring's check). */
		if (vp->type == ASN_BIT_STR && (len < 1 || c[0] > 7))
			return -1;
		vp->val.string = c;
		vp->val_len = len;
		return 0;
	case ASN_OBJECT_ID:
		vp->val_len = MAX_OID_LEN;
		vp->val.objid = xcalloc(MAX_OID_LEN, sizeof(oid));
		if (asn_parse_objid(val, &len, &vp->type, vp->val.objid, &vp->val_len) == NULL)
			return -1;
		vp->val_len *= sizeof(oid);
		return 0;
	case SNMP_NOSUCHOBJECT:
	case SNMP_NOSUCHINSTANCE:
	case SNMP_ENDOFMIBVIEW:
	case ASN_NULL:
		return 0;
	}
	return -1;	/* an unknown type: snmp_pdu_parse fails the message too */
}

int
snmp_udp_parse(u_char *data, size_t len, long *version, netsnmp_pdu *pdu,
    struct snmp_udp_vars *pool)
{
	netsnmp_variable_list *vp, **link = &pdu->variables;
	u_char type, *c, *val;
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
	/* Only responses: anything else is dropped before its bindings are read. */
	if (n == 0 || *data != SNMP_MSG_RESPONSE ||
	    (data = asn_parse_header(data, &n, &type)) == NULL)
		return -1;
	pdu->command = type;
	if ((data = asn_parse_int(data, &n, &type, &pdu->reqid, sizeof(pdu->reqid))) == NULL ||
	    (data = asn_parse_int(data, &n, &type, &pdu->errstat, sizeof(pdu->errstat))) == NULL ||
	    (data = asn_parse_int(data, &n, &type, &pdu->errindex, sizeof(pdu->errindex))) == NULL ||
	    (data = asn_parse_sequence(data, &n, &type, ASN_SEQUENCE | ASN_CONSTRUCTOR,
	    "varbinds")) == NULL)
		return -1;
	for (size_t i = 0; (int)n > 0; i++) {
		vp = *link = pool_get(pool, i);
		pool->n = i + 1;
		link = &vp->next_variable;
		vp->name = vp->name_loc;
		vp->name_length = MAX_OID_LEN;
		if ((data = snmp_parse_var_op(data, vp->name_loc, &vp->name_length, &vp->type,
		    &vp->val_len, &val, &n)) == NULL || parse_value(vp, val, (size_t)(data - val)) == -1)
			return -1;
	}
	return 0;
}

void
snmp_udp_release(netsnmp_pdu *pdu, struct snmp_udp_vars *pool)
{
	for (netsnmp_variable_list *vp = pdu->variables; vp != NULL; vp = vp->next_variable)
		if (vp->type == ASN_OBJECT_ID)
			free(vp->val.objid);
	pdu->variables = NULL;
	/* A huge answer's entries are not kept. */
	for (size_t i = SNMP_UDP_KEEP; i < pool->cap; i++) {
		free(pool->v[i]);
		pool->v[i] = NULL;
	}
	if (pool->cap > SNMP_UDP_KEEP)
		pool->cap = SNMP_UDP_KEEP;
	pool->n = 0;
}

void
snmp_udp_vars_free(struct snmp_udp_vars *pool)
{
	for (size_t i = 0; i < pool->cap; i++)
		free(pool->v[i]);
	free(pool->v);
	memset(pool, 0, sizeof(*pool));
}
