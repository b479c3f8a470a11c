/*
 * The webhook emitter: one signed HTTP POST of the event body per attempt,
 * on the shared libcurl-on-libev driver, with keep-alive and HTTP/2 where
 * the receiver offers it. The delivery manager decides about retries; this
 * file only classifies the answer.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "curlev.h"
#include "curltls.h"
#include "emitter.h"
#include "log.h"
#include "webhook_sign.h"
#include "xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define WEBHOOK_DEFAULT_TIMEOUT	15.0
#define WEBHOOK_MAX_RESPONSE	(64 * 1024)	/* a receiver's body is read and dropped */

struct webhook_conf {
	char *url;
	int scheme;
	char **secrets;
	size_t nsecrets;
	char **headers;		/* "Name: value" */
	size_t nheaders;
	double timeout;
	bool https;
	struct curltls tls;
	const struct ssrf_guard *guard;	/* dynamic subscribers: borrowed; NULL otherwise */
};

struct webhook_attempt;

struct webhook_state {
	struct curlev *cv;
	const struct webhook_conf *wc;
	struct webhook_attempt *running;	/* doubly linked */
};

struct webhook_attempt {
	struct webhook_state *ws;
	CURL *easy;
	struct curl_slist *hdrs;
	deliver_done_fn done;
	void *arg;
	double retry_after;
	size_t received;
	char errbuf[CURL_ERROR_SIZE];
	struct ssrf_verdict verdict;	/* with a guard: what it said of the connections */
	struct webhook_attempt *prev, *next;
};

static const char *const schemes[] = { "standard", "zoom", "github", "none", NULL };

static const struct conf_key webhook_keys[] = {
	{ "url", CONF_STRING, CONF_REQUIRED, 0, 0, NULL, NULL,
	    "receiver URL (http:// or https://)" },
	{ "secret", CONF_SECRETS, 0, 0, 0, NULL, NULL,
	    "signing secret, or a list of them during a rotation (or secret_file)" },
	{ "signature", CONF_STRING, 0, 0, 0, schemes, NULL,
	    "signature scheme: standard (default), zoom, github or none" },
	{ "headers", CONF_STRINGS, 0, 0, 0, NULL, NULL,
	    "extra request headers, \"Name: value\"" },
	{ "timeout", CONF_FLOAT, CONF_HAS_MIN | CONF_MIN_OPEN | CONF_HAS_MAX, 0, 300, NULL, NULL,
	    "seconds one attempt may take (default 15)" },
	CURLTLS_KEYS,
	CONF_KEY_END
};

static void
webhook_free_conf(void *conf)
{
	struct webhook_conf *wc = conf;

	if (wc == NULL)
		return;
	free(wc->url);
	conf_free_secrets(wc->secrets);
	for (size_t i = 0; i < wc->nheaders; i++)
		free(wc->headers[i]);
	free(wc->headers);
	curltls_clear(&wc->tls);
	free(wc);
}

static int
webhook_configure(const struct conf_node *group, const struct subscriber_config *sub, void **conf)
{
	struct webhook_conf *wc = xcalloc(1, sizeof(*wc));
	const char **headers;
	char err[512];
	size_t n;
	int rc = 0;

	(void)sub;
	wc->url = xstrdup(conf_string(group, "url", NULL));
	if (curltls_url_check(wc->url, &wc->https, NULL, err, sizeof(err)) == -1) {
		conf_error(conf_get(group, "url"), "%s", err);
		rc = -1;
	}
	wc->scheme = sign_scheme_parse(conf_string(group, "signature", "standard"));
	wc->secrets = conf_secrets(group, "secret", &wc->nsecrets);
	if (wc->scheme != SIGN_NONE && wc->nsecrets == 0 && !conf_has(group, "secret") &&
	    !conf_has(group, "secret_file")) {
		conf_error(group, "signature \"%s\" needs a secret (or signature = \"none\")",
		    sign_scheme_name(wc->scheme));
		rc = -1;
	}
	if (wc->nsecrets > SIGN_MAX_SECRETS) {
		conf_error(group, "at most %d secrets at once", SIGN_MAX_SECRETS);
		rc = -1;
	}
	for (size_t i = 0; i < wc->nsecrets; i++) {
		const struct conf_node *at = conf_get(group, "secret");

		if (sign_check_secret(wc->scheme, wc->secrets[i], err, sizeof(err)) != 0) {
			conf_error(at != NULL ? at : conf_get(group, "secret_file"), "%s", err);
			rc = -1;
		}
	}
	headers = conf_strings(group, "headers", &n);
	for (size_t i = 0; i < n; i++) {
		if (!curltls_header_ok(headers[i])) {
			conf_error(conf_get(group, "headers"),
			    "header \"%s\" is not \"Name: value\" on one line", headers[i]);
			rc = -1;
		}
		wc->headers = xreallocarray(wc->headers, wc->nheaders + 1, sizeof(*wc->headers));
		wc->headers[wc->nheaders++] = xstrdup(headers[i]);
	}
	free(headers);
	wc->timeout = conf_float(group, "timeout", WEBHOOK_DEFAULT_TIMEOUT);
	if (curltls_configure(&wc->tls, group, wc->https) != 0)
		rc = -1;
	*conf = wc;
	return rc;
}

