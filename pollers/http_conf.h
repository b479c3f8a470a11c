#ifndef POLLHOOK_HTTP_CONF_H
#define POLLHOOK_HTTP_CONF_H

/*
 * The plain configuration of an http source: what configure() builds from
 * the source's "http = { ... }" group and its metrics, immutable after.
 * Only pollers/http.c uses it.
 */

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "curltls.h"

struct http_url;
struct jsonx_ptr;
struct source_config;

/* The oauth2 group: how to get the source's bearer token. */
struct http_oauth2_conf {
	char *token_url;
	char *token_host;		/* "host:port" for messages */
	bool https;
	bool basic;			/* credentials as Authorization: Basic, else in the form */
	char *user, *pass;		/* basic: client_id and client_secret, form-encoded */
	char *form;			/* the POST body: grant_type, scope, params (and the
					   credentials when !basic) */
	char *secret;			/* client_secret as given, to keep it out of messages */
};

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
	struct curltls tls;		/* TLS and proxy */
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
	struct http_url *tmpl;		/* url with time placeholders, or NULL */
	double window;			/* seconds "since" reaches back before the first poll */
	struct http_oauth2_conf *oauth2;	/* NULL: no oauth2 group */
	bool paged;			/* a paginate group */
	bool page_link;			/* pages by Link: rel="next" */
	struct jsonx_ptr *next_pointer;	/* pages by a token at this pointer ... */
	char *next_param;		/* ... sent in this query parameter */
	long max_pages;
};

/* The keys of the "http = { ... }" group of a source. */
extern const struct conf_key http_conf_keys[];
/* The keys of an http source's metrics besides name, reduce and scale. */
extern const struct conf_key http_conf_metric_keys[];

/*
 * Parses group (NULL when absent) and metrics; reports errors with
 * conf_error and returns -1, or stores a new struct http_conf in *out.
 */
int http_conf_load(const struct conf_node *group, const struct conf_node *metrics,
    const struct source_config *src, void **out);
/* Frees a struct http_conf; NULL is ignored. */
void http_conf_free(void *conf);
/* Returns whether status counts as up: 2xx or listed in ok_status. */
bool http_conf_status_ok(const struct http_conf *c, long status);

#endif
