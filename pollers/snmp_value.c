#include "snmp_value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_oids.h"
#include "xmalloc.h"

/* Returns the length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Returns whether the n bytes of s are text: valid UTF-8 without control characters but tab and newlines. */
static bool
printable(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(s + i, n - i);

		if (l == 0)
			return false;
		if (l == 1 && (s[i] == 0x7f || (s[i] < 0x20 && s[i] != '\t' &&
		    s[i] != '\n' && s[i] != '\r')))
			return false;
		i += l;
	}
	return true;
}

/* Returns whether s is a plain decimal number ("-12", "0.15", "1e3"): strtod also takes hex, inf and nan. */
static bool
decimal(const char *s, double *d)
{
	const char *p = s;
	char *end;
	bool digits = false;

	while (*p == ' ')
		p++;
	if (*p == '-' || *p == '+')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		digits = true;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits = true;
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return false;
	*d = strtod(s, &end);
	return isfinite(*d);
}

static char *
hex_string(const unsigned char *s, size_t n)
{
	char *out = xmalloc(n * 3 + 1);

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + (i == 0 ? 0 : i * 3 - 1), 4, i == 0 ? "%02x" : ":%02x", s[i]);
	return out;
}

/* Converts an OCTET STRING: trailing NULs (C agents) are not part of the text. */
static void
octets(const netsnmp_variable_list *vb, struct value *v, bool numeric)
{
	const unsigned char *s = vb->val.string;
	size_t n = vb->val_len;
	double d;

	while (n > 0 && s[n - 1] == '\0')
		n--;
	if (s == NULL || vb->val_len == 0) {
		v->type = VALUE_STRING;
		v->str = xstrdup("");
		return;
	}
	if (n == 0 || !printable(s, n)) {
		v->type = VALUE_STRING;
		v->str = hex_string(vb->val.string, vb->val_len);
		return;
	}
	v->type = VALUE_STRING;
	v->str = xstrndup((const char *)s, n);
	if (numeric && decimal(v->str, &d)) {
		free(v->str);
		v->str = NULL;
		v->type = VALUE_NUMBER;
		v->num = d;
	}
}

static const char *
exception_name(u_char type)
{
	switch (type) {
	case SNMP_NOSUCHOBJECT:
		return "no such object";
	case SNMP_NOSUCHINSTANCE:
		return "no such instance";
	case SNMP_ENDOFMIBVIEW:
		return "end of MIB view";
	case ASN_NULL:
		return "no value (NULL)";
	}
	return NULL;
}

static int
convert(const netsnmp_variable_list *vb, struct value *v, bool numeric,
    char *err, size_t errlen)
{
	char buf[MAX_OID_LEN * 11 + 1];
	const char *exc;

	memset(v, 0, sizeof(*v));
	switch (vb->type) {
	case ASN_INTEGER:
		v->type = VALUE_NUMBER;
		v->num = (double)*vb->val.integer;
		return 0;
	case ASN_GAUGE:
	case ASN_COUNTER:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		v->type = VALUE_NUMBER;
		v->num = (double)(uint32_t)*vb->val.integer;
		return 0;
	case ASN_COUNTER64:
	case ASN_OPAQUE_COUNTER64:
	case ASN_OPAQUE_U64:
		v->type = VALUE_NUMBER;
		v->num = (double)vb->val.counter64->high * 4294967296.0 +
		    (double)vb->val.counter64->low;
		return 0;
	case ASN_OPAQUE_I64:
		v->type = VALUE_NUMBER;
		v->num = (double)(int64_t)(((uint64_t)vb->val.counter64->high << 32) |
		    vb->val.counter64->low);
		return 0;
	case ASN_OPAQUE_FLOAT:
		v->type = VALUE_NUMBER;
		v->num = *vb->val.floatVal;
		return 0;
	case ASN_OPAQUE_DOUBLE:
		v->type = VALUE_NUMBER;
		v->num = *vb->val.doubleVal;
		return 0;
	case ASN_OCTET_STR:
	case ASN_BIT_STR:
	case ASN_OPAQUE:
		octets(vb, v, numeric && vb->type == ASN_OCTET_STR);
		return 0;
	case ASN_IPADDRESS:
		if (vb->val_len != 4)
			break;
		v->type = VALUE_STRING;
		v->str = xasprintf("%u.%u.%u.%u", vb->val.string[0], vb->val.string[1],
		    vb->val.string[2], vb->val.string[3]);
		return 0;
	case ASN_OBJECT_ID:
		v->type = VALUE_STRING;
		v->str = xstrdup(snmp_oid_format(vb->val.objid, vb->val_len / sizeof(oid),
		    buf, sizeof(buf)));
		return 0;
	}
	if ((exc = exception_name(vb->type)) != NULL)
		snprintf(err, errlen, "%s", exc);
	else
		snprintf(err, errlen, "unsupported value type 0x%02x", vb->type);
	v->type = VALUE_NONE;
	return -1;
}

int
snmp_value_convert(const netsnmp_variable_list *vb, struct value *v, char *err,
    size_t errlen)
{
	return convert(vb, v, true, err, errlen);
}

char *
snmp_value_text(const netsnmp_variable_list *vb)
{
	struct value v;
	char err[64], *s;

	if (convert(vb, &v, false, err, sizeof(err)) == -1)
		return NULL;
	if (v.type == VALUE_STRING)
		return v.str;
	s = value_to_text(&v);
	value_clear(&v);
	return s;
}

void
snmp_value_raw(const netsnmp_variable_list *vb, struct snmp_raw *raw)
{
	struct value v;
	char err[64];

	memset(raw, 0, sizeof(*raw));
	switch (vb->type) {
	case ASN_COUNTER:
		raw->kind = SNMP_RAW_COUNTER32;
		raw->u = (uint32_t)*vb->val.integer;
		return;
	case ASN_COUNTER64:
	case ASN_OPAQUE_COUNTER64:
		raw->kind = SNMP_RAW_COUNTER64;
		raw->u = ((uint64_t)vb->val.counter64->high << 32) | vb->val.counter64->low;
		return;
	}
	if (convert(vb, &v, true, err, sizeof(err)) == 0 && v.type == VALUE_NUMBER) {
		raw->kind = SNMP_RAW_GAUGE;
		raw->d = v.num;
	}
	value_clear(&v);
}

enum snmp_rate_result
snmp_rate_update(struct snmp_counter *c, const struct snmp_raw *raw, double t,
    double *rate)
{
	bool had = c->valid && c->last.kind == raw->kind;
	struct snmp_counter prev = *c;
	double dt = t - prev.t;
	uint64_t delta;

	if (raw->kind == SNMP_RAW_NONE) {
		c->valid = false;
		return SNMP_RATE_INVALID;
	}
	if (had && dt <= 0)
		return SNMP_RATE_INVALID;	/* keep the older reading */
	c->valid = true;
	c->last = *raw;
	c->t = t;
	if (!had)
		return SNMP_RATE_FIRST;
	switch (raw->kind) {
	case SNMP_RAW_COUNTER32:
		delta = (raw->u - prev.last.u) & 0xffffffffULL;
		break;
	case SNMP_RAW_COUNTER64:
		delta = raw->u - prev.last.u;	/* unsigned: wraps through 2^64 */
		if (raw->u < prev.last.u && delta >= (1ULL << 63))
			return SNMP_RATE_RESET;
		break;
	default:
		*rate = (raw->d - prev.last.d) / dt;
		return SNMP_RATE_OK;
	}
	*rate = (double)delta / dt;
	return SNMP_RATE_OK;
}
