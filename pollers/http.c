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
 *
 * For SaaS APIs a poll is a chain of asynchronous steps: the OAuth2 token
 * (pollers/http_oauth2.c) when there is none fresh, then each page in turn
 * (pollers/http_paging.c), all within the source's timeout; the URL's time
 * placeholders are filled in first (pollers/http_url.c), and a rate limit
 * (pollers/http_rate.c) ends the poll and defers the next through
 * sample.not_before.
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "config.h"
#include "curlev.h"
#include "curltls.h"
#include "http_conf.h"
#include "http_easy.h"
#include "http_oauth2.h"
#include "http_page.h"
#include "http_rate.h"
#include "http_source.h"
#include "http_url.h"
#include "jsonx.h"
#include "log.h"
#include "poller.h"
#include "sample.h"
#include "util.h"
#include "xmalloc.h"

/* What jsonx_eval's callback needs to add points. */
struct extract_ctx {
	struct sample *s;
	const char *metric;
	const struct http_metric *m;
};

static const char *const http_builtins[] = { "http_status", "rate_limited", "cert_days_left",
	NULL };

static void request_page(struct http_source *hs);

static void *
http_init(struct ev_loop *loop)
{
	struct http_shared *sh = xcalloc(1, sizeof(*sh));
	const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

	if (!(vi->features & CURL_VERSION_ASYNCHDNS))
		log_warnx("http: libcurl %s resolves host names synchronously: a slow "
		    "DNS server will stall every source", vi->version);
	sh->loop = loop;
	sh->cv = curlev_new(loop);
	if ((sh->share = curl_share_init()) == NULL)
		fatalx("curl: cannot create a share handle");
	curl_share_setopt(sh->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	sh->oauth2 = http_oauth2_new(sh->cv, sh->share);
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
	http_oauth2_free(sh->oauth2);
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

/* Frees what the sample's points hold and empties the list. */
static void
drop_points(struct sample *s)
{
	for (size_t i = 0; i < s->npoints; i++)
		point_clear(&s->points[i]);
	s->npoints = 0;
}

/*
 * Fails the poll. The points of earlier pages go: rules must not see half a
 * list (on_new would take the items of the missing pages as gone, and
 * report them as new when they came back).
 */
void
http_source_fail(struct http_source *hs, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	drop_points(hs->sample);
	if (hs->page > 1)
		sample_fail(hs->sample, "page %d: %s", hs->page, msg);
	else
		sample_fail(hs->sample, "%s", msg);
}

/*
 * Fails the poll for a transfer error with a message that does not change
 * from one poll to the next (curl's own texts carry elapsed milliseconds),
 * so that the core logs a lasting failure once.
 */
static void
fail_transfer(struct http_source *hs, CURL *e, CURLcode rc)
{
	const struct http_conf *c = hs->conf;
	const char *detail = hs->errbuf[0] != '\0' ? hs->errbuf : curl_easy_strerror(rc);
	long oserr = 0;

	if (hs->oversize || rc == CURLE_FILESIZE_EXCEEDED) {
		http_source_fail(hs, "body larger than max_body (%lld bytes)", c->max_body);
		return;
	}
	if (header_too_large(hs, rc, detail)) {
		http_source_fail(hs, "response header too large");
		return;
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		http_source_fail(hs, "DNS: cannot resolve the host of %s", c->host);
		return;
	case CURLE_COULDNT_RESOLVE_PROXY:
		http_source_fail(hs, "DNS: cannot resolve proxy %s", c->tls.proxy);
		return;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
		http_source_fail(hs, "cannot connect to %s: %s", c->host,
		    oserr != 0 ? strerror((int)oserr) : curl_easy_strerror(rc));
		return;
	case CURLE_OPERATION_TIMEDOUT:
		http_source_fail(hs, "timeout after %g s", hs->src->timeout);
		return;
	case CURLE_TOO_MANY_REDIRECTS:
		http_source_fail(hs, "more than %ld redirects", c->max_redirects);
		return;
	case CURLE_GOT_NOTHING:
		http_source_fail(hs, "%s closed the connection without a response", c->host);
		return;
	default:
		break;
	}
	/* TLS 1.3 reports a refused client certificate on the first read. */
	if (is_tls_error(rc) || (c->https && (rc == CURLE_RECV_ERROR ||
	    rc == CURLE_SEND_ERROR) && strstr(detail, "SSL") != NULL))
		http_source_fail(hs, "TLS: %s", detail);
	else
		http_source_fail(hs, "%s", detail);
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

/* Reads the parsed body of a 2xx page: its points, then where the next page is. */
static enum http_next
page_body(struct http_source *hs, struct json_object *root, char **next_url)
{
	const struct http_conf *c = hs->conf;

	if (hs->page == 1)
		extract(hs, root);
	else if (http_paging_merge(hs, root) == -1)
		return HTTP_NEXT_FAILED;
	if (!c->paged)
		return HTTP_NEXT_LAST;
	return http_paging_next(hs, root, next_url);
}

/* Completes a response that arrived: status, then body or saved points. */
static enum http_next
handle_response(struct http_source *hs, long status, char **next_url)
{
	const struct http_conf *c = hs->conf;
	struct sample *s = hs->sample;
	struct json_object *root = NULL;
	enum http_next next;
	size_t from;
	char err[512];

	if (status == 304 && !c->paged) {
		if (hs->have_saved) {
			saved_restore(hs, s);
			return HTTP_NEXT_LAST;
		}
		http_source_fail(hs, "HTTP 304 Not Modified without an earlier response");
		return HTTP_NEXT_FAILED;
	}
	if (!http_conf_status_ok(c, status)) {
		http_source_fail(hs, "HTTP %ld", status);
		return HTTP_NEXT_FAILED;
	}
	if (c->nmetrics == 0 && !c->paged)
		return HTTP_NEXT_LAST;
	from = s->npoints;
	if (hs->parser == NULL) {
		if (c->paged) {
			http_source_fail(hs, "empty body");
			return HTTP_NEXT_FAILED;
		}
		for (size_t i = 0; i < c->nmetrics; i++)
			sample_add_error(s, hs->src->metrics[i].name, "empty body");
		saved_clear(hs);
		return HTTP_NEXT_LAST;
	}
	if (jsonx_parser_finish(hs->parser, &root, err, sizeof(err)) == -1) {
		http_source_fail(hs, "%s", err);
		saved_clear(hs);
		return HTTP_NEXT_FAILED;
	}
	next = page_body(hs, root, next_url);
	json_object_put(root);
	if (next == HTTP_NEXT_LAST && !c->paged)
		saved_store(hs, s, from);
	return next;
}

/* Writes t as an ISO 8601 UTC time into buf. */
static void
iso_time(double t, char *buf, size_t len)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%.0f", t);
}

/*
 * Ends the poll as rate limited: no points but the built-in ones (a list
 * cut short must not reach the rules) and the source not down; the core
 * sends nothing before until (0: the next slot). Logged when it begins.
 */
static void
rate_limited(struct http_source *hs, double until, bool keep_points)
{
	double now = ev_now(hs->sh->loop);
	char when[32];

	if (!keep_points)
		drop_points(hs->sample);
	hs->sample->not_before = until;
	if (hs->limited)
		return;
	hs->limited = true;
	if (until > 0) {
		iso_time(until, when, sizeof(when));
		log_info("http/%s: rate limited by %s (HTTP %ld): no request before %s (in %.0f s)",
		    hs->src->name, hs->conf->host, hs->status, when, ceil(until - now));
	} else
		log_info("http/%s: rate limited by %s (HTTP %ld): polling at the interval",
		    hs->src->name, hs->conf->host, hs->status);
}

static void
bearer_clear(struct http_source *hs)
{
	if (hs->bearer != NULL)
		explicit_bzero(hs->bearer, strlen(hs->bearer));
	free(hs->bearer);
	hs->bearer = NULL;
}

/* The token in this poll's Authorization header (borrowed), or NULL. */
static const char *
bearer_token(const struct http_source *hs)
{
	return hs->bearer != NULL ? hs->bearer + strlen("Authorization: Bearer ") : NULL;
}

static void
poll_finish(struct http_source *hs)
{
	struct sample *s = hs->sample;
	poll_done_fn done = hs->done;
	void *arg = hs->done_arg;

	if (hs->status > 0)
		sample_add_number(s, "http_status", NULL, (double)hs->status);
	if (hs->has_cert_days)
		sample_add_number(s, "cert_days_left", NULL, hs->cert_days);
	sample_add_number(s, "rate_limited", NULL, s->ok && hs->limited ? 1.0 : 0.0);
	if (!s->ok)
		log_debug("http/%s: %s", hs->src->name, s->error);
	jsonx_parser_free(hs->parser);
	hs->parser = NULL;
	http_response_headers_clear(hs);
	bearer_clear(hs);
	free(hs->cur_url);
	hs->cur_url = NULL;
	http_paging_clear(hs);
	hs->sample = NULL;
	hs->done = NULL;
	done(arg);
}

/* Ends a poll whose every page arrived. */
static void
poll_succeeded(struct http_source *hs, bool exhausted, double until)
{
	struct sample *s = hs->sample;

	if (s->ok) {
		hs->since = s->start;
		if (http_url_has_since(hs->conf->tmpl))
			s->cursor = xasprintf("%.3f", hs->since);
	}
	if (exhausted)
		rate_limited(hs, until, true);
	else if (hs->limited) {
		hs->limited = false;
		log_info("http/%s: no longer rate limited", hs->src->name);
	}
	poll_finish(hs);
}

static void
transfer_done(CURL *e, CURLcode rc, void *arg)
{
	struct http_source *hs = arg;
	const struct http_conf *c = hs->conf;
	struct http_rate_headers rh = { hs->retry_after, hs->rl_remaining, hs->rl_reset };
	enum http_rate rate = HTTP_RATE_NONE;
	enum http_next next;
	char *next_url = NULL;
	double until = 0;
	long status = 0;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status > 0)
		hs->status = status;
	if (rc != CURLE_OK)
		fail_transfer(hs, e, rc);
	hs->easy = NULL;
	curlev_easy_put(hs->sh->cv, e, hs);
	if (rc != CURLE_OK) {
		poll_finish(hs);
		return;
	}
	rate = http_rate_check(status, &rh, ev_now(hs->sh->loop), &until);
	if (rate == HTTP_RATE_REFUSED) {
		rate_limited(hs, until, false);
		poll_finish(hs);
		return;
	}
	/* A token refused: the endpoint may have revoked it early. Once per poll. */
	if (status == 401 && hs->token != NULL && !hs->retried) {
		hs->retried = true;
		http_oauth2_refused(hs->token, bearer_token(hs));
		bearer_clear(hs);
		jsonx_parser_free(hs->parser);
		hs->parser = NULL;
		request_page(hs);
		return;
	}
	next = handle_response(hs, status, &next_url);
	if (next == HTTP_NEXT_FAILED) {
		poll_finish(hs);
		return;
	}
	if (next == HTTP_NEXT_LAST) {
		poll_succeeded(hs, rate == HTTP_RATE_EXHAUSTED, until);
		return;
	}
	if (rate == HTTP_RATE_EXHAUSTED) {
		/* The next page would be refused: the poll waits for the reset whole. */
		free(next_url);
		rate_limited(hs, until, false);
		poll_finish(hs);
		return;
	}
	if (hs->page >= c->max_pages) {
		free(next_url);
		http_source_fail(hs, "more pages than max_pages (%ld)", c->max_pages);
		poll_finish(hs);
		return;
	}
	free(hs->cur_url);
	hs->cur_url = next_url;
	hs->page++;
	jsonx_parser_free(hs->parser);
	hs->parser = NULL;
	request_page(hs);
}

/* Sends the request of the current page (the token is set when needed). */
static void
send_request(struct http_source *hs)
{
	const void *last;

	http_response_headers_clear(hs);
	hs->parse = hs->body_started = hs->oversize = false;
	hs->body_bytes = 0;
	hs->errbuf[0] = '\0';
	if (hs->dynamic && hs->deadline - ev_now(hs->sh->loop) < 0.001) {
		http_source_fail(hs, "timeout after %g s", hs->src->timeout);
		poll_finish(hs);
		return;
	}
	if (hs->cur_url != NULL && curl_url_set(hs->url, CURLUPART_URL, hs->cur_url, 0) !=
	    CURLUE_OK) {
		http_source_fail(hs, "cannot parse the URL of the request");
		poll_finish(hs);
		return;
	}
	hs->easy = curlev_easy_get(hs->sh->cv, &last);
	http_set_options(hs, hs->easy, last);
	if (curlev_add(hs->sh->cv, hs->easy, transfer_done, hs) == -1) {
		curlev_easy_put(hs->sh->cv, hs->easy, hs);
		hs->easy = NULL;
		http_source_fail(hs, "cannot start the request");
		poll_finish(hs);
	}
}

static void
bearer_set(struct http_source *hs, const char *token)
{
	bearer_clear(hs);
	hs->bearer = xasprintf("Authorization: Bearer %s", token);
}

static void
token_ready(struct http_oauth2_wait *w, const char *token, const char *err)
{
	struct http_source *hs = container_of(w, struct http_source, wait);

	if (err != NULL) {
		http_source_fail(hs, "%s", err);
		poll_finish(hs);
		return;
	}
	bearer_set(hs, token);
	send_request(hs);
}

/* Gets the bearer token when the source needs one, then sends the request. */
static void
request_page(struct http_source *hs)
{
	double now = ev_now(hs->sh->loop);
	const char *token;

	if (hs->token == NULL) {
		send_request(hs);
		return;
	}
	if ((token = http_oauth2_cached(hs->token, now)) != NULL) {
		bearer_set(hs, token);
		send_request(hs);
		return;
	}
	if (http_oauth2_wait(hs->token, &hs->wait, now, fmax(hs->deadline - now, 0.001)) == -1) {
		http_source_fail(hs, "cannot start the oauth2 token request");
		poll_finish(hs);
	}
}

static void
http_poll(void *state, struct sample *s, poll_done_fn done, void *arg)
{
	struct http_source *hs = state;
	const struct http_conf *c = hs->conf;

	hs->sample = s;
	hs->done = done;
	hs->done_arg = arg;
	hs->status = 0;
	hs->has_cert_days = false;
	hs->page = 1;
	hs->retried = false;
	if (hs->dynamic)
		hs->deadline = ev_now(hs->sh->loop) + hs->src->timeout;
	if (c->tmpl != NULL) {
		double since = isnan(hs->since) ? s->start - c->window : hs->since;

		if ((hs->cur_url = http_url_expand(c->tmpl, since, s->start)) == NULL) {
			http_source_fail(hs, "url: cannot format the time %.0f", since);
			poll_finish(hs);
			return;
		}
	}
	/* The first page's URL heads the list: tokens go on it, links may not lead back. */
	if (c->paged)
		http_paging_seen(hs, hs->cur_url != NULL ? hs->cur_url : c->url);
	request_page(hs);
}

static void
http_restore(void *state, const char *cursor)
{
	struct http_source *hs = state;
	char *end;
	double t = strtod(cursor, &end);

	/* A cursor that is no time (a store from elsewhere) is ignored. */
	if (end != cursor && *end == '\0' && isfinite(t) && t > 0)
		hs->since = t;
}

static int
http_start(struct ev_loop *loop, void *shared, const struct source_config *src, void **state)
{
	struct http_shared *sh = shared;
	const struct http_conf *c = src->poller_conf;
	struct http_source *hs;
	char *first = NULL;

	(void)loop;	/* the shared state holds it */
	if (sh == NULL || c == NULL || c->nmetrics != src->nmetrics) {
		log_warnx("http/%s: cannot start: inconsistent configuration", src->name);
		return -1;
	}
	hs = xcalloc(1, sizeof(*hs));
	hs->sh = sh;
	hs->src = src;
	hs->conf = c;
	hs->since = NAN;
	hs->dynamic = c->oauth2 != NULL || c->paged || c->tmpl != NULL;
	hs->wait.ready = token_ready;
	for (size_t i = 0; i < c->nheaders; i++)
		curltls_header_add(&hs->headers, c->headers[i]);
	if ((hs->url = curl_url()) == NULL)
		fatalx("curl: out of memory");
	if (c->tmpl != NULL)
		first = http_url_expand(c->tmpl, ev_now(sh->loop), ev_now(sh->loop));
	if (curl_url_set(hs->url, CURLUPART_URL, first != NULL ? first : c->url, 0) !=
	    CURLUE_OK) {
		log_warnx("http/%s: cannot parse url %s", src->name, c->url);
		free(first);
		curl_url_cleanup(hs->url);
		curl_slist_free_all(hs->headers);
		free(hs);
		return -1;
	}
	free(first);
	if (c->oauth2 != NULL)
		hs->token = http_oauth2_get(sh->oauth2, c->oauth2, &c->tls);
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
	if (hs->token != NULL) {
		http_oauth2_cancel(hs->token, &hs->wait);
		http_oauth2_release(hs->token);
	}
	curlev_easy_forget(hs->sh->cv, hs);
	jsonx_parser_free(hs->parser);
	http_response_headers_clear(hs);
	bearer_clear(hs);
	free(hs->cur_url);
	http_paging_clear(hs);
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
	.restore = http_restore,
};
