#include "jsonx.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "sample.h"
#include "xmalloc.h"

struct jsonx_seg {
	char *name;		/* unescaped member name or array index text */
	bool wild;
	size_t start;		/* offset in text of this segment's "/" */
	size_t end;		/* offset in text just past this segment */
};

struct jsonx_ptr {
	char *text;
	struct jsonx_seg *segs;
	size_t nsegs;
	size_t nwild;
};

struct jsonx_parser {
	struct json_tokener *tok;
	struct json_object *root;	/* the document once complete */
	bool done;			/* the top-level value is complete */
	bool failed;
	enum json_tokener_error jerr;
	size_t bytes;
	size_t err_at;			/* byte offset of the first error */
	char trail;			/* non-blank byte after the document */
};

struct eval_ctx {
	const struct jsonx_ptr *p;
	jsonx_match_fn fn;
	void *arg;
	char inst[1024];
};

const char *
jsonx_type_name(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "unknown";
}

struct jsonx_ptr *
jsonx_compile(const char *text, char *err, size_t errlen)
{
	struct jsonx_ptr *p;
	const char *s;

	if (text[0] != '\0' && text[0] != '/') {
		snprintf(err, errlen, "JSON pointer \"%s\" must be empty or start with /", text);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->text = xstrdup(text);
	for (s = text; *s == '/';) {
		const char *start = ++s;
		size_t len = strcspn(start, "/"), o = 0;
		struct jsonx_seg *seg;

		p->segs = xreallocarray(p->segs, p->nsegs + 1, sizeof(*p->segs));
		seg = &p->segs[p->nsegs++];
		seg->name = xmalloc(len + 1);
		seg->start = (size_t)(start - text) - 1;
		seg->end = seg->start + 1 + len;
		seg->wild = len == 1 && start[0] == '*';
		for (size_t i = 0; i < len; i++) {
			if (start[i] != '~') {
				seg->name[o++] = start[i];
				continue;
			}
			if (i + 1 < len && (start[i + 1] == '0' || start[i + 1] == '1')) {
				seg->name[o++] = start[i + 1] == '0' ? '~' : '/';
				i++;
				continue;
			}
			seg->name[o] = '\0';
			snprintf(err, errlen, "JSON pointer \"%s\": \"~\" must be followed "
			    "by 0 or 1", text);
			jsonx_free(p);
			return NULL;
		}
		seg->name[o] = '\0';
		if (seg->wild)
			p->nwild++;
		s = start + len;
	}
	return p;
}

void
jsonx_free(struct jsonx_ptr *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nsegs; i++)
		free(p->segs[i].name);
	free(p->segs);
	free(p->text);
	free(p);
}

const char *
jsonx_text(const struct jsonx_ptr *p)
{
	return p->text;
}

size_t
jsonx_wildcards(const struct jsonx_ptr *p)
{
	return p->nwild;
}

/* Parses an RFC 6901 array index: digits, no leading zero, no sign. */
static bool
parse_index(const char *s, size_t *out)
{
	size_t v = 0;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* Explains that segment i cannot apply to o, a scalar. */
static void
not_container(const struct jsonx_ptr *p, size_t i, struct json_object *o, char *err,
    size_t errlen)
{
	size_t at = p->segs[i].start;

	if (at == 0)
		snprintf(err, errlen, "%.*s: the document is %s, not an object or "
		    "array", (int)p->segs[i].end, p->text, jsonx_type_name(o));
	else
		snprintf(err, errlen, "%.*s: %.*s is %s, not an object or array",
		    (int)p->segs[i].end, p->text, (int)at, p->text, jsonx_type_name(o));
}

/* Steps from o into segment i; returns 0 or -1 with err. */
static int
step(const struct jsonx_ptr *p, size_t i, struct json_object *o,
    struct json_object **next, char *err, size_t errlen)
{
	const struct jsonx_seg *seg = &p->segs[i];
	int plen = (int)seg->end;
	size_t idx, n;

	switch (json_object_get_type(o)) {
	case json_type_object:
		if (!json_object_object_get_ex(o, seg->name, next)) {
			snprintf(err, errlen, "%.*s: no such member", plen, p->text);
			return -1;
		}
		return 0;
	case json_type_array:
		n = json_object_array_length(o);
		if (!parse_index(seg->name, &idx)) {
			snprintf(err, errlen, "%.*s: \"%s\" is no array index", plen,
			    p->text, seg->name);
			return -1;
		}
		if (idx >= n) {
			snprintf(err, errlen, "%.*s: index out of range (the array "
			    "has %zu elements)", plen, p->text, n);
			return -1;
		}
		*next = json_object_array_get_idx(o, idx);
		return 0;
	default:
		not_container(p, i, o, err, errlen);
		return -1;
	}
}

/* Walks segments from i on; elem is the node of the last wildcard so far. */
static void
eval_from(struct eval_ctx *c, size_t i, struct json_object *o, struct json_object *elem,
    size_t ilen)
{
	const struct jsonx_ptr *p = c->p;
	char err[512];

	for (; i < p->nsegs && !p->segs[i].wild; i++) {
		if (step(p, i, o, &o, err, sizeof(err)) == -1) {
			c->fn(c->arg, ilen > 0 ? c->inst : NULL, elem, NULL, err);
			return;
		}
	}
	if (i == p->nsegs) {
		c->fn(c->arg, ilen > 0 ? c->inst : NULL, elem, o, NULL);
		return;
	}
	/* A wildcard: one branch per element or member. */
	if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);

		for (size_t k = 0; k < n; k++) {
			struct json_object *e = json_object_array_get_idx(o, k);
			int w = snprintf(c->inst + ilen, sizeof(c->inst) - ilen, "%s%zu",
			    ilen > 0 ? "/" : "", k);

			if (w < 0 || (size_t)w >= sizeof(c->inst) - ilen)
				continue;
			eval_from(c, i + 1, e, e, ilen + (size_t)w);
			c->inst[ilen] = '\0';
		}
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, e) {
			int w = snprintf(c->inst + ilen, sizeof(c->inst) - ilen, "%s%s",
			    ilen > 0 ? "/" : "", key);

			if (w < 0 || (size_t)w >= sizeof(c->inst) - ilen)
				continue;
			eval_from(c, i + 1, e, e, ilen + (size_t)w);
			c->inst[ilen] = '\0';
		}
	} else {
		not_container(p, i, o, err, sizeof(err));
		c->fn(c->arg, ilen > 0 ? c->inst : NULL, elem, NULL, err);
	}
}

