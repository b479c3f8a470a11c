/*
 * The http poller: polls REST/JSON endpoints with libcurl's multi interface
 * on the daemon's libev loop (bridge/curlev.c) and extracts metrics from the
 * body with JSON Pointers (pollers/jsonx.c).
 *
 * Every source of this kind shares one multi handle, hence one connection
 * cache (keep-alive, HTTP/2 multiplexing) and one DNS cache. Easy handles are
 * pooled: a source holds one only while its poll runs, so memory follows the
 * number of polls in flight, not the number of sources. The body is parsed
 * while it arrives. ETag and Last-Modified are remembered per source and a
 * 304 answer reuses the previous points without parsing.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "conf.h"
#include "config.h"
#include "curlev.h"
#include "jsonx.h"
#include "log.h"
#include "poller.h"
#include "sample.h"
#include "util.h"
#include "xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define HTTP_MAX_BODY_DEFAULT	(1024 * 1024)
#define HTTP_POOL_MAX		256	/* idle easy handles kept for reuse */

struct http_metric {
	struct jsonx_ptr *json;
	struct jsonx_ptr *label;	/* relative to the last wildcard's element */
	struct jsonx_ptr *key;		/* items: the key inside each item */
	bool items;
	bool count;			/* reduce = "count": any match counts, even a container */
};

struct status_range {
	long lo, hi;
};

/* The plain config of one source: built by configure, immutable after. */
struct http_conf {
	char *url;
	char *host;			/* "host:port" for messages */
	bool https;
	bool post;
	char *body;
	char **headers;			/* "Name: value", including auth and defaults */
	size_t nheaders;
	char *user, *password;
	char *ca_file, *cert_file, *key_file, *key_password;
	bool insecure;
	char *proxy;
	long connect_timeout_ms;	/* 0: the source's timeout applies */
	long long max_body;
	bool follow_redirects;
	long max_redirects;
	bool conditional;
	bool compression;
	struct status_range *ok_status;
	size_t nok;
	struct http_metric *metrics;
	size_t nmetrics;
};

struct http_shared {
	struct ev_loop *loop;
	struct curlev *cv;
	CURLSH *share;			/* TLS sessions across pooled handles */
	CURL **idle;
	size_t nidle;
	size_t nsources;
};

/* The runtime state of one source. */
struct http_source {
	struct http_shared *sh;
	const struct source_config *src;
	const struct http_conf *conf;
	CURLU *url;			/* parsed once, not on every request */
	struct curl_slist *headers;
	struct curl_slist cond[2];	/* conditional headers, chained before headers */
	char *cond_text[2];		/* If-None-Match, If-Modified-Since of the saved points */
	size_t ncond;
	struct point *saved;		/* the points of the last parsed body */
	size_t nsaved;
	bool have_saved;
	ev_timer fail_timer;		/* completes a poll that could not start */

	/* The poll in flight. */
	CURL *easy;
	struct sample *sample;
	poll_done_fn done;
	void *done_arg;
	struct jsonx_parser *parser;
	bool parse;			/* decided at the first body byte */
	bool body_started;
	bool oversize;
	long long body_bytes;
	char *new_etag, *new_last_modified;
	char errbuf[CURL_ERROR_SIZE];
};

/* What jsonx_eval's callback needs to add points. */
struct extract_ctx {
	struct sample *s;
	const char *metric;
	const struct http_metric *m;
};

static const char *const methods[] = { "GET", "POST", NULL };

