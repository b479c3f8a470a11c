/*
 * The OAuth 2.0 token cache of the http poller. One struct http_oauth2_token
 * per distinct (token endpoint, credentials, form, TLS settings); sources
 * hold references. A token is reused until a quarter of its lifetime (at
 * most 60 s) is left, then the next poll fetches a new one first; without
 * expires_in it is reused until the API refuses it, as Go's oauth2 package
 * (Telegraf's) does. Sources asking while a fetch is in flight queue on it,
 * so one request serves them all.
 */

#include "http_oauth2.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define OAUTH2_MAX_ANSWER	65536		/* bytes of a token endpoint's answer */
#define OAUTH2_MAX_TOKEN	8192		/* bytes of an access token */
#define OAUTH2_MAX_EXPIRES	31536000.0	/* a year */
#define OAUTH2_MAX_MARGIN	60.0		/* seconds before expiry a token is renewed */
#define OAUTH2_MAX_TEXT		200		/* bytes of the endpoint's error text quoted */

struct http_oauth2 {
	struct curlev *cv;
	CURLSH *share;
	struct http_oauth2_token *tokens;
};

struct http_oauth2_token {
	struct http_oauth2_token *next;
	struct http_oauth2 *o;
	const struct http_oauth2_conf *c;
	const struct curltls *tls;
	unsigned refs;
	char *basic;			/* base64 of user:pass, to keep it out of messages */
	char *token;			/* NULL: none cached */
	double refresh_at;		/* INFINITY: until refused */
	/* The fetch in flight. */
	CURL *easy;
	struct curl_slist *headers;
	double started;
	double timeout;
	char *buf;
	size_t len;
	bool oversize;
	struct http_oauth2_wait *waiting;
	char errbuf[CURL_ERROR_SIZE];
};

struct http_oauth2 *
http_oauth2_new(struct curlev *cv, CURLSH *share)
{
	struct http_oauth2 *o = xcalloc(1, sizeof(*o));

	o->cv = cv;
	o->share = share;
	return o;
}

void
http_oauth2_free(struct http_oauth2 *o)
{
	if (o == NULL)
		return;
	if (o->tokens != NULL)
		log_warnx("http: oauth2 tokens still held at exit");
	free(o);
}

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_settings(const struct http_oauth2_token *t, const struct http_oauth2_conf *c,
    const struct curltls *tls)
{
	const struct http_oauth2_conf *x = t->c;

	return str_eq(x->token_url, c->token_url) && x->basic == c->basic &&
	    str_eq(x->user, c->user) && str_eq(x->pass, c->pass) &&
	    str_eq(x->form, c->form) && curltls_equal(t->tls, tls);
}

struct http_oauth2_token *
http_oauth2_get(struct http_oauth2 *o, const struct http_oauth2_conf *c,
    const struct curltls *tls)
{
	struct http_oauth2_token *t;

	for (t = o->tokens; t != NULL; t = t->next)
		if (same_settings(t, c, tls)) {
			t->refs++;
			return t;
		}
	t = xcalloc(1, sizeof(*t));
	t->o = o;
	t->c = c;
	t->tls = tls;
	t->refs = 1;
	if (c->basic) {
		char *pair = xasprintf("%s:%s", c->user, c->pass);
		size_t n = strlen(pair);

		t->basic = xmalloc(4 * ((n + 2) / 3) + 1);
		EVP_EncodeBlock((unsigned char *)t->basic, (const unsigned char *)pair, (int)n);
		explicit_bzero(pair, n);
		free(pair);
	}
	t->next = o->tokens;
	o->tokens = t;
	return t;
}

/* Ends the fetch in flight, if any, and frees what it holds. */
static void
fetch_end(struct http_oauth2_token *t)
{
	if (t->easy != NULL) {
		curlev_cancel(t->o->cv, t->easy);
		curlev_easy_put(t->o->cv, t->easy, NULL);
		t->easy = NULL;
	}
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	free(t->buf);
	t->buf = NULL;
	t->len = 0;
}

static void
token_clear(struct http_oauth2_token *t)
{
	if (t->token != NULL)
		explicit_bzero(t->token, strlen(t->token));
	free(t->token);
	t->token = NULL;
}

void
http_oauth2_release(struct http_oauth2_token *t)
{
	struct http_oauth2_token **pp;

	if (t == NULL || --t->refs > 0)
		return;
	for (pp = &t->o->tokens; *pp != t; pp = &(*pp)->next)
		;
	*pp = t->next;
	fetch_end(t);
	token_clear(t);
	free(t->basic);
	free(t);
}

const char *
http_oauth2_cached(const struct http_oauth2_token *t, double now)
{
	return t->token != NULL && now < t->refresh_at ? t->token : NULL;
}

void
http_oauth2_refused(struct http_oauth2_token *t, const char *token)
{
	if (t->token != NULL && token != NULL && strcmp(t->token, token) == 0)
		token_clear(t);
}