static int
webhook_configure_dynamic(const struct emitter_dynamic *dyn, void **conf, char *err,
    size_t errlen)
{
	struct webhook_conf *wc = xcalloc(1, sizeof(*wc));

	*conf = wc;
	wc->url = xstrdup(dyn->url);
	if (curltls_url_check(wc->url, &wc->https, NULL, err, errlen) == -1)
		return -1;
	wc->scheme = dyn->signature;
	wc->secrets = xcalloc(dyn->nsecrets + 1, sizeof(*wc->secrets));
	for (size_t i = 0; i < dyn->nsecrets && i < SIGN_MAX_SECRETS; i++)
		wc->secrets[wc->nsecrets++] = xstrdup(dyn->secrets[i]);
	wc->headers = xcalloc(dyn->nheaders + 1, sizeof(*wc->headers));
	for (size_t i = 0; i < dyn->nheaders; i++) {
		if (!curltls_header_ok(dyn->headers[i])) {
			snprintf(err, errlen, "\"headers\": \"%.80s\" is not \"Name: value\" on "
			    "one line", dyn->headers[i]);
			return -1;
		}
		wc->headers[wc->nheaders++] = xstrdup(dyn->headers[i]);
	}
	wc->timeout = WEBHOOK_DEFAULT_TIMEOUT;
	wc->guard = dyn->guard;
	return 0;
}

static void *
webhook_init(struct ev_loop *loop)
{
	return curlev_new(loop);	/* it multiplexes HTTP/2 where offered */
}

static void
webhook_fini(void *shared)
{
	curlev_free(shared);
}

static int
webhook_start(struct ev_loop *loop, void *shared, const char *name, const void *conf,
    void **state)
{
	struct webhook_state *ws = xcalloc(1, sizeof(*ws));

	(void)loop;
	(void)name;
	ws->cv = shared;
	ws->wc = conf;
	*state = ws;
	return 0;
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct webhook_attempt *a = userdata;

	(void)ptr;
	a->received += size * nmemb;
	/* A receiver streaming a huge answer is cut off: only the status matters. */
	return a->received > WEBHOOK_MAX_RESPONSE ? 0 : size * nmemb;
}

/* Parses Retry-After: delay-seconds or an HTTP date; 0 when absent or unparsable. */
static double
parse_retry_after(const char *v)
{
	char *end;
	long secs;
	time_t when;

	while (*v == ' ' || *v == '\t')
		v++;
	secs = strtol(v, &end, 10);
	if (end != v && (*end == '\0' || isspace((unsigned char)*end)))
		return secs > 0 ? (double)secs : 0;
	when = curl_getdate(v, NULL);
	if (when == -1)
		return 0;
	return when > time(NULL) ? (double)(when - time(NULL)) : 0;
}

static size_t
on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct webhook_attempt *a = userdata;
	size_t len = size * nitems;
	static const char name[] = "retry-after:";

	if (len > sizeof(name) - 1 && len < 256 && strncasecmp(buf, name, sizeof(name) - 1) == 0) {
		char v[256];

		memcpy(v, buf + sizeof(name) - 1, len - (sizeof(name) - 1));
		v[len - (sizeof(name) - 1)] = '\0';
		v[strcspn(v, "\r\n")] = '\0';
		a->retry_after = parse_retry_after(v);
	}
	return len;
}

static void
attempt_link(struct webhook_attempt *a)
{
	struct webhook_state *ws = a->ws;

	a->prev = NULL;
	a->next = ws->running;
	if (ws->running != NULL)
		ws->running->prev = a;
	ws->running = a;
}

static void
attempt_unlink(struct webhook_attempt *a)
{
	struct webhook_state *ws = a->ws;

	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		ws->running = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
}

/* Ends attempt a (not running): gives back what it holds, frees it, then reports out. */
static void
attempt_end(struct webhook_attempt *a, const struct delivery_outcome *out)
{
	deliver_done_fn done = a->done;
	void *arg = a->arg;

	curl_slist_free_all(a->hdrs);
	/* Untagged, so reset: every attempt sets its options afresh. */
	curlev_easy_put(a->ws->cv, a->easy, NULL);
	free(a);
	done(arg, out);
}

