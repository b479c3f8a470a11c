#include "tcp_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "config.h"
#include "resolve.h"
#include "xmalloc.h"

const struct conf_key tcp_conf_keys[] = {
	{ "address", CONF_STRING, CONF_REQUIRED | CONF_HAS_MIN, 1, 0, NULL, NULL,
	  "HOST:PORT or [IPv6]:PORT to connect to (names resolved asynchronously, every poll)" },
	{ "tls", CONF_BOOL, 0, 0, 0, NULL, NULL,
	  "TLS handshake after the connect: tls_seconds, cert_days_left, tls_verified; default false" },
	{ "server_name", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	  "TLS server name (SNI) and the name verified; default the host of address" },
	{ "ca_file", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	  "PEM file of the CAs to trust instead of the system's (TLS)" },
	{ "send", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	  "text sent once connected (escapes such as \\r\\n allowed)" },
	{ "expect", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	  "text the answer must contain within the timeout: expect_ok 1 or 0" },
	CONF_KEY_END
};

int
tcp_conf_split(const char *a, char **host, unsigned short *port)
{
	const char *colon, *h = a;
	size_t hlen;
	char *end;
	long p;

	if (*a == '[') {
		const char *close = strchr(a, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = a + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		if ((colon = strrchr(a, ':')) == NULL || memchr(a, ':', (size_t)(colon - a)))
			return -1;
		hlen = (size_t)(colon - a);
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (hlen == 0 || colon[1] == '\0' || *end != '\0' || errno != 0 || p < 1 || p > 65535)
		return -1;
	*host = xstrndup(h, hlen);
	*port = (unsigned short)p;
	return 0;
}

/* Reports key k of g given without tls = true. */
static int
tls_only(const struct conf_node *g, const char *k, bool tls)
{
	if (tls || !conf_has(g, k))
		return 0;
	conf_error(conf_get(g, k), "\"%s\" in tcp only goes with tls = true", k);
	return -1;
}

struct tcp_conf *
tcp_conf_parse(const struct conf_node *g, const struct source_config *src)
{
	struct tcp_conf *c = xcalloc(1, sizeof(*c));
	const char *a = conf_string(g, "address", "");
	int errs = 0;

	(void)src;
	c->tls = conf_bool(g, "tls", false);
	if (tcp_conf_split(a, &c->host, &c->port) == -1) {
		conf_error(conf_get(g, "address"), "tcp address \"%s\": expected HOST:PORT or "
		    "[IPv6]:PORT, port 1 to 65535", a);
		errs++;
	} else if ((c->numeric = resolve_numeric(c->host, AF_UNSPEC, &c->addr, &c->addrlen))) {
		if (c->addr.ss_family == AF_INET)
			((struct sockaddr_in *)&c->addr)->sin_port = htons(c->port);
		else
			((struct sockaddr_in6 *)&c->addr)->sin6_port = htons(c->port);
	} else if (!resolve_host_name(c->host)) {
		conf_error(conf_get(g, "address"), "tcp address \"%s\": \"%s\" is no IP address "
		    "or host name", a, c->host);
		errs++;
	}
	errs -= tls_only(g, "server_name", c->tls);
	errs -= tls_only(g, "ca_file", c->tls);
	if (conf_has(g, "server_name"))
		c->server_name = xstrdup(conf_string(g, "server_name", ""));
	if (conf_has(g, "ca_file")) {
		c->ca_file = xstrdup(conf_string(g, "ca_file", ""));
		if (access(c->ca_file, R_OK) == -1) {
			conf_error(conf_get(g, "ca_file"), "tcp ca_file \"%s\": %s", c->ca_file,
			    strerror(errno));
			errs++;
		}
	}
	if (conf_has(g, "send")) {
		c->send = xstrdup(conf_string(g, "send", ""));
		c->send_len = strlen(c->send);
	}
	if (conf_has(g, "expect"))
		c->expect = xstrdup(conf_string(g, "expect", ""));
	if (errs == 0)
		return c;
	tcp_conf_free(c);
	return NULL;
}

void
tcp_conf_free(struct tcp_conf *c)
{
	if (c == NULL)
		return;
	free(c->host);
	free(c->server_name);
	free(c->ca_file);
	free(c->send);
	free(c->expect);
	free(c);
}
