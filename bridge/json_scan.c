#include "json_scan.h"

#include <string.h>

#include "util.h"

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at the opening quote: the end of the string, or NULL. */
static const char *
scan_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p != '\\')
			continue;
		if (++p >= end)
			return NULL;
		if (*p == 'u') {
			if (end - p < 5)
				return NULL;
			for (int i = 1; i <= 4; i++)
				if (hex_digit((unsigned char)p[i]) < 0)
					return NULL;
			p += 4;
		} else if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0')
			return NULL;
	}
	return NULL;
}

static const char *
scan_digits(const char *p, const char *end)
{
	const char *s = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > s ? p : NULL;
}

static const char *
scan_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	/* RFC 8259: no leading zero ("07" is no number), but "0" and "0.5" are. */
	if (p < end && *p == '0')
		p++;
	else if ((p = scan_digits(p, end)) == NULL)
		return NULL;
	if (p < end && *p == '.' && (p = scan_digits(p + 1, end)) == NULL)
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		p = scan_digits(p, end);
	}
	return p;
}

static const char *
scan_word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - p) >= n && memcmp(p, w, n) == 0 ? p + n : NULL;
}

static const char *scan_value(const char *p, const char *end, int depth);

/* p at '[' or '{': the end of the array or object, or NULL. */
static const char *
scan_container(const char *p, const char *end, int depth)
{
	char close = *p == '[' ? ']' : '}';
	bool object = *p == '{';

	if (depth >= JSON_SCAN_DEPTH)
		return NULL;
	p = skip_ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (object) {
			if (p >= end || *p != '"' || (p = scan_string(p, end)) == NULL)
				return NULL;
			p = skip_ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p++;
		}
		if ((p = scan_value(p, end, depth + 1)) == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p >= end)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1, end);
	}
}

static const char *
scan_value(const char *p, const char *end, int depth)
{
	p = skip_ws(p, end);
	if (p >= end)
		return NULL;
	switch (*p) {
	case '{':
	case '[':
		return scan_container(p, end, depth);
	case '"':
		return scan_string(p, end);
	case 't':
		return scan_word(p, end, "true");
	case 'f':
		return scan_word(p, end, "false");
	case 'n':
		return scan_word(p, end, "null");
	default:
		return scan_number(p, end);
	}
}

const char *
json_scan_value(const char *p, const char *end)
{
	return scan_value(p, end, 0);
}

int
json_scan_object(struct json_scan *it, struct json_span o)
{
	if (!json_span_is_object(o))
		return -1;
	it->p = o.p + 1;
	it->end = o.p + o.len;
	it->first = true;
	return 0;
}

int
json_scan_next(struct json_scan *it, struct json_span *key, struct json_span *value)
{
	const char *p = skip_ws(it->p, it->end), *e;

	if (p < it->end && *p == '}')
		return 0;
	if (!it->first) {
		if (p >= it->end || *p != ',')
			return -1;
		p = skip_ws(p + 1, it->end);
	}
	if (p >= it->end || *p != '"' || (e = scan_string(p, it->end)) == NULL)
		return -1;
	key->p = p;
	key->len = (size_t)(e - p);
	p = skip_ws(e, it->end);
	if (p >= it->end || *p != ':')
		return -1;
	p = skip_ws(p + 1, it->end);
	if ((e = scan_value(p, it->end, 1)) == NULL)
		return -1;
	value->p = p;
	value->len = (size_t)(e - p);
	it->p = e;
	it->first = false;
	return 1;
}

static unsigned long
hex4(const char *p)
{
	return (unsigned long)(hex_digit((unsigned char)p[0]) << 12 | hex_digit((unsigned char)p[1]) << 8 | hex_digit((unsigned char)p[2]) << 4 |
	    hex_digit((unsigned char)p[3]));
}

const char *
json_scan_char(const char *p, const char *end, unsigned long *c, bool *raw)
{
	*raw = *p != '\\';
	if (*raw) {
		*c = (unsigned char)*p;
		return p + 1;
	}
	p++;
	switch (*p) {
	case 'b': *c = '\b'; break;
	case 'f': *c = '\f'; break;
	case 'n': *c = '\n'; break;
	case 'r': *c = '\r'; break;
	case 't': *c = '\t'; break;
	case 'u':
		*c = hex4(p + 1);
		p += 4;
		if (*c >= 0xd800 && *c < 0xdc00 && end - p >= 7 && p[1] == '\\' && p[2] == 'u' &&
		    hex4(p + 3) >= 0xdc00 && hex4(p + 3) < 0xe000) {
			*c = 0x10000 + ((*c - 0xd800) << 10) + (hex4(p + 3) - 0xdc00);
			p += 6;
		} else if (*c >= 0xd800 && *c < 0xe000)
			*c = 0xfffd;	/* a lone surrogate */
		break;
	default: *c = (unsigned char)*p; break;
	}
	return p + 1;
}

size_t
json_scan_utf8(unsigned long c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t
json_scan_string(struct json_span s, char *out)
{
	const char *p = s.p + 1, *end = s.p + s.len - 1;
	size_t n = 0;

	while (p < end) {
		unsigned long c;
		bool raw;

		p = json_scan_char(p, end, &c, &raw);
		if (c == 0)
			break;
		if (raw)
			out[n++] = (char)c;
		else
			n += json_scan_utf8(c, out + n);
	}
	out[n] = '\0';
	return n;
}

bool
json_scan_key_is(struct json_span s, const char *name)
{
	size_t n = strlen(name);
	char buf[64];

	if (s.len == n + 2 && memcmp(s.p + 1, name, n) == 0)
		return true;
	if (memchr(s.p, '\\', s.len) == NULL || s.len > sizeof(buf))
		return false;
	return json_scan_string(s, buf) == n && memcmp(buf, name, n) == 0;
}

bool
json_span_is_string(struct json_span v)
{
	return v.p != NULL && v.len > 0 && v.p[0] == '"';
}

bool
json_span_is_object(struct json_span v)
{
	return v.p != NULL && v.len > 0 && v.p[0] == '{';
}

bool
json_span_is_null(struct json_span v)
{
	return v.p != NULL && v.len == 4 && memcmp(v.p, "null", 4) == 0;
}