int
jsonx_eval(const struct jsonx_ptr *p, struct json_object *root, jsonx_match_fn fn,
    void *arg, char *err, size_t errlen)
{
	struct eval_ctx c = { .p = p, .fn = fn, .arg = arg };
	struct json_object *o = root;
	size_t i;

	/* Failures before the first wildcard concern the whole metric. */
	for (i = 0; i < p->nsegs && !p->segs[i].wild; i++)
		if (step(p, i, o, &o, err, errlen) == -1)
			return -1;
	if (i < p->nsegs && !json_object_is_type(o, json_type_array) &&
	    !json_object_is_type(o, json_type_object)) {
		not_container(p, i, o, err, errlen);
		return -1;
	}
	eval_from(&c, i, o, root, 0);
	return 0;
}

int
jsonx_get(const struct jsonx_ptr *p, struct json_object *root, struct json_object **out,
    char *err, size_t errlen)
{
	struct json_object *o = root;

	for (size_t i = 0; i < p->nsegs; i++) {
		if (p->segs[i].wild) {
			snprintf(err, errlen, "%s: a wildcard is not allowed here", p->text);
			return -1;
		}
		if (step(p, i, o, &o, err, errlen) == -1)
			return -1;
	}
	*out = o;
	return 0;
}

int
jsonx_value(struct json_object *o, struct value *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	switch (json_object_get_type(o)) {
	case json_type_null:
		v->type = VALUE_NULL;
		return 0;
	case json_type_boolean:
		v->type = VALUE_BOOL;
		v->b = json_object_get_boolean(o);
		return 0;
	case json_type_int:
		v->type = VALUE_NUMBER;
		/* Unsigned 64-bit counters do not fit in int64_t. */
		if (json_object_get_int64(o) == INT64_MAX)
			v->num = (double)json_object_get_uint64(o);
		else
			v->num = (double)json_object_get_int64(o);
		return 0;
	case json_type_double:
		v->type = VALUE_NUMBER;
		v->num = json_object_get_double(o);
		return 0;
	case json_type_string:
		v->type = VALUE_STRING;
		v->str = xstrndup(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		return 0;
	default:
		snprintf(err, errlen, "expected a number, string, boolean or null, got %s",
		    jsonx_type_name(o));
		return -1;
	}
}

char *
jsonx_scalar_text(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_boolean:
		return xstrdup(json_object_get_boolean(o) ? "true" : "false");
	case json_type_int:
		if (json_object_get_int64(o) == INT64_MAX)
			return xasprintf("%" PRIu64, json_object_get_uint64(o));
		return xasprintf("%" PRId64, json_object_get_int64(o));
	case json_type_double:
		return xasprintf("%.17g", json_object_get_double(o));
	case json_type_string:
		return xstrndup(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
	default:
		return NULL;
	}
}

int
jsonx_items(struct json_object *arr, const struct jsonx_ptr *key, struct value *v,
    char *err, size_t errlen)
{
	struct json_object *seen = NULL;
	size_t n;
	char kerr[512];
	int rc = -1;

	memset(v, 0, sizeof(*v));
	if (!json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "expected an array of items, got %s",
		    jsonx_type_name(arr));
		return -1;
	}
	n = json_object_array_length(arr);
	v->type = VALUE_ITEMS;
	v->items = xcalloc(n, sizeof(*v->items));
	seen = json_object_new_object();
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *k;
		char *ks;

		if (!json_object_is_type(e, json_type_object)) {
			snprintf(err, errlen, "item %zu is %s, not an object", i,
			    jsonx_type_name(e));
			goto out;
		}
		if (jsonx_get(key, e, &k, kerr, sizeof(kerr)) == -1) {
			snprintf(err, errlen, "item %zu: key %s", i, kerr);
			goto out;
		}
		if ((ks = jsonx_scalar_text(k)) == NULL) {
			snprintf(err, errlen, "item %zu: key %s is %s, not a string or "
			    "number", i, jsonx_text(key), jsonx_type_name(k));
			goto out;
		}
		if (json_object_object_get_ex(seen, ks, NULL)) {
			free(ks);
			continue;
		}
		json_object_object_add(seen, ks, NULL);
		v->items[v->nitems].key = ks;
		v->items[v->nitems].obj = json_object_get(e);
		v->nitems++;
	}
	rc = 0;
