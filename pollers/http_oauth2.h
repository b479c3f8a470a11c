#ifndef POLLHOOK_HTTP_OAUTH2_H
#define POLLHOOK_HTTP_OAUTH2_H

/*
 * OAuth 2.0 bearer tokens for the http poller (RFC 6749's client
 * credentials grant, and Zoom's account_credentials): fetched from the token
 * endpoint with an asynchronous transfer on the poller's curlev, cached,
 * refreshed ahead of expires_in, and shared by every source with the same
 * token settings. Neither the client secret nor a token ever goes into a
 * message.
 */

#include <stdbool.h>

#include <curl/curl.h>

#include "curlev.h"
#include "curltls.h"
#include "http_conf.h"

struct http_oauth2;		/* the token cache of the http sources */
struct http_oauth2_token;	/* one token endpoint and client: shared, counted */

/* A source waiting for a token: embedded in the source, queued by http_oauth2_wait. */
struct http_oauth2_wait {
	struct http_oauth2_wait *next;
	/* token (borrowed for the call) or err (a message without secrets) */
	void (*ready)(struct http_oauth2_wait *w, const char *token, const char *err);
	bool queued;
};

/* Returns a new, empty cache whose transfers run on cv, sharing TLS sessions through share. */
struct http_oauth2 *http_oauth2_new(struct curlev *cv, CURLSH *share);
/* Frees the cache, once every token was released; NULL is ignored. */
void http_oauth2_free(struct http_oauth2 *o);
/*
 * Returns the token of c and tls (both borrowed: they must outlive the
 * reference), shared with every other holder of equal settings; release it
 * with http_oauth2_release.
 */
struct http_oauth2_token *http_oauth2_get(struct http_oauth2 *o,
    const struct http_oauth2_conf *c, const struct curltls *tls);
/* Drops one reference; the last one cancels a fetch in flight and frees the token. */
void http_oauth2_release(struct http_oauth2_token *t);
/* Returns the cached token (borrowed until the next call) if it is good at now, else NULL. */
const char *http_oauth2_cached(const struct http_oauth2_token *t, double now);
/*
 * Queues w for a new token and starts fetching one unless a fetch is in
 * flight (now: the Unix time, timeout: seconds the fetch may take); w->ready
 * is called from the loop, never from within this call. Returns 0, or -1
 * (w not queued) when the request cannot start.
 */
int http_oauth2_wait(struct http_oauth2_token *t, struct http_oauth2_wait *w, double now,
    double timeout);
/* Takes w off the queue without calling it; a no-op when w is not queued. */
void http_oauth2_cancel(struct http_oauth2_token *t, struct http_oauth2_wait *w);
/* Forgets the cached token if it is still token: the API refused it (401). */
void http_oauth2_refused(struct http_oauth2_token *t, const char *token);

#endif
