#include "snmp_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "snmp_oids.h"
#include "util.h"
#include "xmalloc.h"

static const char *const versions[] = { "1", "2c", "3", NULL };
static const char *const levels[] = { "noAuthNoPriv", "authNoPriv", "authPriv", NULL };
static const char *const auths[] = { "MD5", "SHA", "SHA-224", "SHA-256", "SHA-384",
	"SHA-512", NULL };
static const char *const privs[] = { "DES", "AES", "AES-128", "AES-192", "AES-256",
	"AES-192C", "AES-256C", NULL };

const struct conf_key snmp_conf_keys[] = {
	{ "address", CONF_STRING, CONF_REQUIRED | CONF_HAS_MIN, 1, 0, NULL, NULL,
	  "agent address: [udp:|udp6:]HOST[:PORT], an IP or a host name (resolved asynchronously)" },
	{ "version", CONF_STRING, 0, 0, 0, versions, NULL, "1, 2c or 3; default 2c" },
	{ "community", CONF_SECRET, 0, 0, 0, NULL, NULL, "v1/v2c community; default public" },
	{ "retries", CONF_INT, CONF_HAS_MIN | CONF_HAS_MAX, 0, 10, NULL, NULL,
	  "retransmissions within the source's timeout; default 1" },
	{ "max_repetitions", CONF_INT, CONF_HAS_MIN | CONF_HAS_MAX, 1, 1000, NULL, NULL,
	  "GETBULK max-repetitions for walks (halved on tooBig); default 10" },
	{ "max_oids", CONF_INT, CONF_HAS_MIN | CONF_HAS_MAX, 1, 256, NULL, NULL,
	  "variable bindings per request; default 16" },
	{ "user", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL, "v3 USM user name" },
	{ "level", CONF_STRING, 0, 0, 0, levels, NULL,
	  "v3 security level; default from the passphrases given" },
	{ "auth", CONF_STRING, 0, 0, 0, auths, NULL, "v3 authentication protocol; default SHA" },
	{ "auth_pass", CONF_SECRET, 0, 0, 0, NULL, NULL, "v3 authentication passphrase (8 characters or more)" },
	{ "priv", CONF_STRING, 0, 0, 0, privs, NULL,
	  "v3 privacy protocol; default AES (AES-192C/AES-256C: Cisco's key extension)" },
	{ "priv_pass", CONF_SECRET, 0, 0, 0, NULL, NULL, "v3 privacy passphrase (8 characters or more)" },
	{ "context", CONF_STRING, 0, 0, 0, NULL, NULL, "v3 context name; default empty" },
	{ "engine_id", CONF_STRING, CONF_HAS_MIN, 10, 0, NULL, NULL,
	  "v3 authoritative engine ID in hex; default: discovered" },
	CONF_KEY_END
};

const struct conf_key snmp_metric_keys[] = {
	{ "oid", CONF_STRING, CONF_REQUIRED | CONF_HAS_MIN, 1, 0, NULL, NULL,
	  "numeric OID or MIB::name[.index]" },
	{ "walk", CONF_BOOL, 0, 0, 0, NULL, NULL, "walk the subtree: one value per row; default false" },
	{ "label_oid", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	  "walked column whose value labels each row (e.g. IF-MIB::ifName)" },
	{ "rate", CONF_BOOL, 0, 0, 0, NULL, NULL,
	  "per-second rate of a counter (wraps and agent restarts handled); default false" },
	CONF_KEY_END
};

#define SYSUPTIME_0	"1.3.6.1.2.1.1.3.0"

/* Returns the index of o in the vector v (adding a copy when absent). */
static size_t
oid_index(struct snmp_oidv **v, size_t *n, const oid *o, size_t len)
{
	for (size_t i = 0; i < *n; i++)
		if (snmp_oid_cmp((*v)[i].v, (*v)[i].len, o, len) == 0)
			return i;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].v = xcalloc(len, sizeof(oid));
	memcpy((*v)[*n].v, o, len * sizeof(oid));
	(*v)[*n].len = len;
	return (*n)++;
}