void
http_oauth2_cancel(struct http_oauth2_token *t, struct http_oauth2_wait *w)
{
	struct http_oauth2_wait **pp;

	if (!w->queued)
		return;
	for (pp = &t->waiting; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->queued = false;
	w->next = NULL;
}

/*
 * Copies text into out for a message: printable ASCII only, at most
 * OAUTH2_MAX_TEXT bytes, and the client secret (as given or encoded) masked:
 * a token endpoint may echo what it got.
 */
static void
quote_text(const struct http_oauth2_token *t, const char *text, char *out, size_t outlen)
{
	const char *secrets[] = { t->c->secret, t->c->pass, t->basic };
	size_t n = 0;

	for (const char *p = text; *p != '\0' && n + 1 < outlen && n < OAUTH2_MAX_TEXT; p++)
		out[n++] = isprint((unsigned char)*p) ? *p : '?';
	out[n] = '\0';
	for (size_t i = 0; i < NELEM(secrets); i++) {
		char *hit;

		if (secrets[i] == NULL || *secrets[i] == '\0')
			continue;
		while ((hit = strstr(out, secrets[i])) != NULL)
			memset(hit, '*', strlen(secrets[i]));
	}
}

static size_t
write_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct http_oauth2_token *t = arg;
	size_t len = size * nmemb;

	if (len > OAUTH2_MAX_ANSWER - t->len) {
		t->oversize = true;
		return 0;
	}
	t->buf = xreallocarray(t->buf, t->len + len + 1, 1);
	memcpy(t->buf + t->len, buf, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return len;
}

/* Returns the answer as a JSON object (one reference), or NULL. */
static struct json_object *
answer_json(const struct http_oauth2_token *t)
{
	struct json_tokener *tok;
	struct json_object *j;

	if (t->buf == NULL)
		return NULL;
	if ((tok = json_tokener_new()) == NULL)
		fatalx("json-c: out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, t->buf, (int)t->len);
	if (j != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset < (int)t->len || !json_object_is_type(j, json_type_object))) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	return j;
}

static const char *
member_string(struct json_object *j, const char *name)
{
	struct json_object *v;

	if (j == NULL || !json_object_object_get_ex(j, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Says why a status other than 2xx came, with RFC 6749's error fields if any. */
static void
status_error(struct http_oauth2_token *t, long status, struct json_object *j, char *err,
    size_t errlen)
{
	const char *code = member_string(j, "error"), *desc = member_string(j, "error_description");
	char qc[OAUTH2_MAX_TEXT + 1], qd[OAUTH2_MAX_TEXT + 1];

	if (code == NULL) {
		snprintf(err, errlen, "HTTP %ld from %s", status, t->c->token_host);
		return;
	}
	quote_text(t, code, qc, sizeof(qc));
	quote_text(t, desc != NULL ? desc : "", qd, sizeof(qd));
	snprintf(err, errlen, "HTTP %ld from %s: %s%s%s%s", status, t->c->token_host, qc,
	    desc != NULL ? " (" : "", qd, desc != NULL ? ")" : "");
}

/* Reads expires_in into *secs (INFINITY when absent); -1 with err when unusable. */
static int
expires_in(const struct http_oauth2_token *t, struct json_object *j, double *secs,
    char *err, size_t errlen)
{
	struct json_object *v;
	const char *text;
	char *end, q[64];
	double d;

	*secs = INFINITY;
	if (!json_object_object_get_ex(j, "expires_in", &v) || v == NULL)
		return 0;
	text = json_object_get_string(v);
	/* Some endpoints send the number as a string. */
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		d = json_object_get_double(v);
	else if (json_object_is_type(v, json_type_string) && *text != '\0' &&
	    text[strspn(text, "0123456789")] == '\0')
		d = strtod(text, &end);
	else
		d = NAN;
	if (!(d >= 1 && d <= OAUTH2_MAX_EXPIRES)) {
		quote_text(t, text, q, sizeof(q));
		snprintf(err, errlen, "expires_in %s is not a number of seconds from 1 to %.0f",
		    q, OAUTH2_MAX_EXPIRES);
		return -1;
	}
	*secs = d;
	return 0;
}

/* Takes the token out of a 2xx answer; -1 with err when there is none usable. */
static int
take_token(struct http_oauth2_token *t, double *secs, char *err, size_t errlen)
{
	struct json_object *j = answer_json(t);
	const char *tok, *type;
	char q[64];
	int rc = -1;

	if (j == NULL) {
		snprintf(err, errlen, "the answer of %s is not a JSON object", t->c->token_host);
		goto out;
	}
	if ((tok = member_string(j, "access_token")) == NULL || *tok == '\0') {
		snprintf(err, errlen, "the answer of %s has no access_token", t->c->token_host);
		goto out;
	}
	/* It goes into a request header: visible ASCII only, no CR or LF. */
	for (const char *p = tok; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e || p - tok >= OAUTH2_MAX_TOKEN) {
			snprintf(err, errlen, "the access_token of %s is longer than %d bytes "
			    "or has characters a header cannot carry", t->c->token_host,
			    OAUTH2_MAX_TOKEN);
			goto out;
		}
	if ((type = member_string(j, "token_type")) != NULL && strcasecmp(type, "bearer") != 0) {
		quote_text(t, type, q, sizeof(q));
		snprintf(err, errlen, "token_type \"%s\" of %s is not Bearer", q, t->c->token_host);
		goto out;
	}
	if (expires_in(t, j, secs, err, errlen) == -1)
		goto out;
	token_clear(t);
	t->token = xstrdup(tok);
	rc = 0;
out:
	json_object_put(j);
	return rc;
}

/* Says why the transfer failed, in words that do not change between polls. */
static void
transfer_error(struct http_oauth2_token *t, CURL *e, CURLcode rc, double timeout, char *err,
    size_t errlen)
{
	char q[OAUTH2_MAX_TEXT + 1];
	long oserr = 0;

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(err, errlen, "DNS: cannot resolve the host of %s", t->c->token_host);
		return;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
		snprintf(err, errlen, "cannot connect to %s: %s", t->c->token_host,
		    oserr != 0 ? strerror((int)oserr) : curl_easy_strerror(rc));
		return;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen, "%s did not answer within %g s", t->c->token_host, timeout);
		return;
	case CURLE_WRITE_ERROR:
		if (t->oversize) {
			snprintf(err, errlen, "the answer of %s is larger than %d bytes",
			    t->c->token_host, OAUTH2_MAX_ANSWER);
			return;
		}
		break;
	default:
		break;
	}
	quote_text(t, t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(rc), q, sizeof(q));
	snprintf(err, errlen, "%s: %s", t->c->token_host, q);
}

static void
fetch_done(CURL *e, CURLcode rc, void *arg)
{
	struct http_oauth2_token *t = arg;
	struct http_oauth2_wait *w;
	char err[512], msg[600];
	double secs = INFINITY;
	long status = 0;
	int ok = -1;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		transfer_error(t, e, rc, t->timeout, err, sizeof(err));
	else if (status < 200 || status > 299) {
		struct json_object *j = answer_json(t);

		status_error(t, status, j, err, sizeof(err));
		json_object_put(j);
	} else
		ok = take_token(t, &secs, err, sizeof(err));
	/* Measured from the request, not the answer: the token may be older than it looks. */
	if (ok == 0)
		t->refresh_at = isinf(secs) ? INFINITY :
		    t->started + secs - fmin(OAUTH2_MAX_MARGIN, secs / 4);
	t->easy = NULL;	/* ended: put back below, not cancelled */
	curlev_easy_put(t->o->cv, e, NULL);
	fetch_end(t);
	snprintf(msg, sizeof(msg), "oauth2 token: %s", err);
	/* A ready callback may queue again (a new fetch starts then): take the list first. */
	w = t->waiting;
	t->waiting = NULL;
	while (w != NULL) {
		struct http_oauth2_wait *next = w->next;

		w->queued = false;
		w->next = NULL;
		w->ready(w, ok == 0 ? t->token : NULL, ok == 0 ? NULL : msg);
		w = next;
	}
}

/* Starts the token request; -1 when curl refused it. */
static int
fetch_start(struct http_oauth2_token *t, double now, double timeout)
{
	const struct http_oauth2_conf *c = t->c;
	CURL *e = curlev_easy_get(t->o->cv, NULL);

	t->started = now;
	t->timeout = timeout;
	t->oversize = false;
	t->errbuf[0] = '\0';
	curltls_header_add(&t->headers, "Accept: application/json");
	curltls_header_add(&t->headers, "User-Agent: pollhook/" PACKAGE_VERSION);
	curltls_http_only(e);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_URL, c->token_url);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0 + 0.5));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	/* Form-encoded, so Content-Type application/x-www-form-urlencoded as curl sends it. */
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(c->form));
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, c->form);
	if (c->basic) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->pass);
	}
	curltls_apply(t->tls, e, c->https);
	curl_easy_setopt(e, CURLOPT_SHARE, t->o->share);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	t->easy = e;
	if (curlev_add(t->o->cv, e, fetch_done, t) == -1) {
		fetch_end(t);
		return -1;
	}
	return 0;
}

int
http_oauth2_wait(struct http_oauth2_token *t, struct http_oauth2_wait *w, double now,
    double timeout)
{
	struct http_oauth2_wait **pp;

	if (w->queued)
		return 0;
	for (pp = &t->waiting; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = w;
	w->next = NULL;
	w->queued = true;
	if (t->easy == NULL && fetch_start(t, now, timeout) == -1) {
		http_oauth2_cancel(t, w);
		return -1;
	}
	return 0;
}