static const struct conf_key http_keys[] = {
	{ "url", CONF_STRING, CONF_REQUIRED, 0, 0, NULL, NULL,
	    "the http:// or https:// URL to poll" },
	{ "method", CONF_STRING, 0, 0, 0, methods, NULL,
	    "GET (default) or POST" },
	{ "body", CONF_STRING, 0, 0, 0, NULL, NULL,
	    "the request body of a POST (Content-Type application/json unless a header says otherwise)" },
	{ "headers", CONF_STRINGS, 0, 0, 0, NULL, NULL,
	    "extra request headers, \"Name: value\"" },
	{ "user", CONF_STRING, 0, 0, 0, NULL, NULL, "user name for basic authentication" },
	{ "password", CONF_SECRET, 0, 0, 0, NULL, NULL,
	    "password for basic authentication (or password_file)" },
	{ "token", CONF_SECRET, 0, 0, 0, NULL, NULL,
	    "bearer token sent as \"Authorization: Bearer\" (or token_file)" },
	{ "ca_file", CONF_STRING, 0, 0, 0, NULL, NULL,
	    "PEM file of the CAs to trust instead of the system's" },
	{ "cert_file", CONF_STRING, 0, 0, 0, NULL, NULL, "PEM client certificate" },
	{ "key_file", CONF_STRING, 0, 0, 0, NULL, NULL, "PEM private key of the client certificate" },
	{ "key_password", CONF_SECRET, 0, 0, 0, NULL, NULL,
	    "passphrase of key_file (or key_password_file)" },
	{ "insecure", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "skip TLS certificate and host name verification (default false)" },
	{ "proxy", CONF_STRING, 0, 0, 0, NULL, NULL,
	    "proxy URL; the *_proxy environment variables are ignored" },
	{ "connect_timeout", CONF_FLOAT, CONF_HAS_MIN | CONF_MIN_OPEN, 0, 0, NULL, NULL,
	    "seconds to establish the connection (default: the source's timeout)" },
	{ "max_body", CONF_INT, CONF_HAS_MIN | CONF_HAS_MAX, 1, 1024.0 * 1024 * 1024, NULL, NULL,
	    "largest body accepted, in bytes (default 1048576)" },
	{ "follow_redirects", CONF_BOOL, 0, 0, 0, NULL, NULL, "follow 3xx redirects (default false)" },
	{ "max_redirects", CONF_INT, CONF_HAS_MIN | CONF_HAS_MAX, 0, 50, NULL, NULL,
	    "most redirects followed (default 5)" },
	{ "conditional", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "send If-None-Match / If-Modified-Since and reuse the last values on 304 (default true)" },
	{ "compression", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "ask for a gzip, deflate, brotli or zstd body (default false); max_body applies decoded" },
	{ "ok_status", CONF_STRINGS, 0, 0, 0, NULL, NULL,
	    "statuses besides 2xx that count as up: \"404\", \"4xx\", \"400-404\"" },
	CONF_KEY_END
};

static const struct conf_key http_metric_keys[] = {
	{ "json", CONF_STRING, CONF_REQUIRED, 0, 0, NULL, NULL,
	    "JSON Pointer (RFC 6901) to the value; a \"*\" segment yields one instance per element or member" },
	{ "label", CONF_STRING, 0, 0, 0, NULL, NULL,
	    "JSON Pointer, relative to the wildcard's element, to a name for each instance" },
	{ "items", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "the value is an array of objects, for on_new rules (needs key)" },
	{ "key", CONF_STRING, 0, 0, 0, NULL, NULL,
	    "JSON Pointer, relative to each item, to its unique key" },
	CONF_KEY_END
};

static const char *const http_builtins[] = { "http_status", NULL };

static void
http_free_conf(void *arg)
{
	struct http_conf *c = arg;

	if (c == NULL)
		return;
	free(c->url);
	free(c->host);
	free(c->body);
	for (size_t i = 0; i < c->nheaders; i++)
		free(c->headers[i]);
	free(c->headers);
	free(c->user);
	free(c->password);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->key_password);
	free(c->proxy);
	free(c->ok_status);
	for (size_t i = 0; i < c->nmetrics; i++) {
		jsonx_free(c->metrics[i].json);
		jsonx_free(c->metrics[i].label);
		jsonx_free(c->metrics[i].key);
	}
	free(c->metrics);
	free(c);
}

/* The node to blame for key in group g: the key itself, else the group. */
static const struct conf_node *
at(const struct conf_node *g, const char *key)
{
	const struct conf_node *n = conf_get(g, key);

	return n != NULL ? n : g;
}

static void
add_header(struct http_conf *c, char *h)
{
	c->headers = xreallocarray(c->headers, c->nheaders + 1, sizeof(*c->headers));
	c->headers[c->nheaders++] = h;
}

static bool
has_header(const struct http_conf *c, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < c->nheaders; i++)
		if (strncasecmp(c->headers[i], name, len) == 0 && c->headers[i][len] == ':')
			return true;
	return false;
}

/* Reads one secret of g into *out; returns -1 when it is present but unusable. */
static int
read_secret(const struct conf_node *g, const char *key, char **out)
{
	char fkey[64];
	char **v;
	size_t n;

	snprintf(fkey, sizeof(fkey), "%s_file", key);
	if (!conf_has(g, key) && !conf_has(g, fkey))
		return 0;
	if ((v = conf_secrets(g, key, &n)) == NULL)
		return -1;	/* conf_secrets reported it */
	if (n != 1) {
		conf_error(at(g, key), "\"%s\" must be one secret", key);
		conf_free_secrets(v);
		return -1;
	}
	*out = xstrdup(v[0]);
	conf_free_secrets(v);
	return 0;
}

