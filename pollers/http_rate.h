#ifndef POLLHOOK_HTTP_RATE_H
#define POLLHOOK_HTTP_RATE_H

/*
 * Rate limits of polled APIs: what a response's status, Retry-After and
 * X-RateLimit-Remaining / X-RateLimit-Reset headers say about when the next
 * request may go. Pure: the caller gives the time.
 */

#include <stdbool.h>

/* The longest deferral an API can ask for; a longer one is cut to it. */
#define HTTP_RATE_MAX_WAIT 86400.0

/* The rate-limit headers of one response, as received (borrowed or NULL). */
struct http_rate_headers {
	const char *retry_after;
	const char *remaining;		/* X-RateLimit-Remaining */
	const char *reset;		/* X-RateLimit-Reset: seconds, or a Unix time */
};

enum http_rate {
	HTTP_RATE_NONE,		/* no limit said */
	HTTP_RATE_REFUSED,	/* the request was refused for its rate: 429, 503 or
				   403 with Retry-After, 403 with no requests left */
	HTTP_RATE_EXHAUSTED,	/* answered, but no request is left until *until */
};

/*
 * Classifies a response of status with headers h, received at now; *until
 * receives the Unix time before which no request may go (at most
 * HTTP_RATE_MAX_WAIT ahead), or 0 when the response names none.
 */
enum http_rate http_rate_check(long status, const struct http_rate_headers *h, double now,
    double *until);

#endif