static void
classify(struct webhook_attempt *a, CURLcode res, struct delivery_outcome *out)
{
	long status = 0;

	if (res != CURLE_OK) {
		out->result = DELIVERY_RETRY;
		snprintf(out->error, sizeof(out->error), "%s", a->verdict.refused ? a->verdict.why :
		    a->errbuf[0] != '\0' ? a->errbuf : curl_easy_strerror(res));
		return;
	}
	curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &status);
	out->status = (int)status;
	if (status >= 200 && status < 300) {
		out->result = DELIVERY_OK;
		return;
	}
	snprintf(out->error, sizeof(out->error), "HTTP %ld", status);
	if (status == 408 || status == 429 || status >= 500) {
		out->result = DELIVERY_RETRY;
		out->retry_after = a->retry_after;
	} else if (status == 410)
		out->result = DELIVERY_GONE;
	else
		out->result = DELIVERY_FAIL;
}

static void
attempt_done(CURL *easy, CURLcode res, void *arg)
{
	struct webhook_attempt *a = arg;
	struct delivery_outcome out = { .result = DELIVERY_RETRY };

	(void)easy;
	classify(a, res, &out);
	attempt_unlink(a);
	attempt_end(a, &out);
}

/*
 * Builds the request headers of ev into a->hdrs, the signatures first.
 * Returns NULL, or why the request must not be sent.
 */
static const char *
build_headers(struct webhook_attempt *a, const struct webhook_conf *wc,
    const struct event *ev, const struct format_body *body)
{
	struct sign_header sh[SIGN_MAX_HEADERS];
	char line[SIGN_NAME_MAX + SIGN_VALUE_MAX + 4];
	size_t nsh = 0;

	/* The timestamp is fresh per attempt; id and body never change. */
	if (sign_headers(wc->scheme, wc->secrets, wc->nsecrets, ev->id, (long long)time(NULL),
	    body->data, body->len, sh, &nsh) != 0)
		return "signing failed";
	for (size_t i = 0; i < nsh; i++) {
		int n = snprintf(line, sizeof(line), "%s: %s", sh[i].name, sh[i].value);

		/* Not with webhook_sign.h's bounds; but a cut signature must not be sent. */
		if (n < 0 || (size_t)n >= sizeof(line))
			return "signature header too long";
		curltls_header_add(&a->hdrs, line);
	}
	snprintf(line, sizeof(line), "Content-Type: %s", body->content_type);
	curltls_header_add(&a->hdrs, line);
	for (size_t i = 0; i < body->nheaders; i++)
		curltls_header_add(&a->hdrs, body->headers[i]);
	curltls_header_add(&a->hdrs, "User-Agent: pollhook/" PACKAGE_VERSION);
	curltls_header_add(&a->hdrs, "Expect:");	/* no 100-continue round trip */
	for (size_t i = 0; i < wc->nheaders; i++)
		curltls_header_add(&a->hdrs, wc->headers[i]);
	return NULL;
}

/* Sets the options of the POST of ev on a's handle. */
static void
set_options(struct webhook_attempt *a, const struct webhook_conf *wc,
    const struct format_body *body)
{
	CURL *e = a->easy;

	curl_easy_setopt(e, CURLOPT_URL, wc->url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body->data);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->hdrs);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(wc->timeout * 1000));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curltls_http_only(e);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, a->errbuf);
	curltls_apply(&wc->tls, e, wc->https);
	if (wc->guard != NULL) {
		a->verdict.guard = wc->guard;
		ssrf_curl_apply(e, &a->verdict);
	}
}

static void
webhook_deliver(void *state, const struct event *ev, const struct format_body *body,
    unsigned attempt, deliver_done_fn done, void *arg)
{
	struct webhook_state *ws = state;
	struct webhook_attempt *a = xcalloc(1, sizeof(*a));
	struct delivery_outcome fail = { .result = DELIVERY_RETRY };
	const char *why;

	(void)attempt;
	a->ws = ws;
	a->done = done;
	a->arg = arg;
	a->easy = curlev_easy_get(ws->cv, NULL);
	if ((why = build_headers(a, ws->wc, ev, body)) != NULL)
		goto fail;
	set_options(a, ws->wc, body);
	if (curlev_add(ws->cv, a->easy, attempt_done, a) != 0) {
		why = "curl refused the transfer";
		goto fail;
	}
	attempt_link(a);
	return;
fail:
	snprintf(fail.error, sizeof(fail.error), "%s", why);
	attempt_end(a, &fail);
}

static void
webhook_stop(void *state)
{
	struct webhook_state *ws = state;
	struct delivery_outcome out = { .result = DELIVERY_CANCELLED, .error = "cancelled" };

	if (ws == NULL)
		return;
	while (ws->running != NULL) {
		struct webhook_attempt *a = ws->running;

		curlev_cancel(ws->cv, a->easy);
		attempt_unlink(a);
		attempt_end(a, &out);
	}
	free(ws);
}

const struct emitter_ops webhook_emitter_ops = {
	.name = "webhook",
	.keys = webhook_keys,
	.configure = webhook_configure,
	.free_conf = webhook_free_conf,
	.configure_dynamic = webhook_configure_dynamic,
	.init = webhook_init,
	.fini = webhook_fini,
	.start = webhook_start,
	.deliver = webhook_deliver,
	.stop = webhook_stop,
};
