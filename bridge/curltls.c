#include "curltls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "xmalloc.h"

int
curltls_url_check(const char *url, bool *https, char **hostport, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	CURLUcode uc;
	int rc = -1;

	if (u == NULL)
		fatalx("curl: out of memory");
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		snprintf(err, errlen, "invalid url \"%s\": %s", url, curl_url_strerror(uc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (scheme == NULL || host == NULL || (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0)) {
		snprintf(err, errlen, "url \"%s\" must be http:// or https://", url);
		goto out;
	}
	*https = strcasecmp(scheme, "https") == 0;
	if (hostport != NULL)
		*hostport = xasprintf("%s:%s", host, port != NULL ? port : "?");
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

bool
curltls_header_ok(const char *h)
{
	const char *colon = strchr(h, ':');

	if (colon == NULL || colon == h)
		return false;
	for (const char *p = h; p < colon; p++)
		if (!isgraph((unsigned char)*p))
			return false;
	return strpbrk(h, "\r\n") == NULL;
}

void
curltls_header_add(struct curl_slist **list, const char *line)
{
	/* On failure curl leaves the list as it was: keeping it would drop line. */
	struct curl_slist *l = curl_slist_append(*list, line);

	if (l == NULL)
		fatalx("curl: out of memory");
	*list = l;
}

void
curltls_http_only(CURL *e)
{
	/* CURLOPT_PROTOCOLS_STR came with 7.85; configure accepts 7.74. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

/* The setting to point an error at: key itself, else its _file twin, else g. */
static const struct conf_node *
at(const struct conf_node *g, const char *key)
{
	const struct conf_node *n = conf_get(g, key);
	char fkey[64];

	if (n != NULL)
		return n;
	snprintf(fkey, sizeof(fkey), "%s_file", key);
	n = conf_get(g, fkey);
	return n != NULL ? n : g;
}

int
curltls_configure(struct curltls *t, const struct conf_node *g, bool https)
{
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->ca_file = xstrdup(conf_string(g, "ca_file", NULL));
	t->cert_file = xstrdup(conf_string(g, "cert_file", NULL));
	t->key_file = xstrdup(conf_string(g, "key_file", NULL));
	t->insecure = conf_bool(g, "insecure", false);
	t->proxy = xstrdup(conf_string(g, "proxy", NULL));
	if (conf_has(g, "key_password") || conf_has(g, "key_password_file")) {
		size_t n = 0;
		char **v = conf_secrets(g, "key_password", &n);

		if (v == NULL)
			rc = -1;	/* conf_secrets reported it */
		else if (n != 1) {
			conf_error(at(g, "key_password"), "\"key_password\" must be one secret");
			rc = -1;
		} else
			t->key_password = xstrdup(v[0]);
		conf_free_secrets(v);
	}
	if (t->key_file != NULL && t->cert_file == NULL) {
		conf_error(at(g, "key_file"), "key_file needs cert_file");
		rc = -1;
	}
	if (t->key_password != NULL && t->cert_file == NULL) {
		conf_error(at(g, "key_password"), "key_password needs cert_file");
		rc = -1;
	}
	if ((t->ca_file != NULL || t->cert_file != NULL) && !https) {
		conf_error(at(g, t->ca_file != NULL ? "ca_file" : "cert_file"),
		    "TLS settings need an https:// url");
		rc = -1;
	}
	return rc;
}

void
curltls_apply(const struct curltls *t, CURL *e, bool https)
{
	if (https) {
		if (t->ca_file != NULL)
			curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
		if (t->cert_file != NULL)
			curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert_file);
		if (t->key_file != NULL)
			curl_easy_setopt(e, CURLOPT_SSLKEY, t->key_file);
		if (t->key_password != NULL)
			curl_easy_setopt(e, CURLOPT_KEYPASSWD, t->key_password);
		if (t->insecure) {
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	/* Only the configured proxy: a daemon must not pick one up from its environment. */
	curl_easy_setopt(e, CURLOPT_PROXY, t->proxy != NULL ? t->proxy : "");
	/* Without a proxy no_proxy is moot: spares curl two getenv per request. */
	if (t->proxy == NULL)
		curl_easy_setopt(e, CURLOPT_NOPROXY, "");
}

static bool
str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool
curltls_equal(const struct curltls *a, const struct curltls *b)
{
	return str_same(a->ca_file, b->ca_file) && str_same(a->cert_file, b->cert_file) &&
	    str_same(a->key_file, b->key_file) && str_same(a->key_password, b->key_password) &&
	    a->insecure == b->insecure && str_same(a->proxy, b->proxy);
}

void
curltls_clear(struct curltls *t)
{
	free(t->ca_file);
	free(t->cert_file);
	free(t->key_file);
	free(t->key_password);
	free(t->proxy);
	memset(t, 0, sizeof(*t));
}
