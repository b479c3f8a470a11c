/*
 * bridge.api: the management API's keys and their loading. The table says
 * types and ranges; this file adds what it cannot: the listen address, that
 * the per-address limit fits in the global one, and that the TLS certificate
 * and key are readable PEM that belong together (read here, at load, so a
 * bad file is a FILE:LINE error of --check-config and of a reload, never a
 * failure of the running server).
 */

#include "config_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "util.h"
#include "xmalloc.h"

#define NUM_GT0_MAX	(CONF_HAS_MIN | CONF_MIN_OPEN | CONF_HAS_MAX)
#define RANGE		(CONF_HAS_MIN | CONF_HAS_MAX)

#define MAX_CONNECTIONS_DEFAULT	1024
#define MAX_PER_IP_DEFAULT	64
#define IDLE_TIMEOUT_DEFAULT	30
#define HEADER_TIMEOUT_DEFAULT	10.0
#define BODY_TIMEOUT_DEFAULT	30.0
#define MAX_BODY_DEFAULT	(64 * 1024)
#define MAX_FORM_BODY_DEFAULT	(8 * 1024)
#define PEM_MAX			(1024 * 1024)	/* a certificate chain or key file at most */

static const char *const validation_modes[] = { "challenge", "none", NULL };

static const struct conf_key subscriptions_keys[] = {
	{ "validation", CONF_STRING, 0, 0, 0, validation_modes, NULL,
	    "how a new subscriber's URL is verified: challenge (default) or none (weaker)" },
	{ "validation_timeout", CONF_FLOAT, NUM_GT0_MAX, 0, 60, NULL, NULL,
	    "seconds the endpoint has to answer the challenge (default 3)" },
	{ "require_https", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "dynamic subscriber URLs must be https:// (default true)" },
	{ "allow_networks", CONF_STRINGS, CONF_HAS_MAX, 0, SSRF_MAX_NETWORKS, NULL, NULL,
	    "CIDRs exempt from the SSRF guard, e.g. \"127.0.0.0/8\" (default none)" },
	{ "max", CONF_INT, RANGE, 0, 1000000, NULL, NULL,
	    "dynamic subscribers at most (default 10000)" },
	{ "websub", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "serve the WebSub hub endpoint POST /websub (default true)" },
	{ "websub_open", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "POST /websub needs no bearer token (default false)" },
	{ "allow_transforms", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "dynamic subscribers may set a jq \"transform\" (default false)" },
	{ "disable_after", CONF_FLOAT, CONF_HAS_MIN | CONF_MIN_OPEN, 0, 0, NULL, NULL,
	    "seconds of continuous failure after which a dynamic subscriber is disabled "
	    "(default 432000, 5 days)" },
	CONF_KEY_END
};

const struct conf_key config_api_keys[] = {
	{ "listen", CONF_STRING, CONF_REQUIRED, 0, 0, NULL, NULL,
	    "address the management API listens on, \"host:port\"" },
	{ "token", CONF_SECRET, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "bearer token every API request but /healthz must carry" },
	{ "read_token", CONF_SECRET, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "bearer token for GET and HEAD requests only (a scraper's); others get 403" },
	{ "subscriptions", CONF_GROUP, 0, 0, 0, NULL, subscriptions_keys,
	    "subscribers added through the API (POST /v1/subscribers, /websub)" },
	{ "console", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "GET / serves the operator's console (default true)" },
	{ "max_connections", CONF_INT, RANGE, 1, 1000000, NULL, NULL,
	    "connections open at once, all clients together (default 1024)" },
	{ "max_connections_per_ip", CONF_INT, RANGE, 1, 1000000, NULL, NULL,
	    "connections open at once from one client address (default 64)" },
	{ "idle_timeout", CONF_INT, RANGE, 1, 86400, NULL, NULL,
	    "seconds a connection may pass without a byte in or out (default 30)" },
	{ "header_timeout", CONF_FLOAT, NUM_GT0_MAX, 0, 3600, NULL, NULL,
	    "seconds a request's line and headers have to arrive (default 10)" },
	{ "body_timeout", CONF_FLOAT, NUM_GT0_MAX, 0, 3600, NULL, NULL,
	    "seconds a request body has to arrive, after the headers (default 30)" },
	{ "max_body", CONF_INT, RANGE, 1024, 10000000, NULL, NULL,
	    "bytes of a JSON request body at most; larger ones get 413 (default 65536)" },
	{ "max_form_body", CONF_INT, RANGE, 256, 10000000, NULL, NULL,
	    "bytes of a form body (POST /websub) at most; larger ones get 413 (default 8192)" },
	{ "tls_cert", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "PEM file of the API's certificate (and chain): the API speaks HTTPS" },
	{ "tls_key", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "PEM file of the private key of tls_cert" },
	CONF_KEY_END
};

