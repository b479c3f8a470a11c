/*
 * The pages of one poll of the http poller: the items of each page after
 * the first merged into the first page's points, and the next page found by
 * a token in the body (next_pointer) or by the Link header, with loops
 * caught (a token or URL requested twice).
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "http_page.h"
#include "http_source.h"
#include "jsonx.h"
#include "xmalloc.h"

/* Merges the items metrics of a page after the first into the first page's points. */
struct merge_ctx {
	struct http_source *hs;
	const char *metric;
	const struct http_metric *m;
	char err[512];
	bool failed;
};

static struct point *
find_point(struct sample *s, const char *metric, const char *instance)
{
	for (size_t i = 0; i < s->npoints; i++) {
		struct point *p = &s->points[i];

		if (strcmp(p->metric, metric) == 0 && (p->instance == instance ||
		    (p->instance != NULL && instance != NULL && strcmp(p->instance, instance) == 0)))
			return p;
	}
	return NULL;
}

static void
merge_match(void *arg, const char *instance, struct json_object *elem,
    struct json_object *o, const char *err)
{
	struct merge_ctx *x = arg;
	struct value v = { 0 };
	struct point *p;
	char e2[256];

	(void)elem;
	if (x->failed)
		return;
	if (err != NULL || jsonx_items(o, x->m->key, &v, e2, sizeof(e2)) == -1) {
		snprintf(x->err, sizeof(x->err), "metric %s: %s: %s", x->metric,
		    jsonx_text(x->m->json), err != NULL ? err : e2);
		x->failed = true;
		return;
	}
	if ((p = find_point(x->hs->sample, x->metric, instance)) == NULL) {
		p = sample_add(x->hs->sample, x->metric, instance);
		p->value = v;
		return;
	}
	/* A metric that failed on the first page stays failed. */
	if (p->value.type == VALUE_ITEMS)
		http_page_merge_items(&p->value, &v);
	value_clear(&v);
}

int
http_paging_merge(struct http_source *hs, struct json_object *root)
{
	const struct http_conf *c = hs->conf;

	for (size_t i = 0; i < c->nmetrics; i++) {
		struct merge_ctx x = { hs, hs->src->metrics[i].name, &c->metrics[i], "", false };

		if (!c->metrics[i].items)
			continue;
		if (jsonx_eval(c->metrics[i].json, root, merge_match, &x, x.err,
		    sizeof(x.err)) == -1) {
			http_source_fail(hs, "metric %s: %s", x.metric, x.err);
			return -1;
		}
		if (x.failed) {
			http_source_fail(hs, "%s", x.err);
			return -1;
		}
	}
	return 0;
}

int
http_paging_seen(struct http_source *hs, const char *next)
{
	for (size_t i = 0; i < hs->nseen; i++)
		if (strcmp(hs->seen[i], next) == 0)
			return -1;
	hs->seen = xreallocarray(hs->seen, hs->nseen + 1, sizeof(*hs->seen));
	hs->seen[hs->nseen++] = xstrdup(next);
	return 0;
}

void
http_paging_clear(struct http_source *hs)
{
	for (size_t i = 0; i < hs->nseen; i++)
		free(hs->seen[i]);
	free(hs->seen);
	hs->seen = NULL;
	hs->nseen = 0;
}

/* The URL of this request, for resolving links and adding parameters. */
static const char *
current_url(const struct http_source *hs)
{
	return hs->cur_url != NULL ? hs->cur_url : hs->conf->url;
}

/* Finds the next page by the token at next_pointer; sets *url. */
static enum http_next
next_by_token(struct http_source *hs, struct json_object *root, char **url)
{
	const struct http_conf *c = hs->conf;
	struct json_object *o;
	char err[512], *tok;

	/* No such member, null or "": the last page. */
	if (jsonx_get(c->next_pointer, root, &o, err, sizeof(err)) == -1 || o == NULL)
		return HTTP_NEXT_LAST;
	if (!json_object_is_type(o, json_type_string) && !json_object_is_type(o, json_type_int)) {
		http_source_fail(hs, "next_pointer %s is %s, not a string", jsonx_text(c->next_pointer),
		    jsonx_type_name(o));
		return HTTP_NEXT_FAILED;
	}
	tok = jsonx_scalar_text(o);
	if (tok[0] == '\0') {
		free(tok);
		return HTTP_NEXT_LAST;
	}
	if (http_paging_seen(hs, tok) == -1) {
		free(tok);
		http_source_fail(hs, "the next page token repeats an earlier page's: the API loops");
		return HTTP_NEXT_FAILED;
	}
	/* Every page's URL is the first one's with the token. */
	*url = http_page_with_param(hs->seen[0], c->next_param, tok);
	free(tok);
	if (*url == NULL) {
		http_source_fail(hs, "cannot add the next page token to the URL");
		return HTTP_NEXT_FAILED;
	}
	return HTTP_NEXT_MORE;
}

/* Finds the next page by the Link header; sets *url. */
static enum http_next
next_by_link(struct http_source *hs, char **url)
{
	char err[512], *target;
	int rc;

	if (hs->link == NULL)
		return HTTP_NEXT_LAST;
	if ((rc = http_page_link_next(hs->link, &target, err, sizeof(err))) == 0)
		return HTTP_NEXT_LAST;
	if (rc == -1) {
		http_source_fail(hs, "%s", err);
		return HTTP_NEXT_FAILED;
	}
	rc = http_page_resolve(current_url(hs), target, url, err, sizeof(err));
	free(target);
	if (rc == -1) {
		http_source_fail(hs, "%s", err);
		return HTTP_NEXT_FAILED;
	}
	if (http_paging_seen(hs, *url) == -1) {
		free(*url);
		*url = NULL;
		http_source_fail(hs, "the next link leads back to an earlier page: the API loops");
		return HTTP_NEXT_FAILED;
	}
	return HTTP_NEXT_MORE;
}

enum http_next
http_paging_next(struct http_source *hs, struct json_object *root, char **url)
{
	return hs->conf->page_link ? next_by_link(hs, url) : next_by_token(hs, root, url);
}
