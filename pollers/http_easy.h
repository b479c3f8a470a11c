#ifndef POLLHOOK_HTTP_EASY_H
#define POLLHOOK_HTTP_EASY_H

/* The options of the http poller's requests and the callbacks of their responses. */

#include <curl/curl.h>

#include "http_source.h"

/*
 * Sets up easy e for hs's next request; last is the source whose options e
 * holds (NULL: curl's defaults), and those of the same shape are kept.
 */
void http_set_options(struct http_source *hs, CURL *e, const struct http_source *last);
/* Forgets what the headers of the last response said (validators, links, rate limits). */
void http_response_headers_clear(struct http_source *hs);

#endif
