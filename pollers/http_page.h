#ifndef POLLHOOK_HTTP_PAGE_H
#define POLLHOOK_HTTP_PAGE_H

/*
 * Paging of the http poller: the URL of the next page, from an RFC 8288
 * Link header (rel="next") or from a token in the page that goes into a
 * query parameter. Pure functions of their arguments (libcurl's URL API
 * only): no I/O, no logging.
 */

#include <stddef.h>

struct value;

/*
 * Finds the target of the first link with relation "next" in link, the
 * value of one or more Link header lines joined by ", ". Returns 1 and
 * stores it (newly allocated, as written) in *target, 0 when there is no
 * such link, or -1 with a message in err when link is malformed.
 */
int http_page_link_next(const char *link, char **target, char *err, size_t errlen);
/*
 * Resolves ref against base (both URLs) and stores the absolute URL (newly
 * allocated) in *out. Returns 0, or -1 with a message in err when ref is no
 * URL or leaves base's origin (scheme, host and port): the request
 * credentials must not go to another server.
 */
int http_page_resolve(const char *base, const char *ref, char **out, char *err,
    size_t errlen);
/*
 * Returns url (newly allocated) with "name=value" appended to its query,
 * value percent-encoded, or NULL when url cannot be parsed.
 */
char *http_page_with_param(const char *url, const char *name, const char *value);
/*
 * Appends the items of src (VALUE_ITEMS, emptied and left VALUE_NONE) to
 * dst (VALUE_ITEMS), dropping those whose key dst already has: the items of
 * every page as one list, each key once.
 */
void http_page_merge_items(struct value *dst, struct value *src);

#endif