static int
parse_url(struct http_conf *c, const struct conf_node *g)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	CURLUcode uc;
	int rc = -1;

	if (u == NULL)
		fatalx("curl: out of memory");
	if ((uc = curl_url_set(u, CURLUPART_URL, c->url, 0)) != CURLUE_OK) {
		conf_error(at(g, "url"), "invalid url \"%s\": %s", c->url,
		    curl_url_strerror(uc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (scheme == NULL || (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0)) {
		conf_error(at(g, "url"), "url \"%s\" must be http:// or https://", c->url);
		goto out;
	}
	c->https = strcasecmp(scheme, "https") == 0;
	c->host = xasprintf("%s:%s", host != NULL ? host : "?", port != NULL ? port : "?");
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* Parses "404", "4xx" or "400-404" into r. */
static bool
parse_status(const char *s, struct status_range *r)
{
	char *end;
	long lo, hi;

	if (strlen(s) == 3 && isdigit((unsigned char)s[0]) && strcmp(s + 1, "xx") == 0) {
		r->lo = (s[0] - '0') * 100;
		r->hi = r->lo + 99;
		return r->lo >= 100 && r->hi <= 599;
	}
	errno = 0;
	lo = strtol(s, &end, 10);
	hi = lo;
	if (end != s && *end == '-') {
		const char *h = end + 1;

		hi = strtol(h, &end, 10);
		if (end == h)
			return false;
	}
	if (errno != 0 || end == s || *end != '\0' || lo < 100 || hi > 599 || lo > hi)
		return false;
	r->lo = lo;
	r->hi = hi;
	return true;
}

static int
configure_request(struct http_conf *c, const struct conf_node *g)
{
	const char **v;
	size_t n;
	char *token = NULL;
	int rc = 0;

	c->url = xstrdup(conf_string(g, "url", ""));
	if (parse_url(c, g) == -1)
		rc = -1;
	c->post = strcmp(conf_string(g, "method", "GET"), "POST") == 0;
	c->body = xstrdup(conf_string(g, "body", NULL));
	if (c->body != NULL && !c->post) {
		conf_error(at(g, "body"), "a body needs method = \"POST\"");
		rc = -1;
	}
	if ((v = conf_strings(g, "headers", &n)) != NULL) {
		for (size_t i = 0; i < n; i++) {
			const char *colon = strchr(v[i], ':');

			if (colon == NULL || colon == v[i] || strpbrk(v[i], "\r\n") != NULL ||
			    memchr(v[i], ' ', (size_t)(colon - v[i])) != NULL) {
				conf_error(at(g, "headers"), "header \"%s\" is not "
				    "\"Name: value\" on one line", v[i]);
				rc = -1;
				continue;
			}
			add_header(c, xstrdup(v[i]));
		}
		free(v);
	}
	c->user = xstrdup(conf_string(g, "user", NULL));
	if (read_secret(g, "password", &c->password) == -1 ||
	    read_secret(g, "token", &token) == -1 ||
	    read_secret(g, "key_password", &c->key_password) == -1)
		rc = -1;
	if (c->password != NULL && c->user == NULL) {
		conf_error(at(g, "password"), "a password needs a user");
		rc = -1;
	}
	if (token != NULL && c->user != NULL) {
		conf_error(at(g, "token"), "use either user/password or token, not both");
		rc = -1;
	}
	if (token != NULL && has_header(c, "Authorization")) {
		conf_error(at(g, "token"), "token and an Authorization header conflict");
		rc = -1;
	}
	if (token != NULL) {
		add_header(c, xasprintf("Authorization: Bearer %s", token));
		free(token);
	}
	if (c->post && !has_header(c, "Content-Type"))
		add_header(c, xstrdup("Content-Type: application/json"));
	if (!has_header(c, "Accept"))
		add_header(c, xstrdup("Accept: application/json"));
	/* A header rather than CURLOPT_USERAGENT: curl formats that anew per request. */
	if (!has_header(c, "User-Agent"))
		add_header(c, xstrdup("User-Agent: pollhook/" PACKAGE_VERSION));
	/* No "Expect: 100-continue" round trip for large POST bodies. */
	if (c->post && !has_header(c, "Expect"))
		add_header(c, xstrdup("Expect:"));
	return rc;
}

static int
configure_transport(struct http_conf *c, const struct conf_node *g)
{
	const char **v;
	size_t n;
	int rc = 0;

	c->ca_file = xstrdup(conf_string(g, "ca_file", NULL));
	c->cert_file = xstrdup(conf_string(g, "cert_file", NULL));
	c->key_file = xstrdup(conf_string(g, "key_file", NULL));
	if (c->key_file != NULL && c->cert_file == NULL) {
		conf_error(at(g, "key_file"), "key_file needs cert_file");
		rc = -1;
	}
	if (c->key_password != NULL && c->key_file == NULL && c->cert_file == NULL) {
		conf_error(at(g, "key_password"), "key_password needs cert_file");
		rc = -1;
	}
	c->insecure = conf_bool(g, "insecure", false);
	if ((c->ca_file != NULL || c->cert_file != NULL) && !c->https) {
		conf_error(at(g, c->ca_file != NULL ? "ca_file" : "cert_file"),
		    "TLS settings need an https:// url");
		rc = -1;
	}
	c->proxy = xstrdup(conf_string(g, "proxy", NULL));
	if (conf_has(g, "connect_timeout"))
		c->connect_timeout_ms = (long)(conf_float(g, "connect_timeout", 0) * 1000.0 + 0.5);
	c->max_body = conf_int(g, "max_body", HTTP_MAX_BODY_DEFAULT);
	c->follow_redirects = conf_bool(g, "follow_redirects", false);
	c->max_redirects = (long)conf_int(g, "max_redirects", 5);
	c->conditional = conf_bool(g, "conditional", true);
	c->compression = conf_bool(g, "compression", false);
	if ((v = conf_strings(g, "ok_status", &n)) != NULL) {
		c->ok_status = xcalloc(n, sizeof(*c->ok_status));
		for (size_t i = 0; i < n; i++) {
			if (!parse_status(v[i], &c->ok_status[c->nok])) {
				conf_error(at(g, "ok_status"), "ok_status \"%s\" is not a "
				    "status (\"404\"), a class (\"4xx\") or a range "
				    "(\"400-404\") within 100-599", v[i]);
				rc = -1;
				continue;
			}
			c->nok++;
		}
		free(v);
	}
	return rc;
}

/* Compiles the pointer at key of metric m, if present; -1 when invalid. */
static int
compile_at(const struct conf_node *m, const char *key, struct jsonx_ptr **out)
{
	const char *text = conf_string(m, key, NULL);
	char err[256];

	*out = NULL;
	if (text == NULL)
		return 0;
	if ((*out = jsonx_compile(text, err, sizeof(err))) == NULL) {
		conf_error(at(m, key), "%s", err);
		return -1;
	}
	return 0;
}

static int
configure_metric(struct http_metric *hm, const struct conf_node *m)
{
	int rc = 0;

	if (compile_at(m, "json", &hm->json) == -1 || compile_at(m, "label", &hm->label) == -1 ||
	    compile_at(m, "key", &hm->key) == -1)
		return -1;
	if (hm->json == NULL) {
		conf_error(m, "a metric of the http poller needs \"json\"");
		return -1;
	}
	hm->items = conf_bool(m, "items", false);
	if (hm->label != NULL && jsonx_wildcards(hm->json) == 0) {
		conf_error(at(m, "label"), "label needs a \"*\" segment in json \"%s\"",
		    jsonx_text(hm->json));
		rc = -1;
	}
	if (hm->label != NULL && jsonx_wildcards(hm->label) > 0) {
		conf_error(at(m, "label"), "label \"%s\" cannot have a \"*\" segment",
		    jsonx_text(hm->label));
		rc = -1;
	}
	if (hm->items && hm->key == NULL) {
		conf_error(at(m, "items"), "items = true needs key, the pointer to each "
		    "item's unique key (e.g. key = \"/id\")");
		rc = -1;
	}
	if (!hm->items && hm->key != NULL) {
		conf_error(at(m, "key"), "key needs items = true");
		rc = -1;
	}
	if (hm->key != NULL && jsonx_wildcards(hm->key) > 0) {
		conf_error(at(m, "key"), "key \"%s\" cannot have a \"*\" segment",
		    jsonx_text(hm->key));
		rc = -1;
	}
	hm->count = strcmp(conf_string(m, "reduce", ""), "count") == 0;
	if (hm->items && conf_has(m, "reduce")) {
		conf_error(at(m, "reduce"), "reduce needs numbers; an items metric has none");
		rc = -1;
	}
	return rc;
}

static int
http_configure(const struct conf_node *group, const struct conf_node *metrics,
    const struct source_config *src, void **out)
{
	struct http_conf *c;
	int rc = 0;

	if (group == NULL) {
		if (metrics != NULL)
			conf_error(metrics, "source \"%s\" needs an \"http\" group with "
			    "a url", src->name);
		else
			log_warnx("%s:%d: source \"%s\" needs an \"http\" group with a url",
			    src->file, src->line, src->name);
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	if (configure_request(c, group) == -1)
		rc = -1;
	if (configure_transport(c, group) == -1)
		rc = -1;
	c->nmetrics = metrics != NULL ? conf_count(metrics) : 0;
	c->metrics = xcalloc(c->nmetrics, sizeof(*c->metrics));
	for (size_t i = 0; i < c->nmetrics; i++)
		if (configure_metric(&c->metrics[i], conf_elem(metrics, i)) == -1)
			rc = -1;
	if (rc == -1) {
		http_free_conf(c);
		return -1;
	}
	*out = c;
	return 0;
}

static void *
http_init(struct ev_loop *loop)
{
	struct http_shared *sh = xcalloc(1, sizeof(*sh));

	sh->loop = loop;
	sh->cv = curlev_new(loop);
	sh->idle = xcalloc(HTTP_POOL_MAX, sizeof(*sh->idle));
	if ((sh->share = curl_share_init()) == NULL)
		fatalx("curl: cannot create a share handle");
	curl_share_setopt(sh->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	return sh;
}

static void
http_fini(void *arg)
{
	struct http_shared *sh = arg;

	if (sh == NULL)
		return;
	for (size_t i = 0; i < sh->nidle; i++)
		curl_easy_cleanup(sh->idle[i]);
	free(sh->idle);
	curlev_free(sh->cv);
	curl_share_cleanup(sh->share);
	free(sh);
}

static CURL *
pool_get(struct http_shared *sh)
{
	CURL *easy;

	if (sh->nidle > 0)
		return sh->idle[--sh->nidle];
	if ((easy = curl_easy_init()) == NULL)
		fatalx("curl: cannot create an easy handle");
	/*
	 * Attach the share before the first transfer: curl 7.88 gives a handle
	 * without one its own TLS session cache and leaks it when a share is
	 * attached later.
	 */
	curl_easy_setopt(easy, CURLOPT_SHARE, sh->share);
	return easy;
}

/* Returns easy to the pool, forgetting every option (they point into a source). */
static void
pool_put(struct http_shared *sh, CURL *easy)
{
	curl_easy_reset(easy);
	if (sh->nidle < HTTP_POOL_MAX)
		sh->idle[sh->nidle++] = easy;
	else
		curl_easy_cleanup(easy);
}

static bool
status_ok(const struct http_conf *c, long status)
{
	if (status >= 200 && status <= 299)
		return true;
	for (size_t i = 0; i < c->nok; i++)
		if (status >= c->ok_status[i].lo && status <= c->ok_status[i].hi)
			return true;
	return false;
}

static void
saved_clear(struct http_source *hs)
{
	for (size_t i = 0; i < hs->nsaved; i++) {
		free(hs->saved[i].instance);
		free(hs->saved[i].label);
		free(hs->saved[i].error);
		value_clear(&hs->saved[i].value);
	}
	free(hs->saved);
	hs->saved = NULL;
	hs->nsaved = 0;
	hs->have_saved = false;
	for (size_t i = 0; i < hs->ncond; i++) {
		free(hs->cond_text[i]);
		hs->cond_text[i] = NULL;
	}
	hs->ncond = 0;
}

static void
point_copy(struct point *dst, const struct point *src)
{
	dst->metric = src->metric;
	dst->instance = xstrdup(src->instance);
	dst->label = xstrdup(src->label);
	dst->error = xstrdup(src->error);
	value_copy(&dst->value, &src->value);
}

/* Remembers points [from, npoints) of s and the validators that go with them. */
static void
saved_store(struct http_source *hs, const struct sample *s, size_t from)
{
	saved_clear(hs);
	if (!hs->conf->conditional || (hs->new_etag == NULL && hs->new_last_modified == NULL))
		return;
	hs->nsaved = s->npoints - from;
	hs->saved = xcalloc(hs->nsaved, sizeof(*hs->saved));
	for (size_t i = 0; i < hs->nsaved; i++)
		point_copy(&hs->saved[i], &s->points[from + i]);
	hs->have_saved = true;
	/* Built once here, not on every request. */
	if (hs->new_etag != NULL)
		hs->cond_text[hs->ncond++] = xasprintf("If-None-Match: %s", hs->new_etag);
	if (hs->new_last_modified != NULL)
		hs->cond_text[hs->ncond++] = xasprintf("If-Modified-Since: %s",
		    hs->new_last_modified);
}

static void
saved_restore(struct http_source *hs, struct sample *s)
{
	for (size_t i = 0; i < hs->nsaved; i++) {
		struct point *p = sample_add(s, hs->saved[i].metric, NULL);

		point_copy(p, &hs->saved[i]);
	}
}

/* Returns the header list of this poll: the conditional headers, then the static ones. */
static struct curl_slist *
request_headers(struct http_source *hs)
{
	struct curl_slist *head = hs->headers;
	size_t n = hs->ncond;

	if (!hs->conf->conditional || !hs->have_saved)
		return head;
	/* curl only reads the list, so the nodes can live in the source. */
	while (n-- > 0) {
		hs->cond[n].data = hs->cond_text[n];
		hs->cond[n].next = head;
		head = &hs->cond[n];
	}
	return head;
}

/* Returns a copy of the trimmed value of header line h if it is name. */
static char *
header_value(const char *h, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	const char *v, *end = h + len;

	if (len <= nlen || strncasecmp(h, name, nlen) != 0 || h[nlen] != ':')
		return NULL;
	for (v = h + nlen + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	if (end == v)
		return NULL;
	/* It goes back into a request header: no control characters. */
	for (const char *c = v; c < end; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return NULL;
	return xstrndup(v, (size_t)(end - v));
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct http_source *hs = arg;
	size_t len = size * nitems;
	char *v;

	/* A new status line starts a new response (redirects, 100 Continue). */
	if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
		free(hs->new_etag);
		free(hs->new_last_modified);
		hs->new_etag = hs->new_last_modified = NULL;
	} else if ((v = header_value(buf, len, "ETag")) != NULL) {
		free(hs->new_etag);
		hs->new_etag = v;
	} else if ((v = header_value(buf, len, "Last-Modified")) != NULL) {
		free(hs->new_last_modified);
		hs->new_last_modified = v;
	}
	return len;
}

static size_t
write_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct http_source *hs = arg;
	size_t len = size * nmemb;

	if (!hs->body_started) {
		long status = 0;

		hs->body_started = true;
		curl_easy_getinfo(hs->easy, CURLINFO_RESPONSE_CODE, &status);
		hs->parse = hs->conf->nmetrics > 0 && status_ok(hs->conf, status);
		if (hs->parse)
			hs->parser = jsonx_parser_new(0);
	}
	if ((long long)len > hs->conf->max_body - hs->body_bytes) {
		hs->oversize = true;
		return 0;	/* aborts the transfer with CURLE_WRITE_ERROR */
	}
	hs->body_bytes += (long long)len;
	if (hs->parse)
		jsonx_parser_feed(hs->parser, buf, len);
	return len;
}

static void
set_options(struct http_source *hs, CURL *e)
{
	const struct http_conf *c = hs->conf;
	double timeout = hs->src->timeout > 0 ? hs->src->timeout : 10.0;

	curl_easy_setopt(e, CURLOPT_CURLU, hs->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0 + 0.5));
	if (c->connect_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	if (c->post) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body != NULL ? c->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(c->body != NULL ? strlen(c->body) : 0));
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, request_headers(hs));
	if (c->compression)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (!c->https)
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	if (c->user != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->password != NULL ? c->password : "");
	}
	if (c->https) {
		if (c->ca_file != NULL)
			curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
		if (c->cert_file != NULL)
			curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
		if (c->key_file != NULL)
			curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
		if (c->key_password != NULL)
			curl_easy_setopt(e, CURLOPT_KEYPASSWD, c->key_password);
		if (c->insecure) {
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		/* Wait for a connection that may multiplex rather than open another. */
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	}
	curl_easy_setopt(e, CURLOPT_SHARE, hs->sh->share);
	/* Only the configured proxy: never one from the environment. */
	curl_easy_setopt(e, CURLOPT_PROXY, c->proxy != NULL ? c->proxy : "");
	if (c->follow_redirects) {
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, c->max_redirects);
	}
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, hs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, hs);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, hs->errbuf);
}

