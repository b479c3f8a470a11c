/*
 * Rate-limit headers: RFC 9110's Retry-After (seconds or an HTTP date) and
 * the X-RateLimit-Remaining / X-RateLimit-Reset pair of GitHub and many
 * others, whose reset is a Unix time (GitHub) or seconds from now (others).
 */

#include "http_rate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/*
 * A reset above this is a Unix time (2001-09-09 on), below it seconds to
 * wait: no API asks to wait 30 years, none resets before 2001.
 */
#define RESET_EPOCH_MIN 1e9

/* Parses a non-negative decimal number (digits, optional fraction); -1 when it is none. */
static double
parse_number(const char *s)
{
	char *end;
	double v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	/* strtod would take hex, exponents and "infinity" too. */
	if (s[strspn(s, "0123456789.")] != '\0' && !isspace((unsigned char)s[strspn(s,
	    "0123456789.")]))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return -1;
	return v;
}

/* Returns the Unix time Retry-After names, or 0 when absent or unreadable. */
static double
retry_after(const char *v, double now)
{
	double secs = parse_number(v);
	time_t t;

	if (v == NULL)
		return 0;
	if (secs >= 0)
		return now + secs;
	if ((t = curl_getdate(v, NULL)) == -1)
		return 0;
	return (double)t;
}

/* Returns the Unix time X-RateLimit-Reset names, or 0. */
static double
reset_time(const char *v, double now)
{
	double r = parse_number(v);

	if (r < 0)
		return 0;
	return r >= RESET_EPOCH_MIN ? r : now + r;
}

enum http_rate
http_rate_check(long status, const struct http_rate_headers *h, double now, double *until)
{
	double remaining = parse_number(h->remaining), t = 0;
	bool none_left = remaining == 0;
	enum http_rate r = HTTP_RATE_NONE;

	if (status == 429 || ((status == 503 || status == 403) && h->retry_after != NULL) ||
	    (status == 403 && none_left))
		r = HTTP_RATE_REFUSED;
	else if (status >= 200 && status <= 299 && none_left && h->reset != NULL)
		r = HTTP_RATE_EXHAUSTED;
	if (r == HTTP_RATE_REFUSED)
		t = retry_after(h->retry_after, now);
	if (t == 0 && none_left)
		t = reset_time(h->reset, now);
	if (r == HTTP_RATE_EXHAUSTED && t <= now)
		r = HTTP_RATE_NONE;	/* the reset has passed already */
	if (t <= now)
		t = 0;
	else if (t > now + HTTP_RATE_MAX_WAIT)
		t = now + HTTP_RATE_MAX_WAIT;
	*until = t;
	return r;
}
