/*
 * Configuration of the http poller: the keys of its group and metrics, and
 * their semantic checks (URL, headers, secrets, TLS files, status lists,
 * JSON Pointers), each reported as FILE:LINE.
 */

#include "http_conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "config.h"
#include "http_url.h"
#include "jsonx.h"
#include "log.h"
#include "xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define HTTP_MAX_BODY_DEFAULT	(1024 * 1024)
#define HTTP_WINDOW_DEFAULT	86400.0
#define HTTP_MAX_PAGES_DEFAULT	10

static const char *const methods[] = { "GET", "POST", NULL };
static const char *const grant_types[] = { "client_credentials", "account_credentials", NULL };
static const char *const oauth2_auths[] = { "basic", "body", NULL };

static const struct conf_key oauth2_keys[] = {
	{ "token_url", CONF_STRING, CONF_REQUIRED, 0, 0, NULL, NULL,
	    "the http:// or https:// URL of the token endpoint" },
	{ "client_id", CONF_STRING, CONF_REQUIRED | CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "the client's id" },
	{ "client_secret", CONF_SECRET, 0, 0, 0, NULL, NULL,
	    "the client's secret (or client_secret_file), required" },
	{ "grant_type", CONF_STRING, 0, 0, 0, grant_types, NULL,
	    "client_credentials (default, RFC 6749) or account_credentials (Zoom)" },
	{ "scopes", CONF_STRINGS, 0, 0, 0, NULL, NULL, "scopes asked for, sent as \"scope\"" },
	{ "params", CONF_MAP, 0, 0, 0, NULL, NULL,
	    "name = \"value\" pairs added to the token request (e.g. account_id)" },
	{ "auth", CONF_STRING, 0, 0, 0, oauth2_auths, NULL,
	    "how the credentials go: basic (default, Authorization: Basic) or body (form fields)" },
	CONF_KEY_END
};

static const struct conf_key paginate_keys[] = {
	{ "next_pointer", CONF_STRING, 0, 0, 0, NULL, NULL,
	    "JSON Pointer to the next page's token in each page (needs next_param)" },
	{ "next_param", CONF_STRING, CONF_NAME, 0, 0, NULL, NULL,
	    "the query parameter that carries the token to the next request" },
	{ "link", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "follow the Link header's rel=\"next\" (RFC 8288) instead" },
	{ "max_pages", CONF_INT, CONF_HAS_MIN | CONF_HAS_MAX, 1, 1000, NULL, NULL,
	    "most pages one poll fetches (default 10): a poll with more fails" },
	CONF_KEY_END
};

const struct conf_key http_conf_keys[] = {
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
	CURLTLS_KEYS,
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
	{ "window", CONF_FLOAT, CONF_HAS_MIN | CONF_MIN_OPEN, 0, 0, NULL, NULL,
	    "seconds %{since:...} reaches back before the first successful poll (default 86400)" },
	{ "oauth2", CONF_GROUP, 0, 0, 0, NULL, oauth2_keys,
	    "fetch the bearer token from an OAuth 2.0 token endpoint" },
	{ "paginate", CONF_GROUP, 0, 0, 0, NULL, paginate_keys,
	    "fetch every page of a paged list" },
	CONF_KEY_END
};

