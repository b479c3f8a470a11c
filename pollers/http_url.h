#ifndef POLLHOOK_HTTP_URL_H
#define POLLHOOK_HTTP_URL_H

/*
 * URL templates of the http poller: a URL with the time placeholders
 * %{since:FORMAT} and %{now:FORMAT}, expanded for each poll with strftime
 * formats in UTC and percent-encoded where they land. Pure functions: no
 * I/O, no logging, no clock.
 */

#include <stdbool.h>
#include <stddef.h>

struct http_url;

/*
 * Parses text. Returns 0 and stores a new template in *out (NULL when text
 * has no placeholder), or -1 with a message in err when a placeholder is
 * malformed or its format is not one of the conversions allowed.
 */
int http_url_parse(const char *text, struct http_url **out, char *err, size_t errlen);
/* Returns whether u has a %{since:...} placeholder. */
bool http_url_has_since(const struct http_url *u);
/*
 * Returns the URL with since and now (Unix times) formatted in UTC and
 * percent-encoded (newly allocated), or NULL when a time cannot be
 * formatted (before year 1 or past year 9999).
 */
char *http_url_expand(const struct http_url *u, double since, double now);
/* Frees u; NULL is ignored. */
void http_url_free(struct http_url *u);

#endif
