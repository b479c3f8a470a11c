/*
 * The http poller's easy handles: the options a request is sent with (those
 * of its source's shape, kept on a pooled handle while the next source's are
 * the same) and what the response's headers and body bytes tell while they
 * arrive.
 */

#include "http_easy.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "certdays.h"
#include "config.h"
#include "curltls.h"
#include "jsonx.h"
#include "xmalloc.h"

/* Returns the header list of this poll: the conditional headers, then the static ones. */
static struct curl_slist *
request_headers(struct http_source *hs)
{
	struct curl_slist *head = hs->headers;
	size_t n = hs->ncond;

	if (hs->bearer != NULL) {
		hs->auth.data = hs->bearer;
		hs->auth.next = head;
		head = &hs->auth;
	}
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

void
http_response_headers_clear(struct http_source *hs)
{
	free(hs->new_etag);
	free(hs->new_last_modified);
	free(hs->link);
	free(hs->retry_after);
	free(hs->rl_remaining);
	free(hs->rl_reset);
	hs->new_etag = hs->new_last_modified = hs->link = NULL;
	hs->retry_after = hs->rl_remaining = hs->rl_reset = NULL;
}

/* Stores in *dst the value of header line h if it is name. */
static void
keep_header(char **dst, const char *h, size_t len, const char *name)
{
	char *v = header_value(h, len, name);

	if (v != NULL) {
		free(*dst);
		*dst = v;
	}
}

/* Notes the expiry of the server's certificate, from the connection's TLS session. */
static void
note_cert(struct http_source *hs)
{
	struct curl_tlssessioninfo *ti = NULL;
	X509 *leaf;

	if (curl_easy_getinfo(hs->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || ti == NULL ||
	    ti->backend != CURLSSLBACKEND_OPENSSL || ti->internals == NULL)
		return;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	leaf = SSL_get1_peer_certificate(ti->internals);
#else
	leaf = SSL_get_peer_certificate(ti->internals);
#endif
	hs->cert_days = certdays_left(leaf, &hs->has_cert_days);
	X509_free(leaf);
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct http_source *hs = arg;
	size_t len = size * nitems;
	char *v;

	if (len == 0)
		return len;
	/*
	 * The first letter sorts out most lines: this runs for every header
	 * line of every poll.
	 */
	switch (buf[0]) {
	case 'H':
		/* A new status line starts a new response (redirects, 100 Continue). */
		if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
			http_response_headers_clear(hs);
			note_cert(hs);
		}
		break;
	case 'E':
	case 'e':
		if ((v = header_value(buf, len, "ETag")) != NULL) {
			free(hs->new_etag);
			hs->new_etag = v;
		}
		break;
	case 'L':
	case 'l':
		if ((v = header_value(buf, len, "Last-Modified")) != NULL) {
			free(hs->new_last_modified);
			hs->new_last_modified = v;
		} else if (hs->conf->page_link && (v = header_value(buf, len, "Link")) != NULL) {
			char *joined = hs->link == NULL ? v : xasprintf("%s, %s", hs->link, v);

			if (joined != v)
				free(v);
			free(hs->link);
			hs->link = joined;
		}
		break;
	case 'R':
	case 'r':
		keep_header(&hs->retry_after, buf, len, "Retry-After");
		break;
	case 'X':
	case 'x':
		keep_header(&hs->rl_remaining, buf, len, "X-RateLimit-Remaining");
		keep_header(&hs->rl_reset, buf, len, "X-RateLimit-Reset");
		break;
	default:
		break;
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
		hs->parse = hs->conf->nmetrics > 0 && http_conf_status_ok(hs->conf, status);
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

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Returns whether set_shape_options would set the same values for a and b. */
static bool
same_shape(const struct http_source *a, const struct http_source *b)
{
	const struct http_conf *x = a->conf, *y = b->conf;

	/* A dynamic source sets its own timeout per request: no handle is shared with it. */
	if (a == b)
		return true;
	if (a->src->timeout != b->src->timeout || a->dynamic || b->dynamic)
		return false;
	if (x == y)
		return true;
	return x->connect_timeout_ms == y->connect_timeout_ms && x->post == y->post &&
	    str_eq(x->body, y->body) && x->compression == y->compression &&
	    x->https == y->https && str_eq(x->user, y->user) &&
	    str_eq(x->password, y->password) && curltls_equal(&x->tls, &y->tls) &&
	    x->follow_redirects == y->follow_redirects &&
	    x->max_redirects == y->max_redirects && x->max_body == y->max_body;
}

/* Sets the options that point into hs: on every poll. */
static void
set_source_options(struct http_source *hs, CURL *e)
{
	const struct http_conf *c = hs->conf;

	curl_easy_setopt(e, CURLOPT_CURLU, hs->url);
	/* curl does not copy the body: it must be this source's. */
	if (c->post)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body != NULL ? c->body : "");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, request_headers(hs));
	curl_easy_setopt(e, CURLOPT_HEADERDATA, hs);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, hs);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, hs->errbuf);
	/* What is left of the poll's timeout after the token and earlier pages. */
	if (hs->dynamic)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
		    (long)ceil((hs->deadline - ev_now(hs->sh->loop)) * 1000.0));
}

/*
 * Sets the options that depend on the configuration only (curl copies their
 * strings); same_shape must compare every field read here.
 */
static void
set_shape_options(struct http_source *hs, CURL *e)
{
	const struct http_conf *c = hs->conf;
	double timeout = hs->src->timeout;

	curltls_http_only(e);
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
	if (c->compression)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (!c->https)
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	if (c->user != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->password != NULL ? c->password : "");
	}
	curltls_apply(&c->tls, e, c->https);
	/* Wait for a connection that may multiplex rather than open another. */
	if (c->https)
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	/*
	 * Before the handle's first transfer, as this runs for every new handle:
	 * curl 7.88 gives a handle without a share its own TLS session cache and
	 * leaks it when a share is attached later.
	 */
	curl_easy_setopt(e, CURLOPT_SHARE, hs->sh->share);
	if (c->follow_redirects) {
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, c->max_redirects);
	}
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
}

void
http_set_options(struct http_source *hs, CURL *e, const struct http_source *last)
{
	if (last == NULL || !same_shape(last, hs)) {
		if (last != NULL)
			curl_easy_reset(e);
		set_shape_options(hs, e);
	}
	set_source_options(hs, e);
}