/* Returns whether s is "host:port" with a port from 1 to 65535. */
static bool
valid_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	if (colon == NULL || colon == s || colon[1] == '\0')
		return false;
	port = strtoul(colon + 1, &end, 10);
	return *end == '\0' && colon[1] >= '0' && colon[1] <= '9' && port >= 1 && port <= 65535;
}

/* Returns path (newly allocated) relative to the directory of the file naming it at n. */
static char *
resolve(const struct conf_node *n, const char *path)
{
	const char *file = conf_file(n), *slash;

	if (path[0] == '/' || file == NULL || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - file), file, path);
}

/* Returns the contents of path (NUL-terminated), or NULL after reporting why at n. */
static char *
read_pem(const struct conf_node *n, const char *key, const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = { 0 };
	char chunk[4096];
	size_t got;

	if (f == NULL) {
		conf_error(n, "\"%s\" in bridge.api: cannot read %s: %s", key, path,
		    strerror(errno));
		return NULL;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= PEM_MAX)
		buf_add(&b, chunk, got);
	if (ferror(f) || b.len > PEM_MAX) {
		conf_error(n, "\"%s\" in bridge.api: %s: %s", key, path,
		    ferror(f) ? strerror(errno) : "larger than 1 MiB");
		fclose(f);
		free(b.p);
		return NULL;
	}
	fclose(f);
	buf_add(&b, "", 1);
	return b.p;
}

/* Returns OpenSSL's last error as text (static). */
static const char *
ssl_error(void)
{
	static char msg[256];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return "no PEM data";
	ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	return msg;
}

/* Reads and checks tls_cert and tls_key of g into *ac. */
static void
load_tls(const struct conf_node *g, struct api_config *ac)
{
	const struct conf_node *cn = conf_get(g, "tls_cert"), *kn = conf_get(g, "tls_key");
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	BIO *bio;

	if (cn == NULL && kn == NULL)
		return;
	if (cn == NULL || kn == NULL) {
		conf_error(cn != NULL ? cn : kn, "bridge.api needs both \"tls_cert\" and "
		    "\"tls_key\", or neither");
		return;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		conf_error(cn, "\"tls_cert\" in bridge.api: this libmicrohttpd was built "
		    "without TLS support");
		return;
	}
	ac->tls_cert = resolve(cn, conf_string(g, "tls_cert", NULL));
	ac->tls_key = resolve(kn, conf_string(g, "tls_key", NULL));
	if ((ac->tls_cert_pem = read_pem(cn, "tls_cert", ac->tls_cert)) == NULL ||
	    (ac->tls_key_pem = read_pem(kn, "tls_key", ac->tls_key)) == NULL)
		return;
	ERR_clear_error();
	if ((bio = BIO_new_mem_buf(ac->tls_cert_pem, -1)) != NULL) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (x == NULL) {
		conf_error(cn, "\"tls_cert\" in bridge.api: %s is not a PEM certificate: %s",
		    ac->tls_cert, ssl_error());
		return;
	}
	if ((bio = BIO_new_mem_buf(ac->tls_key_pem, -1)) != NULL) {
		/* An empty passphrase: an encrypted key fails instead of prompting. */
		k = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
		BIO_free(bio);
	}
	if (k == NULL)
		conf_error(kn, "\"tls_key\" in bridge.api: %s is not an unencrypted PEM "
		    "private key: %s", ac->tls_key, ssl_error());
	else if (X509_check_private_key(x, k) != 1)
		conf_error(kn, "\"tls_key\" in bridge.api: %s is not the key of the "
		    "certificate in %s", ac->tls_key, ac->tls_cert);
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
}