static bool
is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

/*
 * Fails the poll for a transfer error with a message that does not change
 * from one poll to the next (curl's own texts carry elapsed milliseconds),
 * so that the core logs a lasting failure once.
 */
static void
fail_transfer(struct http_source *hs, CURL *e, CURLcode rc)
{
	struct sample *s = hs->sample;
	const struct http_conf *c = hs->conf;
	const char *detail = hs->errbuf[0] != '\0' ? hs->errbuf : curl_easy_strerror(rc);
	long oserr = 0;

	if (hs->oversize || rc == CURLE_FILESIZE_EXCEEDED) {
		sample_fail(s, "body larger than max_body (%lld bytes)", c->max_body);
		return;
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		sample_fail(s, "DNS: cannot resolve the host of %s", c->host);
		return;
	case CURLE_COULDNT_RESOLVE_PROXY:
		sample_fail(s, "DNS: cannot resolve proxy %s", c->proxy);
		return;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
		sample_fail(s, "cannot connect to %s: %s", c->host,
		    oserr != 0 ? strerror((int)oserr) : curl_easy_strerror(rc));
		return;
	case CURLE_OPERATION_TIMEDOUT:
		sample_fail(s, "timeout after %g s", hs->src->timeout);
		return;
	case CURLE_TOO_MANY_REDIRECTS:
		sample_fail(s, "more than %ld redirects", c->max_redirects);
		return;
	case CURLE_GOT_NOTHING:
		sample_fail(s, "%s closed the connection without a response", c->host);
		return;
	default:
		break;
	}
	/* TLS 1.3 reports a refused client certificate on the first read. */
	if (is_tls_error(rc) || (c->https && (rc == CURLE_RECV_ERROR ||
	    rc == CURLE_SEND_ERROR) && strstr(detail, "SSL") != NULL))
		sample_fail(s, "TLS: %s", detail);
	else
		sample_fail(s, "%s", detail);
}