/* Parses "[udp:|udp6:]host[:port]", "[v6]:port". */
static int
parse_address(struct snmp_conf *c, const struct conf_node *at, const char *a)
{
	const char *p = a, *host, *colon;
	size_t hlen;
	unsigned char buf[sizeof(struct in6_addr)];
	char *hs, *end;
	bool v6 = false;

	if (strncmp(p, "udp6:", 5) == 0 || strncmp(p, "udpv6:", 6) == 0 ||
	    strncmp(p, "udpipv6:", 8) == 0) {
		v6 = true;
		p = strchr(p, ':') + 1;
	} else if (strncmp(p, "udp:", 4) == 0)
		p += 4;
	else if (strncmp(p, "tcp", 3) == 0 || strncmp(p, "unix:", 5) == 0 ||
	    strncmp(p, "dtls", 4) == 0 || strncmp(p, "tls", 3) == 0) {
		conf_error(at, "snmp address \"%s\": only UDP is supported", a);
		return -1;
	}
	c->port = 161;
	if (*p == '[') {
		host = p + 1;
		if ((end = strchr(host, ']')) == NULL)
			goto bad;
		hlen = (size_t)(end - host);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
		v6 = true;
	} else {
		host = p;
		colon = strrchr(p, ':');
		if (colon != NULL && strchr(p, ':') != colon) {
			/* bare IPv6 literal without a port */
			colon = NULL;
			v6 = true;
		}
		hlen = colon != NULL ? (size_t)(colon - p) : strlen(p);
	}
	if (colon != NULL) {
		unsigned long port;

		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || errno != 0 || port == 0 || port > 65535)
			goto bad;
		c->port = (unsigned)port;
	}
	if (hlen == 0)
		goto bad;
	hs = xstrndup(host, hlen);
	c->host = hs;
	if (inet_pton(AF_INET6, hs, buf) == 1) {
		v6 = true;
		c->literal = true;
	} else if (inet_pton(AF_INET, hs, buf) == 1) {
		if (v6) {
			conf_error(at, "snmp address \"%s\": an IPv4 address for udp6", a);
			return -1;
		}
		c->literal = true;
	} else if (strspn(hs, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") != hlen)
		goto bad;
	c->transport = v6 ? "udp6" : "udp";
	return 0;
bad:
	conf_error(at, "snmp address \"%s\": expected [udp:|udp6:]HOST[:PORT]", a);
	return -1;
}

static int
parse_hex(const char *s, u_char **out, size_t *len)
{
	size_t n = strlen(s), i = 0;

	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0) {
		s += 2;
		n -= 2;
	}
	/* RFC 3411: an snmpEngineID is 5 to 32 octets. */
	if (n % 2 != 0 || n / 2 < 5 || n / 2 > 32)
		return -1;
	*out = xmalloc(n / 2);
	for (i = 0; i < n / 2; i++) {
		unsigned x;

		if (sscanf(s + 2 * i, "%2x", &x) != 1 ||
		    strspn(s + 2 * i, "0123456789abcdefABCDEF") < 2) {
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i] = (u_char)x;
	}
	*len = n / 2;
	return 0;
}

static char *
secret(const struct conf_node *g, const char *key)
{
	size_t n;
	char **v = conf_secrets(g, key, &n), *s = NULL;

	if (v != NULL && n > 0)
		s = xstrdup(v[0]);
	if (v != NULL)
		conf_free_secrets(v);
	return s;
}

/* The node to report about key (the key itself, its _file twin, or the group). */
static const struct conf_node *
where(const struct conf_node *g, const char *key)
{
	char fkey[64];
	const struct conf_node *n = conf_get(g, key);

	if (n != NULL)
		return n;
	snprintf(fkey, sizeof(fkey), "%s_file", key);
	if ((n = conf_get(g, fkey)) != NULL)
		return n;
	return g;
}

