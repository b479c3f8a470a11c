#ifndef POLLHOOK_HTTP_SOURCE_H
#define POLLHOOK_HTTP_SOURCE_H

/*
 * The runtime state of the http poller, shared by its files: pollers/http.c
 * (the poll: token, requests, responses) and pollers/http_paging.c (the
 * pages of one poll). Nothing outside the poller sees it.
 */

#include <stdbool.h>

#include <curl/curl.h>
#include <ev.h>

#include "curlev.h"
#include "http_conf.h"
#include "http_oauth2.h"
#include "poller.h"
#include "sample.h"

struct json_object;

struct http_shared {
	struct ev_loop *loop;
	struct curlev *cv;
	struct http_oauth2 *oauth2;	/* bearer tokens, shared by equal settings */
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
	bool dynamic;			/* oauth2, pages or a URL template: a request's
					   URL, token and timeout are set anew each time */
	struct http_oauth2_token *token;	/* with oauth2 */
	struct http_oauth2_wait wait;	/* embedded: queued while a token is fetched */
	double since;			/* scheduled start of the last good poll; NAN: none */
	bool limited;			/* a rate limit is on (logged when it began) */

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
	double deadline;		/* Unix time the whole poll must end by */
	long status;			/* of the last response */
	bool has_cert_days;		/* cert_days_left: an https response came */
	double cert_days;
	char *cur_url;			/* this request's URL; NULL: hs->url as parsed */
	int page;			/* 1, 2, ... */
	char **seen;			/* next-page tokens or URLs requested so far */
	size_t nseen;
	bool retried;			/* the 401 refetch of the token was used */
	char *bearer;			/* "Authorization: Bearer TOKEN" of this poll */
	struct curl_slist auth;		/* its node, chained before the headers */
	char *link;			/* the response's Link header lines, joined */
	char *retry_after, *rl_remaining, *rl_reset;
};

/* What a page says of the one after it. */
enum http_next { HTTP_NEXT_FAILED, HTTP_NEXT_LAST, HTTP_NEXT_MORE };

/*
 * Fails the poll of hs with a printf-style message ("page N: " before it
 * after the first page) and drops every point gathered so far.
 */
void http_source_fail(struct http_source *hs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Adds the items metrics of a page after the first to the poll's points; -1: the poll failed. */
int http_paging_merge(struct http_source *hs, struct json_object *root);
/*
 * Finds the page after the one whose body is root (and whose headers hs
 * holds): HTTP_NEXT_MORE with its URL (newly allocated) in *url,
 * HTTP_NEXT_LAST, or HTTP_NEXT_FAILED when the poll failed (a loop, a
 * malformed link).
 */
enum http_next http_paging_next(struct http_source *hs, struct json_object *root, char **url);
/* Remembers next (a URL or a token) as requested in this poll; -1 when it was already. */
int http_paging_seen(struct http_source *hs, const char *next);
/* Forgets what http_paging_seen remembered. */
void http_paging_clear(struct http_source *hs);

#endif