static void
extract_match(void *arg, const char *instance, struct json_object *elem,
    struct json_object *o, const char *err)
{
	struct extract_ctx *x = arg;
	const struct http_metric *m = x->m;
	struct point *p = sample_add(x->s, x->metric, instance);
	struct json_object *lo;
	char e2[512];
	int rc;

	if (err != NULL) {
		p->error = xstrdup(err);
		return;
	}
	if (m->label != NULL && jsonx_get(m->label, elem, &lo, e2, sizeof(e2)) == 0)
		p->label = jsonx_scalar_text(lo);
	if (m->count && (json_object_is_type(o, json_type_object) ||
	    json_object_is_type(o, json_type_array))) {
		p->value.type = VALUE_NULL;
		return;
	}
	if (m->items)
		rc = jsonx_items(o, m->key, &p->value, e2, sizeof(e2));
	else
		rc = jsonx_value(o, &p->value, e2, sizeof(e2));
	if (rc == -1)
		p->error = xasprintf("%s: %s", jsonx_text(m->json), e2);
}

/* Adds the points of every metric from the parsed body root. */
static void
extract(struct http_source *hs, struct json_object *root)
{
	const struct http_conf *c = hs->conf;
	char err[512];

	for (size_t i = 0; i < c->nmetrics; i++) {
		struct extract_ctx x = { hs->sample, hs->src->metrics[i].name, &c->metrics[i] };

		if (jsonx_eval(c->metrics[i].json, root, extract_match, &x, err,
		    sizeof(err)) == -1)
			sample_add_error(hs->sample, x.metric, "%s", err);
	}
}