static void
set_protocols(struct snmp_usm *c, const char *auth, const char *priv)
{
	static const struct {
		const char *name;
		const oid *proto;
		size_t len;
	} a[] = {
		{ "MD5", usmHMACMD5AuthProtocol, NELEM(usmHMACMD5AuthProtocol) },
		{ "SHA", usmHMACSHA1AuthProtocol, NELEM(usmHMACSHA1AuthProtocol) },
		{ "SHA-224", usmHMAC128SHA224AuthProtocol, NELEM(usmHMAC128SHA224AuthProtocol) },
		{ "SHA-256", usmHMAC192SHA256AuthProtocol, NELEM(usmHMAC192SHA256AuthProtocol) },
		{ "SHA-384", usmHMAC256SHA384AuthProtocol, NELEM(usmHMAC256SHA384AuthProtocol) },
		{ "SHA-512", usmHMAC384SHA512AuthProtocol, NELEM(usmHMAC384SHA512AuthProtocol) },
	}, p[] = {
		{ "DES", usmDESPrivProtocol, NELEM(usmDESPrivProtocol) },
		{ "AES", usmAESPrivProtocol, NELEM(usmAESPrivProtocol) },
		{ "AES-128", usmAESPrivProtocol, NELEM(usmAESPrivProtocol) },
		{ "AES-192", usmAES192PrivProtocol, NELEM(usmAES192PrivProtocol) },
		{ "AES-256", usmAES256PrivProtocol, NELEM(usmAES256PrivProtocol) },
		{ "AES-192C", usmAES192CiscoPrivProtocol, NELEM(usmAES192CiscoPrivProtocol) },
		{ "AES-256C", usmAES256CiscoPrivProtocol, NELEM(usmAES256CiscoPrivProtocol) },
	};

	for (size_t i = 0; i < NELEM(a); i++)
		if (strcmp(a[i].name, auth) == 0) {
			c->auth_proto = a[i].proto;
			c->auth_proto_len = a[i].len;
		}
	for (size_t i = 0; i < NELEM(p); i++)
		if (strcmp(p[i].name, priv) == 0) {
			c->priv_proto = p[i].proto;
			c->priv_proto_len = p[i].len;
		}
}

static int
parse_v3(struct snmp_conf *sc, const struct conf_node *g)
{
	struct snmp_usm *c = sc->usm = xcalloc(1, sizeof(*sc->usm));
	const char *level = conf_string(g, "level", NULL);
	int errs = 0;

	c->user = xstrdup(conf_string(g, "user", NULL));
	if (c->user == NULL) {
		conf_error(g, "snmp version 3 needs a user");
		errs++;
	}
	c->auth_pass = secret(g, "auth_pass");
	c->priv_pass = secret(g, "priv_pass");
	if (level == NULL)
		level = c->priv_pass != NULL ? "authPriv" :
		    c->auth_pass != NULL ? "authNoPriv" : "noAuthNoPriv";
	if (strcmp(level, "authPriv") == 0)
		c->level = SNMP_SEC_LEVEL_AUTHPRIV;
	else if (strcmp(level, "authNoPriv") == 0)
		c->level = SNMP_SEC_LEVEL_AUTHNOPRIV;
	else
		c->level = SNMP_SEC_LEVEL_NOAUTH;
	if (c->level != SNMP_SEC_LEVEL_NOAUTH && c->auth_pass == NULL) {
		conf_error(where(g, "level"), "snmp level %s needs auth_pass", level);
		errs++;
	}
	if (c->level == SNMP_SEC_LEVEL_AUTHPRIV && c->priv_pass == NULL) {
		conf_error(where(g, "level"), "snmp level %s needs priv_pass", level);
		errs++;
	}
	if (c->auth_pass != NULL && strlen(c->auth_pass) < 8) {
		conf_error(where(g, "auth_pass"), "snmp auth_pass must have 8 characters or more");
		errs++;
	}
	if (c->priv_pass != NULL && strlen(c->priv_pass) < 8) {
		conf_error(where(g, "priv_pass"), "snmp priv_pass must have 8 characters or more");
		errs++;
	}
	set_protocols(c, conf_string(g, "auth", "SHA"), conf_string(g, "priv", "AES"));
	c->context = xstrdup(conf_string(g, "context", ""));
	if (conf_has(g, "engine_id") && parse_hex(conf_string(g, "engine_id", ""),
	    &c->engine_id, &c->engine_id_len) == -1) {
		conf_error(conf_get(g, "engine_id"), "snmp engine_id must be 5 to 32 bytes in hex");
		errs++;
	}
	return errs > 0 ? -1 : 0;
}

