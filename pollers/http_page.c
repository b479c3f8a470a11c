/*
 * The next page of a paged API: RFC 8288 Link headers (GitHub) and
 * next-page tokens in a query parameter (Zoom's next_page_token).
 */

#include "http_page.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "hmap.h"
#include "log.h"
#include "sample.h"
#include "xmalloc.h"

#define MAX_TARGET 8192		/* longest link target accepted, in bytes */

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110's tchar. */
static bool
is_tchar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (is_ows(*p))
		p++;
	return p;
}

/*
 * Parses a token or a quoted string at p into v (at most vlen - 1 bytes
 * kept); returns the byte after it, or NULL when there is neither.
 */
static const char *
param_value(const char *p, char *v, size_t vlen)
{
	size_t n = 0;

	if (*p != '"') {
		while (is_tchar(*p)) {
			if (n + 1 < vlen)
				v[n++] = *p;
			p++;
		}
		v[n] = '\0';
		return n > 0 ? p : NULL;
	}
	for (p++; *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p == '\0')
			return NULL;
		if (n + 1 < vlen)
			v[n++] = *p;
	}
	v[n] = '\0';
	return p + 1;
}

/* Returns whether the relation types rel (separated by spaces) include "next". */
static bool
rel_has_next(const char *rel)
{
	for (const char *p = rel; *p != '\0';) {
		size_t n = strcspn(p, " \t");

		if (n == 4 && strncasecmp(p, "next", 4) == 0)
			return true;
		p += n;
		p += strspn(p, " \t");
	}
	return false;
}

/* Parses the parameters after a link target; *next is set when rel names next. */
static const char *
link_params(const char *p, bool *next, char *err, size_t errlen)
{
	char name[64], value[256];

	for (;;) {
		size_t n = 0;

		p = skip_ows(p);
		if (*p != ';')
			return p;
		p = skip_ows(p + 1);
		while (is_tchar(*p)) {
			if (n + 1 < sizeof(name))
				name[n++] = *p;
			p++;
		}
		name[n] = '\0';
		if (n == 0) {
			snprintf(err, errlen, "malformed Link header: a parameter without a name");
			return NULL;
		}
		p = skip_ows(p);
		if (*p != '=')
			continue;	/* a parameter without a value */
		if ((p = param_value(skip_ows(p + 1), value, sizeof(value))) == NULL) {
			snprintf(err, errlen, "malformed Link header: parameter %s has no "
			    "value", name);
			return NULL;
		}
		if (strcasecmp(name, "rel") == 0 && rel_has_next(value))
			*next = true;
	}
}

int
http_page_link_next(const char *link, char **target, char *err, size_t errlen)
{
	const char *p = link;

	*target = NULL;
	for (;;) {
		const char *start, *close;
		bool next = false;

		while (is_ows(*p) || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p != '<') {
			snprintf(err, errlen, "malformed Link header: a link must start "
			    "with \"<\"");
			goto fail;
		}
		start = p + 1;
		if ((close = strchr(start, '>')) == NULL) {
			snprintf(err, errlen, "malformed Link header: no \">\" after the "
			    "link target");
			goto fail;
		}
		if ((p = link_params(close + 1, &next, err, errlen)) == NULL)
			goto fail;
		if (*p != ',' && *p != '\0') {
			snprintf(err, errlen, "malformed Link header: unexpected \"%c\" "
			    "after a link", *p);
			goto fail;
		}
		if (!next || *target != NULL)
			continue;
		if (close == start || close - start > MAX_TARGET) {
			snprintf(err, errlen, "malformed Link header: the next link's "
			    "target is empty or longer than %d bytes", MAX_TARGET);
			goto fail;
		}
		*target = xstrndup(start, (size_t)(close - start));
	}
	return *target != NULL ? 1 : 0;
fail:
	free(*target);
	*target = NULL;
	return -1;
}

/* Returns part of u (newly allocated by curl), or NULL. */
static char *
part(CURLU *u, CURLUPart what)
{
	char *v = NULL;

	if (curl_url_get(u, what, &v, what == CURLUPART_PORT ? CURLU_DEFAULT_PORT : 0) !=
	    CURLUE_OK)
		return NULL;
	return v;
}

static bool
same_part(CURLU *a, CURLU *b, CURLUPart what)
{
	char *x = part(a, what), *y = part(b, what);
	bool same = x != NULL && y != NULL && strcasecmp(x, y) == 0;

	curl_free(x);
	curl_free(y);
	return same;
}

int
http_page_resolve(const char *base, const char *ref, char **out, char *err, size_t errlen)
{
	CURLU *b = curl_url(), *u = curl_url();
	char *full = NULL;
	int rc = -1;

	*out = NULL;
	if (b == NULL || u == NULL)
		fatalx("curl: out of memory");
	if (curl_url_set(b, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
	    (full = part(u, CURLUPART_URL)) == NULL) {
		snprintf(err, errlen, "the next page's link is no URL");
		goto out;
	}
	if (!same_part(b, u, CURLUPART_SCHEME) || !same_part(b, u, CURLUPART_HOST) ||
	    !same_part(b, u, CURLUPART_PORT)) {
		snprintf(err, errlen, "the next page's link leads to another server: "
		    "refused (the request's credentials go with it)");
		goto out;
	}
	*out = xstrdup(full);
	rc = 0;
out:
	curl_free(full);
	curl_url_cleanup(b);
	curl_url_cleanup(u);
	return rc;
}

char *
http_page_with_param(const char *url, const char *name, const char *value)
{
	CURLU *u = curl_url();
	char *q = xasprintf("%s=%s", name, value), *full = NULL, *ret = NULL;

	if (u == NULL)
		fatalx("curl: out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE) ==
	    CURLUE_OK && (full = part(u, CURLUPART_URL)) != NULL)
		ret = xstrdup(full);
	curl_free(full);
	free(q);
	curl_url_cleanup(u);
	return ret;
}

void
http_page_merge_items(struct value *dst, struct value *src)
{
	struct hmap keys;

	hmap_init(&keys);
	for (size_t i = 0; i < dst->nitems; i++)
		hmap_put(&keys, dst->items[i].key, &dst->items[i]);
	dst->items = xreallocarray(dst->items, dst->nitems + src->nitems, sizeof(*dst->items));
	for (size_t i = 0; i < src->nitems; i++) {
		struct item *it = &src->items[i];

		/* A list that moved between two requests shows an item on both pages. */
		if (hmap_get(&keys, it->key) != NULL) {
			free(it->key);
			json_object_put(it->obj);
			continue;
		}
		dst->items[dst->nitems++] = *it;
		hmap_put(&keys, it->key, it);
	}
	free(src->items);
	src->items = NULL;
	src->nitems = 0;
	src->type = VALUE_NONE;
	hmap_free(&keys);
}
