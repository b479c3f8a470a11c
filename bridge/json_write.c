#include "json_write.h"

#include <stdbool.h>
#include <string.h>

#include "json_scan.h"

/* The escape of each byte below 0x20 and of '"' and '\\'; NULL: the byte as it is. */
static const char *
escape_of(unsigned char c, char u[7])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		if (c >= 0x20)
			return NULL;
		memcpy(u, "\\u00", 4);
		u[4] = hex[c >> 4];
		u[5] = hex[c & 15];
		u[6] = '\0';
		return u;
	}
}

void
json_write_chars(struct buf *b, const char *s, size_t n)
{
	size_t from = 0;
	char u[7];

	for (size_t i = 0; i < n; i++) {
		const char *e = escape_of((unsigned char)s[i], u);

		if (e == NULL)
			continue;
		buf_add(b, s + from, i - from);
		buf_str(b, e);
		from = i + 1;
	}
	buf_add(b, s + from, n - from);
}

void
json_write_str(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_add(b, "null", 4);
		return;
	}
	buf_add(b, "\"", 1);
	json_write_chars(b, s, strlen(s));
	buf_add(b, "\"", 1);
}

void
json_write_key(struct buf *b, const char *key, int first)
{
	if (!first)
		buf_add(b, ",", 1);
	buf_add(b, "\"", 1);
	buf_str(b, key);
	buf_add(b, "\":", 2);
}

/* Appends character c of a string (a byte as it stands, or a code point) as json-c prints it. */
static void
plain_char(struct buf *b, unsigned long c, bool raw)
{
	char u[7];
	const char *e;

	if (c == '/') {
		buf_add(b, "\\/", 2);
		return;
	}
	if (raw || c < 0x80) {
		char ch = (char)c;

		if ((e = escape_of((unsigned char)ch, u)) != NULL)
			buf_str(b, e);
		else
			buf_add(b, &ch, 1);
		return;
	}
	buf_reserve(b, 4);
	b->len += json_scan_utf8(c, b->p + b->len);
	b->p[b->len] = '\0';
}

void
json_write_plain(struct buf *b, struct json_span v)
{
	const char *p = v.p, *end = v.p + v.len;

	while (p < end) {
		const char *close;

		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		if (*p != '"') {
			buf_add(b, p++, 1);
			continue;
		}
		/* A checked string: its closing quote is the first one not escaped. */
		close = json_scan_value(p, end) - 1;
		buf_add(b, "\"", 1);
		for (p++; p < close;) {
			unsigned long c;
			bool raw;

			p = json_scan_char(p, close, &c, &raw);
			plain_char(b, c, raw);
		}
		buf_add(b, "\"", 1);
		p = close + 1;
	}
}