static int
parse_group(struct snmp_conf *c, const struct conf_node *g)
{
	static const char *const v3only[] = { "user", "level", "auth", "auth_pass",
		"auth_pass_file", "priv", "priv_pass", "priv_pass_file", "context", "engine_id" };
	const char *version = conf_string(g, "version", "2c");
	int errs = 0;

	if (parse_address(c, conf_get(g, "address"), conf_string(g, "address", "")) == -1)
		errs++;
	c->retries = (int)conf_int(g, "retries", 1);
	c->max_repetitions = (int)conf_int(g, "max_repetitions", 10);
	c->max_oids = (int)conf_int(g, "max_oids", 16);
	if (strcmp(version, "3") == 0) {
		c->version = SNMP_VERSION_3;
		if (conf_has(g, "community") || conf_has(g, "community_file")) {
			conf_error(where(g, "community"), "snmp community is for versions 1 and 2c");
			errs++;
		}
		return parse_v3(c, g) == -1 || errs > 0 ? -1 : 0;
	}
	c->version = strcmp(version, "1") == 0 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
	for (size_t i = 0; i < NELEM(v3only); i++) {
		if (conf_has(g, v3only[i])) {
			conf_error(conf_get(g, v3only[i]), "snmp %s is for version 3 (version = \"3\")",
			    v3only[i]);
			errs++;
		}
	}
	c->community = secret(g, "community");
	if (c->community == NULL)
		c->community = xstrdup("public");
	return errs > 0 ? -1 : 0;
}

/* Resolves the OID text at key of metric m; returns 0 with the OID in v/len. */
static int
resolve(const struct conf_node *m, const char *key, oid *v, size_t *len, bool *scalar)
{
	char err[256];

	*len = MAX_OID_LEN;
	if (snmp_oid_resolve(conf_string(m, key, ""), v, len, scalar, err, sizeof(err)) == 0)
		return 0;
	conf_error(conf_get(m, key), "%s", err);
	return -1;
}

static int
parse_metric(struct snmp_shared *t, const struct conf_node *m, struct snmp_metric_conf *mc)
{
	oid v[MAX_OID_LEN];
	size_t len;
	bool scalar;

	mc->name = xstrdup(conf_string(m, "name", ""));
	mc->oid_text = xstrdup(conf_string(m, "oid", ""));
	mc->walk = conf_bool(m, "walk", false);
	mc->rate = conf_bool(m, "rate", false);
	mc->label = -1;
	if (resolve(m, "oid", v, &len, &scalar) == -1)
		return -1;
	if (mc->walk)
		mc->index = oid_index(&t->columns, &t->ncolumns, v, len);
	else {
		if (scalar && len < MAX_OID_LEN)
			v[len++] = 0;	/* a scalar's instance */
		mc->index = oid_index(&t->scalars, &t->nscalars, v, len);
	}
	if (conf_has(m, "label_oid")) {
		if (!mc->walk) {
			conf_error(conf_get(m, "label_oid"), "label_oid needs walk = true");
			return -1;
		}
		if (resolve(m, "label_oid", v, &len, &scalar) == -1)
			return -1;
		mc->label = (long)oid_index(&t->columns, &t->ncolumns, v, len);
	}
	return 0;
}

