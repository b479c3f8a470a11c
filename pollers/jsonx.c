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

/* Where the strictness scanner is within a number (outside strings). */
enum num_state {
	NUM_NONE, NUM_SIGN, NUM_ZERO, NUM_INT, NUM_DOT, NUM_FRAC, NUM_EXP, NUM_EXP_SIGN,
	NUM_EXP_DIGITS
};

/*
 * What json-c's strict mode lets through although RFC 8259 has no place for
 * it, found by a scan of the bytes beside the tokener.
 */
struct jsonx_strict {
	bool in_str, esc;		/* inside a string; after a backslash there */
	unsigned utf8_need;		/* continuation bytes still due */
	unsigned char utf8_lo, utf8_hi;	/* the range of the next one */
	enum num_state num;
	char word[9];			/* the letters of a bare word */
	size_t word_len, word_at;	/* word_len 0: not in a word */
	bool word_signed;		/* the word follows a minus sign */
	const char *bad;		/* the first violation, or NULL */
	size_t bad_at;
};

struct jsonx_parser {
	struct json_tokener *tok;
	struct json_object *root;	/* the document once complete */
	bool done;			/* the top-level value is complete */
	bool failed;
	enum json_tokener_error jerr;
	const char *why;		/* the strict scan's reason, when it failed */
	size_t bytes;
	size_t err_at;			/* byte offset of the first error */
	bool trailing;			/* the error is data after the document */
	struct jsonx_strict strict;
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
		/*
		 * The parser refuses NaN and Infinity, so a value that is not
		 * finite overflowed (1e400): an error, not an infinite value.
		 * The text is the number as the document wrote it.
		 */
		if (!isfinite(json_object_get_double(o))) {
			snprintf(err, errlen, "number %.64s is outside the range of a double",
			    json_object_get_string(o));
			return -1;
		}
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
	/* UTF-8 is checked by the strict scan, whatever the chunking. */
	json_tokener_set_flags(jp->tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	return jp;
}

static void
strict_bad(struct jsonx_strict *st, size_t at, const char *why)
{
	if (st->bad == NULL) {
		st->bad = why;
		st->bad_at = at;
	}
}

/*
 * Ends a bare word: json-c's strict mode takes NaN and Infinity (also as
 * -Infinity), spelled just so, for numbers; it refuses every other word that
 * is not true, false or null itself.
 */
static void
strict_word_end(struct jsonx_strict *st)
{
	if (st->word_len == 0)
		return;
	if (st->word_len >= sizeof(st->word))
		st->word[0] = '\0';	/* longer than any word that matters */
	else
		st->word[st->word_len] = '\0';
	/* -Inf is no number either. */
	if (st->word_signed && strcmp(st->word, "Infinity") != 0)
		strict_bad(st, st->word_at, "no digit after a minus sign");
	else if (strcmp(st->word, "NaN") == 0)
		strict_bad(st, st->word_at, "NaN is not a JSON number");
	else if (strcmp(st->word, "Infinity") == 0)
		strict_bad(st, st->word_at, "Infinity is not a JSON number");
	st->word_len = 0;
	st->word_signed = false;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Moves the number state on by byte c (outside strings); returns whether c
 * belongs to a number. Beyond the leniencies of strict mode, json-c fed a
 * byte at a time ends a number at the first byte its digits do not parse,
 * silently: 1-0 reads as 1. So the grammar of RFC 8259 is checked whole.
 */
static bool
strict_number(struct jsonx_strict *st, unsigned char c, size_t at)
{
	switch (st->num) {
	case NUM_NONE:
		if (c == '-')
			st->num = NUM_SIGN;
		else if (is_digit(c))
			st->num = c == '0' ? NUM_ZERO : NUM_INT;
		return st->num != NUM_NONE;
	case NUM_SIGN:
		if (is_digit(c)) {
			st->num = c == '0' ? NUM_ZERO : NUM_INT;
			return true;
		}
		/*
		 * Only -Infinity, named when its word ends, may also start so:
		 * fed a byte at a time, json-c even reads -eInfinity as -Infinity.
		 */
		st->num = NUM_NONE;
		if (c == 'I')
			st->word_signed = true;
		else
			strict_bad(st, at, "no digit after a minus sign");
		return false;
	case NUM_ZERO:
	case NUM_INT:
		if (is_digit(c)) {
			if (st->num == NUM_ZERO)
				strict_bad(st, at, "a number with a leading zero");
			return true;
		}
		if (c == '.') {
			st->num = NUM_DOT;
			return true;
		}
		/* FALLTHROUGH */
	case NUM_FRAC:
		if (is_digit(c))
			return true;
		if (c == 'e' || c == 'E') {
			st->num = NUM_EXP;
			return true;
		}
		break;
	case NUM_DOT:
		if (is_digit(c)) {
			st->num = NUM_FRAC;
			return true;
		}
		strict_bad(st, at, "no digit after the decimal point");
		st->num = NUM_NONE;
		return false;
	case NUM_EXP:
		if (c == '+' || c == '-') {
			st->num = NUM_EXP_SIGN;
			return true;
		}
		/* FALLTHROUGH */
	case NUM_EXP_SIGN:
		if (is_digit(c)) {
			st->num = NUM_EXP_DIGITS;
			return true;
		}
		strict_bad(st, at, "no digit in the exponent");
		st->num = NUM_NONE;
		return false;
	case NUM_EXP_DIGITS:
		if (is_digit(c))
			return true;
		break;
	}
	/* The number is over: what follows must end it. */
	st->num = NUM_NONE;
	if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' && c != ']' && c != '}')
		strict_bad(st, at, "unexpected character after a number");
	return false;
}

