/*
 * The http poller: polls REST/JSON endpoints with libcurl's multi interface
 * on the daemon's libev loop (bridge/curlev.c) and extracts metrics from the
 * body with JSON Pointers (pollers/jsonx.c).
 *
 * Every source of this kind shares one multi handle, hence one connection
 * cache (keep-alive, HTTP/2 multiplexing) and one DNS cache. Easy handles
 * come from curlev's pool: a source holds one only while its poll runs, so
 * memory follows the number of polls in flight, not the number of sources; a
 * handle goes back tagged with its source and keeps its options for the next
 * source whose options are the same, as curl_easy_reset and setting them
 * again cost about 15 % of a poll. The body is parsed
 * while it arrives. ETag and Last-Modified are remembered per source and a
 * 304 answer reuses the previous points without parsing.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "config.h"
#include "curlev.h"
#include "curltls.h"
#include "http_conf.h"
#include "jsonx.h"
#include "log.h"
#include "poller.h"
#include "sample.h"
#include "util.h"
#include "xmalloc.h"

struct http_shared {
	struct curlev *cv;
	CURLSH *share;			/* TLS sessions across pooled handles */
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
	char *cond_text[2];		/* If-None-Match, or If-Modified-Since without an ETag */
	size_t ncond;
	struct point *saved;		/* the points of the last parsed body */
	size_t nsaved;
	bool have_saved;

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

static const char *const http_builtins[] = { "http_status", NULL };

static void *
http_init(struct ev_loop *loop)
{
	struct http_shared *sh = xcalloc(1, sizeof(*sh));
	const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

	if (!(vi->features & CURL_VERSION_ASYNCHDNS))
		log_warnx("http: libcurl %s resolves host names synchronously: a slow "
		    "DNS server will stall every source", vi->version);
	sh->cv = curlev_new(loop);
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
	/* The pooled handles go with cv: then nothing uses the share. */
	curlev_free(sh->cv);
	curl_share_cleanup(sh->share);
	free(sh);
}

static void
saved_clear(struct http_source *hs)
{
	for (size_t i = 0; i < hs->nsaved; i++)
		point_clear(&hs->saved[i]);
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
	/*
	 * Built once here, not on every request. A server ignores
	 * If-Modified-Since next to If-None-Match (RFC 9110, 13.1.3), so only
	 * one is sent: every request header costs curl a formatted copy.
	 */
	if (hs->new_etag != NULL)
		hs->cond_text[hs->ncond++] = xasprintf("If-None-Match: %s", hs->new_etag);
	else
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
			free(hs->new_etag);
			free(hs->new_last_modified);
			hs->new_etag = hs->new_last_modified = NULL;
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
		}
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

	if (a->src->timeout != b->src->timeout)
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

/* Sets up easy for hs; last is the source whose options it holds (NULL: curl's defaults). */
static void
set_options(struct http_source *hs, CURL *e, const struct http_source *last)
{
	if (last == NULL || !same_shape(last, hs)) {
		if (last != NULL)
			curl_easy_reset(e);
		set_shape_options(hs, e);
	}
	set_source_options(hs, e);
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
 * Returns whether the transfer stopped at a response header beyond libcurl's
 * limits. Before 8.6, libcurl reports a header line over CURL_MAX_HTTP_HEADER
 * (100 KiB) as CURLE_OUT_OF_MEMORY, which before the first body byte is what
 * it means, and headers over 300 KiB in all with a byte count in its text.
 */
static bool
header_too_large(const struct http_source *hs, CURLcode rc, const char *detail)
{
	if (hs->body_started)
		return false;
#if LIBCURL_VERSION_NUM >= 0x080600
	if (rc == CURLE_TOO_LARGE)
		return true;
#endif
	return rc == CURLE_OUT_OF_MEMORY ||
	    (rc == CURLE_RECV_ERROR && strncmp(detail, "Too large response headers", 26) == 0);
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
	if (header_too_large(hs, rc, detail)) {
		sample_fail(s, "response header too large");
		return;
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		sample_fail(s, "DNS: cannot resolve the host of %s", c->host);
		return;
	case CURLE_COULDNT_RESOLVE_PROXY:
		sample_fail(s, "DNS: cannot resolve proxy %s", c->tls.proxy);
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
	if (!http_conf_status_ok(c, status)) {
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
	curlev_easy_put(hs->sh->cv, e, hs);
	poll_finish(hs);
}

static void
http_poll(void *state, struct sample *s, poll_done_fn done, void *arg)
{
	struct http_source *hs = state;
	const void *last;

	hs->sample = s;
	hs->done = done;
	hs->done_arg = arg;
	hs->parse = hs->body_started = hs->oversize = false;
	hs->body_bytes = 0;
	hs->errbuf[0] = '\0';
	hs->easy = curlev_easy_get(hs->sh->cv, &last);
	set_options(hs, hs->easy, last);
	if (curlev_add(hs->sh->cv, hs->easy, transfer_done, hs) == -1) {
		sample_fail(s, "cannot start the request");
		curlev_easy_put(hs->sh->cv, hs->easy, hs);
		hs->easy = NULL;
		poll_finish(hs);
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
	for (size_t i = 0; i < c->nheaders; i++)
		curltls_header_add(&hs->headers, c->headers[i]);
	if ((hs->url = curl_url()) == NULL)
		fatalx("curl: out of memory");
	if (curl_url_set(hs->url, CURLUPART_URL, c->url, 0) != CURLUE_OK) {
		log_warnx("http/%s: cannot parse url %s", src->name, c->url);
		curl_url_cleanup(hs->url);
		curl_slist_free_all(hs->headers);
		free(hs);
		return -1;
	}
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
		curlev_easy_put(hs->sh->cv, hs->easy, NULL);
	}
	curlev_easy_forget(hs->sh->cv, hs);
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
	.keys = http_conf_keys,
	.metric_keys = http_conf_metric_keys,
	.builtin_metrics = http_builtins,
	.configure = http_conf_load,
	.free_conf = http_conf_free,
	.init = http_init,
	.fini = http_fini,
	.start = http_start,
	.poll = http_poll,
	.stop = http_stop,
};