/* Completes a response that arrived: status, then body or saved points. */
static void
handle_response(struct http_source *hs, long status)
{
	const struct http_conf *c = hs->conf;
	struct sample *s = hs->sample;
	struct json_object *root = NULL;
	size_t from;
	char err[512];

	if (status == 304) {
		if (hs->have_saved) {
			saved_restore(hs, s);
			return;
		}
		sample_fail(s, "HTTP 304 Not Modified without an earlier response");
		return;
	}
	if (!status_ok(c, status)) {
		sample_fail(s, "HTTP %ld", status);
		return;
	}
	if (c->nmetrics == 0)
		return;
	from = s->npoints;
	if (hs->parser == NULL) {
		for (size_t i = 0; i < c->nmetrics; i++)
			sample_add_error(s, hs->src->metrics[i].name, "empty body");
		saved_clear(hs);
		return;
	}
	if (jsonx_parser_finish(hs->parser, &root, err, sizeof(err)) == -1) {
		sample_fail(s, "%s", err);
		saved_clear(hs);
		return;
	}
	extract(hs, root);
	json_object_put(root);
	saved_store(hs, s, from);
}

static void
poll_finish(struct http_source *hs)
{
	poll_done_fn done = hs->done;
	void *arg = hs->done_arg;

	jsonx_parser_free(hs->parser);
	hs->parser = NULL;
	free(hs->new_etag);
	free(hs->new_last_modified);
	hs->new_etag = hs->new_last_modified = NULL;
	hs->sample = NULL;
	hs->done = NULL;
	done(arg);
}