/*
 * Returns c moved into one allocation with its host and community: a source
 * costs one allocation less for each (they are small, the allocator's
 * overhead is not).
 */
static struct snmp_conf *
pack(struct snmp_conf *c)
{
	size_t hlen = strlen(c->host) + 1, clen = c->community != NULL ?
	    strlen(c->community) + 1 : 0;
	struct snmp_conf *p = xmalloc(sizeof(*p) + hlen + clen);

	*p = *c;
	memcpy(p->strings, c->host, hlen);
	p->host = p->strings;
	if (c->community != NULL) {
		memcpy(p->strings + hlen, c->community, clen);
		p->community = p->strings + hlen;
		explicit_bzero(c->community, clen);
		free(c->community);
	}
	p->packed = true;
	free(c->host);
	free(c);
	return p;
}

struct snmp_conf *
snmp_conf_parse(const struct conf_node *group, const struct conf_node *metrics,
    const struct source_config *src)
{
	struct snmp_conf *c = xcalloc(1, sizeof(*c));
	size_t n = metrics != NULL ? conf_count(metrics) : 0;
	struct snmp_shared *t;
	int errs = 0;

	if (group == NULL) {
		fprintf(stderr, "%s:%d: snmp source %s needs an snmp = { address = ...; } group\n",
		    src->file, src->line, src->name);
		goto fail;
	}
	if (parse_group(c, group) == -1)
		errs++;
	if (src->share != NULL && *src->share != NULL) {
		if (errs > 0)
			goto fail;
		c->shared = *src->share;
		c->shared->refs++;
		return pack(c);
	}
	c->shared = t = xcalloc(1, sizeof(*t));
	t->refs = 1;
	t->uptime = -1;
	t->metrics = xcalloc(n > 0 ? n : 1, sizeof(*t->metrics));
	for (size_t i = 0; i < n; i++) {
		if (parse_metric(t, conf_elem(metrics, i), &t->metrics[i]) == -1)
			errs++;
		t->nmetrics++;
	}
	if (errs > 0)
		goto fail;
	for (size_t i = 0; i < t->nmetrics; i++) {
		if (t->metrics[i].rate) {
			oid v[MAX_OID_LEN];
			size_t len = MAX_OID_LEN;

			snmp_oid_parse(SYSUPTIME_0, v, &len);
			t->uptime = (long)oid_index(&t->scalars, &t->nscalars, v, len);
			break;
		}
	}
	/* The slot holds no reference: it lives while the config loads. */
	if (src->share != NULL)
		*src->share = t;
	return pack(c);
fail:
	snmp_conf_free(c);
	return NULL;
}

static void
free_oidv(struct snmp_oidv *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].v);
	free(v);
}

static void
usm_free(struct snmp_usm *c)
{
	if (c == NULL)
		return;
	free(c->user);
	if (c->auth_pass != NULL)
		explicit_bzero(c->auth_pass, strlen(c->auth_pass));
	free(c->auth_pass);
	if (c->priv_pass != NULL)
		explicit_bzero(c->priv_pass, strlen(c->priv_pass));
	free(c->priv_pass);
	free(c->context);
	free(c->engine_id);
	free(c);
}

void
snmp_conf_free(struct snmp_conf *c)
{
	struct snmp_shared *t;

	if (c == NULL)
		return;
	if (c->community != NULL)
		explicit_bzero(c->community, strlen(c->community));
	if (!c->packed) {
		free(c->host);
		free(c->community);
	}
	usm_free(c->usm);
	if ((t = c->shared) != NULL && --t->refs == 0) {
		for (size_t i = 0; i < t->nmetrics; i++) {
			free(t->metrics[i].name);
			free(t->metrics[i].oid_text);
		}
		free(t->metrics);
		free_oidv(t->scalars, t->nscalars);
		free_oidv(t->columns, t->ncolumns);
		free(t);
	}
	free(c);
}