out:
	json_object_put(seen);
	if (rc == -1)
		value_clear(v);
	return rc;
}

struct jsonx_parser *
jsonx_parser_new(int max_depth)
{
	struct jsonx_parser *jp = xcalloc(1, sizeof(*jp));

	jp->tok = json_tokener_new_ex(max_depth > 0 ? max_depth : JSONX_DEFAULT_DEPTH);
	if (jp->tok == NULL)
		fatalx("out of memory allocating a JSON parser");
	/* Trailing data is checked here, the same way whatever the chunking. */
	json_tokener_set_flags(jp->tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8);
	return jp;
}

/* Records the tokener's error at the current position. */
static void
parser_fail(struct jsonx_parser *jp, size_t base)
{
	jp->failed = true;
	jp->jerr = json_tokener_get_error(jp->tok);
	jp->err_at = base + json_tokener_get_parse_end(jp->tok);
}

int
jsonx_parser_feed(struct jsonx_parser *jp, const char *buf, size_t len)
{
	size_t base = jp->bytes;

	jp->bytes += len;
	if (jp->failed)
		return -1;
	while (len > 0) {
		struct json_object *o;
		size_t used;
		int chunk = len > INT32_MAX ? INT32_MAX : (int)len;

		if (jp->done) {
			/* Only blanks may follow the document. */
			for (size_t i = 0; i < len; i++) {
				if (strchr(" \t\r\n", buf[i]) == NULL) {
					jp->failed = true;
					jp->trail = buf[i];
					jp->err_at = base + i;
					return -1;
				}
			}
			return 0;
		}
		o = json_tokener_parse_ex(jp->tok, buf, chunk);
		if (json_tokener_get_error(jp->tok) == json_tokener_continue)
			used = (size_t)chunk;
		else if (json_tokener_get_error(jp->tok) == json_tokener_success) {
			jp->root = o;
			jp->done = true;
			used = json_tokener_get_parse_end(jp->tok);
		} else {
			parser_fail(jp, base);
			return -1;
		}
		buf += used;
		len -= used;
		base += used;
	}
	return 0;
}

int
jsonx_parser_finish(struct jsonx_parser *jp, struct json_object **root, char *err,
    size_t errlen)
{
	struct json_object *o;

	if (!jp->failed && !jp->done) {
		if (jp->bytes == 0) {
			snprintf(err, errlen, "empty body");
			return -1;
		}
		/* A NUL ends a document such as a bare number. */
		o = json_tokener_parse_ex(jp->tok, "", 1);
		if (json_tokener_get_error(jp->tok) == json_tokener_success) {
			jp->root = o;
			jp->done = true;
		} else {
			jp->failed = true;
			jp->jerr = json_tokener_get_error(jp->tok);
			jp->err_at = jp->bytes;
		}
	}
	if (jp->failed) {
		if (jp->trail != '\0')
			snprintf(err, errlen, "invalid JSON at byte %zu: data after "
			    "the document", jp->err_at);
		else if (jp->jerr == json_tokener_error_depth)
			snprintf(err, errlen, "invalid JSON at byte %zu: nested deeper "
			    "than the limit", jp->err_at);
		else
			snprintf(err, errlen, "invalid JSON at byte %zu: %s", jp->err_at,
			    json_tokener_error_desc(jp->jerr));
		return -1;
	}
	*root = jp->root;
	jp->root = NULL;
	return 0;
}

size_t
jsonx_parser_bytes(const struct jsonx_parser *jp)
{
	return jp->bytes;
}

void
jsonx_parser_free(struct jsonx_parser *jp)
{
	if (jp == NULL)
		return;
	json_object_put(jp->root);
	json_tokener_free(jp->tok);
	free(jp);
}
