#ifndef POLLHOOK_SSRF_H
#define POLLHOOK_SSRF_H

/*
 * The SSRF guard of URLs that API clients give (dynamic subscribers, WebSub
 * callbacks): an address in a range that is not the public Internet
 * (loopback, RFC 1918, link-local, unique-local, CGNAT, multicast,
 * unspecified, reserved, the cloud metadata addresses, and the IPv4 ones
 * inside IPv4-mapped, NAT64 and 6to4 IPv6 addresses) is refused unless it
 * lies in one of the allowed networks. It is checked on the address a
 * transfer actually connects to, after DNS, at every connection: a name
 * that resolves elsewhere later is caught then.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <curl/curl.h>

#define SSRF_MAX_NETWORKS 64	/* allow_networks entries at most */
#define SSRF_WHY_MAX 128

/* One CIDR: an address family, the address bytes and the prefix length. */
struct ssrf_net {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;
};

/* The networks exempt from the guard (a value: copy it freely). */
struct ssrf_guard {
	struct ssrf_net allow[SSRF_MAX_NETWORKS];
	size_t nallow;
};

/* What the guard said of one transfer's connections (the transfer owns it). */
struct ssrf_verdict {
	const struct ssrf_guard *guard;	/* borrowed for the transfer */
	bool refused;
	char why[SSRF_WHY_MAX];		/* "127.0.0.1 is loopback", when refused */
};

/* Parses "ADDRESS/PREFIX" (or an address alone: all of its bits) into *out; -1 with err. */
int ssrf_parse_cidr(const char *s, struct ssrf_net *out, char *err, size_t errlen);
/*
 * Returns NULL when g lets the address sa be connected to, else the name of
 * the refused range it is in ("loopback", "private (RFC 1918)", ...), static.
 */
const char *ssrf_check(const struct ssrf_guard *g, const struct sockaddr *sa);
/* Returns whether the numeric address text s (v4 or v6) is allowed; *why as ssrf_check. */
bool ssrf_check_text(const struct ssrf_guard *g, const char *s, const char **why);
/*
 * Makes e refuse, before any packet is sent, every address v->guard refuses
 * (CURLOPT_OPENSOCKETFUNCTION), and a reused connection's too
 * (CURLOPT_PREREQFUNCTION); v (borrowed until the transfer ends) records
 * the refusal for the transfer's error message.
 */
void ssrf_curl_apply(CURL *e, struct ssrf_verdict *v);

#endif