/* Checks that the end of the input cuts no number or character short. */
static void
strict_end(struct jsonx_strict *st, size_t at)
{
	strict_word_end(st);
	if (st->utf8_need > 0)
		strict_bad(st, at, "invalid utf-8 string");
	switch (st->num) {
	case NUM_SIGN:
		strict_bad(st, at, "no digit after a minus sign");
		break;
	case NUM_DOT:
		strict_bad(st, at, "no digit after the decimal point");
		break;
	case NUM_EXP:
	case NUM_EXP_SIGN:
		strict_bad(st, at, "no digit in the exponent");
		break;
	default:
		break;
	}
	st->num = NUM_NONE;
}

/*
 * Checks byte c against UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF); returns false when it cannot be there. json-c's own
 * check (JSON_TOKENER_VALIDATE_UTF8) refuses a character that one feed cuts
 * in two, which a body read in pieces does at random: it is done here instead.
 */
static bool
strict_utf8(struct jsonx_strict *st, unsigned char c)
{
	if (st->utf8_need > 0) {
		if (c < st->utf8_lo || c > st->utf8_hi)
			return false;
		st->utf8_need--;
		st->utf8_lo = 0x80;
		st->utf8_hi = 0xbf;
		return true;
	}
	st->utf8_lo = 0x80;
	st->utf8_hi = 0xbf;
	if (c < 0x80)
		return true;
	if (c >= 0xc2 && c <= 0xdf)
		st->utf8_need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		st->utf8_need = 2;
		if (c == 0xe0)
			st->utf8_lo = 0xa0;
		else if (c == 0xed)
			st->utf8_hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		st->utf8_need = 3;
		if (c == 0xf0)
			st->utf8_lo = 0x90;
		else if (c == 0xf4)
			st->utf8_hi = 0x8f;
	} else
		return false;
	return true;
}

/*
 * Scans len bytes at offset base of the document for what json-c's strict
 * mode accepts and JSON does not: NaN and Infinity, single-quoted strings,
 * raw control characters in strings, numbers such as "1.", "-.5" and "-01",
 * NUL bytes; and for invalid UTF-8. Valid JSON never trips it; the first
 * violation is kept in st.
 */
static void
strict_scan(struct jsonx_strict *st, const char *buf, size_t len, size_t base)
{
	for (size_t i = 0; i < len && st->bad == NULL; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (!strict_utf8(st, c)) {
			strict_bad(st, base + i, "invalid utf-8 string");
			continue;
		}
		if (st->in_str) {
			if (st->esc)
				st->esc = false;
			else if (c == '\\')
				st->esc = true;
			else if (c == '"')
				st->in_str = false;
			else if (c < 0x20)
				strict_bad(st, base + i, "a control character in a string");
			continue;
		}
		if (strict_number(st, c, base + i))
			continue;
		if (is_letter(c)) {
			if (st->word_len == 0)
				st->word_at = base + i;
			if (st->word_len < sizeof(st->word) - 1)
				st->word[st->word_len] = (char)c;
			st->word_len++;
			continue;
		}
		strict_word_end(st);
		if (c == '"')
			st->in_str = true;
		else if (c == '\'')
			strict_bad(st, base + i, "strings take double quotes, not single ones");
		else if (c == '\0')
			strict_bad(st, base + i, "a NUL byte");	/* json-c may take it for the end */
	}
}

/* Fails jp with the strict scan's violation when it comes before any other error. */
static void
strict_check(struct jsonx_parser *jp)
{
	const struct jsonx_strict *st = &jp->strict;

	if (st->bad == NULL || jp->why != NULL)
		return;
	/*
	 * On a tie with the tokener the scan's message stands: it names what is
	 * wrong, the same whatever the chunking, where json-c's may differ (fed a
	 * byte at a time it takes 1-0 for 1; in one piece it says "number
	 * expected"). Data after the document is said as such.
	 */
	if (jp->failed && (jp->err_at < st->bad_at ||
	    (jp->trailing && jp->err_at == st->bad_at)))
		return;
	jp->failed = true;
	jp->why = st->bad;
	jp->trailing = false;
	jp->err_at = st->bad_at;
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
	strict_scan(&jp->strict, buf, len, base);
	while (len > 0) {
		struct json_object *o;
		size_t used;
		int chunk = len > INT32_MAX ? INT32_MAX : (int)len;

		if (jp->done) {
			/* Only blanks may follow the document. */
			for (size_t i = 0; i < len; i++) {
				if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' &&
				    buf[i] != '\n') {
					jp->failed = true;
					jp->trailing = true;
					jp->err_at = base + i;
					break;
				}
			}
			break;
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
			break;
		}
		buf += used;
		len -= used;
		base += used;
	}
	strict_check(jp);
	return jp->failed ? -1 : 0;
}

int
jsonx_parser_finish(struct jsonx_parser *jp, struct json_object **root, char *err,
    size_t errlen)
{
	struct json_object *o;

	if (!jp->failed)
		strict_end(&jp->strict, jp->bytes);
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
	strict_check(jp);
	if (jp->failed) {
		if (jp->why != NULL)
			snprintf(err, errlen, "invalid JSON at byte %zu: %s", jp->err_at, jp->why);
		else if (jp->trailing)
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
