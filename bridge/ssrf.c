/*
 * The SSRF guard. The refused ranges follow the IANA special-purpose
 * address registries (RFC 6890 and its updates) and what Svix and the cloud
 * providers document for webhook senders: only globally routable unicast
 * addresses are let through by default.
 */

#include "ssrf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct range {
	const char *cidr;
	const char *why;
};

/* Checked in order: the more specific metadata addresses before their ranges. */
static const struct range v4_refused[] = {
	{ "169.254.169.254/32", "a cloud metadata address" },
	{ "100.100.100.200/32", "a cloud metadata address" },
	{ "0.0.0.0/8", "unspecified (\"this network\")" },
	{ "10.0.0.0/8", "private (RFC 1918)" },
	{ "100.64.0.0/10", "shared address space (CGNAT)" },
	{ "127.0.0.0/8", "loopback" },
	{ "169.254.0.0/16", "link-local" },
	{ "172.16.0.0/12", "private (RFC 1918)" },
	{ "192.0.0.0/24", "IETF protocol assignments" },
	{ "192.0.2.0/24", "documentation (TEST-NET-1)" },
	{ "192.88.99.0/24", "6to4 relay anycast" },
	{ "192.168.0.0/16", "private (RFC 1918)" },
	{ "198.18.0.0/15", "benchmarking" },
	{ "198.51.100.0/24", "documentation (TEST-NET-2)" },
	{ "203.0.113.0/24", "documentation (TEST-NET-3)" },
	{ "224.0.0.0/4", "multicast" },
	{ "240.0.0.0/4", "reserved" },
};

static const struct range v6_refused[] = {
	{ "fd00:ec2::254/128", "a cloud metadata address" },
	{ "::/128", "unspecified" },
	{ "::1/128", "loopback" },
	{ "100::/64", "discard-only" },
	{ "2001:db8::/32", "documentation" },
	{ "fc00::/7", "unique-local" },
	{ "fe80::/10", "link-local" },
	{ "fec0::/10", "site-local" },
	{ "ff00::/8", "multicast" },
	{ "::/96", "IPv4-compatible (deprecated)" },
};

int
ssrf_parse_cidr(const char *s, struct ssrf_net *out, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	char addr[64];
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned max;
	char *end;
	long p;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "\"%.64s\" is not ADDRESS/PREFIX", s);
		return -1;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "\"%.64s\" is not an IPv4 or IPv6 address", addr);
		return -1;
	}
	out->prefix = max;
	if (slash != NULL) {
		p = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || p < 0 || p > (long)max) {
			snprintf(err, errlen, "\"%.64s\": the prefix length must be 0 to %u", s,
			    max);
			return -1;
		}
		out->prefix = (unsigned)p;
	}
	return 0;
}

/* Returns whether the first n->prefix bits of addr (of n's family) are n's. */
static bool
net_has(const struct ssrf_net *n, int family, const unsigned char *addr)
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;

	if (n->family != family)
		return false;
	if (memcmp(n->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((n->addr[full] ^ addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static bool
allowed(const struct ssrf_guard *g, int family, const unsigned char *addr)
{
	for (size_t i = 0; g != NULL && i < g->nallow; i++)
		if (net_has(&g->allow[i], family, addr))
			return true;
	return false;
}

static const char *
in_table(const struct range *t, size_t n, int family, const unsigned char *addr)
{
	char err[128];

	for (size_t i = 0; i < n; i++) {
		struct ssrf_net net;

		if (ssrf_parse_cidr(t[i].cidr, &net, err, sizeof(err)) == 0 &&
		    net_has(&net, family, addr))
			return t[i].why;
	}
	return NULL;
}

static const char *
check_v4(const struct ssrf_guard *g, const unsigned char *a4)
{
	if (allowed(g, AF_INET, a4))
		return NULL;
	return in_table(v4_refused, NELEM(v4_refused), AF_INET, a4);
}

static const char *
check_v6(const struct ssrf_guard *g, const unsigned char *a6)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };

	if (allowed(g, AF_INET6, a6))
		return NULL;
	/* An IPv4 address in IPv6 clothes is the IPv4 address: checked as one. */
	if (memcmp(a6, mapped, 12) == 0 || memcmp(a6, nat64, 12) == 0)
		return check_v4(g, a6 + 12);
	if (a6[0] == 0x20 && a6[1] == 0x02)
		return check_v4(g, a6 + 2);
	return in_table(v6_refused, NELEM(v6_refused), AF_INET6, a6);
}

const char *
ssrf_check(const struct ssrf_guard *g, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return check_v4(g, (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return check_v6(g, ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr.s6_addr);
	return "not an Internet address";
}

bool
ssrf_check_text(const struct ssrf_guard *g, const char *s, const char **why)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		*why = check_v4(g, a);
	else if (inet_pton(AF_INET6, s, a) == 1)
		*why = check_v6(g, a);
	else
		*why = "not an IP address";
	return *why == NULL;
}

static void
refuse(struct ssrf_verdict *v, const struct sockaddr *sa, const char *why)
{
	char text[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    text, sizeof(text));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    text, sizeof(text));
	v->refused = true;
	snprintf(v->why, sizeof(v->why), "%s is %s (refused by the SSRF guard; "
	    "allow_networks can exempt it)", text, why);
}

static curl_socket_t
open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct ssrf_verdict *v = clientp;
	const char *why;

	(void)purpose;
	if ((why = ssrf_check(v->guard, &address->addr)) != NULL) {
		refuse(v, &address->addr, why);
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

/* A reused connection was checked when it was opened, but maybe by an unguarded transfer. */
static int
prereq(void *clientp, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
    int conn_local_port)
{
	struct ssrf_verdict *v = clientp;
	const char *why;

	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	if (!ssrf_check_text(v->guard, conn_primary_ip, &why)) {
		v->refused = true;
		snprintf(v->why, sizeof(v->why), "%s is %s (refused by the SSRF guard; "
		    "allow_networks can exempt it)", conn_primary_ip, why);
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

void
ssrf_curl_apply(CURL *e, struct ssrf_verdict *v)
{
	v->refused = false;
	v->why[0] = '\0';
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, v);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, prereq);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, v);
	/* A proxy would connect on the transfer's behalf, out of the guard's sight. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
}