const struct conf_key http_conf_metric_keys[] = {
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

void
http_conf_free(void *arg)
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
	curltls_clear(&c->tls);
	free(c->ok_status);
	for (size_t i = 0; i < c->nmetrics; i++) {
		jsonx_free(c->metrics[i].json);
		jsonx_free(c->metrics[i].label);
		jsonx_free(c->metrics[i].key);
	}
	free(c->metrics);
	http_url_free(c->tmpl);
	if (c->oauth2 != NULL) {
		free(c->oauth2->token_url);
		free(c->oauth2->token_host);
		free(c->oauth2->user);
		free(c->oauth2->pass);
		free(c->oauth2->form);
		free(c->oauth2->secret);
		free(c->oauth2);
	}
	jsonx_free(c->next_pointer);
	free(c->next_param);
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

/* A time any format prints, to check a URL with placeholders: 2001-02-03T04:05:06Z. */
#define SAMPLE_TIME 981173106.0

static int
parse_url(struct http_conf *c, const struct conf_node *g)
{
	char err[512], *expanded = NULL;
	int rc = -1;

	if (http_url_parse(c->url, &c->tmpl, err, sizeof(err)) == -1) {
		conf_error(at(g, "url"), "url: %s", err);
		return -1;
	}
	if (c->tmpl != NULL && (expanded = http_url_expand(c->tmpl, SAMPLE_TIME,
	    SAMPLE_TIME)) == NULL) {
		conf_error(at(g, "url"), "url: a time format prints nothing or too much");
		return -1;
	}
	if (curltls_url_check(expanded != NULL ? expanded : c->url, &c->https, &c->host, err,
	    sizeof(err)) == -1)
		conf_error(at(g, "url"), "%s", err);
	else
		rc = 0;
	free(expanded);
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
			if (!curltls_header_ok(v[i])) {
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
	    read_secret(g, "token", &token) == -1)
		rc = -1;
	if (c->password != NULL && c->user == NULL) {
		conf_error(at(g, "password"), "a password needs a user");
		rc = -1;
	}
	if (token != NULL && c->user != NULL) {
		conf_error(at(g, "token"), "use either user/password or token, not both");
		rc = -1;
	}
	if (conf_has(g, "oauth2") && (token != NULL || c->user != NULL ||
	    has_header(c, "Authorization"))) {
		conf_error(at(g, "oauth2"), "oauth2 cannot be combined with token, "
		    "user/password or an Authorization header");
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

	if (curltls_configure(&c->tls, g, c->https) == -1)
		rc = -1;
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

/* Returns s encoded for an application/x-www-form-urlencoded body (newly allocated). */
static char *
form_encode(const char *s)
{
	size_t n = strlen(s), len = 0;
	char *out = xmalloc(3 * n + 1);

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			out[len++] = (char)*p;
		else
			len += (size_t)snprintf(out + len, 4, "%%%02X", *p);
	}
	out[len] = '\0';
	return out;
}

/* Appends "&name=value" (the first without "&") to the form *f, value encoded. */
static void
form_add(char **f, const char *name, const char *value)
{
	char *v = form_encode(value), *next;

	next = xasprintf("%s%s%s=%s", *f != NULL ? *f : "", *f != NULL ? "&" : "", name, v);
	free(*f);
	free(v);
	*f = next;
}

/* The form fields pollhook sets itself, which params cannot override. */
static const char *const own_fields[] = {
	"grant_type", "scope", "client_id", "client_secret", NULL
};

static int
oauth2_params(struct http_oauth2_conf *o, const struct conf_node *g, bool account)
{
	const struct conf_node *params = conf_get(g, "params");
	bool account_id = false;
	int rc = 0;

	for (size_t i = 0; params != NULL && i < conf_count(params); i++) {
		const struct conf_node *e = conf_elem(params, i);
		const char *name = conf_name(e);
		bool own = false;

		for (size_t k = 0; own_fields[k] != NULL; k++)
			own = own || strcmp(name, own_fields[k]) == 0;
		if (own) {
			conf_error(e, "params cannot set \"%s\": pollhook sends it", name);
			rc = -1;
			continue;
		}
		account_id = account_id || strcmp(name, "account_id") == 0;
		form_add(&o->form, name, conf_value_string(e));
	}
	if (account && !account_id) {
		conf_error(at(g, "grant_type"), "grant_type \"account_credentials\" needs "
		    "params = { account_id = \"...\"; }");
		rc = -1;
	}
	return rc;
}

static int
oauth2_scopes(struct http_oauth2_conf *o, const struct conf_node *g)
{
	const char **v;
	size_t n;
	char *joined = NULL;
	int rc = 0;

	if ((v = conf_strings(g, "scopes", &n)) == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char *next;

		if (v[i][0] == '\0' || strpbrk(v[i], " \t\"\\") != NULL) {
			conf_error(at(g, "scopes"), "scope \"%s\" must be one word: list "
			    "each scope on its own", v[i]);
			rc = -1;
			continue;
		}
		next = xasprintf("%s%s%s", joined != NULL ? joined : "", joined != NULL ? " " : "",
		    v[i]);
		free(joined);
		joined = next;
	}
	if (joined != NULL)
		form_add(&o->form, "scope", joined);
	free(joined);
	free(v);
	return rc;
}

static int
configure_oauth2(struct http_conf *c, const struct conf_node *http)
{
	const struct conf_node *g = conf_get(http, "oauth2");
	struct http_oauth2_conf *o;
	const char *grant, *id;
	char err[512];
	int rc = 0;

	if (g == NULL)
		return 0;
	o = c->oauth2 = xcalloc(1, sizeof(*o));
	o->token_url = xstrdup(conf_string(g, "token_url", ""));
	if (curltls_url_check(o->token_url, &o->https, &o->token_host, err, sizeof(err)) == -1) {
		conf_error(at(g, "token_url"), "token_url: %s", err);
		rc = -1;
	}
	if (read_secret(g, "client_secret", &o->secret) == -1)
		rc = -1;
	else if (o->secret == NULL) {
		conf_error(g, "oauth2 needs client_secret or client_secret_file");
		rc = -1;
	}
	grant = conf_string(g, "grant_type", "client_credentials");
	id = conf_string(g, "client_id", "");
	form_add(&o->form, "grant_type", grant);
	if (oauth2_scopes(o, g) == -1 ||
	    oauth2_params(o, g, strcmp(grant, "account_credentials") == 0) == -1)
		rc = -1;
	o->basic = strcmp(conf_string(g, "auth", "basic"), "basic") == 0;
	if (o->secret == NULL)
		return -1;
	if (o->basic) {
		/* RFC 6749, 2.3.1: form-encoded before they go into Basic. */
		o->user = form_encode(id);
		o->pass = form_encode(o->secret);
	} else {
		form_add(&o->form, "client_id", id);
		form_add(&o->form, "client_secret", o->secret);
	}
	return rc;
}

static int
configure_paging(struct http_conf *c, const struct conf_node *http)
{
	const struct conf_node *g = conf_get(http, "paginate");
	int rc = 0;

	c->window = conf_float(http, "window", HTTP_WINDOW_DEFAULT);
	if (conf_has(http, "window") && !http_url_has_since(c->tmpl)) {
		conf_error(at(http, "window"), "window needs a %%{since:FORMAT} "
		    "placeholder in url");
		rc = -1;
	}
	if (g == NULL)
		return rc;
	c->paged = true;
	c->page_link = conf_bool(g, "link", false);
	c->max_pages = (long)conf_int(g, "max_pages", HTTP_MAX_PAGES_DEFAULT);
	c->next_param = xstrdup(conf_string(g, "next_param", NULL));
	if (compile_at(g, "next_pointer", &c->next_pointer) == -1)
		return -1;
	if (c->page_link == (c->next_pointer != NULL)) {
		conf_error(g, "paginate needs either next_pointer (with next_param) or "
		    "link = true");
		return -1;
	}
	if (c->next_pointer != NULL && c->next_param == NULL) {
		conf_error(at(g, "next_pointer"), "next_pointer needs next_param, the query "
		    "parameter that carries the token");
		rc = -1;
	}
	if (c->next_param != NULL && c->next_pointer == NULL) {
		conf_error(at(g, "next_param"), "next_param needs next_pointer");
		rc = -1;
	}
	if (c->next_pointer != NULL && jsonx_wildcards(c->next_pointer) > 0) {
		conf_error(at(g, "next_pointer"), "next_pointer \"%s\" cannot have a \"*\" "
		    "segment", jsonx_text(c->next_pointer));
		rc = -1;
	}
	return rc;
}

int
http_conf_load(const struct conf_node *group, const struct conf_node *metrics,
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
	if (configure_oauth2(c, group) == -1)
		rc = -1;
	if (configure_paging(c, group) == -1)
		rc = -1;
	/*
	 * A validator answers for one resource: not for the URL of another
	 * window, nor for a list of several pages.
	 */
	if (c->tmpl != NULL || c->paged)
		c->conditional = false;
	c->nmetrics = metrics != NULL ? conf_count(metrics) : 0;
	c->metrics = xcalloc(c->nmetrics, sizeof(*c->metrics));
	for (size_t i = 0; i < c->nmetrics; i++)
		if (configure_metric(&c->metrics[i], conf_elem(metrics, i)) == -1)
			rc = -1;
	if (rc == -1) {
		http_conf_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

bool
http_conf_status_ok(const struct http_conf *c, long status)
{
	if (status >= 200 && status <= 299)
		return true;
	for (size_t i = 0; i < c->nok; i++)
		if (status >= c->ok_status[i].lo && status <= c->ok_status[i].hi)
			return true;
	return false;
}