static void
transfer_done(CURL *e, CURLcode rc, void *arg)
{
	struct http_source *hs = arg;
	long status = 0;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status > 0)
		sample_add_number(hs->sample, "http_status", NULL, (double)status);
	if (rc != CURLE_OK)
		fail_transfer(hs, e, rc);
	else
		handle_response(hs, status);
	if (!hs->sample->ok)
		log_debug("http/%s: %s", hs->src->name, hs->sample->error);
	hs->easy = NULL;
	pool_put(hs->sh, e);
	poll_finish(hs);
}

static void
fail_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http_source *hs = container_of(w, struct http_source, fail_timer);

	(void)loop;
	(void)revents;
	poll_finish(hs);
}

static void
http_poll(void *state, struct sample *s, poll_done_fn done, void *arg)
{
	struct http_source *hs = state;

	hs->sample = s;
	hs->done = done;
	hs->done_arg = arg;
	hs->parse = hs->body_started = hs->oversize = false;
	hs->body_bytes = 0;
	hs->errbuf[0] = '\0';
	hs->easy = pool_get(hs->sh);
	set_options(hs, hs->easy);
	if (curlev_add(hs->sh->cv, hs->easy, transfer_done, hs) == -1) {
		sample_fail(s, "cannot start the request");
		pool_put(hs->sh, hs->easy);
		hs->easy = NULL;
		/* done must not run before poll returns. */
		ev_timer_set(&hs->fail_timer, 0.0, 0.0);
		ev_timer_start(hs->sh->loop, &hs->fail_timer);
	}
}

