#ifndef POLLHOOK_CURLTLS_H
#define POLLHOOK_CURLTLS_H

/*
 * The request settings every libcurl user of pollhook shares (the http
 * poller and the webhook emitter): the URL and header checks, the header
 * list, the allowed protocols, and the TLS and proxy keys with their checks
 * and their options on the easy handle.
 */

#include <stdbool.h>

#include <curl/curl.h>

#include "conf.h"

struct curltls {
	char *ca_file;		/* PEM CAs instead of the system's */
	char *cert_file;	/* PEM client certificate (may hold the key) */
	char *key_file;		/* PEM private key of cert_file */
	char *key_password;
	bool insecure;		/* no certificate or host name checks */
	char *proxy;		/* NULL: none, whatever the environment says */
};

/* The conf_key entries of struct curltls, for a plugin's key table. */
#define CURLTLS_KEYS \
	{ "ca_file", CONF_STRING, 0, 0, 0, NULL, NULL, \
	    "PEM file of the CAs to trust instead of the system's" }, \
	{ "cert_file", CONF_STRING, 0, 0, 0, NULL, NULL, \
	    "PEM client certificate for mutual TLS" }, \
	{ "key_file", CONF_STRING, 0, 0, 0, NULL, NULL, \
	    "PEM private key of the client certificate (needs cert_file)" }, \
	{ "key_password", CONF_SECRET, 0, 0, 0, NULL, NULL, \
	    "passphrase of key_file (or key_password_file)" }, \
	{ "insecure", CONF_BOOL, 0, 0, 0, NULL, NULL, \
	    "skip TLS certificate and host name verification (default false)" }, \
	{ "proxy", CONF_STRING, 0, 0, 0, NULL, NULL, \
	    "proxy URL; the *_proxy environment variables are ignored" }

/*
 * Checks that url is an http:// or https:// URL; sets *https, and *hostport
 * (newly allocated "host:port", for messages) when hostport is not NULL.
 * Returns 0, or -1 with the reason in err.
 */
int curltls_url_check(const char *url, bool *https, char **hostport, char *err, size_t errlen);
/* Returns whether h is one "Name: value" header line (a name without spaces or controls). */
bool curltls_header_ok(const char *h);
/* Appends a copy of line to *list; out of memory is fatal, so no header is ever left out. */
void curltls_header_add(struct curl_slist **list, const char *line);
/* Restricts e to http:// and https://, redirects included, whatever the libcurl version. */
void curltls_http_only(CURL *e);
/*
 * Reads the keys of CURLTLS_KEYS from group g into t (zeroed first). TLS
 * keys need an https URL (https false: an error). Reports each mistake with
 * conf_error and returns -1, or returns 0.
 */
int curltls_configure(struct curltls *t, const struct conf_node *g, bool https);
/* Sets t on the easy handle e: TLS options when https, and the proxy (never the environment's). */
void curltls_apply(const struct curltls *t, CURL *e, bool https);
/* Returns whether a and b set the same options. */
bool curltls_equal(const struct curltls *a, const struct curltls *b);
/* Frees what t holds and zeroes it. */
void curltls_clear(struct curltls *t);

#endif