static void
load_subscriptions(const struct conf_node *g, struct subs_config *sc)
{
	const char **nets;
	size_t n;
	char err[160];

	sc->challenge = strcmp(conf_string(g, "validation", "challenge"), "none") != 0;
	sc->validation_timeout = conf_float(g, "validation_timeout", 3.0);
	sc->require_https = conf_bool(g, "require_https", true);
	sc->max = (unsigned)conf_int(g, "max", 10000);
	sc->websub = conf_bool(g, "websub", true);
	sc->websub_open = conf_bool(g, "websub_open", false);
	sc->disable_after = conf_float(g, "disable_after", 5 * 86400.0);
	sc->allow_transforms = conf_bool(g, "allow_transforms", false);
	nets = conf_strings(g, "allow_networks", &n);
	for (size_t i = 0; i < n && i < SSRF_MAX_NETWORKS; i++) {
		if (ssrf_parse_cidr(nets[i], &sc->guard.allow[sc->guard.nallow], err,
		    sizeof(err)) != 0)
			conf_error(conf_get(g, "allow_networks"), "allow_networks in "
			    "bridge.api.subscriptions: %s", err);
		else
			sc->guard.nallow++;
	}
	free(nets);
}

/* Returns the one secret at key of g (newly allocated), or NULL. */
static char *
secret(const struct conf_node *g, const char *key)
{
	size_t count;
	char **v = conf_secrets(g, key, &count), *s;

	if (v == NULL)
		return NULL;
	s = v[0];
	v[0] = NULL;
	conf_free_secrets(v);
	return s;
}

void
config_api_load(const struct conf_node *g, bool secrets_ok, struct api_config *ac)
{
	const char *listen = conf_string(g, "listen", NULL);

	if (listen != NULL) {
		if (!valid_listen(listen))
			conf_error(conf_get(g, "listen"), "\"listen\" in bridge.api must be "
			    "\"host:port\", not \"%s\"", listen);
		ac->listen = xstrdup(listen);
	}
	ac->console = conf_bool(g, "console", true);
	/* A missing group gives the defaults: conf_* accessors answer them for NULL. */
	load_subscriptions(g != NULL ? conf_get(g, "subscriptions") : NULL, &ac->subs);
	ac->max_connections = (unsigned)conf_int(g, "max_connections", MAX_CONNECTIONS_DEFAULT);
	ac->max_per_ip = (unsigned)conf_int(g, "max_connections_per_ip",
	    ac->max_connections < MAX_PER_IP_DEFAULT ? ac->max_connections : MAX_PER_IP_DEFAULT);
	if (ac->max_per_ip > ac->max_connections)
		conf_error(conf_get(g, "max_connections_per_ip"), "\"max_connections_per_ip\" "
		    "(%u) in bridge.api must not exceed \"max_connections\" (%u)",
		    ac->max_per_ip, ac->max_connections);
	ac->idle_timeout = (unsigned)conf_int(g, "idle_timeout", IDLE_TIMEOUT_DEFAULT);
	ac->header_timeout = conf_float(g, "header_timeout", HEADER_TIMEOUT_DEFAULT);
	ac->body_timeout = conf_float(g, "body_timeout", BODY_TIMEOUT_DEFAULT);
	ac->max_body = (size_t)conf_int(g, "max_body", MAX_BODY_DEFAULT);
	ac->max_form_body = (size_t)conf_int(g, "max_form_body", MAX_FORM_BODY_DEFAULT);
	if (g == NULL)
		return;
	load_tls(g, ac);
	/* An unreadable token file was reported by the check; don't say it twice. */
	if (secrets_ok) {
		ac->token = secret(g, "token");
		ac->read_token = secret(g, "read_token");
		if (ac->read_token != NULL && ac->token != NULL &&
		    strcmp(ac->read_token, ac->token) == 0)
			conf_error(conf_get(g, conf_has(g, "read_token") ? "read_token" :
			    "read_token_file"), "\"read_token\" in bridge.api must differ from "
			    "\"token\"");
		else if (ac->read_token != NULL && ac->token == NULL)
			conf_error(conf_get(g, conf_has(g, "read_token") ? "read_token" :
			    "read_token_file"), "\"read_token\" in bridge.api needs \"token\": "
			    "without it the API is open to every method");
	}
}

/* Overwrites and frees a secret. */
static void
wipe(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void
config_api_free(struct api_config *ac)
{
	free(ac->listen);
	wipe(ac->token);
	wipe(ac->read_token);
	free(ac->tls_cert);
	free(ac->tls_key);
	free(ac->tls_cert_pem);
	wipe(ac->tls_key_pem);
}
