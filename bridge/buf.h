#ifndef POLLHOOK_BUF_H
#define POLLHOOK_BUF_H

/*
 * A growing NUL-terminated byte buffer: the management API's response
 * bodies, the PostgreSQL store's array parameters, the payload formats' bodies.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* A growing buffer; all zero is empty. */
struct buf {
	char *p;
	size_t len, cap;
};

/* Makes room in b for n more bytes and the NUL after them. */
static inline void
buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xreallocarray(b->p, cap, 1);
		b->cap = cap;
	}
}

/* Appends the n bytes at s to b, which stays NUL-terminated. */
static inline void
buf_add(struct buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Appends the string s to b. */
static inline void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Appends the formatted string to b. */
static inline void __attribute__((format(printf, 2, 3)))
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_str(b, s);
	free(s);
}

#endif