static int
http_start(struct ev_loop *loop, void *shared, const struct source_config *src, void **state)
{
	struct http_shared *sh = shared;
	const struct http_conf *c = src->poller_conf;
	struct http_source *hs;

	(void)loop;	/* the shared state holds it */
	if (sh == NULL || c == NULL || c->nmetrics != src->nmetrics) {
		log_warnx("http/%s: cannot start: inconsistent configuration", src->name);
		return -1;
	}
	hs = xcalloc(1, sizeof(*hs));
	hs->sh = sh;
	hs->src = src;
	hs->conf = c;
	for (size_t i = 0; i < c->nheaders; i++) {
		struct curl_slist *l = curl_slist_append(hs->headers, c->headers[i]);

		if (l == NULL)
			fatalx("curl: out of memory");
		hs->headers = l;
	}
	if ((hs->url = curl_url()) == NULL)
		fatalx("curl: out of memory");
	if (curl_url_set(hs->url, CURLUPART_URL, c->url, 0) != CURLUE_OK) {
		log_warnx("http/%s: cannot parse url %s", src->name, c->url);
		curl_url_cleanup(hs->url);
		curl_slist_free_all(hs->headers);
		free(hs);
		return -1;
	}
	ev_init(&hs->fail_timer, fail_timer_cb);
	/* Enough idle connections for every source to keep its own alive. */
	sh->nsources++;
	curl_multi_setopt(curlev_multi(sh->cv), CURLMOPT_MAXCONNECTS, (long)sh->nsources + 8);
	*state = hs;
	return 0;
}

static void
http_stop(void *state)
{
	struct http_source *hs = state;

	if (hs == NULL)
		return;
	if (hs->easy != NULL) {
		curlev_cancel(hs->sh->cv, hs->easy);
		pool_put(hs->sh, hs->easy);
	}
	ev_timer_stop(hs->sh->loop, &hs->fail_timer);
	jsonx_parser_free(hs->parser);
	free(hs->new_etag);
	free(hs->new_last_modified);
	saved_clear(hs);
	curl_slist_free_all(hs->headers);
	curl_url_cleanup(hs->url);
	hs->sh->nsources--;
	free(hs);
}

const struct poller_ops http_poller_ops = {
	.name = "http",
	.keys = http_keys,
	.metric_keys = http_metric_keys,
	.builtin_metrics = http_builtins,
	.configure = http_configure,
	.free_conf = http_free_conf,
	.init = http_init,
	.fini = http_fini,
	.start = http_start,
	.poll = http_poll,
	.stop = http_stop,
};
